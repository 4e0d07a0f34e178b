// A running simulated Proxmox VE lab: the PveSim model (sim/cluster.ts) served by one HTTPS API
// endpoint and one SSH daemon per node on 127.0.0.1, with certificates, SSH host keys, a
// known_hosts file, a client key authorised for root, and the variables a configuration needs to
// reach it. Nodes start standalone (pve1..pveN), each with root@pam's password and the same API
// token, as an administrator prepares them before clustering. With a directory, everything
// persists there (keys, ports, secrets, the simulated world), so a second start is the same lab
// with the same pins.

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateHostCertificate, loadOrCreateHostCertificate, type HostCertificate } from '../../common/certs.js';
import { generateSshClientKey, generateSshHostKeys, knownHostsLines, loadOrCreateSshClientKey, loadOrCreateSshHostKeys, privateKeyFingerprint, type SshClientKey, type SshHostKeys } from '../../common/ssh-keys.js';
import { LAB_PASSWORD, PveSim, type NodeSpec } from './cluster.js';
import { PveHttpsServer, WireFaults } from './server.js';
import { PveSshAgent } from './ssh-agent.js';
import { LOOPBACK, autosaver, labDir, listenForLab, readJson, textTable, writeAtomically, writeEnvFile } from '../../common/sim-lab.js';

export interface PveLabOptions {
  /** How many nodes (default 3; with a saved lab in `dir`, as many as it has). */
  nodes?: number;
  /** Where keys, ports, secrets and the world are kept; default a temporary directory removed on stop. */
  dir?: string;
  /** root@pam's password on every node (default "poolform-lab"). */
  password?: string;
  /** API ports basePort+i, SSH ports basePort+100+i; default: free ports (kept in `dir`). */
  basePort?: number;
  /** Multiplies task latencies (0 = instant, for tests). Default 1. */
  latencyScale?: number;
  /** How long a 401 waits (pveproxy: 3000 ms, the default; tests ~50). */
  authFailDelayMs?: number;
  /** Per-node overrides (version, nics, ovs, clock skew, guests) for a new world; index i is node i. */
  nodeSpecs?: Partial<NodeSpec>[];
  /** Guests (VMs) in a new world, in total, spread evenly over the nodes (for observation benches). */
  guests?: number;
}

export interface LabNode {
  name: string;
  /** Its management address in the simulated network (10.20.0.1x), what joins name. */
  ip: string;
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** SHA-256 of the node's certificate, "AB:CD:..." (`pvenode cert info`). */
  fingerprint: string;
  sshPort: number;
  /** "127.0.0.1:<sshPort>" */
  sshAddress: string;
  /** OpenSSH form of the ed25519 host key's fingerprint, "SHA256:...". */
  sshFingerprint: string;
}

export interface PveLab {
  nodes: LabNode[];
  /** root@pam's password (API tickets, SSH, cluster joins). */
  password: string;
  /** "root@pam!poolform" */
  tokenId: string;
  /** The token's secret (a UUID), the same on every node. */
  tokenSecret: string;
  knownHostsFile: string;
  /** An OpenSSH private key root may log in with on every node (instead of the password). */
  sshPrivateKey: string;
  sshPrivateKeyFile: string;
  dir: string;
  sim: PveSim;
  /** Network faults (extra latency, dropped requests) on top of the model's own. */
  wire: WireFaults;
  /** API requests served so far by every node (benches count them). */
  requests(): number;
  /** Writes the world to `dir` (done soon after every change, and by stop()). */
  save(): void;
  stop(): Promise<void>;
}

interface LabFile {
  version: 1;
  nodes: { name: string; ip: string; port: number; sshPort: number }[];
  password: string;
  tokenId: string;
  tokenSecret: string;
}

export const LAB_TOKEN_ID = 'root@pam!poolform';
const KEYS_SUBDIR = 'nodes';

/** The management address of node i (0-based) in the lab's network: 10.20.0.11, .12, ... */
function labIp(i: number): string {
  return `10.20.0.${11 + i}`;
}

