// SSH probes of a host's dom0 (what XAPI does not answer, e.g. the clock for the pool-join
// precondition): one command per connection with ssh2, offering only the algorithms XenServer
// speaks (crypto-policy.ts), TCP_NODELAY on, and STRICT host-key checking against a known_hosts
// file: an unknown host or a changed key refuses the connection before any credential is sent.

import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { Client, type ConnectConfig } from 'ssh2';
import { SSH_ALGORITHMS_CLIENT, type SshAlgorithms } from '../crypto-policy.js';
import { blobKeyType, checkHostKey, knownHostName, knownKeyTypes, parseKnownHosts, sshFingerprint } from './known-hosts.js';
import { TransportError, type ShellOutput, type SshEndpoint } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs `command` on the host and resolves to its output and exit status (255 when killed by a signal). */
export async function sshExec(endpoint: SshEndpoint, command: string, opts: { signal?: AbortSignal } = {}): Promise<ShellOutput> {
  const { host, port, knownHostsFile } = endpoint;
  const label = `${host}:${port}`;
  const signal = opts.signal;
  if (signal?.aborted) throw abortError(signal);

  let text: string;
  try {
    text = await readFile(knownHostsFile, 'utf8');
  } catch (e) {
    throw new TransportError(
      `cannot read the known_hosts file ${knownHostsFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        `SSH to ${label} is only allowed to hosts whose key is listed there. ${addKeyAdvice(host, port, knownHostsFile)}`,
      label,
      'host-key',
    );
  }
  const entries = parseKnownHosts(text).entries;
  const timeoutMs = endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return new Promise<ShellOutput>((resolve, reject) => {
    const client = new Client();
    const sock = net.connect({ host, port });
    sock.setNoDelay(true); // probes are short request/answer exchanges: Nagle only adds latency
    let refusal: TransportError | undefined; // why the host key was refused, when it was
    let phase: 'connect' | 'command' = 'connect';
    let done = false;

    const finish = (err: Error | undefined, out?: ShellOutput): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.end();
      sock.destroy();
      if (err) reject(err);
      else resolve(out!);
    };
    const timer = setTimeout(() => {
      finish(
        new TransportError(
          phase === 'connect'
            ? `SSH to ${label} did not complete its handshake within ${timeoutMs / 1000} s: is the host up and the port reachable?`
            : `the command on ${label} did not finish within ${timeoutMs / 1000} s (the host may be overloaded)`,
          label,
          'timeout',
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => finish(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });

    const hostVerifier = (key: Buffer): boolean => {
      refusal = judgeHostKey(entries, endpoint, key);
      return refusal === undefined;
    };

    client.on('error', (err: Error & { level?: string; code?: string }) => finish(describeSshError(err, refusal, endpoint)));
    client.on('close', () => finish(new TransportError(`the SSH connection to ${label} closed before the command finished`, label, 'protocol')));
    client.on('ready', () => {
      phase = 'command';
      client.exec(command, (err, stream) => {
        if (err) {
          finish(new TransportError(`${label} refused to run a command over SSH (${err.message})`, label, 'protocol'));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        stream.on('data', (c: Buffer) => out.push(c));
        stream.stderr.on('data', (c: Buffer) => errOut.push(c));
        stream.on('close', (code: number | null | undefined) => {
          finish(undefined, {
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
            code: typeof code === 'number' ? code : 255,
          });
        });
      });
    });

    const config: ConnectConfig = {
      sock,
      host,
      port,
      username: endpoint.username,
      password: endpoint.password,
      privateKey: endpoint.privateKey,
      algorithms: preferKnownTypes(SSH_ALGORITHMS_CLIENT, knownKeyTypes(entries, host, port)),
      hostVerifier,
      readyTimeout: timeoutMs,
    };
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 validates the private key synchronously; its message names the problem, never the key
      finish(new TransportError(`the SSH private key for ${label} cannot be used: ${(e as Error).message}`, label, 'auth'));
    }
  });
}

/**
 * Orders host-key algorithms so that types already in known_hosts for this host come first (as
 * OpenSSH does): a server offering several key types then presents the one we can check.
 */
function preferKnownTypes(policy: SshAlgorithms, known: string[]): ConnectConfig['algorithms'] {
  const typeOf = (alg: string): string => (alg.startsWith('rsa-sha2-') ? 'ssh-rsa' : alg);
  const first = policy.serverHostKey.filter((a) => known.includes(typeOf(a)));
  const rest = policy.serverHostKey.filter((a) => !known.includes(typeOf(a)));
  return {
    kex: [...policy.kex],
    cipher: [...policy.cipher],
    hmac: [...policy.hmac],
    serverHostKey: [...first, ...rest],
    compress: [...policy.compress],
  } as ConnectConfig['algorithms'];
}

function judgeHostKey(entries: ReturnType<typeof parseKnownHosts>['entries'], endpoint: SshEndpoint, key: Buffer): TransportError | undefined {
  const { host, port, knownHostsFile } = endpoint;
  const label = `${host}:${port}`;
  const type = blobKeyType(key) ?? 'unknown-type';
  const fp = sshFingerprint(key);
  const verdict = checkHostKey(entries, host, port, key);
  switch (verdict.status) {
    case 'ok':
      return undefined;
    case 'revoked':
      return new TransportError(
        `the SSH host key of ${label} (${type} ${fp}) is marked @revoked in ${knownHostsFile} line ${verdict.entry.line}: refusing to connect. ` +
          `The host must get a new key; verify it out of band and add it to ${knownHostsFile}`,
        label,
        'host-key',
      );
    case 'changed': {
      const known = verdict.known.map((e) => `${e.keyType} ${sshFingerprint(e.key)} (line ${e.line})`).join(', ');
      return new TransportError(
        `WARNING: THE SSH HOST KEY OF ${label} HAS CHANGED! The host presented ${type} ${fp}, but ${knownHostsFile} holds ${known}. ` +
          `Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. ` +
          `Verify the new key out of band (on the host's console: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub); only if it is right, ` +
          `remove the old entry (ssh-keygen -R '${knownHostName(host, port)}' -f ${knownHostsFile}) and add the new one`,
        label,
        'host-key',
      );
    }
    case 'unknown':
      return new TransportError(
        `the SSH host key of ${label} is unknown: ${knownHostsFile} has no entry for ${knownHostName(host, port)} ` +
          `(the host presented ${type} ${fp}). ${addKeyAdvice(host, port, knownHostsFile, type)}`,
        label,
        'host-key',
      );
  }
}

