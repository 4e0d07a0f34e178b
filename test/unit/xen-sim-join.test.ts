// Pool membership in the simulator: every pool.join precondition with its exact code and
// parameters, what a joining host inherits (shared SRs' PBDs, bonds, VLANs; not management
// placement), join_force for CPUs of the same vendor, and eject wiping the host.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lab, login, nfsSr, pif, pool, records, rejects, waitTask } from './xen-sim-harness.js';

const JOIN = ['root', 'poolform-lab'] as const;

describe('xen sim: pool.join preconditions', () => {
  it('refuses an unknown or unreachable coordinator with JOINING_HOST_CONNECTION_FAILED', async () => {
    const { sim, c } = await lab(2);
    await rejects(c[1]!.run('pool.join', '192.0.2.1', ...JOIN), 'JOINING_HOST_CONNECTION_FAILED', []);
    sim.faults.setHostDown('xs1');
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'JOINING_HOST_CONNECTION_FAILED', []);
  });

  it('relays the coordinator login failure and HOST_IS_SLAVE for a member address', async () => {
    const { c } = await lab(3);
    await rejects(c[1]!.run('pool.join', c[0]!.address, 'root', 'wrong'), 'SESSION_AUTHENTICATION_FAILED', ['root', /./]);
    await pool(c, 2);
    await rejects(c[2]!.run('pool.join', c[1]!.address, ...JOIN), 'HOST_IS_SLAVE', [c[0]!.address]);
    // the coordinator may be named by its management IP or https URL too
    await c[2]!.run('pool.join', `https://${c[0]!.address}`, ...JOIN);
  });

  it('refuses while HA is enabled on the pool to join', async () => {
    const { c } = await lab(2);
    const sr = await nfsSr(c[0]!);
    await c[0]!.run('pool.enable_ha', [sr], {});
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'HA_IS_ENABLED', []);
  });

  it('refuses a host joining itself, and a coordinator of other hosts', async () => {
    const { c } = await lab(3);
    await rejects(c[0]!.run('pool.join', c[0]!.address, ...JOIN), 'OPERATION_NOT_ALLOWED', ['Host cannot become slave of itself']);
    await pool(c, 2);
    await rejects(c[0]!.run('pool.join', c[2]!.address, ...JOIN), 'JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS', []);
  });

  it('refuses running and suspended VMs and VMs with operations in progress', async () => {
    const { sim, c } = await lab(2);
    const j = c[1]!;
    const tpl = ((await j.call('VM.get_by_name_label', 'Debian Bookworm 12')) as string[])[0]!;
    const vm = await j.run('VM.clone', tpl, 'guest');
    await j.call('VM.set_is_a_template', vm, false);
    await j.run('VM.start', vm, false, false);
    await rejects(j.run('pool.join', c[0]!.address, ...JOIN), 'JOINING_HOST_CANNOT_HAVE_RUNNING_VMS', []);
    await j.run('VM.suspend', vm);
    await rejects(j.run('pool.join', c[0]!.address, ...JOIN), 'JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS', []);
    await j.run('VM.resume', vm, false, false);
    await j.run('VM.clean_shutdown', vm);
    sim.faults.setLatency('VM.clone', 60);
    const cloning = (await j.call('Async.VM.clone', tpl, 'slow-clone')) as string;
    await rejects(j.run('pool.join', c[0]!.address, ...JOIN), 'JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS', []);
    assert.equal((await waitTask(sim, j.uuid, j.session, cloning)).status, 'success');
    // halted VMs are fine: the host joins and brings them along
    await j.run('pool.join', c[0]!.address, ...JOIN);
    assert.deepEqual(((await c[0]!.call('VM.get_by_name_label', 'guest')) as string[]).length, 1);
  });

  it('refuses another platform version and other CPU vendors, even forced', async () => {
    const { c } = await lab(3, { extra: [{}, { version: '8.2.1' }, { cpuVendor: 'AuthenticAMD' }] });
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'HOSTS_NOT_COMPATIBLE', []);
    await rejects(c[1]!.run('pool.join_force', c[0]!.address, ...JOIN), 'HOSTS_NOT_COMPATIBLE', []);
    await rejects(c[2]!.run('pool.join', c[0]!.address, ...JOIN), 'HOSTS_NOT_HOMOGENEOUS', ['CPUs differ']);
    await rejects(c[2]!.run('pool.join_force', c[0]!.address, ...JOIN), 'HOSTS_NOT_HOMOGENEOUS', ['CPUs differ']);
  });

  it('admits other CPU features of the same vendor only with join_force', async () => {
    const { c } = await lab(2, { extra: [{}, { cpuFeatures: '1fcbfbff-f7fa3223-2d93fbff-00000423-d7be7fff-00000000-00000000-00000001' }] });
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'HOSTS_NOT_HOMOGENEOUS', ['CPUs differ']);
    await c[1]!.run('pool.join_force', c[0]!.address, ...JOIN);
    assert.equal(((await c[0]!.call('host.get_all')) as string[]).length, 2);
  });

  it('refuses another patch level (installed updates) and another API version', async () => {
    const { c } = await lab(3, { extra: [{ updates: ['XS84E001'] }, {}, { updates: ['XS84E001'], apiVersion: '2.20' }] });
    await rejects(c[1]!.run('pool.join_force', c[0]!.address, ...JOIN), 'HOSTS_NOT_HOMOGENEOUS', ['Updates on local host xs2 and pool host xs1 differ']);
    await rejects(c[2]!.run('pool.join', c[0]!.address, ...JOIN), 'POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION', ['2.20', '2.21']);
  });

  it('refuses a joining host with shared SRs (the tools ISO SR does not count)', async () => {
    const { c } = await lab(2);
    await nfsSr(c[1]!);
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS', []);
  });

  it('refuses bonds, management on a bond, and non-management VLANs', async () => {
    const { c } = await lab(4);
    const bondNet = await c[1]!.call('network.create', { name_label: 'bond' });
    await c[1]!.run('Bond.create', bondNet, [await pif(c[1]!, c[1]!.ref, 'eth2'), await pif(c[1]!, c[1]!.ref, 'eth3')], '', 'active-backup', {});
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'POOL_JOINING_HOST_HAS_BONDS', []);

    const mnet = await c[2]!.call('network.create', { name_label: 'mgmt-bond' });
    await c[2]!.run('Bond.create', mnet, [await pif(c[2]!, c[2]!.ref, 'eth0'), await pif(c[2]!, c[2]!.ref, 'eth1')], '', 'active-backup', {});
    assert.equal((await records(c[2]!, 'PIF')).find(([, p]) => p.management)?.[1].device, 'bond0');
    await rejects(c[2]!.run('pool.join', c[0]!.address, ...JOIN), 'POOL_JOINING_HOST_HAS_BONDS', []);

    const vnet = await c[3]!.call('network.create', { name_label: 'vlan 30' });
    await c[3]!.run('VLAN.create', await pif(c[3]!, c[3]!.ref, 'eth1'), 30, vnet);
    await rejects(c[3]!.run('pool.join', c[0]!.address, ...JOIN), 'POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS', []);
  });

  it('compares management VLANs as [local, remote], and joins on the same tagged VLAN', async () => {
    const { c } = await lab(3, { extra: [{ managementVlan: 20 }, {}, { managementVlan: 20 }] });
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', ['-1', '20']);
    await c[2]!.run('pool.join', c[0]!.address, ...JOIN);
    const mgmt = (await records(c[0]!, 'PIF')).filter(([, p]) => p.management);
    assert.equal(mgmt.length, 2);
    assert.equal(mgmt[0]![1].network, mgmt[1]![1].network);
    assert.ok(mgmt.every(([, p]) => p.VLAN === 20));
  });

  it('refuses a DHCP management address and a clock out of sync (the seeds\' rules)', async () => {
    const { sim, c } = await lab(3, { extra: [{}, { managementMode: 'DHCP' }, {}] });
    await rejects(c[1]!.run('pool.join', c[0]!.address, ...JOIN), 'OPERATION_NOT_ALLOWED', [/static management address/]);
    sim.faults.setClockSkew('xs3', 7000);
    await rejects(c[2]!.run('pool.join', c[0]!.address, ...JOIN), 'OPERATION_NOT_ALLOWED', [/clock of xs3 differs .* by 7\.0s/]);
    sim.faults.setClockSkew('xs3', 500);
    await c[2]!.run('pool.join', c[0]!.address, ...JOIN);
  });
});

