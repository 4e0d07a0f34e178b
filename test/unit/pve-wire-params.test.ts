// Parameter verification of the simulated Proxmox API (sim/params.ts), driven by the reference:
// the vendored schema subset is checked against shared/reference/pve-api.json, and the cases take
// their enums, limits and names from it rather than retyping them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { apiSchemas, checkParams, endpointParams, matchRoute } from '../../providers/proxmox/sim/params.js';

const REFERENCE = '/work/shared/reference/pve-api.json';
type Ref = {
  endpoints: Record<string, Record<string, { params: Record<string, Record<string, unknown>>; allowtoken?: number; params_also?: string }>>;
  shared_param_sets: Record<string, Record<string, Record<string, unknown>>>;
};
const ref: Ref | undefined = fs.existsSync(REFERENCE) ? (JSON.parse(fs.readFileSync(REFERENCE, 'utf8')) as Ref) : undefined;

/** A parameter schema as vendored: the reference's minus the prose keys. */
function withoutProse(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'doc' || k === 'typetext' || k === 'format_description') continue;
    out[k] = k === 'sub' ? Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>).map(([sk, sv]) => [sk, withoutProse(sv)])) : v;
  }
  return out;
}

function check(method: string, path: string, params: Record<string, string>) {
  const r = matchRoute(path);
  assert.ok(r, `route for ${path}`);
  const ep = r.methods[method];
  assert.ok(ep, `${method} ${path}`);
  return checkParams(ep, params, r.pathParams);
}

test('the vendored schemas are the reference’s, every endpoint and shared set', { skip: ref ? false : 'reference data not present' }, () => {
  const mine = apiSchemas();
  assert.deepEqual(Object.keys(mine.endpoints).sort(), Object.keys(ref!.endpoints).sort());
  for (const [path, methods] of Object.entries(ref!.endpoints)) {
    assert.deepEqual(Object.keys(mine.endpoints[path]!).sort(), Object.keys(methods).sort(), path);
    for (const [m, e] of Object.entries(methods)) {
      const v = mine.endpoints[path]![m]!;
      assert.equal(v.allowtoken, e.allowtoken, `${m} ${path} allowtoken`);
      assert.equal(v.params_also, e.params_also, `${m} ${path} params_also`);
      for (const [name, s] of Object.entries(e.params)) assert.deepEqual(v.params[name], withoutProse(s), `${m} ${path} ${name}`);
    }
  }
  for (const [set, params] of Object.entries(ref!.shared_param_sets))
    for (const [name, s] of Object.entries(params)) assert.deepEqual(mine.shared_param_sets[set]![name], withoutProse(s), `${set}.${name}`);
});

test('routes: placeholders fill path params, literal segments win, unknown paths have none', () => {
  const upid = 'UPID:pve1:0000ABCD:00001234:67000000:qmcreate:100:root@pam:';
  const t = matchRoute(`/nodes/pve1/tasks/${upid}/status`);
  assert.equal(t?.template, '/nodes/{node}/tasks/{upid}/status');
  assert.deepEqual(t?.pathParams, { node: 'pve1', upid });
  assert.equal(matchRoute('/cluster/ha/status/current')?.template, '/cluster/ha/status/current');
  assert.deepEqual(matchRoute('/cluster/ha/resources/vm:100')?.pathParams, { sid: 'vm:100' });
  assert.equal(matchRoute('/cluster/nosuch'), undefined);
  assert.equal(matchRoute('/nodes/pve1/qemu/100/template')?.methods.GET, undefined, 'template is POST only');
});

test('required, unknown and typed parameters, with PVE’s messages', () => {
  const r = check('POST', '/cluster/config', { link0: '10.20.10.11', votes: 'two', bogus: '1' });
  assert.equal(r.errors.clustername, 'property is missing and it is not optional');
  assert.equal(r.errors.votes, "type check ('integer') failed - got 'two'");
  assert.equal(r.errors.bogus, 'property is not defined in schema and the schema does not allow additional properties');
  assert.equal(r.errors.link0, undefined);

  // Limits come from the schema itself.
  const tc = endpointParams(matchRoute('/cluster/config')!.methods.POST!).clustername!;
  const long = check('POST', '/cluster/config', { clustername: 'x'.repeat(Number(tc.maxLength) + 1) });
  assert.equal(long.errors.clustername, `value may only be ${tc.maxLength} characters long`);
  const vmid = endpointParams(matchRoute('/nodes/pve1/qemu')!.methods.POST!).vmid!;
  assert.equal(check('POST', '/nodes/pve1/qemu', { vmid: String(Number(vmid.minimum) - 1) }).errors.vmid, `value must have a minimum value of ${vmid.minimum}`);
  assert.equal(check('POST', '/nodes/pve1/qemu', { vmid: String(Number(vmid.maximum) + 1) }).errors.vmid, `value must have a maximum value of ${vmid.maximum}`);
});

test('booleans: 0/1 and true/false pass (normalised to 0/1), anything else is refused', () => {
  const ok = check('POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', autostart: 'true', bridge_vlan_aware: '0' });
  assert.deepEqual(ok.errors, {});
  assert.equal(ok.params.autostart, '1');
  assert.equal(ok.params.bridge_vlan_aware, '0');
  assert.equal(check('POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', autostart: 'yes' }).errors.autostart, "type check ('boolean') failed - got 'yes'");
});