export async function startPveLab(opts: PveLabOptions = {}): Promise<PveLab> {
  const { dir, temp } = labDir(opts.dir, 'poolform-pve-lab-');
  const labFile = path.join(dir, 'lab.json');
  const worldFile = path.join(dir, 'world.json');
  const keyDir = path.join(dir, KEYS_SUBDIR);
  const saved = temp ? undefined : readJson<LabFile>(labFile);
  const savedWorld = saved && fs.existsSync(worldFile) ? readJson<unknown>(worldFile) : undefined;

  let count = Math.max(opts.nodes ?? saved?.nodes.length ?? 3, opts.nodeSpecs?.length ?? 0);
  if (savedWorld !== undefined && saved) {
    if (opts.nodes !== undefined && opts.nodes !== saved.nodes.length)
      throw new Error(`the lab in ${dir} has ${saved.nodes.length} nodes, not ${opts.nodes}: run with --nodes ${saved.nodes.length}, or use another --dir (or delete that one) for a new lab`);
    count = saved.nodes.length;
  }
  if (count < 1) throw new Error('a lab needs at least one node');
  const fresh = savedWorld === undefined;
  const names = Array.from({ length: count }, (_, i) => (!fresh ? saved!.nodes[i]!.name : (opts.nodeSpecs?.[i]?.name ?? `pve${i + 1}`)));
  const ips = names.map((_, i) => (!fresh ? saved!.nodes[i]!.ip : (opts.nodeSpecs?.[i]?.ip ?? labIp(i))));
  const password = opts.password ?? (!fresh ? saved!.password : undefined) ?? LAB_PASSWORD;
  const tokenId = saved?.tokenId ?? LAB_TOKEN_ID;
  const tokenSecret = (!fresh ? saved!.tokenSecret : undefined) ?? randomUUID();

  const wire = new WireFaults();
  const servers: PveHttpsServer[] = [];
  const agents: PveSshAgent[] = [];
  const certs: HostCertificate[] = [];
  const keys: SshHostKeys[] = [];
  let clientKey: SshClientKey;
  const clientKeyFile = path.join(dir, 'id_ed25519');
  const stopAll = async () => {
    await Promise.allSettled([...servers.map((s) => s.stop()), ...agents.map((a) => a.stop())]);
  };
  let sim: PveSim;
  try {
    certs.push(...(await Promise.all(names.map((n, i) => (temp ? generateHostCertificate(n, [LOOPBACK, ips[i]!]) : loadOrCreateHostCertificate(keyDir, n, [LOOPBACK, ips[i]!]))))));
    keys.push(...names.map((n) => (temp ? generateSshHostKeys(`root@${n}`) : loadOrCreateSshHostKeys(keyDir, n))));
    if (temp) {
      clientKey = generateSshClientKey('poolform-lab');
      fs.writeFileSync(clientKeyFile, clientKey.privateKey, { mode: 0o600 });
      fs.writeFileSync(`${clientKeyFile}.pub`, clientKey.publicKey + '\n');
    } else {
      // Kept beside the host keys (test harnesses cache that directory), then shown at the top.
      clientKey = loadOrCreateSshClientKey(path.join(keyDir, 'client_ed25519'), 'poolform-lab');
      fs.writeFileSync(clientKeyFile, clientKey.privateKey, { mode: 0o600 });
      fs.writeFileSync(`${clientKeyFile}.pub`, clientKey.publicKey + '\n');
    }
    const authorized = [clientKey.publicKey];
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      const port = opts.basePort !== undefined ? opts.basePort + i : (saved?.nodes[i]?.port ?? 0);
      const sshPort = opts.basePort !== undefined ? opts.basePort + 100 + i : (saved?.nodes[i]?.sshPort ?? 0);
      const server = new PveHttpsServer({ cert: certs[i]!.cert, key: certs[i]!.key, port, host: LOOPBACK, wire, authFailDelayMs: opts.authFailDelayMs ?? 3000 });
      servers.push(server);
      await listenForLab('HTTPS', name, () => server.start(), port);
      const agent = new PveSshAgent({
        hostKeys: keys[i]!,
        port: sshPort,
        host: LOOPBACK,
        checkPassword: (user, pw) => user === 'root' && sim.checkPassword(name, 'root@pam', pw),
        authorizedKeys: () => authorized,
        // sshd runs while the node is powered on, whatever became of its API or management address.
        answering: () => sim.isPoweredOn(name),
      });
      agents.push(agent);
      await listenForLab('SSH', name, () => agent.start(), sshPort);
    }
    const fingerprints = Object.fromEntries(names.map((n, i) => [n, certs[i]!.fingerprint]));
    const simOpts = { password, token: { id: tokenId, secret: tokenSecret }, latencyScale: opts.latencyScale ?? 1, fingerprints };
    if (!fresh) {
      sim = PveSim.fromJSON(savedWorld, simOpts);
      const have = new Set(sim.nodes().map((n) => n.name));
      const missing = names.find((n) => !have.has(n));
      if (missing) throw new Error(`the lab in ${dir} is inconsistent: its world has no node "${missing}" (delete the directory to start afresh)`);
    } else {
      const total = opts.guests ?? 0;
      const specs: NodeSpec[] = names.map((name, i) => ({
        guests: Math.floor(total / count) + (i < total % count ? 1 : 0),
        ...(opts.nodeSpecs?.[i] ?? {}),
        name,
        ip: ips[i]!,
      }));
      sim = new PveSim({ nodes: specs, ...simOpts });
    }
    for (let i = 0; i < count; i++) {
      servers[i]!.bind(sim, names[i]!);
      agents[i]!.bind(sim, names[i]!);
    }
  } catch (e) {
    await stopAll();
    if (temp) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const nodes: LabNode[] = names.map((name, i) => ({
    name,
    ip: ips[i]!,
    url: servers[i]!.url,
    port: servers[i]!.port,
    fingerprint: certs[i]!.fingerprint,
    sshPort: agents[i]!.port,
    sshAddress: `${LOOPBACK}:${agents[i]!.port}`,
    sshFingerprint: privateKeyFingerprint(keys[i]!.ed25519),
  }));
  const knownHostsFile = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHostsFile, nodes.flatMap((n, i) => knownHostsLines(LOOPBACK, n.sshPort, keys[i]!)).join('\n') + '\n');

  const save = () => {
    if (!temp) writeAtomically(worldFile, JSON.stringify(sim.toJSON()));
  };
  if (!temp) {
    const lf: LabFile = { version: 1, nodes: nodes.map((n) => ({ name: n.name, ip: n.ip, port: n.port, sshPort: n.sshPort })), password, tokenId, tokenSecret };
    fs.writeFileSync(labFile, JSON.stringify(lf, null, 2) + '\n', { mode: 0o600 });
  }
  // After every change: cut the connections of nodes that went off, and save soon.
  const autosave = autosaver(save);
  let stopping = false;
  const unsubscribe = sim.onChange(() => {
    if (stopping) return;
    for (const s of servers) s.dropIfUnreachable();
    for (const a of agents) a.dropIfOff();
    if (!temp) autosave.changed();
  });
  save();

  let stopped: Promise<void> | undefined;
  return {
    nodes,
    password,
    tokenId,
    tokenSecret,
    knownHostsFile,
    sshPrivateKey: clientKey.privateKey,
    sshPrivateKeyFile: clientKeyFile,
    dir,
    sim,
    wire,
    requests: () => servers.reduce((n, s) => n + s.requests, 0),
    save,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        if (typeof unsubscribe === 'function') unsubscribe();
        autosave.cancel();
        await stopAll();
        if (temp) fs.rmSync(dir, { recursive: true, force: true });
        else save();
      })()),
  };
}

