// Shared pieces of the xen-wire tests: a small fake XapiBackend (two hosts, a coordinator and a
// member; the real model is sim/xapi.ts and has its own tests) and a raw HTTPS request helper that
// shows exactly what went over the wire.

import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { XapiFailure, type CallMeta, type ShellResult, type SimHostInfo, type XapiBackend } from '../../providers/xenserver/sim/backend.js';

export const PASSWORD = 'wire-test-pw';

export class FakeBackend implements XapiBackend {
  readonly calls: { host: string; method: string; params: unknown[]; meta?: CallMeta }[] = [];
  readonly down = new Set<string>();
  readonly list: SimHostInfo[] = [];

  constructor(addresses: string[]) {
    addresses.forEach((address, i) => this.list.push({ uuid: `00000000-0000-4000-8000-00000000000${i + 1}`, name: `xs${i + 1}`, address }));
  }

  hosts(): SimHostInfo[] {
    return this.list;
  }

  reachable(hostUuid: string): boolean {
    return !this.down.has(hostUuid);
  }

  async shell(hostUuid: string, command: string): Promise<ShellResult> {
    if (command === 'date +%s.%N') return { stdout: '1767225600.123456789\n', stderr: '', code: 0 };
    if (command === 'whoami') return { stdout: `root@${this.list.find((h) => h.uuid === hostUuid)?.name}\n`, stderr: '', code: 0 };
    return { stdout: '', stderr: `bash: ${command.split(' ')[0]}: command not found\n`, code: 127 };
  }

  async call(host: string, method: string, params: unknown[], meta?: CallMeta): Promise<unknown> {
    this.calls.push({ host, method, params, meta });
    const coordinator = this.list[0];
    if (method === 'system.listMethods') return ['session.login_with_password', 'pool.get_all_records', 'host.get_all_records', 'VM.get_all_records', 'VM.start'];
    if (method === 'session.login_with_password') {
      if (host !== coordinator.uuid) throw new XapiFailure('HOST_IS_SLAVE', [coordinator.address]);
      if (params[0] !== 'root' || params[1] !== PASSWORD) throw new XapiFailure('SESSION_AUTHENTICATION_FAILED', [String(params[0]), 'Authentication failure']);
      return 'OpaqueRef:5e55-0001';
    }
    if (method === 'echo') return params;
    if (method === 'void') return undefined;
    if (method === 'crash') throw new Error('model bug');
    if (params[0] !== 'OpaqueRef:5e55-0001') throw new XapiFailure('SESSION_INVALID', [String(params[0])]);
    switch (method) {
      case 'pool.get_all_records':
        return { 'OpaqueRef:pool-1': { uuid: 'pool-uuid-1', name_label: '', master: 'OpaqueRef:host-1', other_config: {} } };
      case 'host.get_all_records':
        return Object.fromEntries(
          this.list.map((h, i) => [
            `OpaqueRef:host-${i + 1}`,
            { uuid: h.uuid, name_label: h.name, address: h.address, enabled: true, memory_overhead: 8589934592 + i, API_version_major: 2, other_config: { iscsi_iqn: 'iqn.x' }, PIFs: [] },
          ]),
        );
      case 'task.get_progress':
        return 0.25;
      case 'VM.start':
        throw new XapiFailure('VM_IS_TEMPLATE', [String(params[1]), 'start']);
      default:
        throw new XapiFailure('MESSAGE_METHOD_UNKNOWN', [method]);
    }
  }
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerFingerprint: string;
  protocol: string | null;
}

/** One HTTPS request, trusting exactly the given certificate (as a pin would). */
export function rawRequest(url: string, opts: { method?: string; path: string; body?: string; headers?: Record<string, string>; ca: string }): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request(
      { host: u.hostname, port: u.port, method: opts.method ?? 'POST', path: opts.path, ca: opts.ca, servername: 'localhost', headers: opts.headers, agent: false },
      (res) => {
        const sock = res.socket as TLSSocket;
        const peerFingerprint = sock.getPeerCertificate().fingerprint256;
        const protocol = sock.getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerFingerprint, protocol }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function jsonRpc(url: string, ca: string, body: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  return rawRequest(url, { path: '/jsonrpc', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers }, ca });
}
