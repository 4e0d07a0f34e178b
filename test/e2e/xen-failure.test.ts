// Applies that do not finish, through the real CLI: an XAPI failure in the middle of the graph
// (the state keeps exactly what succeeded, the next plan is exactly the rest), and a poolform
// killed while pool.join tasks run (the journal names the tasks; the next plan warns about them and
// shows what remains; joins that finished meanwhile are adopted with import blocks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournalFile, unfinishedTasks } from '../../engine/state/journal.js';
import { actionsOf, EXAMPLE_ADDRESSES, planBlocks, records, startXenE2e, STATE, waitFor } from './xen-harness.js';

/** What cannot be made once the bond fails: the bond and everything that waits for it. */
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
const NETWORKS = ['xenserver_network.bond0', 'xenserver_network.storage', 'xenserver_network.vms'];

test('an XAPI failure mid-apply: state keeps what succeeded, the next plan is exactly the rest', async () => {
  const e = await startXenE2e({ hosts: 3 });
  try {
    // Every Bond.create fails (persistently: retries would fail too).
    e.lab.sim.faults.failNext('Bond.create', 'PIF_CONFIGURATION_ERROR', 100, ['OpaqueRef:NULL', 'bonding driver failed']);
    const r = await e.run(['apply', '-auto-approve']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The error names the resource, the host, the method, the endpoint, the XAPI code and what to check.
    assert.match(r.stderr, /Error: xenserver_bond\.bond0: .*host xs\d: Bond\.create on https:\/\/127\.0\.0\.1:\d+ failed: PIF_CONFIGURATION_ERROR \[OpaqueRef:NULL, bonding driver failed\]\. The host refused the interface configuration \(bonding driver failed\)/);
    assert.match(r.stdout, /Apply incomplete\. Resources: 9 added, 0 changed, 0 destroyed; 1 failed; 7 skipped because a dependency failed/);
    assert.match(r.stdout, /Run poolform plan to see what remains/);

    // The journal was folded into the state file: exactly the nine that succeeded.
    assert.ok(!fs.existsSync(path.join(e.dir, `${STATE}.journal`)), 'no journal left behind');
    assert.deepEqual(
      e.state()!.resources.map((x) => x.address).sort(),
      EXAMPLE_ADDRESSES.filter((a) => !AFTER_THE_BOND.includes(a)),
    );
    assert.equal(records(e.db('xs1'), 'Bond').length, 0, 'no half-made bond on any host');

    // The next plan creates exactly what is missing, and nothing already made again.
    const plan = await e.planJson();
    assert.deepEqual(actionsOf(plan), Object.fromEntries(AFTER_THE_BOND.map((a) => [a, 'create'])));

    e.lab.sim.faults.clear();
    const again = await e.run(['apply', '-auto-approve']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Apply complete! Resources: 8 added, 0 changed, 0 destroyed/);
    assert.equal(records(e.db('xs1'), 'Bond').length, 3);
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXAMPLE_ADDRESSES);
    await e.assertNoChanges();
  } finally {
    await e.stop();
  }
});

