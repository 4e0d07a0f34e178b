// Hosts and VMs in the simulator: maintenance (disable, evacuate, reboot), power-on mode with its
// password in a secret, settings that apply at reboot, templates and VMs, the dom0 shell, and
// saving/loading and populating the lab.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XapiSim } from '../../providers/xenserver/sim/xapi.js';
import { findRef, lab, labHosts, login, nfsSr, pool, pooledWithDefaultSr, records, rejects, waitTask, type Caller } from './xen-sim-harness.js';

const GiB = 1024 ** 3;

async function guest(c: Caller, name: string, host: string, memory = 2 * GiB): Promise<string> {
  const tpl = ((await c.call('VM.get_by_name_label', 'Other install media')) as string[])[0]!;
  const vm = await c.run('VM.clone', tpl, name);
  await c.call('VM.set_is_a_template', vm, false);
  await c.call('VM.set_memory_limits', vm, memory, memory, memory, memory);
  await c.run('VM.start_on', vm, host, false, false);
  return vm;
}

describe('xen sim: host maintenance', () => {
  it('evacuates running VMs to enabled hosts, or fails when there is nowhere to go', async () => {
    const { c } = await lab(3, { extra: [{}, {}, { memoryGiB: 16 }] });
    await pool(c);
    const [co, xs2, xs3] = c as [Caller, Caller, Caller];
    const a = await guest(co, 'a', xs2.ref);
    const b = await guest(co, 'b', xs2.ref, 8 * GiB);
    await co.run('host.disable', co.ref);
    await co.run('host.disable', xs2.ref);
    // only xs3 (12 GiB for guests) is enabled; with 10 GiB taken, the 8 GiB VM has nowhere to go
    const big = await guest(co, 'big', xs3.ref, 10 * GiB);
    await rejects(co.run('host.evacuate', xs2.ref), 'HOST_NOT_ENOUGH_FREE_MEMORY', [String(8 * GiB), String(2 * GiB)]);
    await co.run('host.enable', co.ref);
    await co.run('host.evacuate', xs2.ref);
    assert.deepEqual([await co.call('VM.get_resident_on', a), await co.call('VM.get_resident_on', b)].sort(), [co.ref, co.ref]);
    assert.deepEqual((await co.call('host.get_resident_VMs', xs2.ref)).length, 1); // its control domain
    await co.run('host.disable', co.ref);
    await co.run('host.disable', xs3.ref);
    await rejects(co.run('host.evacuate', co.ref), 'NO_HOSTS_AVAILABLE', []);
    assert.equal(await co.call('VM.get_resident_on', big), xs3.ref);
  });

  it('reboots only a disabled, empty host; it is unreachable meanwhile and comes back enabled', async () => {
    const sim = new XapiSim({ hosts: labHosts(2), latencyScale: 0 });
    const co = await login(sim, 'xs1');
    const xs2 = await login(sim, 'xs2');
    await xs2.run('pool.join', co.address, 'root', 'poolform-lab');
    const vm = await guest(co, 'g', xs2.ref);
    await rejects(co.run('host.reboot', xs2.ref), 'HOST_NOT_DISABLED', []);
    await co.run('host.disable', xs2.ref);
    await rejects(co.run('host.reboot', xs2.ref), 'HOST_IN_USE', [xs2.ref, 'vm', vm]);
    await co.run('host.evacuate', xs2.ref);
    await co.call('host.set_sched_gran', xs2.ref, 'core');
    await co.call('host.disable_display', xs2.ref);
    sim.faults.setLatency('host.reboot', 40);
    const task = (await co.call('Async.host.reboot', xs2.ref)) as string;
    assert.equal(sim.reachable(xs2.uuid), false);
    const metrics = await co.call('host.get_metrics', xs2.ref);
    assert.equal(await co.call('host_metrics.get_live', metrics), false);
    await rejects(co.run('host.enable', xs2.ref), 'HOST_OFFLINE', [xs2.ref]);
    assert.equal((await waitTask(sim, co.uuid, co.session, task)).status, 'success');
    assert.equal(sim.reachable(xs2.uuid), true);
    const h = await co.call('host.get_record', xs2.ref);
    assert.deepEqual([h.enabled, h.display], [true, 'disabled']);
    assert.equal(await co.call('host_metrics.get_live', metrics), true);
    assert.equal(await co.call('host.get_sched_gran', xs2.ref), 'core');
    await rejects(co.call('host.set_sched_gran', xs2.ref, 'thread'), 'INVALID_VALUE', ['value', 'thread']);
  });

  it('keeps the power-on password in a secret and drops the old secret when replaced', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const s1 = await h.call('secret.create', { value: 'pw1', other_config: {} });
    const u1 = await h.call('secret.get_uuid', s1);
    await h.call('host.set_power_on_mode', h.ref, 'DRAC', { power_on_ip: '10.10.3.11', power_on_user: 'root', power_on_password_secret: u1 });
    let rec = await h.call('host.get_record', h.ref);
    assert.deepEqual([rec.power_on_mode, rec.power_on_config.power_on_password_secret], ['DRAC', u1]);
    // the same secret again (another key changed) survives
    await h.call('host.set_power_on_mode', h.ref, 'DRAC', { power_on_ip: '10.10.3.12', power_on_user: 'root', power_on_password_secret: u1 });
    assert.equal(await h.call('secret.get_value', s1), 'pw1');
    const s2 = await h.call('secret.create', { value: 'pw2', other_config: {} });
    await h.call('host.set_power_on_mode', h.ref, 'DRAC', { power_on_ip: '10.10.3.12', power_on_user: 'root', power_on_password_secret: await h.call('secret.get_uuid', s2) });
    await rejects(h.call('secret.get_value', s1), 'HANDLE_INVALID', ['secret', s1]);
    await rejects(h.call('host.set_power_on_mode', h.ref, 'DRAC', { power_on_password_secret: 'missing' }), 'UUID_INVALID', ['secret', 'missing']);
    await h.call('host.set_power_on_mode', h.ref, '', {});
    rec = await h.call('host.get_record', h.ref);
    assert.deepEqual([rec.power_on_mode, rec.power_on_config], ['', {}]);
    await rejects(h.run('host.power_on', h.ref), 'HOST_POWER_ON_MODE_DISABLED', []);
  });

  it('sets the iSCSI IQN and host name fields', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    await h.run('host.set_iscsi_iqn', h.ref, 'iqn.2026-11.lab:xs1-new');
    const r = await h.call('host.get_record', h.ref);
    assert.deepEqual([r.iscsi_iqn, r.other_config.iscsi_iqn], ['iqn.2026-11.lab:xs1-new', 'iqn.2026-11.lab:xs1-new']);
    await rejects(h.run('host.set_iscsi_iqn', h.ref, ''), 'INVALID_VALUE', ['value', '']);
    await h.call('host.set_name_label', h.ref, 'renamed');
    assert.equal(await h.call('host.get_name_label', h.ref), 'renamed');
  });
});

