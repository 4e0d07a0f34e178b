// xenserver_storage_interface against the simulated lab: a host's NIC on a storage network gets a
// static IP, may not be unplugged and is marked for storage; an address changed behind poolform's
// back is drift an update corrects; delete clears it all; preflight refuses the management NIC
// and an address already in use.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storageInterface } from '../../providers/xenserver/resources/storage-interface.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import { change, providerCtx, startPooledLab, type XenLab } from './xen-harness.js';

describe('xenserver_storage_interface', () => {
  let x: XenLab;
  let s: XenSession;
  let eth3Net: string;
  before(async () => {
    ({ x, s } = await startPooledLab({ hosts: 2 }));
    const snap = await s.snapshot(true);
    eth3Net = snap.find('network', (n) => n.bridge === 'xenbr3')![1].uuid;
  });
  after(() => x.stop());

  it('gives the NIC a static IP, pins it and marks it for storage; observes as created; repairs drift; delete clears it', async () => {
    const cfg = { host: 'xs2', network: eth3Net, ip: '10.10.1.22', netmask: '255.255.255.0', gateway: '', dedicated: true };
    const res = await storageInterface.create(s, cfg, providerCtx());
    let snap = await s.snapshot(true);
    const pif = snap.byUuid('PIF', res.id)!;
    assert.equal(snap.get('host', String(pif.host))?.name_label, 'xs2');
    assert.equal(pif.device, 'eth3');
    assert.deepEqual([pif.ip_configuration_mode, pif.IP, pif.netmask, pif.disallow_unplug], ['Static', '10.10.1.22', '255.255.255.0', true]);
    assert.equal((pif.other_config as Record<string, string>).management_purpose, 'Storage');
    const seen = storageInterface.observe(snap, [res.id])[0]!.attrs;
    assert.deepEqual(seen, res.attrs);
    assert.equal(res.attrs.host, undefined, 'host is kept as written (name or uuid), not observed');

    // someone drops the IP: the address reads back empty (drift), the update restores it
    await s.xapi.callAsync('PIF.reconfigure_ip', [snap.refOf(res.id), 'None', '', '', '', '']);
    const drifted = storageInterface.observe(await s.snapshot(true), [res.id])[0]!.attrs;
    assert.equal(drifted.ip, '');
    const fixed = await storageInterface.update(s, res.id, res.attrs, { ...cfg, ip: '10.10.1.23' }, providerCtx());
    assert.equal(fixed.attrs.ip, '10.10.1.23');
    assert.equal(fixed.attrs.dedicated, true);

    await storageInterface.delete(s, res.id, fixed.attrs, providerCtx());
    snap = await s.snapshot(true);
    const gone = snap.byUuid('PIF', res.id)!;
    assert.deepEqual([gone.ip_configuration_mode, gone.disallow_unplug, 'management_purpose' in (gone.other_config as object)], ['None', false, false]);
  });

  it('preflight refuses the management NIC, a taken address and an unknown host', async () => {
    const snap = await s.snapshot(true);
    const eth0Net = snap.find('network', (n) => n.bridge === 'xenbr0')![1].uuid;
    const c = (address: string, after: Record<string, unknown>) => change(address, 'create', after);
    const diags = await storageInterface.preflight!(
      [
        c('xenserver_storage_interface.a', { host: 'xs1', network: eth0Net, ip: '10.10.1.30', netmask: '255.255.255.0' }),
        c('xenserver_storage_interface.b', { host: 'xs1', network: eth3Net, ip: '10.10.0.12', netmask: '255.255.255.0' }),
        c('xenserver_storage_interface.c', { host: 'xs7', network: eth3Net, ip: '10.10.1.31', netmask: '255.255.255.0' }),
      ],
      snap,
      s,
      providerCtx(),
    );
    assert.deepEqual(
      diags.map((d) => [d.address, d.summary]),
      [
        ['xenserver_storage_interface.a', 'eth0 on host xs1 is its management interface'],
        ['xenserver_storage_interface.b', 'IP 10.10.0.12 is already used by eth0 on host xs2'],
        ['xenserver_storage_interface.c', 'Unknown host'],
      ],
    );
    assert.match(diags[2]!.detail ?? '', /did you mean "xs1"/);
  });
});
