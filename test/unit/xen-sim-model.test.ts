// The simulator's data model is the reference's: its copy (xapi-model.json) re-derived from
// shared/reference and compared, types parsed, defaults applied to new records, and records of
// the lab carrying every field of their class.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../engine/schema/load.js';
import { classMeta, defaultRecord, parseDefault, parseType } from '../../providers/xenserver/sim/model.js';
import { lab, records } from './xen-sim-harness.js';

const REFERENCE = '/work/shared/reference';

describe('xen sim: data model', () => {
  it('holds exactly the reference data model and error table, descriptions aside', { skip: !existsSync(`${REFERENCE}/xapi-datamodel.json`) && 'shared reference absent' }, () => {
    type RefModel = { classes: Record<string, { fields: Record<string, { type: string; q: string; default?: string }>; messages: Record<string, { params: [string, string][]; result: string; async?: boolean; state?: string }>; enums: Record<string, string[]> }> };
    const dm = JSON.parse(readFileSync(`${REFERENCE}/xapi-datamodel.json`, 'utf8')) as RefModel;
    const errs = JSON.parse(readFileSync(`${REFERENCE}/xapi-errors.json`, 'utf8')) as { errors: Record<string, { params: string[] | null }>; other_codes: string[] };
    const mine = JSON.parse(readFileSync(join(repoRoot(), 'providers/xenserver/sim/xapi-model.json'), 'utf8')) as { classes: Record<string, any>; errors: Record<string, string[] | null> };
    const derived: Record<string, unknown> = {};
    for (const [cn, c] of Object.entries(dm.classes)) {
      derived[cn] = {
        fields: Object.fromEntries(Object.entries(c.fields).map(([f, d]) => [f, d.default === undefined ? [d.type, d.q] : [d.type, d.q, d.default]])),
        messages: Object.fromEntries(Object.entries(c.messages).map(([m, d]) => [m, { params: d.params, result: d.result, ...(d.async ? { async: true } : {}), ...(d.state ? { state: d.state } : {}) }])),
        enums: c.enums,
      };
    }
    assert.deepEqual(mine.classes, derived);
    const derivedErrors: Record<string, string[] | null> = Object.fromEntries(Object.entries(errs.errors).map(([k, v]) => [k, v.params]));
    for (const k of errs.other_codes) if (!(k in derivedErrors)) derivedErrors[k] = null;
    assert.deepEqual(mine.errors, derivedErrors);
  });

  it('parses XenAPI types and defaults', () => {
    assert.deepEqual(parseType('(VM ref -> (string -> string) map) map'), { k: 'map', key: { k: 'ref', cls: 'VM' }, val: { k: 'map', key: { k: 'string' }, val: { k: 'string' } } });
    assert.deepEqual(parseType('enum bond_mode set'), { k: 'set', of: { k: 'enum', name: 'bond_mode' } });
    assert.deepEqual(parseType('PBD record'), { k: 'record', cls: 'PBD' });
    assert.equal(parseDefault(parseType('PIF ref'), 'Null'), 'OpaqueRef:NULL');
    assert.deepEqual(parseDefault(parseType('int set'), '{0}'), [0]);
    assert.deepEqual(parseDefault(parseType('(string -> string) map'), '{"address" -> "localhost", "port" -> "27000"}'), { address: 'localhost', port: '27000' });
    assert.equal(parseDefault(parseType('float'), '1.'), 1);
    const bond = defaultRecord('Bond');
    assert.deepEqual([bond.mode, bond.primary_slave, bond.auto_update_mac, bond.links_up], ['balance-slb', 'OpaqueRef:NULL', true, 0]);
    assert.equal(defaultRecord('network').MTU, 1500);
    assert.equal(defaultRecord('host').license_server && (defaultRecord('host').license_server as Record<string, string>).port, '27000');
  });

  it('gives every lab record all fields of its class (reference classes and the two added ones)', async () => {
    const { c } = await lab(1);
    for (const cls of ['pool', 'host', 'host_metrics', 'SR', 'PBD', 'network', 'PIF', 'VM']) {
      const fields = [...classMeta(cls)!.fields.keys()].sort();
      for (const [, r] of await records(c[0]!, cls)) assert.deepEqual(Object.keys(r).sort(), fields, cls);
    }
    assert.deepEqual([...classMeta('secret')!.fields.keys()], ['uuid', 'value', 'other_config']);
    assert.deepEqual([...classMeta('host_metrics')!.fields.keys()], ['uuid', 'live', 'memory_total', 'memory_free']);
  });

  it('builds the lab hosts as the plan describes them', async () => {
    const { c } = await lab(2);
    const h = c[1]!;
    const host = await h.call('host.get_record', h.ref);
    assert.equal(host.software_version.product_version, '8.4.0');
    assert.deepEqual([host.API_version_major, host.API_version_minor, host.cpu_info.vendor], [2, 21, 'GenuineIntel']);
    assert.equal(host.address, h.address);
    const pool = (await records(h, 'pool'))[0]![1];
    assert.deepEqual([pool.name_label, pool.master], ['', h.ref]);
    const pifs = (await records(h, 'PIF')).map(([, p]) => p).sort((a, b) => a.device.localeCompare(b.device));
    assert.deepEqual(pifs.map((p) => p.device), ['eth0', 'eth1', 'eth2', 'eth3']);
    assert.equal(new Set(pifs.map((p) => p.MAC)).size, 4);
    assert.deepEqual([pifs[0].management, pifs[0].ip_configuration_mode, pifs[0].IP, pifs[0].netmask, pifs[0].gateway, pifs[0].DNS], [true, 'Static', '10.10.0.12', '255.255.255.0', '10.10.0.1', '10.10.0.2']);
    const nets = await records(h, 'network');
    for (const p of pifs) {
      const n = nets.find(([r]) => r === p.network)![1];
      assert.deepEqual([n.name_label, n.bridge], [`Pool-wide network associated with ${p.device}`, `xenbr${p.device.slice(3)}`]);
    }
    const local = (await records(h, 'SR')).find(([, s]) => s.name_label === 'Local storage')![1];
    assert.deepEqual([local.type, local.shared, local.PBDs.length], ['lvm', false, 1]);
    const templates = (await records(h, 'VM')).filter(([, v]) => v.is_a_template && v.other_config.default_template === 'true').map(([, v]) => v.name_label);
    assert.deepEqual(templates.sort(), ['Debian Bookworm 12', 'Other install media', 'Ubuntu Noble Numbat 24.04', 'Windows Server 2022 (64-bit)']);
    const metrics = await h.call('host_metrics.get_record', host.metrics);
    assert.equal(metrics.live, true);
    assert.ok(metrics.memory_free < metrics.memory_total);
  });
});
