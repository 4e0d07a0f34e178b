// The simulator's API surface: sessions, the messages generated from the data model, argument
// checks, error shapes, async tasks and event.from, as real xapi answers them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XapiFailure } from '../../providers/xenserver/sim/backend.js';
import { XapiSim, DEFAULT_LATENCIES } from '../../providers/xenserver/sim/xapi.js';
import { findRef, lab, labHosts, login, rejects, waitTask } from './xen-sim-harness.js';

describe('xen sim: sessions', () => {
  it('logs in, refuses bad credentials with [uname, message], and invalidates on logout', async () => {
    const { sim, c } = await lab(1);
    const h = c[0]!;
    await rejects(sim.call(h.uuid, 'session.login_with_password', ['root', 'wrong', '1.0', 'x']), 'SESSION_AUTHENTICATION_FAILED', ['root', /./]);
    await rejects(sim.call(h.uuid, 'session.login_with_password', ['admin', 'poolform-lab', '1.0', 'x']), 'SESSION_AUTHENTICATION_FAILED', ['admin', /./]);
    // version and originator may be left out, as older clients do
    const s = (await sim.call(h.uuid, 'session.login_with_password', ['root', 'poolform-lab'])) as string;
    assert.match(s, /^OpaqueRef:[0-9a-f-]{36}$/);
    assert.equal(await sim.call(h.uuid, 'session.get_this_host', [s, s]), h.ref);
    await sim.call(h.uuid, 'session.logout', [s]);
    await rejects(sim.call(h.uuid, 'host.get_all', [s]), 'SESSION_INVALID', [s]);
    await rejects(sim.call(h.uuid, 'host.get_all', ['OpaqueRef:nope']), 'SESSION_INVALID', ['OpaqueRef:nope']);
  });

  it('answers HOST_IS_SLAVE with the coordinator address on a member, and serves the pool session there', async () => {
    const { sim, c } = await lab(2);
    await c[1]!.run('pool.join', c[0]!.address, 'root', 'poolform-lab');
    await rejects(sim.call(c[1]!.uuid, 'session.login_with_password', ['root', 'poolform-lab', '1.0', 'x']), 'HOST_IS_SLAVE', [c[0]!.address]);
    // a call other than login arriving at the member is served with the pool's database
    const hosts = (await sim.call(c[1]!.uuid, 'host.get_all', [c[0]!.session])) as string[];
    assert.equal(hosts.length, 2);
  });
});

