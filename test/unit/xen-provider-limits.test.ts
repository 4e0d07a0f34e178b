// The xenserver provider's queues: the coordinator's (sized by max_concurrency) for ordinary
// steps, and the one-at-a-time maintenance queue for host reboots and ejects (not for joins).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerXenserver } from '../../providers/xenserver/index.js';

const limit = providerXenserver.limit!.bind(providerXenserver);

test('ordinary steps queue on the coordinator, as many at once as max_concurrency says', () => {
  assert.deepEqual(limit('xenserver_network', { name_label: 'n' }, 'create', { max_concurrency: 2 }), { key: 'coordinator', max: 2 });
  assert.deepEqual(limit('xenserver_network', { name_label: 'n' }, 'create', {}), { key: 'coordinator', max: 4 });
});

test('an eject waits for the maintenance queue; a join does not', () => {
  const member = { address: 'https://xs2', allow_eject: true };
  assert.deepEqual(limit('xenserver_pool_member', member, 'delete', {}), { key: 'maintenance', max: 1 });
  assert.deepEqual(limit('xenserver_pool_member', member, 'create', { max_concurrency: 3 }), { key: 'coordinator', max: 3 });
});

test('a host change that needs a reboot waits for the maintenance queue', () => {
  assert.deepEqual(limit('xenserver_host', { host: 'xs1', sched_gran: 'core' }, 'update', {}), { key: 'maintenance', max: 1 });
});
