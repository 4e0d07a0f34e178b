// The pure parts of the Proxmox client: UPID parsing and task descriptions, parameter encoding and
// secret detection, and the remedies for the API's messages (the ones the reference lists are
// read from shared/reference/pve-api.json rather than retyped), join failures line by line.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeParams, secretValues } from '../../providers/proxmox/client/params.js';
import { authRemedy, isLockTimeout, isTokenId, joinErrors, remedyFor } from '../../providers/proxmox/client/remedies.js';
import { describeTask, parseUpid } from '../../providers/proxmox/upid.js';

const REFERENCE = '/work/shared/reference/pve-api.json';
const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
  wire: { async_tasks: string; auth_api_token: { header: string; restriction: string }; status_codes: Record<string, string> };
  storage_types: { create_errors: string[] };
  network_semantics: { other_errors: string[] };
};

describe('parseUpid', () => {
  it('reads the parts of the format the reference documents', () => {
    // "UPID:<node>:<pid hex 8>:<pstart hex 8>:<starttime hex 8>:<type>:<id>:<user@realm>:"
    const shape = /"(UPID:[^"]+)"/.exec(ref.wire.async_tasks)![1];
    assert.equal(shape.split(':').length, 9);
    const u = parseUpid('UPID:pve2:0000A1B2:00C0FFEE:6740F00D:qmcreate:100:root@pam!poolform:');
    assert.deepEqual(u, {
      upid: 'UPID:pve2:0000A1B2:00C0FFEE:6740F00D:qmcreate:100:root@pam!poolform:',
      node: 'pve2',
      pid: 0xa1b2,
      pstart: 0xc0ffee,
      starttime: 0x6740f00d,
      type: 'qmcreate',
      id: '100',
      user: 'root@pam!poolform',
    });
  });

  it('allows an empty id, a 9-digit pstart and node names with dashes', () => {
    const u = parseUpid('UPID:node-a1:000004D2:1000000AB:6740F00D:srvreload::root@pam:')!;
    assert.equal(u.node, 'node-a1');
    assert.equal(u.id, '');
    assert.equal(u.type, 'srvreload');
    assert.equal(u.pstart, 0x1000000ab);
  });

  it('refuses what is not a UPID', () => {
    for (const bad of ['', 'UPID:pve1', 'UPID:pve1:1:2:3:qmcreate:100:root@pam:', 'UPID:pve1:0000A1B2:00C0FFEE:6740F00D:qmcreate:100:root@pam', 'null', 'UPID:-x:0000A1B2:00C0FFEE:6740F00D:a:b:c:']) {
      assert.equal(parseUpid(bad), undefined, bad);
    }
  });

  it('describes tasks for messages', () => {
    assert.equal(describeTask('qmcreate', '100'), 'creating VM 100');
    assert.equal(describeTask('clusterjoin', ''), 'joining the cluster');
    assert.equal(describeTask('srvreload', 'pve1'), 'applying the network configuration');
    assert.equal(describeTask('vzdump', '100'), 'task vzdump 100');
  });
});

describe('encodeParams', () => {
  it('booleans as 0/1, arrays repeated, undefined left out, reserved characters percent-encoded', () => {
    assert.equal(encodeParams({ a: true, b: false, n: 0, s: 'x y', arr: ['1', '2'], u: undefined }), 'a=1&b=0&n=0&s=x%20y&arr=1&arr=2');
    assert.equal(encodeParams({ net0: 'virtio,bridge=vmbr1,tag=20', sshkeys: 'ssh-ed25519%20AAAA' }), 'net0=virtio%2Cbridge%3Dvmbr1%2Ctag%3D20&sshkeys=ssh-ed25519%2520AAAA');
    assert.equal(encodeParams(undefined), '');
    assert.equal(encodeParams({}), '');
  });

  it('finds the secret values of a call', () => {
    assert.deepEqual(secretValues({ password: 'join-pw', cipassword: 'ci-pw', keyring: 'AQB==', name: 'vm1', full: true }), ['join-pw', 'ci-pw', 'AQB==']);
    assert.deepEqual(secretValues(undefined), []);
  });
});

