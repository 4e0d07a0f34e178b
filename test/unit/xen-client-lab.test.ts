// The client against the simulated lab's real wire (sim/lab.ts): pinned TLS login, a sync call,
// an Async task, SSH with the lab's known_hosts, and HOST_IS_SLAVE after a pool join.

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
});