test('killed during pool.join: the next plan warns about the tasks and shows what remains', async () => {
  const e = await startXenE2e({ hosts: 3 });
  try {
    // Long enough for one plan to run while the joins are still pending (checked after it).
    e.lab.sim.faults.setLatency('pool.join', 4500);
    const cli = e.start(['apply', '-auto-approve']);
    // Both members join at once (each pool.join runs on its own host).
    const joining = (name: string) => {
      const db = e.lab.sim.hostByUuidOrName(name).db;
      return db.filter('task', (t) => t.name_label === 'Async.pool.join' && t.status === 'pending').map(([ref]) => ref);
    };
    const bothJoining = () => joining('xs2').length === 1 && joining('xs3').length === 1;
    await waitFor(bothJoining, 'both join tasks started');
    const tasks = { xs2: joining('xs2')[0]!, xs3: joining('xs3')[0]! };
    // Killed once the apply has journalled both task refs (it does so as soon as XAPI answers the
    // call) and the three networks (made at once, beside the joins).
    const journal = path.join(e.dir, `${STATE}.journal`);
    const journalled = () => {
      const entries = readJournalFile(journal)?.entries ?? [];
      const made = entries.flatMap((x) => (x.op === 'put' ? [x.resource.address] : [])).sort();
      const open = unfinishedTasks(entries).map((t) => `${t.address} ${t.task}`).sort();
      return made.join() === NETWORKS.join() && open.join() === `xenserver_pool_member.member["xs2"] ${tasks.xs2},xenserver_pool_member.member["xs3"] ${tasks.xs3}`;
    };
    await waitFor(journalled, 'the apply journalled the networks and both join tasks');
    cli.child.kill('SIGKILL');
    const killed = await cli.done;
    assert.equal(killed.signal, 'SIGKILL');

    // First the plan, while XAPI still runs the joins (-lock=false: the dead apply's lock is
    // dealt with below, once there is no hurry).
    const plan = await e.run(['plan', '-lock=false']);
    assert.ok(bothJoining(), 'the joins were still running during the plan (else raise their latency)');
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    // The warning names the tasks XAPI is running, by resource.
    assert.match(plan.stderr, /Warning: the interrupted apply left platform tasks that may still be running:\n/);
    assert.ok(plan.stderr.includes(`  xenserver_pool_member.member["xs2"]: ${tasks.xs2}\n`), plan.stderr);
    assert.ok(plan.stderr.includes(`  xenserver_pool_member.member["xs3"]: ${tasks.xs3}\n`), plan.stderr);
    assert.match(plan.stderr, /xe task-list/);
    // What the killed apply finished (the networks) is not planned again; the rest is.
    assert.deepEqual(
      planBlocks(plan.stdout).map((b) => b[0]),
      EXAMPLE_ADDRESSES.filter((a) => !NETWORKS.includes(a)).map((a) => `${a} will be created`),
    );
    assert.match(plan.stdout, /\nPlan: 14 to add, 0 to change, 0 to destroy\.\n/);
    assert.ok(fs.existsSync(journal), 'plan does not fold the journal');

    // The dead apply's lock is reported as stale, with the command that releases it.
    const locked = await e.run(['plan']);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, /The lock is stale: process \d+ is no longer running/);
    const lockId = /poolform force-unlock (\S+)/.exec(locked.stderr)?.[1];
    assert.ok(lockId, locked.stderr);
    assert.equal((await e.run(['force-unlock', '-force', lockId])).code, 0);

    // The joins finish without poolform: the hosts are in the pool but not in state. Applying
    // refuses to join them again and says how to adopt them.
    await waitFor(() => joining('xs2').length + joining('xs3').length === 0, 'the join tasks finished');
    assert.equal(records(e.db('xs1'), 'host').length, 3);
    const refused = await e.run(['apply', '-auto-approve']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /Recovered 5 step\(s\) journalled by an apply that did not finish/); // three networks, two task records
    assert.match(refused.stderr, /the host is already a member of this pool/);
    assert.match(refused.stderr, /an import block \(to = this resource, id = the host uuid\)/);
    assert.ok(!fs.existsSync(journal), 'the journal was folded');
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), NETWORKS);

    const adopt = (name: string) => `import {\n  to = xenserver_pool_member.member["${name}"]\n  id = "${e.lab.sim.host(name).uuid}"\n}\n`;
    e.edit((h) => `${h}\n${adopt('xs2')}${adopt('xs3')}`);
    const done = await e.run(['apply', '-auto-approve']);
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /Apply complete! Resources: 2 imported, 12 added, 2 changed, 0 destroyed/);
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXAMPLE_ADDRESSES);
    await e.assertNoChanges();
  } finally {
    await e.stop();
  }
});