/** The provider block's `nodes` value for the lab: {"pve1": {api_url, tls_fingerprint, ssh_address}, ...}. */
export function labNodesValue(lab: PveLab): Record<string, { api_url: string; tls_fingerprint: string; ssh_address: string }> {
  return Object.fromEntries(lab.nodes.map((n) => [n.name, { api_url: n.url, tls_fingerprint: n.fingerprint, ssh_address: n.sshAddress }]));
}

/**
 * The POOLFORM_VAR_* variables that point a configuration at the lab. Strings are raw (a string
 * variable takes the text as is); pve_nodes is a JSON object, which is also an HCL object
 * expression (how a map/object-typed variable parses an environment value).
 */
export function labEnv(lab: PveLab): Record<string, string> {
  return {
    POOLFORM_VAR_pve_nodes: JSON.stringify(labNodesValue(lab)),
    POOLFORM_VAR_pve_api_token: `${lab.tokenId}=${lab.tokenSecret}`,
    POOLFORM_VAR_pve_password: lab.password,
    POOLFORM_VAR_known_hosts_file: lab.knownHostsFile,
    POOLFORM_VAR_pve_ssh_private_key: lab.sshPrivateKey,
  };
}

/** Writes DIR/lab.env (shell- and dotenv-readable: NAME='value'); returns its path. */
export function writeLabEnv(lab: PveLab): string {
  return writeEnvFile(lab.dir, 'proxmox', labEnv(lab));
}

/** The lab's nodes as a table, and how to use them. */
export function describeLab(lab: PveLab, envFile: string, shownDir: string): string {
  const rows = [['NODE', 'API URL', 'TLS FINGERPRINT (SHA-256)', 'SSH', 'ADDRESS'], ...lab.nodes.map((n) => [n.name, n.url, n.fingerprint, n.sshAddress, n.ip])];
  const table = textTable(rows);
  return `Simulated Proxmox VE lab (${lab.nodes.length} standalone node${lab.nodes.length === 1 ? '' : 's'} at start, state in ${shownDir})

${table}

root@pam password: ${lab.password}
API token:         ${lab.tokenId} (secret in the variables file)
SSH client key:    ${lab.sshPrivateKeyFile} (root on every node; the password works too)
known_hosts:       ${lab.knownHostsFile}
variables:         ${envFile}
                   (load them with: set -a; . ${envFile}; set +a)

Point a configuration at it:

  variable "pve_nodes" {
    type = map(object({ api_url = string, tls_fingerprint = string, ssh_address = string }))
  }
  variable "pve_api_token" {
    type      = string
    sensitive = true
  }
  variable "pve_password" {
    type      = string
    sensitive = true
  }
  variable "known_hosts_file" { type = string }

  provider "proxmox" {
    nodes            = var.pve_nodes
    api_token        = var.pve_api_token
    known_hosts_file = var.known_hosts_file
    ssh_password     = var.pve_password
  }

(var.pve_ssh_private_key holds the client key, for ssh_private_key instead of ssh_password.)
`;
}
