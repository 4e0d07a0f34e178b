// The session's pool snapshot against the lab's real wire: one full read, then every refresh is
// one event.from from the previous token whose changes (add, mod, del) are applied to the
// previous snapshot, which itself stays as it was; a refused token or another coordinator falls
// back to a full read. Requests are counted by the client and by the simulator.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../../providers/xenserver/config.js';
import { openSession, type XenSession } from '../../providers/xenserver/session.js';
import { refreshSnapshot, Snapshot } from '../../providers/xenserver/snapshot.js';
import { startLab, type Lab } from '../../providers/xenserver/sim/lab.js';

describe('pool snapshot', () => {
  let lab: Lab;
  let s: XenSession;
  before(async () => {
    lab = await startLab({ hosts: 1, latencyScale: 0 });
    const h = lab.hosts[0]!;
    s = await openSession(readConfig({ url: h.url, password: lab.password, tls_fingerprints: [h.fingerprint], known_hosts_file: lab.knownHostsFile, timeout_ms: 5000 }));
  });
  after(async () => {
    await s?.close();
    await lab?.stop();
  });

  /** Requests the client sent, and the simulator's calls per method, while `f` ran. */
  async function counting<T>(f: () => Promise<T>): Promise<{ value: T; requests: number; calls: Record<string, number> }> {
    lab.sim.resetStats();
    const before = s.xapi.requests;
    const value = await f();
    return { value, requests: s.xapi.requests - before, calls: lab.sim.stats().calls };
  }

  const network = (name: string) => s.xapi.call<string>('network.create', [{ name_label: name, name_description: '', MTU: 1500, other_config: {} }]);

  it('refreshes after a change with one event.from that carries only the changes', async () => {
    const keep = await network('keep');
    const gone = await network('gone');
    const first = await s.snapshot(true);
    const keepUuid = first.get('network', keep)!.uuid;
    const goneUuid = first.get('network', gone)!.uuid;
    const [hostRef, hostRec] = first.all('host')[0]!;

    await s.xapi.call('network.set_name_label', [keep, 'kept']);
    await s.xapi.call('network.destroy', [gone]);
    const added = await network('added');
    s.invalidate();

    const { value: now, requests, calls } = await counting(() => s.snapshot());
    assert.equal(requests, 1);
    assert.deepEqual(calls, { 'event.from': 1 });
    assert.equal(now.byUuid('network', keepUuid)?.name_label, 'kept', 'a modification');
    assert.equal(now.byUuid('network', goneUuid), undefined, 'a deletion, by uuid');
    assert.equal(now.get('network', gone), undefined, 'a deletion, by ref');
    assert.equal(now.refOf(goneUuid), undefined);
    assert.equal(now.get('network', added)?.name_label, 'added', 'an addition');
    assert.equal(now.refOf(now.get('network', added)!.uuid), added);
    // A delta, not a re-read: records nobody changed are the very objects read before.
    assert.equal(now.get('host', hostRef), hostRec);
    // The earlier snapshot is untouched (steps compare before and after).
    assert.equal(first.get('network', keep)?.name_label, 'keep');
    assert.ok(first.get('network', gone));
    assert.equal(first.get('network', added), undefined);
    assert.notEqual(now.at!.token, first.at!.token);
    assert.ok(now.at!.token > first.at!.token);
  });

  it('answers from the cache until asked for a fresh one or told of a change', async () => {
    const a = await s.snapshot(true);
    const cached = await counting(() => s.snapshot());
    assert.equal(cached.requests, 0);
    assert.equal(cached.value, a);
    const fresh = await counting(() => s.snapshot(true));
    assert.deepEqual(fresh.calls, { 'event.from': 1 });
    assert.equal(fresh.value.all('network').length, a.all('network').length, 'nothing changed');
  });

  it('lets callers that ask together share one refresh', async () => {
    await s.snapshot();
    const ref = await network('together');
    const { value, requests } = await counting(() => Promise.all([s.snapshot(true), s.snapshot(true), s.snapshot(true)]));
    assert.equal(requests, 1);
    assert.ok(value[0] === value[1] && value[1] === value[2]);
    assert.equal(value[0].get('network', ref)?.name_label, 'together');
  });

  it('reads afresh when the host refuses the token, or the snapshot came from another coordinator', async () => {
    const cur = await s.snapshot(true);
    const [hostRef, hostRec] = cur.all('host')[0]!;
    const records = (snap: Snapshot) => snap.all('network').map(([ref, r]) => [ref, r.name_label]);
    const badToken = new Snapshot([], { ...cur.at!, token: 'not-a-token' });
    const refused = await counting(() => refreshSnapshot(s.xapi, badToken));
    assert.deepEqual(refused.calls, { 'event.from': 2 }, 'the refused delta, then a full read');
    assert.deepEqual(records(refused.value), records(cur));
    assert.notEqual(refused.value.get('host', hostRef), hostRec, 'read afresh');
    assert.deepEqual(refused.value.get('host', hostRef), hostRec);

    const elsewhere = new Snapshot([], { ...cur.at!, url: 'https://192.0.2.1' });
    const moved = await counting(() => refreshSnapshot(s.xapi, elsewhere));
    assert.deepEqual(moved.calls, { 'event.from': 1 });
    assert.deepEqual(records(moved.value), records(cur));
  });
});