function addKeyAdvice(host: string, port: number, file: string, type?: string): string {
  // ssh-keyscan -t takes short names: ed25519, ecdsa, rsa
  const short = type?.replace(/^ssh-/, '').replace(/^ecdsa-sha2-.*/, 'ecdsa');
  const t = short ? ` -t ${short}` : '';
  return (
    `Add the host's key with: ssh-keyscan -p ${port}${t} ${host} >> ${file}, ` +
    `and verify its fingerprint out of band (on the host's console: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before trusting it`
  );
}

function describeSshError(err: Error & { level?: string; code?: string }, refusal: TransportError | undefined, endpoint: SshEndpoint): TransportError {
  const label = `${endpoint.host}:${endpoint.port}`;
  if (refusal) return refusal;
  const reach = 'is the host up and the port reachable?';
  switch (err.level) {
    case 'client-authentication':
      return new TransportError(
        `SSH login as ${endpoint.username} on ${label} was refused: check the SSH username and password or private key of the provider block`,
        label,
        'auth',
      );
    case 'client-timeout':
      return new TransportError(`SSH to ${label} did not complete its handshake in time: ${reach}`, label, 'timeout');
    case 'handshake':
      return new TransportError(
        `SSH handshake with ${label} failed (${err.message}): the host offers none of the algorithms XenServer uses; is this a XenServer host's SSH port?`,
        label,
        'protocol',
      );
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return new TransportError(`cannot connect to SSH at ${label}: connection refused. Is the host up, the port reachable and sshd enabled?`, label, 'unreachable');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError(`cannot resolve ${endpoint.host}: check the host address`, label, 'unreachable');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new TransportError(`cannot reach SSH at ${label} (${err.code}): ${reach}`, label, 'unreachable');
  }
  return new TransportError(`SSH to ${label} failed (${err.message}): ${reach}`, label, 'protocol');
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}
