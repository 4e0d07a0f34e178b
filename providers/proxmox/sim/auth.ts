// Authentication of the simulated Proxmox API, as pveproxy does it: POST /access/ticket trades a
// password (or a still-valid ticket, to renew) for a ticket "PVE:<user>:<hex time>::<signature>"
// and a CSRFPreventionToken "<hex time>:<signature>"; later requests carry the ticket in the
// PVEAuthCookie cookie (non-GET ones also the CSRF header) or an API token in the Authorization
// header. Tickets are signed with the node's auth key (cluster-wide once joined, so a ticket works
// on every node of its cluster and nowhere else) and live 2 hours. Real PVE signs tickets with RSA;
// an HMAC is enough here since only the simulator verifies them.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { PveBackend } from './backend.js';

/** A ticket is valid this long after it was issued (PVE's 2 hours). */
export const TICKET_LIFETIME_S = 2 * 3600;
/** Tickets dated this far in the future (clock skew between nodes) are still accepted, as PVE does. */
const FUTURE_SKEW_S = 300;

export type Credentials = { kind: 'ticket'; user: string } | { kind: 'token'; user: string; tokenId: string };

/** The outcome of checking a request's credentials. */
export type AuthResult = { ok: true; who: Credentials } | { ok: false; status: 401; message: string };

function hexTime(t: number): string {
  return Math.floor(t).toString(16).toUpperCase().padStart(8, '0');
}

function sign(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64').replace(/=+$/, '');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new ticket for `user`, signed with `key`, issued at `now` (seconds). */
export function makeTicket(key: string, user: string, now = Date.now() / 1000): string {
  const plain = `PVE:${user}:${hexTime(now)}`;
  return `${plain}::${sign(key, plain)}`;
}

/** The user a ticket names when its signature and age are good, else undefined. */
export function verifyTicket(key: string, ticket: string, now = Date.now() / 1000): string | undefined {
  const m = /^(PVE:([^:\s]+@[^:\s]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
  if (!m) return undefined;
  if (!sameText(sign(key, m[1]!), m[4]!)) return undefined;
  const age = now - parseInt(m[3]!, 16);
  if (age > TICKET_LIFETIME_S || age < -FUTURE_SKEW_S) return undefined;
  return m[2];
}

/** The CSRF token issued with a ticket: bound to the user and the issue time. */
export function makeCsrfToken(key: string, user: string, now = Date.now() / 1000): string {
  const t = hexTime(now);
  return `${t}:${sign(`${key}:csrf`, `${t}:${user}`)}`;
}

export function verifyCsrfToken(key: string, user: string, token: string, now = Date.now() / 1000): boolean {
  const m = /^([0-9A-F]{8}):(.+)$/.exec(token);
  if (!m) return false;
  if (!sameText(sign(`${key}:csrf`, `${m[1]}:${user}`), m[2]!)) return false;
  const age = now - parseInt(m[1]!, 16);
  return age <= TICKET_LIFETIME_S && age >= -FUTURE_SKEW_S;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The PVEAuthCookie value from the Cookie header (URL-decoded, as browsers encode it). */
function cookieTicket(headers: IncomingHttpHeaders): string | undefined {
  const cookie = header(headers, 'cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== 'PVEAuthCookie') continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/**
 * Who sent the request. Order as pveproxy: an API token in Authorization wins; then a ticket
 * (cookie, or "Authorization: PVEAuthCookie=..."); then nothing ("No ticket"). Non-GET requests
 * on a ticket also need a valid CSRFPreventionToken header.
 */
export function authenticate(backend: PveBackend, node: string, method: string, headers: IncomingHttpHeaders): AuthResult {
  const authz = header(headers, 'authorization')?.trim();
  const token = authz ? /^PVEAPIToken[=\s:]\s*([^!\s]+@[^!\s]+)!([^=\s]+)[=:](\S+)$/.exec(authz) : null;
  if (token) {
    const [, user, id, secret] = token;
    const tokenId = `${user}!${id}`;
    if (!backend.checkToken(node, tokenId, secret!)) return { ok: false, status: 401, message: 'permission denied - invalid API token' };
    return { ok: true, who: { kind: 'token', user: user!, tokenId } };
  }
  if (authz && /^PVEAPIToken/i.test(authz)) return { ok: false, status: 401, message: 'permission denied - invalid API token' };
  const fromHeader = authz ? /^PVEAuthCookie=(\S+)$/.exec(authz)?.[1] : undefined;
  const ticket = fromHeader ?? cookieTicket(headers);
  if (!ticket) return { ok: false, status: 401, message: 'No ticket' };
  const key = backend.authKey(node);
  const user = verifyTicket(key, ticket);
  if (!user) return { ok: false, status: 401, message: 'permission denied - invalid PVE ticket' };
  if (method !== 'GET') {
    const csrf = header(headers, 'csrfpreventiontoken');
    if (!csrf || !verifyCsrfToken(key, user, csrf)) return { ok: false, status: 401, message: 'Permission denied - invalid csrf token' };
  }
  return { ok: true, who: { kind: 'ticket', user } };
}

/** The answer to POST /access/ticket: a password (or a valid ticket, to renew) for a new ticket. */
export function createTicket(
  backend: PveBackend,
  node: string,
  params: Record<string, string>,
): { ok: true; data: Record<string, unknown> } | { ok: false; status: 401; message: string } {
  let user = params.username ?? '';
  if (!user.includes('@') && params.realm) user = `${user}@${params.realm}`;
  const password = params.password ?? '';
  const key = backend.authKey(node);
  const renewed = password.startsWith('PVE:') ? verifyTicket(key, password) : undefined;
  const good = renewed !== undefined ? renewed === user : user.includes('@') && backend.checkPassword(node, user, password);
  if (!good) return { ok: false, status: 401, message: 'authentication failure' };
  const clustername = backend.clusterName(node);
  const data: Record<string, unknown> = {
    username: user,
    ticket: makeTicket(key, user),
    CSRFPreventionToken: makeCsrfToken(key, user),
    // root@pam holds every privilege; the GUI reads these maps, clients rarely do.
    cap: {
      nodes: { 'Sys.Audit': 1, 'Sys.Modify': 1, 'Sys.PowerMgmt': 1, 'Sys.Console': 1, 'Sys.Syslog': 1, 'Permissions.Modify': 1 },
      vms: { 'VM.Allocate': 1, 'VM.Audit': 1, 'VM.Clone': 1, 'VM.Config.CPU': 1, 'VM.Config.Disk': 1, 'VM.Config.Memory': 1, 'VM.Config.Network': 1, 'VM.Config.Options': 1, 'VM.PowerMgmt': 1 },
      storage: { 'Datastore.Allocate': 1, 'Datastore.AllocateSpace': 1, 'Datastore.Audit': 1 },
      dc: { 'Sys.Audit': 1, 'Sys.Modify': 1 },
      access: { 'User.Modify': 1, 'Permissions.Modify': 1 },
      sdn: { 'SDN.Allocate': 1, 'SDN.Audit': 1 },
    },
  };
  if (clustername) data.clustername = clustername;
  return { ok: true, data };
}