describe('xen sim: event.from across a join', () => {
  it('answers a waiter on the joining host as soon as the host moves into the pool, then follows the task there', async () => {
    const { sim, c } = await lab(2);
    const j = c[1]!;
    sim.faults.setLatency('pool.join', 20);
    const task = (await j.call('Async.pool.join', c[0]!.address, ...JOIN)) as string;
    // subscribed after the task exists: nothing changes in the joiner's own database until the merge
    const { token } = (await j.call('event.from', ['task'], '', 0)) as { token: string };
    let answered = false;
    const waiting = (j.call('event.from', ['task'], token, 30) as Promise<{ events: any[]; token: string }>).then((r) => {
      answered = true;
      return r;
    });
    assert.equal((await waitTask(sim, j.uuid, j.session, task)).status, 'success');
    assert.equal(answered, true, 'the waiter answered when its host moved, not at its 30 s timeout');
    const moved = await waiting;
    assert.ok(moved.events.some((e) => e.ref === task), 'the join task, now in the pool database');
    // the same host and session, now served by the pool's database, report the task's end
    const next = (await j.call('event.from', ['task'], moved.token, 5)) as { events: any[] };
    assert.deepEqual(
      next.events.filter((e) => e.ref === task).map((e) => [e.operation, e.snapshot.status]),
      [['mod', 'success']],
    );
  });
});

