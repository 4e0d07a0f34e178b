// The client against the simulated lab's real wire (sim/lab.ts): pinned TLS login, a sync call,
// an Async task, SSH with the lab's known_hosts, HOST_IS_SLAVE after a pool join, and a task
// waited for through event.from on that one task.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectXapi } from '../../providers/xenserver/client/xapi.js';
import { sshExec } from '../../providers/xenserver/client/ssh.js';
import { XapiError } from '../../providers/xenserver/client/types.js';
import { startLab, type Lab } from '../../providers/xenserver/sim/lab.js';

describe('client against the lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ hosts: 2, latencyScale: 0 });
  });
  after(() => lab?.stop());

  it('logs in with a pinned certificate, calls, runs a task, probes over SSH, and follows HOST_IS_SLAVE', async () => {
    const [xs1, xs2] = lab.hosts;
    const endpoint = (url: string) => ({ url, username: 'root', password: lab.password, fingerprints: lab.hosts.map((h) => h.fingerprint), timeoutMs: 5000 });
    const c1 = await connectXapi(endpoint(xs1.url), { followSlave: true });
    const hosts = await c1.call<string[]>('host.get_all');
    assert.equal(hosts.length, 1, 'xs1 is standalone');

    const out = await sshExec({ host: '127.0.0.1', port: xs1.sshPort, username: 'root', password: lab.password, knownHostsFile: lab.knownHostsFile, timeoutMs: 5000 }, 'date +%s.%N');
    assert.equal(out.code, 0);
    assert.match(out.stdout.trim(), /^\d+\.\d{9}$/);

    // Join xs2 to xs1's pool (on the joining host), then a login on xs2 lands on xs1.
    const c2 = await connectXapi(endpoint(xs2.url), { followSlave: false });
    const tasks: string[] = [];
    await c2.callAsync('pool.join', [xs1.address, 'root', lab.password], { pollMs: 5, onTask: (t) => tasks.push(t) });
    assert.equal(tasks.length, 1);
    await c2.logout();
    await assert.rejects(connectXapi(endpoint(xs2.url), { followSlave: false }), (e: unknown) => e instanceof XapiError && e.code === 'HOST_IS_SLAVE');
    const viaMember = await connectXapi(endpoint(xs2.url), { followSlave: true });
    assert.equal(viaMember.url, xs1.url);
    assert.equal((await viaMember.call<string[]>('host.get_all')).length, 2);
    await viaMember.logout();
    await c1.logout();
  });

  it('waits for a task through event.from on that task: its record now, then its next change', async () => {
    const xs1 = lab.hosts[0];
    const c = await connectXapi({ url: xs1.url, username: 'root', password: lab.password, fingerprints: [xs1.fingerprint], timeoutMs: 5000 }, { followSlave: true });
    // A shorter task ending while ours runs must not wake our wait.
    lab.sim.faults.setLatency('network.create', 600);
    lab.sim.faults.setLatency('secret.create', 200);
    lab.sim.resetStats();
    try {
      const [net] = await Promise.all([
        c.callAsync('network.create', [{ name_label: 'slow', name_description: '', MTU: 1500, other_config: {} }]),
        c.callAsync('secret.create', [{ value: 'S3cret-value', other_config: {} }]),
      ]);
      assert.match(net, /^OpaqueRef:/);
      assert.equal((await c.call<{ name_label: string }>('network.get_record', [net])).name_label, 'slow');
      const calls = lab.sim.stats().calls;
      assert.equal(calls['event.from'], 4, 'two per task: the record while pending, the wait that returns the change to success');
      assert.equal(calls['task.get_record'], undefined, 'no polling');
    } finally {
      lab.sim.faults.setLatency('network.create', undefined);
      lab.sim.faults.setLatency('secret.create', undefined);
      await c.logout();
    }
  });
});
