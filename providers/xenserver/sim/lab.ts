// A running simulated XenServer lab: the XapiSim model (sim/xapi.ts) served by one HTTPS endpoint
// and one SSH daemon per host on 127.0.0.1, with certificates, SSH host keys, a known_hosts file and
// the variables a configuration needs to reach it. With a directory, everything persists there (keys,
// ports, the simulated world), so a second start is the same pool with the same pins.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateHostCertificate, loadOrCreateHostCertificate, type HostCertificate } from '../../common/certs.js';
import { allClasses } from './model.js';
import { WireFaults, XapiHttpsServer } from './server.js';
import { SshAgent, generateSshHostKeys, knownHostsLines, loadOrCreateSshHostKeys, sshFingerprint, type SshHostKeys } from './ssh-agent.js';
import { LAB_PASSWORD, XapiSim, type HostSpec } from './xapi.js';
import { LOOPBACK, autosaver, labDir, listenForLab, readJson, textTable, writeAtomically, writeEnvFile } from '../../common/sim-lab.js';

export interface LabOptions {
  /** How many hosts (default 3; with a saved lab in `dir`, as many as it has). */
  hosts?: number;
  /** Where keys, ports and the world are kept; default a temporary directory removed on stop. */
  dir?: string;
  /** Root password of every host (default "poolform-lab"). */
  password?: string;
  /** XAPI ports basePort+i, SSH ports basePort+100+i; default: free ports (kept in `dir`). */
  basePort?: number;
  /** Multiplies operation latencies (0 = instant, for tests). Default 1. */
  latencyScale?: number;
  /** Per-host overrides (version, CPU, clock skew, ...) for a new world; index i is host i. */
  hostSpecs?: Partial<HostSpec>[];
}

export interface LabHost {
  name: string;
  uuid: string;
  /** https://127.0.0.1:<port> */
  url: string;
  /** "127.0.0.1:<port>", what HOST_IS_SLAVE names. */
  address: string;
  port: number;
  /** SHA-256 of the certificate, "AB:CD:..." (accepted by tls_fingerprints). */
  fingerprint: string;
  sshPort: number;
  /** OpenSSH form of the ed25519 host key's fingerprint, "SHA256:...". */
  sshFingerprint: string;
}

export interface Lab {
  hosts: LabHost[];
  password: string;
  knownHostsFile: string;
  dir: string;
  sim: XapiSim;
  /** Network faults (extra latency, dropped requests) on top of the model's own. */
  wire: WireFaults;
  /** Writes the world to `dir` (done soon after every change, and by stop()). */
  save(): void;
  stop(): Promise<void>;
}

interface LabFile {
  version: 1;
  hosts: { name: string; port: number; sshPort: number }[];
}