describe('xen sim: what a join carries over', () => {
  it('merges the host into the pool: networks by device, shared SR PBDs plugged, bonds and VLANs recreated', async () => {
    const { c } = await lab(2);
    const [co, j] = c as [(typeof c)[0], (typeof c)[0]];
    const sr = await nfsSr(co);
    const bondNet = await co.call('network.create', { name_label: 'storage bond' });
    await co.run('Bond.create', bondNet, [await pif(co, co.ref, 'eth2'), await pif(co, co.ref, 'eth3')], '', 'lacp', { hashing_algorithm: 'src_mac' });
    const vnet = await co.call('network.create', { name_label: 'vlan 40' });
    await co.run('pool.create_VLAN_from_PIF', await pif(co, co.ref, 'eth1'), vnet, 40);
    const bnet = await co.call('network.create', { name_label: 'vlan 50 on bond' });
    const master = (await records(co, 'PIF')).find(([, p]) => p.network === bondNet)![0];
    await co.run('pool.create_VLAN_from_PIF', master, bnet, 50);
    // a storage IP on the coordinator is policy, not structure: it must not be copied
    await co.run('PIF.reconfigure_ip', await pif(co, co.ref, 'eth1'), 'Static', '10.10.5.11', '255.255.255.0', '', '');

    await j.run('pool.join', co.address, ...JOIN);
    assert.equal(((await co.call('pool.get_all')) as string[]).length, 1);
    const pifs = (await records(co, 'PIF')).filter(([, p]) => p.host === j.ref);
    const byNet = (net: string) => pifs.find(([, p]) => p.network === net)?.[1];
    // physical NICs attached to the pool's networks by device
    for (const dev of ['eth0', 'eth1', 'eth2', 'eth3']) {
      const coNet = (await records(co, 'PIF')).find(([, p]) => p.host === co.ref && p.device === dev && p.VLAN === -1)![1].network;
      assert.equal(byNet(coNet)?.device, dev);
    }
    const pbds = (await records(co, 'PBD')).filter(([, p]) => p.SR === sr);
    assert.equal(pbds.length, 2);
    assert.ok(pbds.every(([, p]) => p.currently_attached === true));
    const bonds = await records(co, 'Bond');
    assert.equal(bonds.length, 2);
    const jb = bonds.find(([, b]) => pifs.some(([r]) => r === b.master))![1];
    assert.equal(jb.mode, 'lacp');
    assert.equal(jb.properties.hashing_algorithm, 'src_mac');
    assert.deepEqual(jb.slaves.map((s: string) => pifs.find(([r]) => r === s)![1].device).sort(), ['eth2', 'eth3']);
    assert.equal(byNet(bondNet)?.currently_attached, true);
    assert.equal(byNet(vnet)?.VLAN, 40);
    assert.equal(byNet(vnet)?.device, 'eth1');
    assert.equal(byNet(bnet)?.VLAN, 50);
    assert.equal(byNet(bnet)?.device, byNet(bondNet)?.device);
    const jEth1 = pifs.find(([, p]) => p.device === 'eth1' && p.VLAN === -1)![1];
    assert.equal(jEth1.ip_configuration_mode, 'None');
    // the joiner keeps its own management IP
    assert.equal(pifs.find(([, p]) => p.management)![1].IP, '10.10.0.12');
  });

  it('creates an inherited bond over the management NIC with its master unplugged until management moves', async () => {
    const { c } = await lab(2);
    const [co, j] = c as [(typeof c)[0], (typeof c)[0]];
    const mnet = await co.call('network.create', { name_label: 'management bond' });
    await co.run('Bond.create', mnet, [await pif(co, co.ref, 'eth0'), await pif(co, co.ref, 'eth1')], '', 'active-backup', {});
    await j.run('pool.join', co.address, ...JOIN);
    const mine = async () => (await records(co, 'PIF')).filter(([, p]) => p.host === j.ref);
    let pifs = await mine();
    const master = pifs.find(([, p]) => p.network === mnet)!;
    assert.equal(master[1].currently_attached, false);
    assert.equal(pifs.find(([, p]) => p.management)![1].device, 'eth0');
    assert.equal(pifs.find(([, p]) => p.device === 'eth0')![1].IP, '10.10.0.12');
    await rejects(co.run('host.management_reconfigure', master[0]), 'PIF_HAS_NO_NETWORK_CONFIGURATION', [master[0]]);
    await co.run('PIF.reconfigure_ip', master[0], 'Static', '10.10.0.12', '255.255.255.0', '10.10.0.1', '10.10.0.2');
    await co.run('host.management_reconfigure', master[0]);
    pifs = await mine();
    assert.equal(pifs.find(([, p]) => p.management)![0], master[0]);
    assert.equal(pifs.find(([, p]) => p.device === 'eth0')![1].ip_configuration_mode, 'None');
  });
});

