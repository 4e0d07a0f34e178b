// The simulated lab's state beyond any one database: the hosts themselves (identity, credentials,
// hardware, clock, whether they are up), which database (pool) each host belongs to, the storage
// servers on the lab network, and the handful of helpers every rule module needs (look a host up
// by ref, insist it is reachable, raise an XAPI failure).

import { XapiFailure } from './backend.js';
import type { Db, EventCounter, Rec } from './db.js';
import { Faults } from './faults.js';
import { recomputeHa } from './ha.js';
import { NULL_REF } from './model.js';

/** One host of the lab as the caller describes it; every field but name/address has a lab default. */
export interface HostSpec {
  name: string;
  /** How clients reach this host's XAPI ("127.0.0.1:<port>"); may be set later with setAddress. */
  address: string;
  /** root password (default: the sim's `password`, "poolform-lab"). */
  password?: string;
  /** product_version, e.g. "8.4.0" (default); a different version makes the host incompatible. */
  version?: string;
  /** Installed update ids (patch level); pools need the same set on every host. */
  updates?: string[];
  /** "major.minor" XenAPI version (default "2.21"). */
  apiVersion?: string;
  cpuVendor?: string;
  cpuFeatures?: string;
  clockSkewMs?: number;
  /** Tag of the VLAN the management interface sits on (default: untagged). */
  managementVlan?: number;
  managementMode?: 'Static' | 'DHCP';
  memoryGiB?: number;
  /** Physical NICs eth0..eth<n-1> (default 4). */
  nics?: number;
}

/** The lab's storage network: one NFS server, one iSCSI portal. */
export interface StorageWorld {
  nfsServer: string;
  /** export path → size in bytes */
  nfsExports: Record<string, number>;
  iscsiTarget: string;
  iscsiPort: number;
  iscsiIqn: string;
  /** SCSIid → LUN size in bytes */
  luns: Record<string, number>;
  /** When set, the target requires these CHAP credentials; otherwise CHAP is optional. */
  chap?: { user: string; password: string };
}

const GiB = 1024 ** 3;

export const DEFAULT_STORAGE: StorageWorld = {
  nfsServer: '10.10.1.5',
  nfsExports: { '/export/xen': 2048 * GiB, '/export/iso': 512 * GiB, '/export/ha': 64 * GiB },
  iscsiTarget: '10.10.1.6',
  iscsiPort: 3260,
  iscsiIqn: 'iqn.2026-11.lab.poolform:target0',
  luns: { '36001405aaaa0001': 1024 * GiB, '36001405aaaa0002': 256 * GiB },
};

export const LAB_PASSWORD = 'poolform-lab';
export const LAB_VERSION = '8.4.0';
export const LAB_CPU_VENDOR = 'GenuineIntel';
export const LAB_CPU_FEATURES = '1fcbfbff-f7fa3223-2d93fbff-00000423-d7be7fff-00000000-00000000-00000000';
/** The sim's own rule (XAPI has no code for it): a joining host's clock may differ this much. */
export const CLOCK_SKEW_LIMIT_MS = 2000;

/** A host's own state: what is not in any database (or is the same whichever pool it is in). */
export interface SimHost {
  uuid: string;
  /** Its ref in its current database. */
  ref: string;
  name: string;
  /** 1-based position in the lab: management IP 10.10.0.<10+index>, MACs, ... */
  index: number;
  address: string;
  password: string;
  version: string;
  updates: string[];
  apiMajor: number;
  apiMinor: number;
  cpuVendor: string;
  cpuFeatures: string;
  managementVlan: number;
  managementMode: 'Static' | 'DHCP';
  memoryBytes: number;
  nics: number;
  /** The database this host lives in (its pool's). */
  db: Db;
  /** Powered off or API dead (fault, or host.shutdown). */
  down: boolean;
  /** Between host.reboot starting and the host answering again. */
  rebooting: boolean;
  /** Its management moved onto a network the lab cannot route (fault); until rolled back locally. */
  lostManagement: boolean;
  clockSkewMs: number;
  /** host.set_sched_gran's value (applies at reboot; get_sched_gran reads it back). */
  schedGran: string;
}