/** system.listMethods for clients that introspect (xen-api does, after login): the data model's messages. */
function modelMethods(): string[] {
  const out: string[] = [];
  for (const c of allClasses()) {
    for (const m of c.messages.values()) {
      out.push(`${c.name}.${m.name}`);
      if (m.async) out.push(`Async.${c.name}.${m.name}`);
    }
    if (c.name !== 'session' && c.name !== 'event') for (const g of ['get_all', 'get_all_records', 'get_all_records_where', 'get_record', 'get_by_uuid']) out.push(`${c.name}.${g}`);
  }
  return [...new Set(out)];
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const { dir, temp } = labDir(opts.dir, 'poolform-lab-');
  const labFile = path.join(dir, 'lab.json');
  const worldFile = path.join(dir, 'world.json');
  const keyDir = path.join(dir, 'hosts');
  const saved = temp ? undefined : readJson<LabFile>(labFile);
  const savedWorld = saved && fs.existsSync(worldFile) ? fs.readFileSync(worldFile, 'utf8') : undefined;

  let count = Math.max(opts.hosts ?? saved?.hosts.length ?? 3, opts.hostSpecs?.length ?? 0);
  if (savedWorld && saved) {
    if (opts.hosts !== undefined && opts.hosts !== saved.hosts.length)
      throw new Error(`the lab in ${dir} has ${saved.hosts.length} hosts, not ${opts.hosts}: run with --hosts ${saved.hosts.length}, or use another --dir (or delete that one) for a new lab`);
    count = saved.hosts.length;
  }
  if (count < 1) throw new Error('a lab needs at least one host');
  const names = Array.from({ length: count }, (_, i) => (savedWorld ? saved!.hosts[i]!.name : (opts.hostSpecs?.[i]?.name ?? saved?.hosts[i]?.name ?? `xs${i + 1}`)));

  const wire = new WireFaults();
  const servers: XapiHttpsServer[] = [];
  const agents: SshAgent[] = [];
  const certs: HostCertificate[] = [];
  const keys: SshHostKeys[] = [];
  const stopAll = async () => {
    await Promise.allSettled([...servers.map((s) => s.stop()), ...agents.map((a) => a.stop())]);
  };
  let sim: XapiSim;
  try {
    certs.push(...(await Promise.all(names.map((n) => (temp ? generateHostCertificate(n) : loadOrCreateHostCertificate(keyDir, n))))));
    keys.push(...names.map((n) => (temp ? generateSshHostKeys(`root@${n}`) : loadOrCreateSshHostKeys(keyDir, n))));
    const methods = () => modelMethods();
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      const port = opts.basePort !== undefined ? opts.basePort + i : (saved?.hosts[i]?.port ?? 0);
      const sshPort = opts.basePort !== undefined ? opts.basePort + 100 + i : (saved?.hosts[i]?.sshPort ?? 0);
      const server = new XapiHttpsServer({ cert: certs[i]!.cert, key: certs[i]!.key, port, host: LOOPBACK, wire, name, listMethods: methods });
      servers.push(server);
      await listenForLab('HTTPS', name, () => server.start(), port);
      const agent = new SshAgent({
        hostKeys: keys[i]!,
        port: sshPort,
        host: LOOPBACK,
        // dom0's sshd: the host's root password; off while the host is down or rebooting (a lost
        // management network leaves the console, which is how the lab rolls such a move back).
        checkPassword: (user, pw) => user === 'root' && pw === sim.hostByUuidOrName(name).password,
        answering: () => {
          const h = sim.hostByUuidOrName(name);
          return !h.down && !h.rebooting;
        },
      });
      agents.push(agent);
      await listenForLab('SSH', name, () => agent.start(), sshPort);
    }
    const specs: HostSpec[] = names.map((name, i) => ({ ...(opts.hostSpecs?.[i] ?? {}), name, address: `${LOOPBACK}:${servers[i]!.port}` }));
    if (savedWorld) {
      sim = XapiSim.load(savedWorld, { hosts: opts.password ? specs.map((s) => ({ ...s, password: opts.password })) : specs, latencyScale: opts.latencyScale });
      const missing = names.find((n) => !sim.hosts().some((h) => h.name === n));
      if (missing) throw new Error(`the lab in ${dir} is inconsistent: its world has no host "${missing}" (delete the directory to start afresh)`);
    } else {
      sim = new XapiSim({ hosts: specs, password: opts.password ?? LAB_PASSWORD, latencyScale: opts.latencyScale ?? 1 });
    }
    for (let i = 0; i < count; i++) {
      const uuid = sim.hostByUuidOrName(names[i]!).uuid;
      servers[i]!.bind(sim, uuid);
      agents[i]!.bind(sim, uuid);
    }
  } catch (e) {
    await stopAll();
    if (temp) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const hosts: LabHost[] = names.map((name, i) => ({
    name,
    uuid: sim.hostByUuidOrName(name).uuid,
    url: servers[i]!.url,
    address: `${LOOPBACK}:${servers[i]!.port}`,
    port: servers[i]!.port,
    fingerprint: certs[i]!.fingerprint,
    sshPort: agents[i]!.port,
    sshFingerprint: sshFingerprint(keys[i]!.ed25519),
  }));
  const knownHostsFile = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHostsFile, hosts.flatMap((h, i) => knownHostsLines(LOOPBACK, h.sshPort, keys[i]!)).join('\n') + '\n');
  const save = () => {
    if (!temp) writeAtomically(worldFile, sim.save());
  };
  // Saved shortly after every change, so a lab killed without stop() keeps its world.
  const autosave = autosaver(save);
  if (!temp) {
    const lf: LabFile = { version: 1, hosts: hosts.map((h) => ({ name: h.name, port: h.port, sshPort: h.sshPort })) };
    fs.writeFileSync(labFile, JSON.stringify(lf, null, 2) + '\n');
    sim.counter.changed = autosave.changed;
  }
  save();
  const password = opts.password ?? (savedWorld ? sim.hostByUuidOrName(names[0]!).password : LAB_PASSWORD);
  let stopped: Promise<void> | undefined;
  return {
    hosts,
    password,
    knownHostsFile,
    dir,
    sim,
    wire,
    save,
    stop: () =>
      (stopped ??= (async () => {
        await stopAll();
        sim.counter.changed = undefined;
        autosave.cancel();
        if (temp) fs.rmSync(dir, { recursive: true, force: true });
        else save();
      })()),
  };
}

