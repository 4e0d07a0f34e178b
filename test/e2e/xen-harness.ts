// End-to-end set-up for the XenServer CLI tests: a simulated lab in this process (real HTTPS and
// SSH on loopback, reused from the integration harness for its host-key cache) and the real
// `poolform` command run against it in a temporary copy of examples/xenserver-pool (lab-cli.ts).
// Also what the example builds on one host, read back from the simulator.

import assert from 'node:assert/strict';
import type { Db, Rec } from '../../providers/xenserver/sim/db.js';
import { labEnv, type Lab, type LabOptions } from '../../providers/xenserver/sim/lab.js';
import { startXenLab, type XenLab } from '../integration/xen-harness.js';
import { exampleRun, type ExampleRun } from './lab-cli.js';

export { actionsOf, diagnosticBoxes, planBlocks, STATE, waitFor, type CliRun, type PlanDoc, type StateDoc } from './lab-cli.js';

/** Every resource address the example makes on a 3-host lab, sorted. */
export const EXAMPLE_ADDRESSES = [
  'xenserver_bond.bond0',
  'xenserver_ha.ha',
  'xenserver_management_interface.mgmt',
  'xenserver_network.bond0',
  'xenserver_network.storage',
  'xenserver_network.vms',
  'xenserver_pool.pool',
  'xenserver_pool_member.member["xs2"]',
  'xenserver_pool_member.member["xs3"]',
  'xenserver_sr.nfs',
  'xenserver_storage_interface.storage["xs1"]',
  'xenserver_storage_interface.storage["xs2"]',
  'xenserver_storage_interface.storage["xs3"]',
  'xenserver_vlan.storage',
  'xenserver_vlan.vms',
  'xenserver_vm_template.base["debian"]',
  'xenserver_vm_template.base["ubuntu"]',
];

export interface XenE2e extends ExampleRun {
  x: XenLab;
  lab: Lab;
  /** The simulated database a host belongs to (its pool's, once joined). */
  db(host: string): Db;
  stop(): Promise<void>;
}

/** A lab (instant operations) and a fresh copy of the example pointed at it. */
export async function startXenE2e(opts: LabOptions = {}): Promise<XenE2e> {
  const x = await startXenLab({ latencyScale: 0, ...opts });
  const run = exampleRun('xenserver-pool', labEnv(x.lab), 'poolform-xen-e2e-');
  return Object.assign(run, {
    x,
    lab: x.lab,
    db: (host: string) => x.lab.sim.hostByUuidOrName(host).db,
    async stop() {
      await x.stop();
      run.remove();
    },
  });
}

/** `xen_hosts` limited to the lab's first `n` hosts (the variable labEnv would give a smaller lab). */
export function hostsVar(lab: Lab, n: number): string {
  return labEnv({ ...lab, hosts: lab.hosts.slice(0, n) }).POOLFORM_VAR_xen_hosts!;
}

/** The records of class `cls` on the pool database of `db`, optionally filtered. */
export function records(db: Db, cls: string, pred: (r: Rec) => boolean = () => true): Rec[] {
  return db.filter(cls, (r) => pred(r)).map(([, r]) => r);
}

/** What the example builds on one host, read from the simulator (networks named by state address). */
export interface HostSetup {
  /** currently_attached of each of the host's PBDs for the example's NFS SR. */
  nfsPbds: unknown[];
  /** Each bond whose master PIF is on the bond0 network. */
  bonds: { mode: unknown; slaves: unknown[] }[];
  /** Each management PIF. */
  management: { network: string; attached: unknown }[];
  /** Each VLAN PIF, by tag: its network, the network of the PIF it is tagged on, its IP set-up. */
  vlans: { tag: number; network: string; on: string; ip: unknown; mode: unknown }[];
}

/** The example's set-up on `host` as the pool database of the coordinator (xs1) records it. */
export function hostSetup(e: XenE2e, host: string): HostSetup {
  const db = e.db('xs1');
  const hostRef = db.refByUuid(e.lab.sim.host(host).uuid);
  assert.ok(hostRef, `${host} is in xs1's pool`);
  const netName = new Map<string, string>();
  for (const r of e.state()!.resources) if (r.type === 'xenserver_network') netName.set(db.refByUuid(r.id) ?? r.id, r.address);
  const nameOf = (net: unknown) => netName.get(String(net)) ?? `unmanaged ${String(net)}`;
  const srRef = db.refByUuid(e.idOf('xenserver_sr.nfs'));
  const pifs = db.filter('PIF', (p) => p.host === hostRef);
  const bondNet = db.refByUuid(e.idOf('xenserver_network.bond0'));
  const masters = new Set(pifs.filter(([, p]) => p.network === bondNet).map(([ref]) => ref));
  return {
    nfsPbds: records(db, 'PBD', (p) => p.host === hostRef && p.SR === srRef).map((p) => p.currently_attached),
    bonds: records(db, 'Bond', (b) => masters.has(String(b.master))).map((b) => ({
      mode: b.mode,
      slaves: (b.slaves as string[]).map((s) => db.get('PIF', s).device).sort(),
    })),
    management: pifs.filter(([, p]) => p.management === true).map(([, p]) => ({ network: nameOf(p.network), attached: p.currently_attached })),
    vlans: pifs
      .filter(([, p]) => Number(p.VLAN) !== -1)
      .map(([ref, p]) => {
        const vlan = records(db, 'VLAN', (v) => v.untagged_PIF === ref);
        assert.equal(vlan.length, 1, `one VLAN object for ${host}'s VLAN ${String(p.VLAN)} PIF`);
        return { tag: Number(p.VLAN), network: nameOf(p.network), on: nameOf(db.get('PIF', String(vlan[0]!.tagged_PIF)).network), ip: p.IP, mode: p.ip_configuration_mode };
      })
      .sort((a, b) => a.tag - b.tag),
  };
}

/** What hostSetup should read on a host of the example whose storage address is `storageIp`. */
export function exampleSetup(storageIp: string, bondMode = 'active-backup'): HostSetup {
  return {
    nfsPbds: [true],
    bonds: [{ mode: bondMode, slaves: ['eth0', 'eth1'] }],
    management: [{ network: 'xenserver_network.bond0', attached: true }],
    vlans: [
      { tag: 20, network: 'xenserver_network.storage', on: 'xenserver_network.bond0', ip: storageIp, mode: 'Static' },
      { tag: 30, network: 'xenserver_network.vms', on: 'xenserver_network.bond0', ip: '', mode: 'None' },
    ],
  };
}