describe('xen sim: templates and VMs', () => {
  it('clones a base template into a template, provisions its disks and sets its limits', async () => {
    const { h, sr } = await pooledWithDefaultSr(2);
    const base = ((await h.call('VM.get_by_name_label', 'Debian Bookworm 12')) as string[])[0]!;
    const t = await h.run('VM.clone', base, 'web template');
    let r = await h.call('VM.get_record', t);
    assert.deepEqual([r.is_a_template, r.is_default_template, r.other_config.default_template], [true, false, undefined]);
    await h.run('VM.provision', t);
    r = await h.call('VM.get_record', t);
    assert.equal(r.VBDs.length, 1);
    const vdi = await h.call('VBD.get_VDI', r.VBDs[0]);
    assert.deepEqual([await h.call('VDI.get_SR', vdi), await h.call('VDI.get_virtual_size', vdi)], [sr, 10 * GiB]);
    assert.equal(r.other_config.disks, undefined);

    await rejects(h.call('VM.set_VCPUs_at_startup', t, 4), 'INVALID_VALUE', ['VCPUs_at_startup', '4']);
    await h.call('VM.set_VCPUs_max', t, 4);
    await h.call('VM.set_VCPUs_at_startup', t, 4);
    await rejects(h.call('VM.set_VCPUs_max', t, 2), 'INVALID_VALUE', ['VCPUs_max', '2']);
    await rejects(h.call('VM.set_memory_limits', t, 4 * GiB, 2 * GiB, 2 * GiB, 2 * GiB), 'MEMORY_CONSTRAINT_VIOLATION', [/static_min/]);
    await h.call('VM.set_memory_limits', t, GiB, 4 * GiB, 4 * GiB, 4 * GiB);
    await h.call('VM.set_HVM_boot_params', t, { order: 'dc' });
    const net = await h.call('network.create', { name_label: 'web' });
    const vif = await h.run('VIF.create', { VM: t, network: net, device: '0', MAC: '', MTU: 1500, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} });
    assert.match(await h.call('VIF.get_MAC', vif), /^02(:[0-9a-f]{2}){5}$/);
    await rejects(h.run('VIF.create', { VM: t, network: net, device: '0', MAC: '' }), 'DEVICE_ALREADY_EXISTS', ['0']);
    r = await h.call('VM.get_record', t);
    assert.deepEqual([r.VCPUs_max, r.memory_static_max, r.HVM_boot_params.order, r.is_a_template], [4, 4 * GiB, 'dc', true]);
    await rejects(h.run('VM.start', t, false, false), 'VM_IS_TEMPLATE', [t, 'start']);
    await rejects(h.call('VM.destroy', base), 'VM_CANNOT_DELETE_DEFAULT_TEMPLATE', [base]);
    await h.call('VM.destroy', t);
    assert.equal(((await h.call('VM.get_all')) as string[]).includes(t), false);
  });

  it('starts, moves and stops VMs with the power-state rules', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    const vm = await guest(h, 'g', c[1]!.ref);
    await rejects(h.run('VM.start', vm, false, false), 'VM_BAD_POWER_STATE', [vm, 'halted', 'running']);
    await rejects(h.call('VM.destroy', vm), 'VM_BAD_POWER_STATE', [vm, 'halted', 'running']);
    await rejects(h.run('VM.clone', vm, 'x'), 'VM_BAD_POWER_STATE', [vm, 'halted', 'running']);
    await h.run('VM.pool_migrate', vm, h.ref, {});
    assert.equal(await h.call('VM.get_resident_on', vm), h.ref);
    await h.run('VM.clean_shutdown', vm);
    await rejects(h.run('VM.clean_shutdown', vm), 'VM_BAD_POWER_STATE', [vm, 'running', 'halted']);
    assert.equal(await h.call('VM.get_resident_on', vm), 'OpaqueRef:NULL');
  });
});