describe('xen sim: messages from the data model', () => {
  it('serves implicit getters, setters, map and set operations on any class', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const all = (await h.call('VM.get_all')) as string[];
    const recs = (await h.call('VM.get_all_records')) as Record<string, any>;
    assert.deepEqual(Object.keys(recs).sort(), [...all].sort());
    const tpl = await findRef(h, 'VM', (v) => v.name_label === 'Debian Bookworm 12');
    assert.deepEqual(await h.call('VM.get_by_name_label', 'Debian Bookworm 12'), [tpl]);
    const uuid = (await h.call('VM.get_uuid', tpl)) as string;
    assert.equal(await h.call('VM.get_by_uuid', uuid), tpl);
    await rejects(h.call('VM.get_by_uuid', 'no-such-uuid'), 'UUID_INVALID', ['VM', 'no-such-uuid']);
    // a uuid of another class is not a VM's
    await rejects(h.call('SR.get_by_uuid', uuid), 'UUID_INVALID', ['SR', uuid]);
    assert.equal((await h.call('VM.get_record', tpl)).is_a_template, true);

    const pool = ((await h.call('pool.get_all')) as string[])[0]!;
    await h.call('pool.set_name_label', pool, 'lab pool');
    assert.equal(await h.call('pool.get_name_label', pool), 'lab pool');
    await h.call('pool.add_to_other_config', pool, 'owner', 'tests');
    await rejects(h.call('pool.add_to_other_config', pool, 'owner', 'again'), 'MAP_DUPLICATE_KEY', ['pool', 'other_config', /^[0-9a-f-]{36}$/, 'owner']);
    await h.call('pool.remove_from_other_config', pool, 'owner');
    assert.deepEqual(await h.call('pool.get_other_config', pool), {});
    await h.call('pool.add_tags', pool, 'blue');
    await h.call('pool.add_tags', pool, 'blue');
    assert.deepEqual(await h.call('pool.get_tags', pool), ['blue']);
    await h.call('pool.remove_tags', pool, 'blue');
    assert.deepEqual(await h.call('pool.get_tags', pool), []);
    // get_all_records_where with the expression form clients send
    const where = (await h.call('VM.get_all_records_where', 'field "is_a_template"="true" and field "name__label"="Other install media"')) as Record<string, any>;
    assert.deepEqual(Object.values(where).map((v) => v.name_label), ['Other install media']);
  });

  it('refuses unknown methods, read-only setters, wrong parameter counts, bad handles and bad values', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    await rejects(h.call('VM.frobnicate'), 'MESSAGE_METHOD_UNKNOWN', ['VM.frobnicate']);
    await rejects(h.call('Nope.get_all'), 'MESSAGE_METHOD_UNKNOWN', ['Nope.get_all']);
    // power_state is RO/constructor: no implicit setter
    await rejects(h.call('VM.set_power_state', 'OpaqueRef:x', 'Running'), 'MESSAGE_METHOD_UNKNOWN', ['VM.set_power_state']);
    await rejects(h.call('VM.get_record'), 'MESSAGE_PARAMETER_COUNT_MISMATCH', ['VM.get_record', '2', '1']);
    await rejects(h.call('pool.join', 'a', 'b'), 'MESSAGE_PARAMETER_COUNT_MISMATCH', ['pool.join', '4', '3']);
    await rejects(h.call('VM.get_record', 'OpaqueRef:bad'), 'HANDLE_INVALID', ['VM', 'OpaqueRef:bad']);
    // a ref of the wrong class is as invalid as a made-up one
    await rejects(h.call('VM.get_record', h.ref), 'HANDLE_INVALID', ['VM', h.ref]);
    const pool = ((await h.call('pool.get_all')) as string[])[0]!;
    await rejects(h.call('pool.set_ha_allow_overcommit', pool, 'maybe'), 'INVALID_VALUE', ['value', 'maybe']);
    const net = await findRef(h, 'network', (n) => n.bridge === 'xenbr1');
    await rejects(h.call('Bond.create', net, [], '', 'balance-tcp', {}), 'INVALID_VALUE', ['mode', 'balance-tcp']);
    // removed messages say so
    await rejects(h.call('host.license_apply', h.ref, ''), 'MESSAGE_REMOVED', []);
    // enums are matched as xapi's unmarshaller does, whatever the case
    const eth1 = await findRef(h, 'PIF', (p) => p.host === h.ref && p.device === 'eth1');
    await h.call('PIF.reconfigure_ip', eth1, 'static', '10.10.5.11', '255.255.255.0', '', '');
    assert.equal((await h.call('PIF.get_record', eth1)).ip_configuration_mode, 'Static');
  });

  it('keeps records read-only for their readers (copy on write)', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const pool = ((await h.call('pool.get_all')) as string[])[0]!;
    const before = (await h.call('pool.get_record', pool)) as Record<string, any>;
    await h.call('pool.set_name_label', pool, 'renamed');
    assert.equal(before.name_label, '');
    assert.throws(() => {
      before.name_label = 'mutated';
    }, TypeError);
  });
});

