// End-to-end set-up for the Proxmox CLI tests: a simulated lab in this process (real HTTPS and SSH
// on loopback, reused from the integration harness for its key cache) and the real `poolform`
// command run against it in a temporary copy of examples/proxmox-cluster (lab-cli.ts).

import { labEnv, type PveLab } from '../../providers/proxmox/sim/lab.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import { startPveTestLab, type PveLabOptions, type PveTestLab } from '../integration/pve-harness.js';
import { exampleRun, type ExampleRun } from './lab-cli.js';

export { actionsOf, diagnosticBoxes, planBlocks, STATE, waitFor, type CliRun, type PlanDoc, type StateDoc } from './lab-cli.js';

export interface PveE2e extends ExampleRun {
  x: PveTestLab;
  lab: PveLab;
  /** A session to the lab, as an administrator's own API access (for changes behind poolform's back). */
  session(): Promise<PveSession>;
  stop(): Promise<void>;
}

/** What examples/proxmox-cluster manages on a 3-node lab, sorted. */
export const EXAMPLE_ADDRESSES = [
  'proxmox_cluster.lab',
  'proxmox_cluster_node.member["pve2"]',
  'proxmox_cluster_node.member["pve3"]',
  'proxmox_cluster_options.datacenter',
  'proxmox_ha_resource.app["app1"]',
  'proxmox_ha_resource.app["app2"]',
  'proxmox_ha_rule.apps',
  'proxmox_node_network.net["pve1"]',
  'proxmox_node_network.net["pve2"]',
  'proxmox_node_network.net["pve3"]',
  'proxmox_storage.ceph',
  'proxmox_storage.nfs',
  'proxmox_vm.app["app1"]',
  'proxmox_vm.app["app2"]',
  'proxmox_vm_template.debian',
];

/** A lab (instant tasks) and a fresh copy of the example pointed at it. */
export async function startPveE2e(opts: PveLabOptions = {}): Promise<PveE2e> {
  const x = await startPveTestLab({ latencyScale: 0, ...opts });
  const run = exampleRun('proxmox-cluster', labEnv(x.lab), 'poolform-pve-e2e-');
  return Object.assign(run, {
    x,
    lab: x.lab,
    session: () => x.session(),
    async stop() {
      await x.stop();
      run.remove();
    },
  });
}

/** `pve_nodes` limited to some of the lab's nodes (what labEnv gives a smaller lab). */
export function nodesVar(lab: PveLab, names: string[]): string {
  return labEnv({ ...lab, nodes: lab.nodes.filter((n) => names.includes(n.name)) }).POOLFORM_VAR_pve_nodes!;
}