describe('xen sim: dom0 shell', () => {
  it('answers the clock with the host skew, the inventory, ping, and nothing else', async () => {
    const { sim, c } = await lab(2);
    sim.faults.setClockSkew('xs2', 5000);
    const t = Date.now() / 1000;
    const d1 = Number((await sim.shell(c[0]!.uuid, 'date +%s.%N')).stdout);
    const d2 = Number((await sim.shell(c[1]!.uuid, 'date +%s.%N')).stdout);
    assert.ok(Math.abs(d1 - t) < 2 && Math.abs(d2 - d1 - 5) < 1, `${d1} ${d2}`);
    assert.match((await sim.shell(c[0]!.uuid, 'date +%s.%N')).stdout, /^\d+\.\d{9}\n$/);
    const inv = (await sim.shell(c[0]!.uuid, 'cat /etc/xensource-inventory')).stdout;
    assert.match(inv, new RegExp(`^INSTALLATION_UUID='${c[0]!.uuid}'$`, 'm'));
    assert.match(inv, /^MANAGEMENT_INTERFACE='xenbr0'$/m);
    assert.match(inv, /^PRODUCT_VERSION='8\.4\.0'$/m);
    assert.equal((await sim.shell(c[0]!.uuid, 'ping -c 1 10.10.0.12')).code, 0);
    assert.equal((await sim.shell(c[0]!.uuid, 'ping -c 1 10.10.1.5')).code, 0);
    assert.equal((await sim.shell(c[0]!.uuid, 'ping -c 1 10.99.0.1')).code, 1);
    assert.equal((await sim.shell(c[0]!.uuid, 'reboot now')).code, 127);
    sim.faults.setHostDown('xs2');
    assert.equal((await sim.shell(c[1]!.uuid, 'date +%s.%N')).code, 255);
    assert.equal((await sim.shell(c[0]!.uuid, 'ping -c 1 10.10.0.12')).code, 1);
  });
});

