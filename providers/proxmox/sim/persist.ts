// The simulated world as plain JSON, so a lab keeps its clusters, networks, storage, HA and guests
// between runs (and a removed-but-running node can keep a private copy of its cluster's files).
// Maps become arrays; a node refers to its /etc/pve by domain id.

import { randomUUID } from 'node:crypto';
import type { SimTask } from './tasks.js';
import type { ClusterConf, CoroNode, Domain, Guest, IfaceCfg, Section, SimNode } from './world.js';

export const WORLD_FORMAT = 'poolform-pve-sim';

interface ClusterJSON {
  name: string;
  configVersion: number;
  ringSeq: number;
  nodes: CoroNode[];
  links: Record<string, number>;
  expectedOverride?: number;
}

export interface DomainJSON {
  id: string;
  authKey: string;
  tokens: Record<string, string>;
  cluster?: ClusterJSON;
  storage: Section[];
  storageSecrets: Record<string, Record<string, string>>;
  options: Record<string, string>;
  haResources: Section[];
  haGroups: Section[];
  haRules: Section[];
  haArmed?: Domain['haArmed'];
  guests: Guest[];
}

/** A node as saved: its plain fields as they are, maps as entry arrays, its /etc/pve by domain id. */
export type NodeJSON = Omit<SimNode, 'running' | 'staged' | 'files' | 'domain'> & {
  running: [string, IfaceCfg][];
  staged?: [string, IfaceCfg][];
  files: [string, string][];
  domain: string;
};

export interface WorldJSON {
  format: typeof WORLD_FORMAT;
  version: 1;
  password: string;
  token: { id: string; secret: string };
  latencyScale: number;
  domains: DomainJSON[];
  nodes: NodeJSON[];
  tasks: SimTask[];
}

const clone = <T>(v: T): T => structuredClone(v);

export function domainToJSON(d: Domain): DomainJSON {
  const c = d.cluster;
  return {
    id: d.id,
    authKey: d.authKey,
    tokens: { ...d.tokens },
    ...(c ? { cluster: { name: c.name, configVersion: c.configVersion, ringSeq: c.ringSeq, nodes: [...c.nodes.values()].map(clone), links: { ...c.links }, ...(c.expectedOverride !== undefined ? { expectedOverride: c.expectedOverride } : {}) } } : {}),
    storage: [...d.storage.values()].map(clone),
    storageSecrets: clone(d.storageSecrets),
    options: { ...d.options },
    haResources: [...d.haResources.values()].map(clone),
    haGroups: [...d.haGroups.values()].map(clone),
    haRules: [...d.haRules.values()].map(clone),
    ...(d.haArmed ? { haArmed: { ...d.haArmed } } : {}),
    guests: [...d.guests.values()].map(clone),
  };
}

export function domainFromJSON(j: DomainJSON): Domain {
  const cluster: ClusterConf | undefined = j.cluster
    ? { name: j.cluster.name, configVersion: j.cluster.configVersion, ringSeq: j.cluster.ringSeq ?? 1, nodes: new Map(j.cluster.nodes.map((n) => [n.name, clone(n)])), links: { ...j.cluster.links }, ...(j.cluster.expectedOverride !== undefined ? { expectedOverride: j.cluster.expectedOverride } : {}) }
    : undefined;
  return {
    id: j.id,
    authKey: j.authKey,
    tokens: { ...j.tokens },
    ...(cluster ? { cluster } : {}),
    storage: new Map(j.storage.map((s) => [s.storage!, clone(s)])),
    storageSecrets: clone(j.storageSecrets ?? {}),
    options: { ...j.options },
    haResources: new Map(j.haResources.map((s) => [s.sid!, clone(s)])),
    haGroups: new Map(j.haGroups.map((s) => [s.group!, clone(s)])),
    haRules: new Map(j.haRules.map((s) => [s.rule!, clone(s)])),
    ...(j.haArmed ? { haArmed: { ...j.haArmed } } : {}),
    guests: new Map(j.guests.map((g) => [g.vmid, clone(g)])),
  };
}

/** A private copy of a domain (a rogue node's files), with its own identity. */
export function cloneDomain(d: Domain): Domain {
  return { ...domainFromJSON(domainToJSON(d)), id: randomUUID() };
}

export function nodeToJSON(n: SimNode): NodeJSON {
  const { running, staged, ifacesFile, files, domain, ...plain } = n;
  return {
    ...plain,
    nics: [...n.nics],
    running: [...running].map(([k, v]) => [k, { ...v }]),
    ...(staged ? { staged: [...staged].map(([k, v]) => [k, { ...v }] as [string, IfaceCfg]) } : {}),
    ...(ifacesFile !== undefined ? { ifacesFile } : {}),
    files: [...files],
    domain: domain.id,
  };
}

export function nodeFromJSON(j: NodeJSON, domains: Map<string, Domain>): SimNode {
  const domain = domains.get(j.domain);
  if (!domain) throw new Error(`saved node "${j.name}" refers to an unknown /etc/pve (${j.domain})`);
  const { running, staged, ifacesFile, files, domain: _id, ...plain } = j;
  return {
    ...plain,
    nics: [...j.nics],
    running: new Map(running.map(([k, v]) => [k, { ...v }])),
    ...(staged ? { staged: new Map(staged.map(([k, v]) => [k, { ...v }])) } : {}),
    ...(ifacesFile !== undefined ? { ifacesFile } : {}),
    files: new Map(files),
    domain,
  };
}