describe('remedies', () => {
  it('recognises config-lock timeouts only', () => {
    assert.ok(isLockTimeout("can't lock file '/var/lock/qemu-server/lock-105.conf' - got timeout"));
    assert.ok(isLockTimeout("can't lock file '/var/lock/pve-manager/pve-storage-lock' - got timeout"));
    assert.ok(!isLockTimeout('got timeout'));
    assert.ok(!isLockTimeout("storage 'x' is not online"));
  });

  it('covers the messages the reference lists', () => {
    const storage = ref.storage_types.create_errors.find((m) => m.includes('already defined'))!.replace('<id>', 'nfs1');
    assert.match(remedyFor(storage)!, /a storage 'nfs1' already exists/);
    const ovs = ref.network_semantics.other_errors[0];
    assert.match(remedyFor(ovs, { node: 'pve2' })!, /install Open vSwitch on node pve2 \(`apt install openvswitch-switch`\)/);
    const tokenOnly = /"(Permission check failed \([^"]+)"/.exec(ref.wire.auth_api_token.restriction)![1].replace('<path>', '/access/ticket');
    assert.match(remedyFor(tokenOnly)!, /refuses API tokens: configure username and password/);
    assert.match(remedyFor('Permission check failed (/storage, Datastore.Allocate)')!, /privilege separation/);
    assert.match(remedyFor(ref.wire.status_codes['400'].split(' (')[0])!, /fix the parameters listed/);
  });

  it('says what to do about quorum, locks, storage, existing VMs, HA groups on PVE 9 and unknown calls', () => {
    assert.match(remedyFor('cluster not ready - no quorum? (500)')!, /pvecm expected/);
    assert.match(remedyFor("can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout")!, /holds the lock \/var\/lock\/qemu-server\/lock-100\.conf.*-parallelism/);
    assert.match(remedyFor("storage 'nfs1' is not online", { node: 'pve3' })!, /storage 'nfs1' is not reachable from node pve3/);
    assert.match(remedyFor("unable to create VM 105 - VM 105 already exists on node 'pve1'")!, /VMID 105 is already in use \(on node pve1\)/);
    assert.match(remedyFor('VM 105 already exists')!, /VMID 105 is already in use:/);
    assert.match(remedyFor('ha groups have been migrated to rules')!, /proxmox_ha_rule/);
    assert.match(remedyFor('', { status: 501, method: 'GET', path: '/cluster/ha/rules', node: 'pve1' })!, /node pve1 does not know this API call/);
    assert.equal(remedyFor('something nobody anticipated'), undefined);
  });

  it('gives one numbered piece of advice per join error', () => {
    const msg =
      'detected the following error(s):\n' +
      '* this host already contains virtual guests\n' +
      "* cannot use IP '10.20.99.1', not found on local node!\n" +
      '* cluster not quorate\n';
    assert.deepEqual(joinErrors(msg), ['this host already contains virtual guests', "cannot use IP '10.20.99.1', not found on local node!", 'cluster not quorate']);
    const r = remedyFor(msg)!;
    assert.match(r, /^\(1\) the joining node holds VMs or containers/);
    assert.match(r, /\(2\) use for link0\/link1 an address configured on one of the joining node's interfaces/);
    assert.match(r, /\(3\) the cluster (?:is not quorate|has no quorum)/);
    assert.match(remedyFor('detected the following error(s):\n* corosync is already running, is this node already in a cluster?!')!, /already belongs to a cluster/);
    assert.match(remedyFor('detected the following error(s):\n* fingerprint mismatch')!, /pvenode cert info/);
    assert.match(remedyFor('detected the following error(s):\n* the cluster uses link1 but none was given')!, /link1 is the one that differs/);
    assert.match(remedyFor('detected the following error(s):\n* major version mismatch (8 vs 9)')!, /pveversion/);
    assert.equal(remedyFor('detected the following error(s):\n* unheard-of problem'), 'fix each error listed, then run again');
    // the simulator's texts for the other preconditions
    const cases: [string, RegExp][] = [
      ["authentication key '/etc/corosync/authkey' already exists", /already belongs to a cluster/],
      ["link1: cannot use IP '10.20.99.1', not found on local node!", /address configured on one of the joining node's interfaces/],
      ["500 Can't connect to 10.20.0.19:8006 (Connection timed out)", /cannot reach 10\.20\.0\.19 on TCP 8006/],
      ["'10.20.0.12': node is not in a cluster, no join info available!", /create the cluster on it first/],
      ['authentication failed: 401 authentication failure - wrong root@pam password', /join_password/],
      ["version mismatch: this node runs pve-manager/8.4.1, cluster node 'pve1' runs pve-manager/9.1.1 - all nodes need the same major version", /pveversion/],
      ["fingerprint mismatch: '10.20.0.11' presents certificate fingerprint AB:CD, not EF (check with 'pvenode cert info' on pve1)", /does not match its certificate/],
      ["can't add existing node 'pve2'", /pvecm delnode pve2/],
      ['corosync: link1 given, but the cluster has no link1 configured', /link1 is the one that differs/],
      ["corosync: address '10.20.10.11' already defined by node 'pve1'", /10\.20\.10\.11 is already node pve1's/],
      ["corosync: node ID 2 is already used by node 'pve1'", /node ID 2 belongs to node pve1/],
      ['cluster not ready - no quorum?', /(?:not quorate|no quorum)/],
    ];
    for (const [line, re] of cases) assert.match(remedyFor(`detected the following error(s):\n* ${line}\nCheck if node may join a cluster failed!`)!, re, line);
    assert.deepEqual(joinErrors('storage is not online'), []);
  });

  it('auth remedies name the token id or user, never the secret', () => {
    const t = authRemedy({ kind: 'token', tokenId: 'root@pam!poolform', secret: 's3cr3t-value' });
    assert.match(t, /USER@REALM!TOKENID=SECRET \(here the id is "root@pam!poolform"\)/);
    assert.ok(!t.includes('s3cr3t-value'));
    const p = authRemedy({ kind: 'password', username: 'admin', password: 'pw-value' });
    assert.match(p, /\("admin"\) must include its realm/);
    assert.ok(!p.includes('pw-value'));
    assert.ok(isTokenId('root@pam!poolform'));
    assert.ok(isTokenId('automation@pve!tf-1'));
    for (const bad of ['root@pam', 'root!x', 'root@pam!', 'root@pam!x=y', '@pam!x']) assert.ok(!isTokenId(bad), bad);
    // the id part of the reference's header form (PVEAPIToken=<user>@<realm>!<tokenid>=<secret>) is what isTokenId accepts
    const id = /PVEAPIToken=(<user>@<realm>!<tokenid>)=/.exec(ref.wire.auth_api_token.header)![1]!;
    assert.ok(isTokenId(id.replace('<user>', 'ops').replace('<realm>', 'pve').replace('<tokenid>', 'ci')));
    assert.ok(!isTokenId(id.replace('<user>@', '').replace('<realm>', 'pve').replace('<tokenid>', 'ci')));
  });
});
