// Plan-time join preconditions against the simulated lab: every joining host is probed over its own
// XAPI session and SSH, and every failing rule of every host is reported at once, each on the
// member's address, naming host and rule, with a remedy. Also the pool size limits, computed
// from a snapshot the test builds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, PlannedChange } from '../../engine/provider.js';
import { connectXapi } from '../../providers/xenserver/client/xapi.js';
import { providerXenserver as p } from '../../providers/xenserver/index.js';
import { poolPreflight, MAX_HA_POOL_SIZE, MAX_POOL_SIZE } from '../../providers/xenserver/preflight/pool.js';
import { Snapshot } from '../../providers/xenserver/snapshot.js';
import { change, memberAttrs, providerCtx, providerPreflight as preflight, withLab, type XenLab } from './xen-harness.js';

function joinChange(x: XenLab, i: number, extra: Attrs = {}): PlannedChange {
  // As a plan carries it: the write-only password is not in `after`.
  return change(`xenserver_pool_member.${x.lab.hosts[i]!.name}`, 'create', { ...memberAttrs(x, i), password: null, ...extra });
}

/** Runs calls on a standalone lab host, straight at its own XAPI. */
async function onHost(x: XenLab, i: number, f: (call: (m: string, params?: unknown[]) => Promise<unknown>) => Promise<void>): Promise<void> {
  const h = x.lab.hosts[i]!;
  const c = await connectXapi({ url: h.url, username: 'root', password: x.lab.password, fingerprints: [h.fingerprint] }, { followSlave: false });
  try {
    await f((m, params = []) => (m.startsWith('Async.') ? c.callAsync(m.slice(6), params) : c.call(m, params)));
  } finally {
    await c.logout().catch(() => undefined);
  }
}

