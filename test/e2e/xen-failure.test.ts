// Applies that do not finish, through the real CLI: an XAPI failure in the middle of the graph
// (the state keeps exactly what succeeded, the next plan is exactly the rest), and a poolform
// killed while pool.join tasks run (the journal names the tasks; the next plan warns about them and
// shows what remains; joins that finished meanwhile are adopted with import blocks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { actionsOf, records, startXenE2e, STATE } from './xen-harness.js';

const FIRST_NINE = [
  'xenserver_network.bond0',
  'xenserver_network.storage',
  'xenserver_network.vms',
  'xenserver_pool.pool',
  'xenserver_pool_member.member["xs2"]',
  'xenserver_pool_member.member["xs3"]',
  'xenserver_sr.nfs',
  'xenserver_vm_template.debian',
  'xenserver_vm_template.ubuntu',
];
const AFTER_THE_BOND = [
  'xenserver_bond.bond0',
  'xenserver_ha.ha',
  'xenserver_management_interface.mgmt',
  'xenserver_storage_interface.storage["xs1"]',
  'xenserver_storage_interface.storage["xs2"]',
  'xenserver_storage_interface.storage["xs3"]',
  'xenserver_vlan.storage',
  'xenserver_vlan.vms',
];

test('an XAPI failure mid-apply: state keeps what succeeded, the next plan is exactly the rest', async () => {
  const e = await startXenE2e({ hosts: 3 });
  try {
    // Every Bond.create fails (persistently: retries would fail too).
    e.lab.sim.faults.failNext('Bond.create', 'PIF_CONFIGURATION_ERROR', 100, ['OpaqueRef:NULL', 'bonding driver failed']);
    const r = await e.run(['apply', '-auto-approve']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The error names the resource, the host, the method, the endpoint and the XAPI code.
    assert.match(r.stderr, /Error: xenserver_bond\.bond0: .*host xs\d: Bond\.create on https:\/\/127\.0\.0\.1:\d+ failed: PIF_CONFIGURATION_ERROR \[OpaqueRef:NULL, bonding driver failed\]/);
    assert.match(r.stdout, /Apply incomplete\. Resources: 9 added, 0 changed, 0 destroyed; 1 failed; 7 skipped because a dependency failed/);

    // The journal was folded into the state file: exactly the nine that succeeded.
    assert.ok(!fs.existsSync(path.join(e.dir, `${STATE}.journal`)), 'no journal left behind');
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), FIRST_NINE);
    assert.equal(records(e.db('xs1'), 'Bond').length, 0, 'no half-made bond on any host');

    // The next plan creates exactly what is missing, and nothing already made again.
    const plan = await e.planJson();
    const actions = actionsOf(plan);
    assert.deepEqual(Object.keys(actions).sort(), AFTER_THE_BOND);
    assert.ok(Object.values(actions).every((a) => a === 'create'));

    e.lab.sim.faults.clear();
    const again = await e.run(['apply', '-auto-approve']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Apply complete! Resources: 8 added, 0 changed, 0 destroyed/);
    assert.equal(records(e.db('xs1'), 'Bond').length, 3);
    assert.equal(e.state()!.resources.length, 17);
    const empty = await e.run(['plan', '-detailed-exitcode']);
    assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  } finally {
    await e.stop();
  }
});