/** An HCL string literal (JSON's escapes are HCL's; template sequences are escaped). */
function hclString(s: string): string {
  return JSON.stringify(s).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/**
 * The POOLFORM_VAR_* variables that point a configuration at the lab. Strings are raw (a string
 * variable takes the text as is); lists, objects and numbers are HCL expressions, which is how a
 * typed variable parses an environment value.
 */
export function labEnv(lab: Lab): Record<string, string> {
  const coord = lab.hosts[0]!;
  return {
    POOLFORM_VAR_xen_url: coord.url,
    POOLFORM_VAR_xen_password: lab.password,
    POOLFORM_VAR_xen_fingerprints: `[${lab.hosts.map((h) => hclString(h.fingerprint)).join(', ')}]`,
    POOLFORM_VAR_xen_hosts: `[${lab.hosts.map((h) => `{ name = ${hclString(h.name)}, url = ${hclString(h.url)}, fingerprint = ${hclString(h.fingerprint)}, ssh_port = ${h.sshPort} }`).join(', ')}]`,
    POOLFORM_VAR_known_hosts_file: lab.knownHostsFile,
    POOLFORM_VAR_xen_ssh_port: String(coord.sshPort),
  };
}

/** Writes DIR/lab.env (shell- and dotenv-readable: NAME='value'); returns its path. */
export function writeLabEnv(lab: Lab): string {
  return writeEnvFile(lab.dir, 'xenserver', labEnv(lab));
}

/** The lab's hosts as a table, and how to use them. */
export function describeLab(lab: Lab, envFile: string, shownDir: string): string {
  const rows = [['NAME', 'URL', 'TLS FINGERPRINT (SHA-256)', 'SSH PORT'], ...lab.hosts.map((h) => [h.name, h.url, h.fingerprint, String(h.sshPort)])];
  const table = textTable(rows);
  return `Simulated XenServer lab (${lab.hosts.length} host${lab.hosts.length === 1 ? '' : 's'}, state in ${shownDir})

${table}

root password:  ${lab.password}
known_hosts:    ${lab.knownHostsFile}
variables:      ${envFile}
                (load them with: set -a; . ${envFile}; set +a)

Point a configuration at it:

  variable "xen_url" { type = string }
  variable "xen_password" {
    type      = string
    sensitive = true
  }
  variable "xen_fingerprints" { type = list(string) }
  variable "known_hosts_file" { type = string }
  variable "xen_ssh_port" { type = number }

  provider "xenserver" {
    url              = var.xen_url
    password         = var.xen_password
    tls_fingerprints = var.xen_fingerprints
    known_hosts_file = var.known_hosts_file
    ssh_port         = var.xen_ssh_port
  }

The other hosts (for xenserver_pool_member) are in var.xen_hosts:
list(object({ name = string, url = string, fingerprint = string, ssh_port = number })).
`;
}