export function fail(code: string, ...params: (string | number | boolean)[]): never {
  throw new XapiFailure(code, params.map(String));
}

export class World {
  readonly simHosts = new Map<string, SimHost>();
  readonly storage: StorageWorld;
  readonly counter: EventCounter = { next: 1 };
  readonly faults: Faults = new Faults(this);

  constructor(storage?: Partial<StorageWorld>) {
    this.storage = { ...DEFAULT_STORAGE, ...storage };
  }

  hostByUuidOrName(key: string): SimHost {
    const h = this.simHosts.get(key) ?? [...this.simHosts.values()].find((x) => x.name === key);
    if (!h) throw new Error(`no simulated host "${key}"`);
    return h;
  }

  /** The SimHost behind a host ref of `db` (undefined for a stale or foreign ref). */
  hostOfRef(db: Db, ref: string): SimHost | undefined {
    const uuid = db.tryGet('host', ref)?.uuid;
    const h = uuid === undefined ? undefined : this.simHosts.get(uuid);
    return h && h.db === db && h.ref === ref ? h : undefined;
  }

  /** Every database of the lab: one per pool (standalone hosts are pools of one). */
  databases(): Db[] {
    return [...new Set([...this.simHosts.values()].map((h) => h.db))];
  }

  /** The database holding `ref` now (an object moves with its host when the host joins a pool). */
  dbOf(cls: string, ref: string): Db | undefined {
    return this.databases().find((d) => d.has(cls, ref));
  }

  hostsOf(db: Db): SimHost[] {
    return [...this.simHosts.values()].filter((h) => h.db === db);
  }

  poolRef(db: Db): string {
    const p = db.all('pool').next();
    if (p.done) throw new Error('internal: database without a pool');
    return p.value[0];
  }

  pool(db: Db): Rec {
    return db.get('pool', this.poolRef(db));
  }

  coordinator(db: Db): SimHost {
    const master = this.pool(db).master as string;
    const h = this.hostOfRef(db, master);
    if (!h) throw new Error('internal: pool without its coordinator');
    return h;
  }

  /** Answers API calls and takes part in pool operations. */
  isLive(h: SimHost): boolean {
    return !h.down && !h.rebooting && !h.lostManagement;
  }

  /** XAPI's message forwarding refuses operations on a host it cannot reach. */
  assertLive(db: Db, hostRef: string): SimHost {
    const h = this.hostOfRef(db, hostRef);
    if (!h || !this.isLive(h)) fail('HOST_OFFLINE', hostRef);
    return h;
  }

  /** Mirrors a host's liveness into its host_metrics record (what the coordinator reports). */
  syncLive(h: SimHost): void {
    const host = h.db.tryGet('host', h.ref);
    const m = host?.metrics as string | undefined;
    if (m && m !== NULL_REF && h.db.has('host_metrics', m)) h.db.update('host_metrics', m, { live: this.isLive(h) });
    recomputeHa(this, h.db);
  }

  managementPif(db: Db, hostRef: string): [string, Rec] | undefined {
    return db.childrenOf('PIF', 'host', hostRef).find(([, p]) => p.management === true);
  }

  /** The lab's IPv4 addresses that answer ping (management IPs of live hosts, storage, gateway). */
  pingable(ip: string): boolean {
    if (ip === '10.10.0.1' || ip === '10.10.0.2' || ip === this.storage.nfsServer || ip === this.storage.iscsiTarget) return true;
    for (const h of this.simHosts.values()) {
      if (!this.isLive(h)) continue;
      for (const [, p] of h.db.childrenOf('PIF', 'host', h.ref)) if (p.IP === ip && p.currently_attached) return true;
    }
    return false;
  }
}
