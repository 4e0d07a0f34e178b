// Asynchronous calls: the latency table (what each operation costs in the lab, in ms, so the bench
// can compute a critical path) and task records as XAPI keeps them (task.result holds the result in
// XML-RPC form whatever protocol the client speaks: rpc-xml.ts's encodeValue).

import type { Db } from './db.js';
import { xapiDate } from './model.js';

/** Default latencies of Async.<method> calls, ms (scaled by faults.latencyScale). Unlisted: 0. */
export const DEFAULT_LATENCIES: Readonly<Record<string, number>> = Object.freeze({
  'pool.join': 400,
  'pool.join_force': 400,
  'pool.eject': 300,
  'SR.create': 250,
  'SR.destroy': 100,
  'PBD.plug': 60,
  'PBD.unplug': 40,
  'Bond.create': 200,
  'Bond.destroy': 150,
  'Bond.set_mode': 50,
  'VLAN.create': 50,
  'pool.create_VLAN_from_PIF': 150,
  'network.create': 20,
  'host.management_reconfigure': 150,
  'pool.management_reconfigure': 300,
  'PIF.reconfigure_ip': 80,
  'pool.enable_ha': 400,
  'pool.disable_ha': 200,
  'VM.clone': 150,
  'VM.copy': 300,
  'VM.provision': 100,
  'VDI.create': 60,
  'VBD.create': 20,
  'VIF.create': 20,
  'host.evacuate': 250,
  'host.reboot': 400,
  'host.disable': 30,
  'host.enable': 30,
  'secret.create': 10,
});

export function createTask(db: Db, method: string, hostRef: string): string {
  return db.create('task', {
    name_label: `Async.${method}`,
    name_description: '',
    status: 'pending',
    progress: 0,
    created: xapiDate(Date.now()),
    finished: '19700101T00:00:00Z',
    resident_on: hostRef,
    allowed_operations: ['cancel'],
    current_operations: {},
    type: '<none/>',
    result: '',
    error_info: [],
    other_config: {},
  });
}

export function finishTask(db: Db, task: string, outcome: { result: string } | { error: string[]; cancelled?: boolean }): void {
  if (!db.has('task', task)) return; // destroyed meanwhile
  const done = { progress: 1, finished: xapiDate(Date.now()), allowed_operations: [] };
  if ('result' in outcome) db.update('task', task, { ...done, status: 'success', result: outcome.result });
  else db.update('task', task, { ...done, status: outcome.cancelled ? 'cancelled' : 'failure', error_info: outcome.error });
}
