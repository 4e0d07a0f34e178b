// Proxmox applies that fail and inputs that are wrong, through the real CLI: a clone task failing
// mid-apply (state keeps exactly what finished, no half-made VM is left on the platform, the next
// plan is exactly the rest, a second apply completes), and a wrong API token, a certificate that does not match its pin and a node that
// does not answer (each a clear error naming the node and what to do, no secret printed).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { actionsOf, diagnosticBoxes, EXAMPLE_ADDRESSES, startPveE2e, type PveE2e } from './pve-harness.js';

async function guests(e: PveE2e): Promise<{ vmid: number; name: string; node: string; status: string }[]> {
  const r = await e.lab.sim.handle({ node: 'pve1', method: 'GET', path: '/cluster/resources', params: {}, user: 'root@pam' });
  assert.equal(r.status, 200, JSON.stringify(r));
  return (r as { data: Record<string, unknown>[] }).data
    .filter((x) => x.type === 'qemu')
    .map((x) => ({ vmid: Number(x.vmid), name: String(x.name), node: String(x.node), status: String(x.status) }));
}

test('a clone task fails mid-apply: state keeps what finished, the next plan is exactly the rest', async () => {
  const e = await startPveE2e({ nodes: 3 });
  try {
    e.lab.sim.faults.failTasks('qmclone', 'clone failed: disk full', 1);
    const r = await e.run(['apply', '-auto-approve']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The error names the resource, the step, the template, the node, the platform's message and the task.
    assert.match(r.stderr, /Error: proxmox_vm\.app\["app\d"\]: proxmox_vm "app\d": cloning template 100 failed: cloning VM 100 on pve1 failed: clone failed: disk full \(task UPID:pve1:[^)]*:qmclone:100:[^)]*\)/);
    assert.match(r.stdout, /Apply incomplete\. Resources: 11 added, 0 changed, 0 destroyed; 1 failed; 3 skipped because a dependency failed/);
    assert.match(r.stdout, /Run poolform plan to see what remains/);
    const failed = /proxmox_vm\.app\["(app\d)"\]: proxmox_vm/.exec(r.stderr)![1]!;
    const other = failed === 'app1' ? 'app2' : 'app1';
    // What cannot be made once one clone fails: that VM and what waits for it (HA for both, the rule).
    const remaining = ['proxmox_ha_resource.app["app1"]', 'proxmox_ha_resource.app["app2"]', 'proxmox_ha_rule.apps', `proxmox_vm.app["${failed}"]`];

    // State: everything that finished, nothing for the failed VM.
    // (the clone that succeeded is recorded; nothing for the failed clone; HA waits for both VMs)
    const inState = e.state()!.resources.map((x) => x.address);
    assert.deepEqual(inState.sort(), EXAMPLE_ADDRESSES.filter((a) => !remaining.includes(a)));
    assert.ok(inState.includes(`proxmox_vm.app["${other}"]`));
    // The platform: the template and the clone that succeeded, no half-made VM (its placeholder removed).
    assert.deepEqual(
      (await guests(e)).map((g) => [g.name, g.status]).sort(),
      [['debian-12-cloud', 'stopped'], [other, 'running']].sort(),
    );

    const plan = await e.planJson();
    assert.deepEqual(actionsOf(plan), Object.fromEntries(remaining.map((a) => [a, 'create'])));

    const again = await e.run(['apply', '-auto-approve']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Apply complete! Resources: 4 added, 0 changed, 0 destroyed/);
    assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXAMPLE_ADDRESSES);
    const running = (await guests(e)).filter((g) => g.name === 'app1' || g.name === 'app2').map((g) => [g.name, g.node, g.status]);
    assert.deepEqual(running.sort(), [
      ['app1', 'pve1', 'running'],
      ['app2', 'pve2', 'running'],
    ]);
    await e.assertNoChanges();
  } finally {
    await e.stop();
  }
});

