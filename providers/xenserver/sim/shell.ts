// The few dom0 commands the provider runs over SSH: the clock (for the join precondition XAPI does
// not answer), the inventory, the local management rollback after a lost connection, and ping.
// Anything else is "command not found", as on a host without that tool.

import type { ShellResult } from './backend.js';
import { XapiFailure } from './backend.js';
import { managementReconfigure } from './network.js';
import { errorParams } from './model.js';
import { LAB_VERSION, type SimHost, type World } from './world.js';

const ok = (stdout: string): ShellResult => ({ stdout, stderr: '', code: 0 });

/** xe's rendering of an API error (the undocumented form: code and parameters). */
function xeError(e: XapiFailure): ShellResult {
  const names = errorParams(e.code) ?? [];
  const lines = names.length && names.length === e.params.length ? names.map((n, i) => `${n}: ${e.params[i]}`) : [`Error parameters: ${e.params.join(', ')}`];
  return { stdout: '', stderr: `Error code: ${e.code}\n${lines.join('\n')}\n`, code: 1 };
}

function inventory(w: World, h: SimHost): string {
  const db = h.db;
  const host = db.get('host', h.ref);
  const sv = host.software_version as Record<string, string>;
  const mgmt = w.managementPif(db, h.ref);
  const bridge = mgmt ? (db.get('network', mgmt[1].network as string).bridge as string) : '';
  const lines = {
    PRODUCT_BRAND: sv.product_brand ?? 'XenServer',
    PRODUCT_NAME: 'xenenterprise',
    PRODUCT_VERSION: sv.product_version ?? LAB_VERSION,
    PRODUCT_VERSION_TEXT: sv.product_version_text ?? '',
    PLATFORM_NAME: sv.platform_name ?? 'XCP',
    PLATFORM_VERSION: sv.platform_version ?? '',
    BUILD_NUMBER: sv.build_number ?? '',
    INSTALLATION_UUID: h.uuid,
    CONTROL_DOMAIN_UUID: db.get('VM', host.control_domain as string).uuid,
    MANAGEMENT_INTERFACE: bridge,
    MANAGEMENT_ADDRESS_TYPE: 'IPv4',
    CURRENT_INTERFACES: bridge,
    DOM0_MEM: '4096',
    DOM0_VCPUS: '8',
  };
  return Object.entries(lines)
    .map(([k, v]) => `${k}='${v}'`)
    .join('\n')
    .concat('\n');
}

function ping(w: World, args: string[]): ShellResult {
  const ip = args.filter((a) => !a.startsWith('-') && !/^\d+$/.test(a)).pop() ?? args[args.length - 1] ?? '';
  if (w.pingable(ip)) return ok(`PING ${ip} (${ip}) 56(84) bytes of data.\n64 bytes from ${ip}: icmp_seq=1 ttl=64 time=0.210 ms\n\n--- ${ip} ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n`);
  return { stdout: `PING ${ip} (${ip}) 56(84) bytes of data.\n\n--- ${ip} ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n`, stderr: '', code: 1 };
}

/** `xe host-management-reconfigure pif-uuid=<uuid>`: the host moves its own management (no session). */
function xe(w: World, h: SimHost, args: string[]): ShellResult {
  const [cmd, ...rest] = args;
  const params = Object.fromEntries(rest.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  if (cmd !== 'host-management-reconfigure') return { stdout: '', stderr: `Unknown command: ${cmd ?? ''}\nFor usage run: 'xe help'\n`, code: 1 };
  const uuid = params['pif-uuid'];
  if (!uuid) return { stdout: '', stderr: "Required parameter not found: pif-uuid\nFor usage run: 'xe help'\n", code: 1 };
  const db = h.db;
  const ref = db.refByUuid(uuid);
  try {
    if (!ref || db.classOf(ref) !== 'PIF' || db.get('PIF', ref).host !== h.ref) throw new XapiFailure('UUID_INVALID', ['PIF', uuid]);
    managementReconfigure(w, db, ref);
    return ok('');
  } catch (e) {
    if (e instanceof XapiFailure) return xeError(e);
    throw e;
  }
}

export function runShell(w: World, h: SimHost, command: string): ShellResult {
  // the console path works while the management network is lost; a powered-off host has no shell
  if (h.down || h.rebooting) return { stdout: '', stderr: `ssh: connect to host ${h.name} port 22: Connection refused\n`, code: 255 };
  const args = command.trim().split(/\s+/).filter(Boolean);
  const [prog, ...rest] = args;
  switch (prog) {
    case 'date':
      if (rest.join(' ') === '+%s.%N') {
        const ms = Date.now() + h.clockSkewMs;
        const ns = (ms % 1000) * 1_000_000 + Math.floor(Math.random() * 1_000_000);
        return ok(`${Math.floor(ms / 1000)}.${String(ns).padStart(9, '0')}\n`);
      }
      return ok(`${new Date(Date.now() + h.clockSkewMs).toUTCString()}\n`);
    case 'cat':
      if (rest[0] === '/etc/xensource-inventory') return ok(inventory(w, h));
      return { stdout: '', stderr: `cat: ${rest[0] ?? ''}: No such file or directory\n`, code: 1 };
    case 'hostname':
      return ok(`${h.name}\n`);
    case 'true':
      return ok('');
    case 'ping':
      return ping(w, rest);
    case 'xe':
      return xe(w, h, rest);
    default:
      return { stdout: '', stderr: `bash: ${prog ?? ''}: command not found\n`, code: 127 };
  }
}