test('enums from the reference: every bond mode passes the schema, another value is refused listing them', () => {
  const modes = endpointParams(matchRoute('/nodes/pve1/network')!.methods.POST!).bond_mode!.enum!;
  assert.ok(modes.includes('802.3ad') && modes.includes('balance-slb'));
  for (const mode of modes) assert.deepEqual(check('POST', '/nodes/pve1/network', { iface: 'bond0', type: 'bond', slaves: 'eno4 eno5', bond_mode: mode }).errors, {}, mode);
  const bad = check('POST', '/nodes/pve1/network', { iface: 'bond0', type: 'bond', bond_mode: 'lacp' });
  assert.equal(bad.errors.bond_mode, `value 'lacp' does not have a value in the enumeration '${modes.join(', ')}'`);
});

test('indexed families: link0..link7 and net0..net31 exist, link8 and net32 do not', () => {
  assert.deepEqual(check('POST', '/cluster/config', { clustername: 'lab', link0: '10.20.10.11', link7: '10.20.20.11' }).errors, {});
  assert.match(check('POST', '/cluster/config', { clustername: 'lab', link8: '10.20.20.11' }).errors.link8!, /not defined in schema/);
  assert.deepEqual(check('POST', '/nodes/pve1/qemu', { vmid: '100', net31: 'virtio,bridge=vmbr0' }).errors, {});
  assert.match(check('POST', '/nodes/pve1/qemu', { vmid: '100', net32: 'virtio,bridge=vmbr0' }).errors.net32!, /not defined in schema/);
  assert.match(check('POST', '/nodes/pve1/qemu', { vmid: '100', net01: 'virtio' }).errors.net01!, /not defined in schema/, 'no leading zeros');
});

test('property strings: default key, model aliases, sub-key types and unknown keys', () => {
  const good = check('POST', '/nodes/pve1/qemu', {
    vmid: '100',
    net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=20,firewall=1',
    net1: 'model=e1000,bridge=vmbr0',
    memory: '2048',
    scsi0: 'local-lvm:8',
    agent: 'enabled=1',
  });
  assert.deepEqual(good.errors, {});
  const bad = check('POST', '/nodes/pve1/qemu', { vmid: '100', net0: 'virtio,bridge=vmbr0,tag=x,speed=9', agent: 'enabled=1,type=serial' });
  assert.match(bad.errors.net0!, /^invalid format - format error\n/);
  assert.match(bad.errors.net0!, /net0\.tag: type check \('integer'\) failed - got 'x'/);
  assert.match(bad.errors.net0!, /net0\.speed: property is not defined in schema/);
  assert.match(bad.errors.agent!, /agent\.type: value 'serial' does not have a value in the enumeration 'virtio, isa'/);
  const link = check('POST', '/cluster/config', { clustername: 'lab', link0: 'address=10.20.10.11,priority=300' });
  assert.match(link.errors.link0!, /link0\.priority: value must have a maximum value of 255/);
  assert.match(check('POST', '/cluster/config', { clustername: 'lab', link0: 'priority=5' }).errors.link0!, /link0\.address: property is missing and it is not optional/);
});

test('requires, patterns, formats and type-bound properties', () => {
  const r = check('POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', address: '10.0.0.1' });
  assert.equal(r.errors.netmask, "missing property - 'address' requires this property");
  assert.equal(check('POST', '/cluster/config/join', { hostname: '10.20.0.11', fingerprint: 'AB:CD', password: 'x' }).errors.fingerprint, 'value does not match the regex pattern');
  const fp = Array.from({ length: 32 }, () => 'AB').join(':');
  assert.deepEqual(check('POST', '/cluster/config/join', { hostname: '10.20.0.11', fingerprint: fp, password: 'x', link0: '10.20.10.12' }).errors, {});
  assert.match(check('POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', cidr: '10.0.0.300/24' }).errors.cidr!, /^invalid format - /);
  assert.match(check('POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', gateway: 'router' }).errors.gateway!, /IPv4 address/);
  // HA rules: `affinity` belongs to resource-affinity rules, `nodes` to node-affinity ones.
  assert.deepEqual(check('POST', '/cluster/ha/rules', { rule: 'keep', type: 'node-affinity', resources: 'vm:100', nodes: 'pve1,pve2' }).errors, {});
  assert.match(check('POST', '/cluster/ha/rules', { rule: 'keep', type: 'node-affinity', resources: 'vm:100', affinity: 'positive' }).errors.affinity!, /not defined in schema for type 'node-affinity'/);
});

test('path parameters are checked but not forwarded; a body repeating one with another value is refused', () => {
  const r = check('PUT', '/nodes/pve1/network/vmbr0', { type: 'bridge', cidr: '10.20.0.11/24' });
  assert.deepEqual(r.errors, {});
  assert.deepEqual(r.params, { type: 'bridge', cidr: '10.20.0.11/24' });
  assert.match(check('PUT', '/nodes/pve1/network/vmbr0', { type: 'bridge', node: 'pve2' }).errors.node!, /also given in the path/);
  assert.equal(check('POST', '/nodes/pve1/qemu/abc/template', {}).errors.vmid, "type check ('integer') failed - got 'abc'");
});