test('killed during pool.join: the next plan warns about the tasks and shows what remains', async () => {
  const e = await startXenE2e({ hosts: 3 });
  try {
    e.lab.sim.faults.setLatency('pool.join', 4500);
    const cli = e.start(['apply', '-auto-approve']);
    // Both members join at once (each pool.join runs on its own host).
    const joining = (name: string) => {
      const db = e.lab.sim.hostByUuidOrName(name).db;
      return records(db, 'task', (t) => t.name_label === 'Async.pool.join' && t.status === 'pending').map((t) => db.refByUuid(t.uuid)!);
    };
    const bothJoining = () => joining('xs2').length === 1 && joining('xs3').length === 1;
    for (let i = 0; !bothJoining(); i++) {
      assert.ok(i < 500, 'the join tasks started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const tasks = { xs2: joining('xs2')[0]!, xs3: joining('xs3')[0]! };
    // Killed once the apply has journalled both task refs (it does so as soon as XAPI answers the call).
    const journal = path.join(e.dir, `${STATE}.journal`);
    const journalled = () => fs.existsSync(journal) && ((text) => text.includes(tasks.xs2) && text.includes(tasks.xs3))(fs.readFileSync(journal, 'utf8'));
    for (let i = 0; !journalled(); i++) {
      assert.ok(i < 500, 'the apply journalled the join tasks');
      await new Promise((r) => setTimeout(r, 10));
    }
    cli.child.kill('SIGKILL');
    const killed = await cli.done;
    assert.equal(killed.signal, 'SIGKILL');

    // The dead apply's lock is reported as stale, with the command that releases it.
    const locked = await e.run(['plan']);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, /The lock is stale: process \d+ is no longer running/);
    const lockId = /poolform force-unlock (\S+)/.exec(locked.stderr)?.[1];
    assert.ok(lockId, locked.stderr);
    assert.equal((await e.run(['force-unlock', '-force', lockId])).code, 0);

    const plan = await e.run(['plan']);
    assert.ok(bothJoining(), 'the joins were still running during the plan (else raise their latency)');
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    // The warning names the tasks XAPI is running, by resource.
    assert.match(plan.stderr, /Warning: the interrupted apply left platform tasks that may still be running:\n/);
    assert.ok(plan.stderr.includes(`  xenserver_pool_member.member["xs2"]: ${tasks.xs2}\n`), plan.stderr);
    assert.ok(plan.stderr.includes(`  xenserver_pool_member.member["xs3"]: ${tasks.xs3}\n`), plan.stderr);
    assert.match(plan.stderr, /xe task-list/);
    // What the killed apply finished (the networks) is not planned again; the rest is.
    assert.match(plan.stdout, /Plan: 14 to add, 0 to change, 0 to destroy/);
    for (const n of ['bond0', 'storage', 'vms']) assert.doesNotMatch(plan.stdout, new RegExp(`# xenserver_network\\.${n} will be created`));
    assert.match(plan.stdout, /# xenserver_pool_member\.member\["xs2"\] will be created/);
    assert.ok(fs.existsSync(path.join(e.dir, `${STATE}.journal`)), 'plan does not fold the journal');

    // The joins finish without poolform: the hosts are in the pool but not in state. Applying
    // refuses to join them again and says how to adopt them.
    for (let i = 0; joining('xs2').length + joining('xs3').length > 0; i++) {
      assert.ok(i < 500, 'the join tasks finished');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(records(e.db('xs1'), 'host').length, 3);
    const refused = await e.run(['apply', '-auto-approve']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /Recovered \d+ step\(s\) journalled by an apply that did not finish/);
    assert.match(refused.stderr, /the host is already a member of this pool/);
    assert.match(refused.stderr, /an import block \(to = this resource, id = the host uuid\)/);
    assert.ok(!fs.existsSync(path.join(e.dir, `${STATE}.journal`)), 'the journal was folded');
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), ['xenserver_network.bond0', 'xenserver_network.storage', 'xenserver_network.vms']);

    const adopt = (name: string) => `import {\n  to = xenserver_pool_member.member["${name}"]\n  id = "${e.lab.sim.host(name).uuid}"\n}\n`;
    e.edit((h) => `${h}\n${adopt('xs2')}${adopt('xs3')}`);
    const done = await e.run(['apply', '-auto-approve']);
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /Apply complete! Resources: 2 imported, 12 added, 2 changed, 0 destroyed/);
    const empty = await e.run(['plan', '-detailed-exitcode']);
    assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  } finally {
    await e.stop();
  }
});