describe('xen sim: pool.eject', () => {
  it('refuses the coordinator, running VMs and HA, then wipes the host back to a fresh install', async () => {
    const { sim, c } = await lab(3);
    await pool(c);
    const co = c[0]!;
    const xs2 = c[1]!;
    await rejects(co.run('pool.eject', co.ref), 'OPERATION_NOT_ALLOWED', ['Cannot eject the pool coordinator']);
    const sr = await nfsSr(co);
    const tpl = ((await co.call('VM.get_by_name_label', 'Debian Bookworm 12')) as string[])[0]!;
    const vm = await co.run('VM.clone', tpl, 'guest');
    await co.call('VM.set_is_a_template', vm, false);
    await co.run('VM.start_on', vm, xs2.ref, false, false);
    await rejects(co.run('pool.eject', xs2.ref), 'OPERATION_NOT_ALLOWED', ['VM resident on host']);
    await co.run('VM.hard_shutdown', vm);
    await co.run('pool.enable_ha', [sr], {});
    await rejects(co.run('pool.eject', xs2.ref), 'HA_IS_ENABLED', []);
    await co.run('pool.disable_ha');

    // a pool-wide VLAN and a bond on xs2: they leave with it
    await co.run('pool.create_VLAN_from_PIF', await pif(co, co.ref, 'eth1'), await co.call('network.create', { name_label: 'v30' }), 30);
    await co.run('Bond.create', await co.call('network.create', { name_label: 'bond' }), [await pif(co, xs2.ref, 'eth2'), await pif(co, xs2.ref, 'eth3')], '', 'active-backup', {});
    const srsBefore = (await records(co, 'SR')).length;

    const oldPifs = (await records(co, 'PIF')).filter(([, p]) => p.host === xs2.ref).map(([, p]) => p.uuid);
    await co.run('pool.eject', xs2.ref);
    assert.equal(((await co.call('host.get_all')) as string[]).length, 2);
    assert.equal((await records(co, 'PIF')).filter(([, p]) => p.host === xs2.ref).length, 0);
    assert.equal((await records(co, 'PBD')).filter(([, p]) => p.host === xs2.ref).length, 0);
    assert.equal((await records(co, 'Bond')).length, 0);
    assert.deepEqual((await records(co, 'VLAN')).map(([, v]) => v.tag), [30, 30], 'the VLAN stays on xs1 and xs3');
    assert.equal((await records(co, 'SR')).length, srsBefore - 1, 'its local SR is forgotten');
    // standalone again: logs in, a pool of its own with a fresh database
    await rejects(sim.call(xs2.uuid, 'host.get_all', [co.session]), 'SESSION_INVALID', [co.session]);
    const again = await login(sim, 'xs2');
    assert.equal(again.uuid, xs2.uuid);
    const pools = await records(again, 'pool');
    assert.equal(pools.length, 1);
    assert.equal(pools[0]![1].name_label, '');
    const pifs = await records(again, 'PIF');
    assert.equal(pifs.length, 4);
    assert.ok(pifs.every(([, p]) => !oldPifs.includes(p.uuid)));
    assert.equal((await records(again, 'SR')).filter(([, s]) => s.shared && !s.is_tools_sr).length, 0);
    assert.equal((await records(again, 'VM')).filter(([, v]) => v.is_default_template).length, 4);
    // and can join again
    await again.run('pool.join', co.address, ...JOIN);
  });
});