describe('xen sim: lab persistence and population', () => {
  it('saves and loads the whole lab (pools, hosts, faults), with new addresses if given', async () => {
    const { sim, c } = await lab(3);
    await pool(c, 2);
    const sr = await nfsSr(c[0]!);
    sim.faults.setClockSkew('xs3', 1234);
    sim.faults.loseManagementOn('xs2');
    const json = sim.save();
    const again = XapiSim.load(json, { hosts: [{ name: 'xs1', address: '127.0.0.1:50001' }], latencyScale: 0 });
    assert.deepEqual(
      again.hosts().map((h) => [h.uuid, h.name]),
      sim.hosts().map((h) => [h.uuid, h.name]),
    );
    assert.equal(again.host('xs1').address, '127.0.0.1:50001');
    const co = await login(again, 'xs1');
    assert.equal(await co.call('host.get_address', co.ref), '127.0.0.1:50001');
    assert.equal(((await co.call('host.get_all')) as string[]).length, 2);
    assert.equal(await co.call('SR.get_name_label', sr), 'shared-nfs');
    assert.equal((await records(co, 'PBD')).filter(([, p]) => p.SR === sr).length, 2);
    await rejects(again.call(co.uuid, 'host.get_all', [c[0]!.session]), 'SESSION_INVALID');
    assert.equal(Number((await again.shell(again.host('xs3').uuid, 'date +%s.%N')).stdout) - Date.now() / 1000 > 1, true);
    // xs3 is still standalone and can join; events continue after the saved counter
    const x3 = await login(again, 'xs3');
    await x3.run('pool.join', co.address, 'root', 'poolform-lab');
    assert.equal(((await co.call('host.get_all')) as string[]).length, 3);
  });

  it('populates a 16-host pool with SRs, networks and 1,000 VMs that one event.from returns', async () => {
    const sim = new XapiSim({ hosts: labHosts(16), latencyScale: 0 });
    sim.populate({ srs: 4, networks: 40, vms: 1000 });
    const co = await login(sim, 'xs1');
    const classes = ['vm', 'host', 'sr', 'pif', 'bond', 'vlan', 'pbd', 'network', 'pool', 'task', 'host_metrics', 'secret', 'vdi', 'vbd', 'vif'];
    const res = (await co.call('event.from', classes, '', 0)) as { events: { class: string }[]; valid_ref_counts: Record<string, number> };
    const count = (cls: string) => res.events.filter((e) => e.class === cls).length;
    assert.equal(count('host'), 16);
    assert.equal(count('pool'), 1);
    assert.equal(count('vlan'), 16 * 40);
    assert.equal(count('pif'), 16 * 4 + 16 * 40);
    assert.equal(count('vm'), 1000 + 4 + 16); // guests, templates, control domains
    assert.equal(count('vif'), 1000);
    assert.equal(count('sr'), 4 + 16 + 1); // bench SRs, local SRs, the tools SR
    assert.equal(count('pbd'), 4 * 16 + 16 + 16);
    assert.equal(res.valid_ref_counts.vdi, 1000);
    const bench = await findRef(co, 'SR', (s) => s.name_label === 'bench-nfs-0');
    assert.equal((await co.call('SR.get_VDIs', bench)).length, 250);
  });
});