describe('xen sim: tasks', () => {
  it('runs Async calls as tasks: pending for the latency, then success with the XML result', async () => {
    const sim = new XapiSim({ hosts: labHosts(1), latencyScale: 0 });
    const h = await login(sim, 'xs1');
    sim.faults.setLatency('network.create', 40);
    const task = (await h.call('Async.network.create', { name_label: 'slow', MTU: 9000 })) as string;
    const pending = (await h.call('task.get_record', task)) as Record<string, any>;
    assert.equal(pending.status, 'pending');
    assert.equal(pending.name_label, 'Async.network.create');
    assert.deepEqual(pending.allowed_operations, ['cancel']);
    const done = await waitTask(sim, h.uuid, h.session, task);
    assert.equal(done.status, 'success');
    assert.equal(done.progress, 1);
    const ref = /^<value>(OpaqueRef:[0-9a-f-]+)<\/value>$/.exec(done.result)?.[1];
    assert.ok(ref, done.result);
    assert.equal(await h.call('network.get_MTU', ref), 9000);
    await h.call('task.destroy', task);
    await rejects(h.call('task.get_record', task), 'HANDLE_INVALID', ['task', task]);
  });

  it('reports failures in error_info, void results as empty, and cancels pending tasks', async () => {
    const { sim, c } = await lab(1);
    const h = c[0]!;
    const failed = await h.task('pool.join', '10.99.99.99', 'root', 'x');
    assert.equal(failed.status, 'failure');
    assert.deepEqual(failed.error_info, ['JOINING_HOST_CONNECTION_FAILED']);
    const pool = ((await h.call('pool.get_all')) as string[])[0]!;
    const ok = await h.task('pool.set_igmp_snooping_enabled', pool, true);
    assert.deepEqual([ok.status, ok.result], ['success', '']);

    sim.faults.setLatency('VM.clone', 50);
    const tpl = await findRef(h, 'VM', (v) => v.name_label === 'Other install media');
    const task = (await h.call('Async.VM.clone', tpl, 'never')) as string;
    await h.call('task.cancel', task);
    const t = await waitTask(sim, h.uuid, h.session, task);
    assert.equal(t.status, 'cancelled');
    assert.deepEqual(t.error_info, ['TASK_CANCELLED', task]);
    assert.deepEqual(await h.call('VM.get_by_name_label', 'never'), []);
    await rejects(h.call('task.cancel', task), 'OPERATION_NOT_ALLOWED');
  });

  it('accepts only the async messages of the data model (and constructors) as Async', async () => {
    const { c } = await lab(1);
    await rejects(c[0]!.call('Async.VM.get_record', 'OpaqueRef:x'), 'MESSAGE_METHOD_UNKNOWN', ['Async.VM.get_record']);
    // VM.set_ha_restart_priority is synchronous in the data model
    await rejects(c[0]!.call('Async.VM.set_ha_restart_priority', 'OpaqueRef:x', ''), 'MESSAGE_METHOD_UNKNOWN');
  });

  it('turns a transient fault into the failure of the next call (sync or in its task)', async () => {
    const { sim, c } = await lab(1);
    sim.faults.failNext('network.create', 'TOO_BUSY', 2);
    await rejects(c[0]!.call('network.create', { name_label: 'a' }), 'TOO_BUSY', []);
    const t = await c[0]!.task('network.create', { name_label: 'b' });
    assert.deepEqual(t.error_info, ['TOO_BUSY']);
    await c[0]!.call('network.create', { name_label: 'c' });
  });
});

