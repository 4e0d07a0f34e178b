// What a node's root shell answers over SSH: pvecm (status, nodes, add, create, delnode,
// expected), date, ping on the lab networks, pvesm scans, pveversion, and the files and commands a
// network rollback needs (cat, cp, ifreload -a); `a && b` and `a; b` chain. Anything else is
// "command not found", as on a node without that tool. Arguments are split with simple shell
// quoting (hand-written: a full shell is not needed for these commands).

import { PveFailure, type ShellResult } from './backend.js';
import { pvecmNodes, pvecmStandalone, pvecmStatus, renderCorosyncConf } from './corosync.js';
import { applyJoin, checkJoin, deleteNode, joinFailure, type JoinRequest } from './join.js';
import { currentFile, hasAddress, ifreloadAll, localAddresses, renderInterfaces, writeNetworkFile } from './network.js';
import { pveversionLine, kernelOf, repoidOf } from './nodes.js';
import { renderDatacenterCfg } from './options.js';
import { renderGuestConfig } from './qemu.js';
import type { SimState } from './state.js';
import { LAB_STORAGE, pvesm, renderStorageCfg } from './storage.js';
import { LAB_GATEWAY, type SimNode } from './world.js';
import { linkParams } from './corosync.js';

const ok = (stdout: string): ShellResult => ({ stdout, stderr: '', code: 0 });
const err = (stderr: string, code = 1): ShellResult => ({ stdout: '', stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`, code });

/** Splits a command line into words (single/double quotes, backslash escapes). */
export function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** Splits on && and ; outside quotes. */
function chain(line: string): { cmd: string; op: '&&' | ';' }[] {
  const parts: { cmd: string; op: '&&' | ';' }[] = [];
  let cur = '';
  let quote: string | undefined;
  let op: '&&' | ';' = ';';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === '&' && line[i + 1] === '&') {
      parts.push({ cmd: cur, op });
      op = '&&';
      cur = '';
      i++;
    } else if (ch === ';') {
      parts.push({ cmd: cur, op });
      op = ';';
      cur = '';
    } else cur += ch;
  }
  parts.push({ cmd: cur, op });
  return parts.filter((p) => p.cmd.trim());
}

/** Flags that take no value unless one is given as 0/1 (PVE's CLI booleans). */
const BOOLEAN_FLAGS = new Set(['use_ssh', 'force', 'q', 'v', 'verbose']);

function options(args: string[]): { pos: string[]; opts: Record<string, string> } {
  const pos: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const short = /^-([a-zA-Z])(\d[\d.]*)$/.exec(a); // ping -c3
    if (short) opts[short[1]!] = short[2]!;
    else if (/^--?[a-zA-Z]/.test(a)) {
      const [k, inline] = a.replace(/^-+/, '').split('=', 2) as [string, string | undefined];
      const next = args[i + 1];
      if (inline !== undefined) opts[k] = inline;
      else if (BOOLEAN_FLAGS.has(k)) opts[k] = next !== undefined && /^(0|1|true|false|yes|no)$/i.test(next) ? (/^(1|true|yes)$/i.test(args[++i]!) ? '1' : '0') : '1';
      else if (next !== undefined && !/^--?[a-zA-Z]/.test(next)) opts[k] = args[++i]!;
      else opts[k] = '1';
    } else pos.push(a);
  }
  return { pos, opts };
}

/** A file as the node's shell reads it; undefined when absent. */
export function readFile(node: SimNode, path: string): string | undefined {
  const d = node.domain;
  switch (path) {
    case '/etc/network/interfaces':
      return currentFile(node);
    case '/etc/network/interfaces.new':
      return node.staged ? renderInterfaces(node.staged) : undefined;
    case '/etc/pve/corosync.conf':
    case '/etc/corosync/corosync.conf':
      return d.cluster ? renderCorosyncConf(d.cluster) : undefined;
    case '/etc/pve/storage.cfg':
      return renderStorageCfg(d);
    case '/etc/pve/datacenter.cfg':
      return renderDatacenterCfg(d);
    case '/etc/hostname':
      return `${node.name}\n`;
    case '/etc/hosts':
      return `127.0.0.1 localhost.localdomain localhost\n${node.ip} ${node.name}.lab.poolform ${node.name}\n`;
  }
  const m = /^\/etc\/pve\/(?:nodes\/([^/]+)\/)?qemu-server\/(\d+)\.conf$/.exec(path);
  if (m) {
    const g = d.guests.get(Number(m[2]));
    if (g && g.node === (m[1] ?? node.name)) return renderGuestConfig(g);
    return undefined;
  }
  return node.files.get(path);
}

const LAB_HOSTS = new Set([LAB_GATEWAY, LAB_STORAGE.nfs.server, LAB_STORAGE.iscsi.portal, LAB_STORAGE.cifs.server, LAB_STORAGE.pbs.server, ...LAB_STORAGE.ceph.monitors]);

function ping(st: SimState, node: SimNode, args: string[]): ShellResult {
  const { pos, opts } = options(args.filter((a) => a !== '-q'));
  const quiet = args.includes('-q');
  const addr = pos[pos.length - 1] ?? '';
  const count = Math.max(1, Number(opts.c ?? 4));
  let rtt: number | undefined;
  const subnet = addr.split('.').slice(0, 3).join('.');
  const routeOk = !node.mgmtLost || localAddresses(node).some((a) => a.startsWith(`${subnet}.`) && hasAddress(node, a));
  if (routeOk) {
    if (localAddresses(node).includes(addr) && hasAddress(node, addr)) rtt = 0.03;
    else if (LAB_HOSTS.has(addr)) rtt = LAB_STORAGE.ceph.monitors.includes(addr) || addr.startsWith('10.20.40.') ? (st.faults.storageReachable(addr, node.name) ? 0.3 : undefined) : 0.3;
    else {
      for (const other of st.nodes.values()) {
        if (other !== node && hasAddress(other, addr)) {
          rtt = st.faults.linkLatencyMs(node.name, other.name);
          break;
        }
      }
    }
  }
  const head = `PING ${addr} (${addr}) 56(84) bytes of data.\n`;
  const time = `time ${Math.max(0, count - 1) * 1000 + 3}ms`;
  if (rtt === undefined) return { stdout: `${head}\n--- ${addr} ping statistics ---\n${count} packets transmitted, 0 received, 100% packet loss, ${time}\n\n`, stderr: '', code: 1 };
  const f = (n: number) => n.toFixed(3);
  const lines = quiet ? '' : Array.from({ length: count }, (_, i) => `64 bytes from ${addr}: icmp_seq=${i + 1} ttl=64 time=${f(rtt! * (0.95 + ((i * 7) % 10) / 100))} ms\n`).join('');
  return ok(`${head}${lines}\n--- ${addr} ping statistics ---\n${count} packets transmitted, ${count} received, 0% packet loss, ${time}\nrtt min/avg/max/mdev = ${f(rtt * 0.9)}/${f(rtt)}/${f(rtt * 1.1)}/${f(rtt * 0.05)} ms\n`);
}

function date(node: SimNode, args: string[]): ShellResult {
  const ms = Date.now() + node.clockSkewMs;
  const fmt = args.find((a) => a.startsWith('+'));
  if (fmt === '+%s.%N') {
    const ns = (((ms % 1000) + 1000) % 1000) * 1_000_000 + Math.floor(Math.random() * 1_000_000);
    return ok(`${Math.floor(ms / 1000)}.${String(ns).padStart(9, '0')}\n`);
  }
  if (fmt === '+%s') return ok(`${Math.floor(ms / 1000)}\n`);
  return ok(`${new Date(ms).toUTCString()}\n`);
}

async function pvecm(st: SimState, node: SimNode, args: string[]): Promise<ShellResult> {
  const [sub, ...rest] = args;
  const { pos, opts } = options(rest);
  const c = node.domain.cluster;
  try {
    switch (sub) {
      case 'status':
        return c ? ok(pvecmStatus(st, node)) : pvecmStandalone();
      case 'nodes':
        return c ? ok(pvecmNodes(st, node)) : pvecmStandalone();
      case 'expected': {
        if (!c) return pvecmStandalone();
        const n = Number(pos[0]);
        if (!Number.isInteger(n) || n < 1) return err('400 Parameter verification failed.\nexpected: type check (\'integer\') failed', 255);
        c.expectedOverride = n;
        return ok('');
      }
      case 'delnode': {
        if (!pos[0]) return err("400 not enough arguments\npvecm delnode <node>", 255);
        if (!c) return pvecmStandalone();
        deleteNode(st, node, pos[0]);
        return ok('');
      }
      case 'add':
        return await pvecmAdd(st, node, pos, opts);
      case 'create':
        return await pvecmCreate(st, node, pos, opts);
      case 'updatecerts':
        return ok('(re)generate node files\nmerge authorized SSH keys\n');
      default:
        return err(`ERROR: unknown command 'pvecm ${sub ?? ''}'\nUSAGE: pvecm <COMMAND> [ARGS] [OPTIONS]`, 255);
    }
  } catch (e) {
    if (e instanceof PveFailure) return err(e.message, 255);
    throw e;
  }
}

async function pvecmAdd(st: SimState, node: SimNode, pos: string[], opts: Record<string, string>): Promise<ShellResult> {
  const hostname = pos[0];
  if (!hostname) return err('400 not enough arguments\npvecm add <hostname> [OPTIONS]', 255);
  if (opts.use_ssh !== '1') return err(`Please enter superuser (root) password for '${hostname}': \nunable to read the password: no terminal (run with --use_ssh, or join through the API)`, 255);
  const r: JoinRequest = { hostname, links: linkParams(opts), force: opts.force === '1', viaSsh: true, ...(opts.votes ? { votes: Number(opts.votes) } : {}), ...(opts.nodeid ? { nodeid: Number(opts.nodeid) } : {}) };
  const first = joinFailure(checkJoin(st, node, r), r.force);
  if (first) return err(first, 255);
  await st.delay('clusterjoin');
  const check = checkJoin(st, node, r);
  const failure = joinFailure(check, r.force);
  if (failure) return err(failure, 255);
  applyJoin(node, check.target!, r);
  const out = [
    'copy corosync auth key',
    'stopping pve-cluster service',
    `backup old database to '/var/lib/pve-cluster/backup/config-${Math.floor(Date.now() / 1000)}.sql.gz'`,
    'waiting for quorum...OK',
    '(re)generate node files',
    'generate new node certificate',
    'merge authorized SSH keys',
    'generated new node certificate, restart pveproxy and pvedaemon services',
    `successfully added node '${node.name}' to cluster.`,
  ];
  return ok(out.join('\n') + '\n');
}

async function pvecmCreate(st: SimState, node: SimNode, pos: string[], opts: Record<string, string>): Promise<ShellResult> {
  const name = pos[0];
  if (!name) return err('400 not enough arguments\npvecm create <clustername> [OPTIONS]', 255);
  if (node.domain.cluster) return err("cluster config '/etc/pve/corosync.conf' already exists", 255);
  const links = linkParams(opts);
  if (!Object.keys(links).length) links['0'] = { address: node.ip };
  const local = localAddresses(node);
  const bad = Object.entries(links).filter(([, l]) => !local.includes(l.address));
  if (bad.length) return err(bad.map(([k, l]) => `link${k}: cannot use IP '${l.address}', not found on local node!`).join('\n'), 255);
  await st.delay('clustercreate');
  if (node.domain.cluster) return err("cluster config '/etc/pve/corosync.conf' already exists", 255);
  node.domain.cluster = {
    name,
    configVersion: 1,
    ringSeq: 1,
    nodes: new Map([[node.name, { name: node.name, nodeid: Number(opts.nodeid ?? 1), votes: Number(opts.votes ?? 1), links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.address])) }]]),
    links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.priority ?? 0])),
  };
  return ok('Corosync Cluster Engine Authentication key generator.\nGathering 2048 bits for key from /dev/urandom.\nWriting corosync key to /etc/corosync/authkey.\nWriting corosync config to /etc/pve/corosync.conf\nRestart corosync and cluster filesystem\n');
}

async function runOne(st: SimState, node: SimNode, line: string): Promise<ShellResult> {
  const [prog, ...args] = words(line.trim());
  switch (prog) {
    case undefined:
      return ok('');
    case 'true':
      return ok('');
    case 'false':
      return { stdout: '', stderr: '', code: 1 };
    case 'hostname':
      return ok(`${node.name}\n`);
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'date':
      return date(node, args);
    case 'ping':
      return ping(st, node, args);
    case 'pveversion':
      if (args.includes('-v') || args.includes('--verbose')) {
        return ok(`proxmox-ve: ${node.version.split('.').slice(0, 2).join('.')}.0 (running kernel: ${kernelOf(node.version)})\npve-manager: ${node.version} (running version: ${node.version}/${repoidOf(node.version)})\n`);
      }
      return ok(`${pveversionLine(node.version)}\n`);
    case 'pvecm':
      return pvecm(st, node, args);
    case 'pvesm':
      return pvesm(st, node, args);
    case 'cat': {
      let out = '';
      for (const f of args) {
        const text = readFile(node, f);
        if (text === undefined) return { stdout: out, stderr: `cat: ${f}: No such file or directory\n`, code: 1 };
        out += text;
      }
      return ok(out);
    }
    case 'cp': {
      const files = args.filter((a) => !a.startsWith('-'));
      if (files.length !== 2) return err(files.length < 2 ? `cp: missing destination file operand after '${files[0] ?? ''}'` : 'cp: only "cp SOURCE DEST" is supported here');
      const [from, to] = files as [string, string];
      const text = readFile(node, from);
      if (text === undefined) return err(`cp: cannot stat '${from}': No such file or directory`);
      if (writeNetworkFile(node, to, text)) return ok('');
      if (to.startsWith('/etc/pve/')) return err(`cp: cannot create regular file '${to}': Permission denied`);
      node.files.set(to, text);
      return ok('');
    }
    case 'ifreload':
      if (!args.includes('-a')) return err('error: no interfaces given (use -a)');
      ifreloadAll(st, node);
      return ok('');
    default:
      return err(`bash: ${prog}: command not found`, 127);
  }
}

export async function runShell(st: SimState, node: SimNode, command: string): Promise<ShellResult> {
  if (!node.powered) return err(`ssh: connect to host ${node.name} port 22: No route to host`, 255);
  const res: ShellResult = { stdout: '', stderr: '', code: 0 };
  for (const { cmd, op } of chain(command)) {
    if (op === '&&' && res.code !== 0) break;
    const r = await runOne(st, node, cmd);
    res.stdout += r.stdout;
    res.stderr += r.stderr;
    res.code = r.code;
  }
  return res;
}