describe('bad input (one lab, nothing applied)', () => {
  let e: PveE2e;
  let nodes: Record<string, { api_url: string; tls_fingerprint: string; ssh_address: string }>;
  before(async () => {
    e = await startPveE2e({ nodes: 3 });
    nodes = JSON.parse(e.env.POOLFORM_VAR_pve_nodes!);
  });
  after(async () => {
    await e?.stop();
  });
  /** The lab's secrets: none may appear in any output. */
  const assertNoSecrets = (out: string, extra: string[] = []) => {
    for (const s of [e.lab.tokenSecret, e.lab.password, ...extra]) assert.ok(!out.includes(s), `a secret was printed: ${s}`);
  };

  test('a wrong API token: refused naming the node, the token id and the remedy; no secret printed', async () => {
    const wrong = '0b5e8f1a-0000-4000-8000-badbadbadbad';
    const r = await e.run(['plan'], { POOLFORM_VAR_pve_api_token: `${e.lab.tokenId}=${wrong}` });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [box, ...more] = diagnosticBoxes(r.stderr);
    assert.deepEqual(more, []);
    assert.match(box!, /^Error: Cannot connect to provider\.proxmox\n/);
    assert.match(box!, /pve1 \(https:\/\/127\.0\.0\.1:\d+\) refused the API token root@pam!poolform for GET \/cluster\/status \(401 [^)]*\)/);
    assert.match(box!, /check api_token: it must read USER@REALM!TOKENID=SECRET/);
    assert.match(box!, /pveum user token list/);
    assertNoSecrets(r.stdout + r.stderr, [wrong]);
    assert.equal(e.state(), undefined, 'nothing written');
  });

  test('a certificate that does not match its pin is refused, showing what the node presented', async () => {
    const pinned = { ...nodes, pve2: { ...nodes.pve2!, tls_fingerprint: nodes.pve1!.tls_fingerprint } };
    const r = await e.run(['plan'], { POOLFORM_VAR_pve_nodes: JSON.stringify(pinned) });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [box, ...more] = diagnosticBoxes(r.stderr);
    assert.deepEqual(more, []);
    assert.ok(
      box!.includes(`TLS certificate of pve2 (${nodes.pve2!.api_url}) does not match tls_fingerprint: the host presented SHA-256 ${nodes.pve2!.tls_fingerprint}, expected ${nodes.pve1!.tls_fingerprint}.`),
      box,
    );
    assert.match(box!, /Do not proceed unless you know why it changed/);
    assert.match(box!, /pvenode cert info/);
    assertNoSecrets(r.stdout + r.stderr);
  });

  test('a node that does not answer: each of its resources says which node, where, and what to check', async () => {
    // A loopback port that nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const gone = { ...nodes, pve3: { ...nodes.pve3!, api_url: `https://127.0.0.1:${port}` } };
    const r = await e.run(['plan'], { POOLFORM_VAR_pve_nodes: JSON.stringify(gone) });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /Plan: /);
    const boxes = diagnosticBoxes(r.stderr);
    assert.equal(boxes.length, 2, r.stderr);
    assert.match(boxes[0]!, new RegExp(`^Error: pve3: node reachable: cannot connect to the Proxmox VE API of pve3 \\(https://127\\.0\\.0\\.1:${port}\\): connection refused`));
    assert.match(boxes[0]!, /with proxmox_cluster_node\.member\["pve3"\],/);
    assert.match(boxes[0]!, /pveproxy running/);
    assert.match(boxes[1]!, /^Error: Node pve3 did not answer\n/);
    assert.match(boxes[1]!, /with proxmox_node_network\.net\["pve3"\],/);
    assert.match(boxes[1]!, /Bring the node back \(or fix the provider's address for it\) before changing its network/);
    assertNoSecrets(r.stdout + r.stderr);

    // The same while its API is down (connections reset): still named, and nothing was written.
    e.lab.sim.faults.setApiDown('pve3');
    try {
      const down = await e.run(['plan']);
      assert.equal(down.code, 1, down.stdout + down.stderr);
      assert.match(down.stderr, /pve3: node reachable: the connection to the Proxmox VE API of pve3 \(https:\/\/127\.0\.0\.1:\d+\) was reset during GET \/cluster\/status/);
    } finally {
      e.lab.sim.faults.setApiDown('pve3', false);
    }
    assert.equal(e.state(), undefined);
  });
});