describe('xen sim: event.from', () => {
  it('returns every object of the classes for an empty token, then deltas since a token', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const classes = ['vm', 'host', 'sr', 'pif', 'bond', 'vlan', 'pbd', 'network', 'pool', 'task', 'host_metrics', 'secret', 'vdi', 'vbd', 'vif'];
    const first = (await h.call('event.from', classes, '', 0)) as { events: any[]; token: string; valid_ref_counts: Record<string, number> };
    assert.ok(first.events.every((e) => e.operation === 'add' && e.snapshot && typeof e.id === 'number' && /^\d{8}T/.test(e.timestamp)));
    const byClass = (cls: string) => first.events.filter((e) => e.class === cls);
    assert.equal(byClass('host').length, 1);
    assert.equal(byClass('pif').length, 4);
    assert.equal(byClass('pool').length, 1);
    assert.equal(byClass('host_metrics').length, 1);
    assert.equal(first.valid_ref_counts.vm, byClass('vm').length);

    const net = (await h.call('network.create', { name_label: 'n1' })) as string;
    await h.call('network.set_name_label', net, 'n1-renamed');
    const pool = ((await h.call('pool.get_all')) as string[])[0]!;
    await h.call('pool.set_name_description', pool, 'd');
    const second = (await h.call('event.from', ['network', 'pool'], first.token, 0)) as { events: any[]; token: string };
    // coalesced per object: the network is one "add" with its latest snapshot
    const ev = second.events.map((e) => [e.class, e.operation, e.snapshot?.name_label ?? e.snapshot?.name_description]);
    assert.deepEqual(ev, [
      ['network', 'add', 'n1-renamed'],
      ['pool', 'mod', ''],
    ]);
    await h.call('network.destroy', net);
    const third = (await h.call('event.from', ['network'], second.token, 0)) as { events: any[]; token: string };
    assert.deepEqual(
      third.events.map((e) => [e.class, e.operation, e.ref]),
      [['network', 'del', net]],
    );
    assert.ok(third.token > second.token);
  });

  it('waits for a change up to the timeout, resolving early when one happens', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const { token } = (await h.call('event.from', ['network'], '', 0)) as { token: string };
    const empty = (await h.call('event.from', ['network'], token, 0.02)) as { events: unknown[]; token: string };
    assert.deepEqual(empty.events, []);
    assert.equal(empty.token, token);
    const waiting = h.call('event.from', ['network'], token, 30) as Promise<{ events: any[] }>;
    await h.call('network.create', { name_label: 'wake' });
    const got = await waiting;
    assert.deepEqual(
      got.events.map((e) => e.snapshot.name_label),
      ['wake'],
    );
    await rejects(h.call('event.from', ['network'], 'garbage', 0), 'EVENT_FROM_TOKEN_PARSE_FAILURE', ['garbage']);
    assert.equal(typeof (await h.call('event.get_current_id')), 'number');
  });

  it('reports tasks through event.from', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const { token } = (await h.call('event.from', ['task'], '', 0)) as { token: string };
    await h.task('network.create', { name_label: 'x' });
    const got = (await h.call('event.from', ['task'], token, 0)) as { events: any[] };
    assert.equal(got.events.length, 1);
    assert.equal(got.events[0].snapshot.status, 'success');
  });
});

describe('xen sim: stats and latencies', () => {
  it('counts calls per method and the time task latencies cover per step (parallel ones once)', async () => {
    const sim = new XapiSim({ hosts: labHosts(1), latencyScale: 0.01 });
    const h = await login(sim, 'xs1');
    sim.resetStats();
    await h.call('host.get_all');
    await h.call('host.get_all');
    const t = (await sim.call(h.uuid, 'Async.network.create', [h.session, { name_label: 'x' }], { step: 'xenserver_network.a' })) as string;
    await waitTask(sim, h.uuid, h.session, t);
    const s = sim.stats();
    assert.equal(s.calls['host.get_all'], 2);
    assert.equal(s.calls['Async.network.create'], 1);
    assert.ok(Math.abs(s.stepLatencyMs['xenserver_network.a']! - DEFAULT_LATENCIES['network.create']! * 0.01) < 1e-9);
    // Two operations of one step waiting at the same time cover the time of one, not two (a latency
    // long against the moment between their starts, so a busy machine cannot pull them apart).
    sim.faults.setLatency('network.create', 40);
    const [a, b] = (await Promise.all(['y', 'z'].map((n) => sim.call(h.uuid, 'Async.network.create', [h.session, { name_label: n }], { step: 'xenserver_network.b' })))) as string[];
    await Promise.all([waitTask(sim, h.uuid, h.session, a!), waitTask(sim, h.uuid, h.session, b!)]);
    const both = sim.stats().stepLatencyMs['xenserver_network.b']!;
    assert.ok(both >= 40 && both < 80, `covered ${both} ms`);
  });

  it('rejects in-process calls to an unreachable host with an XapiFailure', async () => {
    const { sim, c } = await lab(1);
    sim.faults.setHostDown('xs1');
    assert.equal(sim.reachable(c[0]!.uuid), false);
    const e = await sim.call(c[0]!.uuid, 'host.get_all', [c[0]!.session]).catch((x: unknown) => x);
    assert.ok(e instanceof XapiFailure && e.code === 'CANNOT_CONTACT_HOST');
    sim.faults.setHostDown('xs1', false);
    assert.equal(sim.reachable(c[0]!.uuid), true);
  });
});
