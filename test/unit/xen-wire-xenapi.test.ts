// The third-party oracle: Vates' `xen-api` npm client (what Xen Orchestra uses against real hosts)
// logs in to a lab's simulated hosts (sim/lab.ts, the XapiSim model behind the HTTPS wire) over
// both its JSON-RPC and XML-RPC transports, reads records, sees failures with XAPI's codes and
// params, and meets HOST_IS_SLAVE on a host that joined a pool.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../providers/xenserver/sim/lab.js';

interface XoError extends Error {
  code: string;
  params: string[];
}
interface XoClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  call(method: string, ...args: unknown[]): Promise<unknown>;
  getAllRecords(type: string): Promise<Record<string, unknown>[]>;
  readonly pool: { $ref: string; uuid: string; master: string; name_label: string };
}
type CreateClient = (opts: Record<string, unknown>) => XoClient;

let createClient: CreateClient;
let lab: Lab;

before(async () => {
  // xen-api ships no type declarations; a string specifier keeps tsc from looking for them.
  const spec: string = 'xen-api';
  ({ createClient } = (await import(spec)) as { createClient: CreateClient });
  lab = await startLab({ hosts: 3, latencyScale: 0 });
});

after(async () => {
  await lab.stop();
});

function client(url: string, transport: string, password = lab.password): XoClient {
  const x = createClient({ url, auth: { user: 'root', password }, allowUnauthorized: true, watchEvents: false, transport, httpInactivityTimeout: 5000 });
  // xen-api retries a HOST_IS_SLAVE login once after 1 s; no delay keeps the test fast (same behaviour).
  const o = x as unknown as { _sessionOpenRetryOptions: Record<string, unknown> };
  o._sessionOpenRetryOptions = { ...o._sessionOpenRetryOptions, delay: 0 };
  return x;
}

type HostRec = { name_label: string; address: string; memory_overhead: unknown; enabled: unknown; API_version_major: unknown };
type VmRec = { name_label: string; is_a_template: boolean; other_config: Record<string, string> };

for (const transport of ['json-rpc', 'xml-rpc']) {
  test(`xen-api over ${transport}: login, introspection, get_all_records, a failure with its code and params`, async () => {
    const x = client(lab.hosts[0].url, transport);
    await x.connect();
    try {
      assert.equal(x.pool.name_label, '', 'a standalone host is a pool of one with no name');
      const hosts = Object.values((await x.call('host.get_all_records')) as Record<string, HostRec>);
      assert.deepEqual(hosts.map((h) => [h.name_label, h.address]), [['xs1', lab.hosts[0].address]]);
      // XML-RPC clients see 64-bit ints as strings (untyped <value>); JSON-RPC clients see numbers.
      assert.equal(typeof hosts[0].memory_overhead, transport === 'xml-rpc' ? 'string' : 'number');
      assert.equal(typeof hosts[0].API_version_major, transport === 'xml-rpc' ? 'string' : 'number');
      assert.equal(hosts[0].enabled, true);
      const vms = (await x.call('VM.get_all_records')) as Record<string, VmRec>;
      const [tplRef] = Object.entries(vms).find(([, v]) => v.name_label === 'Debian Bookworm 12' && v.is_a_template)!;
      await assert.rejects(x.call('VM.start', tplRef, false, false), (e: XoError) => {
        assert.equal(e.code, 'VM_IS_TEMPLATE');
        assert.deepEqual(e.params, [tplRef, 'start']);
        return true;
      });
      await assert.rejects(x.call('VM.get_record', 'OpaqueRef:00000000-dead'), (e: XoError) => {
        assert.equal(e.code, 'HANDLE_INVALID');
        assert.deepEqual(e.params, ['VM', 'OpaqueRef:00000000-dead']);
        return true;
      });
      assert.ok((await x.getAllRecords('network')).length >= 4, 'xen-api found the classes by introspection');
    } finally {
      await x.disconnect();
    }
    await assert.rejects(client(lab.hosts[0].url, transport, 'wrong').connect(), (e: XoError) => {
      assert.equal(e.code, 'SESSION_AUTHENTICATION_FAILED');
      assert.deepEqual(e.params, ['root', 'Authentication failure']);
      return true;
    });
  });
}

test('xen-api: after pool.join (called on the joining host), the member answers HOST_IS_SLAVE over both transports', async () => {
  const joiner = client(lab.hosts[1].url, 'json-rpc');
  await joiner.connect();
  try {
    assert.equal(await joiner.call('pool.join', lab.hosts[0].address, 'root', lab.password), '');
  } finally {
    await joiner.disconnect().catch(() => {});
  }
  for (const transport of ['json-rpc', 'xml-rpc']) {
    await assert.rejects(client(lab.hosts[1].url, transport).connect(), (e: XoError) => {
      assert.equal(e.code, 'HOST_IS_SLAVE');
      assert.deepEqual(e.params, [lab.hosts[0].address]);
      return true;
    });
  }
  const x = client(lab.hosts[0].url, 'xml-rpc');
  await x.connect();
  try {
    const names = Object.values((await x.call('host.get_all_records')) as Record<string, HostRec>).map((h) => h.name_label).sort();
    assert.deepEqual(names, ['xs1', 'xs2']);
  } finally {
    await x.disconnect();
  }
});
