// The provider block, read once per session: which nodes there are and how to trust each one (a
// fingerprint pin per node), how to log in (API token, or a password for tickets), how to reach the
// nodes over SSH, and how hard to push each node.

import type { Attrs } from '../../engine/provider.js';
import { num, sshLogin, str } from '../common/provider-config.js';
import type { PveAuth, PveEndpoint, PveSshEndpoint } from './client/types.js';

export interface PveNodeConfig {
  api: PveEndpoint;
  ssh: PveSshEndpoint;
}

export interface PveConfig {
  /** Configured nodes in the order written (the order cluster-wide calls try them). */
  nodes: Map<string, PveNodeConfig>;
  auth: PveAuth;
  taskTimeoutMs: number;
  /** How long a node may stay silent after a network reload before the change is rolled back. */
  networkCheckMs: number;
}

/** "user@realm!id=secret" → the token's id and secret (the id is everything before the first "="). */
function parseApiToken(token: string): { tokenId: string; secret: string } | undefined {
  const m = /^([^@!=\s]+@[^@!=\s]+![A-Za-z][A-Za-z0-9._-]*)=(\S+)$/.exec(token);
  return m ? { tokenId: m[1], secret: m[2] } : undefined;
}

/** host and port of "host:port", "[v6]:port" or "host" (port 22). */
function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return { host: text, port: defaultPort };
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

/** The provider block's attributes (already validated against schemas/proxmox.json). */
export function readConfig(attrs: Attrs): PveConfig {
  const rawNodes = attrs.nodes && typeof attrs.nodes === 'object' ? (attrs.nodes as Record<string, Record<string, unknown>>) : {};
  const token = str(attrs.api_token);
  let auth: PveAuth;
  if (token) {
    const t = parseApiToken(token);
    if (!t) throw new Error('provider "proxmox": api_token must read user@realm!tokenid=secret');
    auth = { kind: 'token', ...t };
  } else {
    const password = str(attrs.password);
    if (!password) throw new Error('provider "proxmox": give api_token (user@realm!tokenid=secret), or username and password');
    auth = { kind: 'password', username: str(attrs.username) ?? 'root@pam', password };
  }
  const timeoutMs = num(attrs.timeout_ms);
  const login = sshLogin(attrs);
  const nodes = new Map<string, PveNodeConfig>();
  for (const [name, n] of Object.entries(rawNodes)) {
    const url = str(n?.api_url);
    if (!url) throw new Error(`provider "proxmox": nodes.${name}.api_url is required`);
    const apiHost = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const ssh = splitHostPort(str(n.ssh_address) ?? apiHost, 22);
    const fp = str(n.tls_fingerprint);
    nodes.set(name, {
      api: { node: name, url, fingerprints: fp ? [fp] : [], caFile: str(attrs.ca_file), timeoutMs },
      ssh: { node: name, host: ssh.host, port: ssh.port, ...login },
    });
  }
  if (nodes.size === 0) throw new Error('provider "proxmox": nodes must name at least one node');
  return { nodes, auth, taskTimeoutMs: num(attrs.task_timeout_ms) ?? 600_000, networkCheckMs: num(attrs.network_check_ms) ?? 30_000 };
}
