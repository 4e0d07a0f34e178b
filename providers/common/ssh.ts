// One command over SSH on a platform's host (dom0 or a Proxmox node), shared by the providers: one
// command per connection with ssh2, offering only the platform's algorithms, TCP_NODELAY on, and
// STRICT host-key checking against a known_hosts file (known-hosts.ts): an unknown host, a changed
// or a revoked key refuses the connection before any credential is sent. What differs per platform
// (algorithm lists, its name in the handshake hint, the configuration attribute names, the error
// class) is an `SshPlatform`.

import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { Client, type ConnectConfig } from 'ssh2';
import { abortError } from './abort.js';
import { blobKeyType, checkHostKey, knownHostName, knownKeyTypes, parseKnownHosts, sshFingerprint, type KnownHostEntry } from './known-hosts.js';
import type { MakeTransportError } from './tls.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** ssh2's `algorithms` option shape, strongest first. */
export interface SshAlgorithms {
  kex: string[];
  cipher: string[];
  hmac: string[];
  serverHostKey: string[];
  compress: string[];
}

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  /** OpenSSH known_hosts file; hashed entries and [host]:port forms are understood. */
  knownHostsFile: string;
  timeoutMs?: number;
}

export interface SshPlatform {
  /** "XenServer", "Proxmox VE": named when the handshake finds no common algorithm. */
  product: string;
  algorithms: SshAlgorithms;
  /** Where the credentials are configured ("the SSH username and password or private key of the provider block"). */
  credentialsHint: string;
  makeError: MakeTransportError;
}

export interface ShellOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs `command` on the host and resolves to its output and exit status (255 when killed by a
 * signal). `label` names the host in messages (default "host:port"); errors come from the platform.
 */
export async function sshExec(
  target: SshTarget,
  command: string,
  platform: SshPlatform,
  opts: { signal?: AbortSignal; label?: string } = {},
): Promise<ShellOutput> {
  const { host, port, knownHostsFile } = target;
  const label = opts.label ?? `${host}:${port}`;
  const fail = platform.makeError;
  const signal = opts.signal;
  if (signal?.aborted) throw abortError(signal);

  let text: string;
  try {
    text = await readFile(knownHostsFile, 'utf8');
  } catch (e) {
    throw fail(
      `cannot read the known_hosts file ${knownHostsFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        `SSH to ${label} is only allowed to hosts whose key is listed there. ${addKeyAdvice(host, port, knownHostsFile)}`,
      label,
      'host-key',
    );
  }
  const entries = parseKnownHosts(text).entries;
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (signal?.aborted) throw abortError(signal); // aborted while the file was read: the listener below would never fire

  return new Promise<ShellOutput>((resolve, reject) => {
    const client = new Client();
    const sock = net.connect({ host, port });
    sock.setNoDelay(true); // probes are short request/answer exchanges: Nagle only adds latency
    let refusal: Error | undefined; // why the host key was refused, when it was
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
        fail(
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
      refusal = judgeHostKey(entries, target, key, label, fail);
      return refusal === undefined;
    };

    client.on('error', (err: Error & { level?: string; code?: string }) => finish(refusal ?? describeSshError(err, target, label, platform)));
    client.on('close', () => finish(fail(`the SSH connection to ${label} closed before the command finished`, label, 'protocol')));
    client.on('ready', () => {
      phase = 'command';
      client.exec(command, (err, stream) => {
        if (err) {
          finish(fail(`${label} refused to run a command over SSH (${err.message})`, label, 'protocol'));
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
      username: target.username,
      password: target.password,
      privateKey: target.privateKey,
      algorithms: preferKnownTypes(platform.algorithms, knownKeyTypes(entries, host, port)),
      hostVerifier,
      readyTimeout: timeoutMs,
    };
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 validates the private key synchronously; its message names the problem, never the key
      finish(fail(`the SSH private key for ${label} cannot be used: ${(e as Error).message}`, label, 'auth'));
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

function judgeHostKey(entries: KnownHostEntry[], target: SshTarget, key: Buffer, label: string, fail: MakeTransportError): Error | undefined {
  const { host, port, knownHostsFile } = target;
  const type = blobKeyType(key) ?? 'unknown-type';
  const fp = sshFingerprint(key);
  const verdict = checkHostKey(entries, host, port, key);
  switch (verdict.status) {
    case 'ok':
      return undefined;
    case 'revoked':
      return fail(
        `the SSH host key of ${label} (${type} ${fp}) is marked @revoked in ${knownHostsFile} line ${verdict.entry.line}: refusing to connect. ` +
          `The host must get a new key; verify it out of band and add it to ${knownHostsFile}`,
        label,
        'host-key',
      );
    case 'changed': {
      const known = verdict.known.map((e) => `${e.keyType} ${sshFingerprint(e.key)} (line ${e.line})`).join(', ');
      return fail(
        `WARNING: THE SSH HOST KEY OF ${label} HAS CHANGED! The host presented ${type} ${fp}, but ${knownHostsFile} holds ${known}. ` +
          `Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. ` +
          `Verify the new key out of band (on the host's console: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub); only if it is right, ` +
          `remove the old entry (ssh-keygen -R '${knownHostName(host, port)}' -f ${knownHostsFile}) and add the new one`,
        label,
        'host-key',
      );
    }
    case 'unknown':
      return fail(
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

function describeSshError(err: Error & { level?: string; code?: string }, target: SshTarget, label: string, platform: SshPlatform): Error {
  const fail = platform.makeError;
  const reach = 'is the host up and the port reachable?';
  switch (err.level) {
    case 'client-authentication':
      return fail(`SSH login as ${target.username} on ${label} was refused: check ${platform.credentialsHint}`, label, 'auth');
    case 'client-timeout':
      return fail(`SSH to ${label} did not complete its handshake in time: ${reach}`, label, 'timeout');
    case 'handshake':
      return fail(
        `SSH handshake with ${label} failed (${err.message}): the host offers none of the algorithms ${platform.product} uses; is this a ${platform.product} host's SSH port?`,
        label,
        'protocol',
      );
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return fail(`cannot connect to SSH at ${label}: connection refused. Is the host up, the port reachable and sshd enabled?`, label, 'unreachable');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve ${target.host}: check the host address`, label, 'unreachable');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return fail(`cannot reach SSH at ${label} (${err.code}): ${reach}`, label, 'unreachable');
  }
  return fail(`SSH to ${label} failed (${err.message}): ${reach}`, label, 'protocol');
}