test('every failing join precondition of every host, at once', async () => {
  const hostSpecs = [{}, { version: '8.2.1', cpuVendor: 'AuthenticAMD', clockSkewMs: 60_000 }, { managementMode: 'DHCP' as const, managementVlan: 42, password: 'other-secret' }, {}, {}];
  await withLab({ hosts: 5, hostSpecs }, async (x, s) => {
    // xs4 coordinates a pool with xs5, has a shared SR and a running VM
    await onHost(x, 4, async (call) => {
      await call('Async.pool.join', [x.lab.hosts[3]!.address, 'root', x.lab.password]);
    });
    await onHost(x, 3, async (call) => {
      const hosts = (await call('host.get_all')) as string[];
      const me = (await call('pool.get_master', [((await call('pool.get_all')) as string[])[0]])) as string;
      assert.equal(hosts.length, 2);
      await call('Async.SR.create', [me, { server: '10.10.1.5', serverpath: '/export/xen' }, 0, 'their nfs', '', 'nfs', 'user', true, {}]);
      const [tpl] = (await call('VM.get_by_name_label', ['Other install media'])) as string[];
      const vm = (await call('Async.VM.clone', [tpl, 'busy vm'])) as string;
      await call('VM.set_is_a_template', [vm, false]);
      await call('Async.VM.start', [vm, false, false]);
    });

    const changes = [joinChange(x, 1), joinChange(x, 2, { password: 'other-secret' }), joinChange(x, 3), joinChange(x, 4)];
    const diags = await preflight(s, changes);
    const by = (i: number) => diags.filter((d) => d.address === changes[i]!.address);
    const rules = (i: number) => by(i).map((d) => /: ([^:]+): /.exec(d.summary)?.[1]).sort();

    assert.ok(diags.every((d) => d.address && d.detail && d.summary.includes('host ')), 'each names a member, a host and a remedy');
    assert.ok(diags.every((d) => d.severity === 'error'));
    assert.deepEqual(rules(0), ['clock in sync with the coordinator', 'same CPU vendor', 'same version and patch level']);
    assert.match(by(0).find((d) => d.summary.includes('clock'))!.summary, /xs2.*60\.\d s ahead/);
    assert.deepEqual(rules(1), ['same management VLAN', 'static management IP']);
    assert.match(by(1).find((d) => d.summary.includes('VLAN'))!.summary, /VLAN 42, the pool's is untagged/);
    assert.deepEqual(rules(2), ['no running or suspended VMs', 'no shared storage', 'not a member of another pool']);
    assert.match(by(2).find((d) => d.summary.includes('VMs'))!.summary, /"busy vm" \(Running\)/);
    assert.equal(rules(3).length, 1);
    assert.match(by(3)[0]!.summary, /member of the pool coordinated by 127\.0\.0\.1:\d+/);
    assert.match(by(3)[0]!.detail!, /eject it from that pool first/);
    assert.ok(!JSON.stringify(diags).includes('other-secret') && !JSON.stringify(diags).includes(x.lab.password), 'no password in diagnostics');

    // without its own password at plan time, a host with other credentials is checked at apply
    const later = await preflight(s, [joinChange(x, 2)]);
    assert.equal(later.length, 1);
    assert.equal(later[0]!.severity, 'warning');
    assert.match(later[0]!.summary, /not checked at plan time/);

    // the same rules stop the apply before pool.join is sent
    await assert.rejects(p.create(s, 'xenserver_pool_member', memberAttrs(x, 1), providerCtx()), /same CPU vendor[^]*clock in sync|clock in sync[^]*same CPU vendor/);
    // the two healthy-looking duplicates: the same host twice is reported
    const dup = await preflight(s, [joinChange(x, 1), { ...joinChange(x, 1), address: 'xenserver_pool_member.again' }]);
    assert.ok(dup.some((d) => d.address === 'xenserver_pool_member.again' && /joined twice/.test(d.summary)));
  });
});

/** A pool of `n` live hosts as a snapshot (the limits need more hosts than a test lab has). */
function bigPool(n: number, haEnabled: boolean): Snapshot {
  const recs: { cls: string; ref: string; record: Record<string, unknown> & { uuid: string } }[] = [];
  for (let i = 0; i < n; i++) {
    recs.push({ cls: 'host', ref: `OpaqueRef:h${i}`, record: { uuid: `h${i}`, name_label: `h${i}`, metrics: `OpaqueRef:m${i}`, enabled: true } });
    recs.push({ cls: 'host_metrics', ref: `OpaqueRef:m${i}`, record: { uuid: `m${i}`, live: true } });
  }
  recs.push({ cls: 'pool', ref: 'OpaqueRef:p', record: { uuid: 'p', master: 'OpaqueRef:h0', ha_enabled: haEnabled, ha_host_failures_to_tolerate: 1 } });
  return new Snapshot(recs);
}

test('pool size: more than 64 hosts refused; more than 16 with HA warned', async () => {
  await withLab({ hosts: 1 }, async (_x, s) => {
    // a member whose address is known only after apply still counts
    const joining = change('xenserver_pool_member.late', 'create', { address: null });
    const full = await poolPreflight([joining], bigPool(MAX_POOL_SIZE, false), s, providerCtx());
    assert.equal(full.length, 1);
    assert.equal(full[0]!.severity, 'error');
    assert.equal(full[0]!.address, 'xenserver_pool_member.late');
    assert.match(full[0]!.summary, /65 hosts; at most 64/);
    assert.deepEqual(await poolPreflight([joining], bigPool(MAX_POOL_SIZE - 1, false), s, providerCtx()), []);

    const ha = await poolPreflight([joining], bigPool(MAX_HA_POOL_SIZE, true), s, providerCtx());
    assert.equal(ha.length, 1);
    assert.equal(ha[0]!.severity, 'warning');
    assert.match(ha[0]!.summary, /HA with 17 hosts/);
    // HA being enabled by the plan counts too
    const enabling = change('xenserver_ha.main', 'create', { enabled: true, heartbeat_srs: [null], host_failures_to_tolerate: 1 });
    const sr = change('xenserver_sr.hb', 'create', { shared: true });
    const both = await poolPreflight([joining, enabling, sr], bigPool(MAX_HA_POOL_SIZE, false), s, providerCtx());
    assert.deepEqual(both.map((d) => [d.severity, d.address]), [['warning', 'xenserver_ha.main']]);
    // ...and a heartbeat SR known only after apply needs a shared SR created by the plan
    const noSr = await poolPreflight([enabling], bigPool(3, false), s, providerCtx());
    assert.match(noSr[0]!.summary, /no shared SR is created by this plan/);
  });
});
