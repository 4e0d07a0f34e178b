// Proxmox task ids (UPIDs): "UPID:<node>:<pid 8 hex>:<pstart 8 hex>:<starttime 8 hex>:<type>:<id>:<user>:".
// One module for the format, which the client (it polls a task on the node its UPID names) and the
// simulator (it issues UPIDs and looks them up) both need. Messages describe a task by its type and
// object ("creating VM 100") rather than by the opaque id.

export interface Upid {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  /** Unix seconds. */
  starttime: number;
  /** "qmcreate", "clusterjoin", "srvreload", ... */
  type: string;
  /** The object (a vmid, a storage, ''), as the task names it. */
  id: string;
  /** "root@pam" or a token "root@pam!poolform". */
  user: string;
}

// pstart is 8 hex digits, 9 on long-running hosts; node names follow pve-node's pattern (no dots).
const UPID_RE = /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/;

/** The parts of a UPID, or undefined when the text is not one. */
export function parseUpid(text: string): Upid | undefined {
  const m = UPID_RE.exec(text.trim());
  if (!m) return undefined;
  return {
    upid: text.trim(),
    node: m[1],
    pid: parseInt(m[2], 16),
    pstart: parseInt(m[3], 16),
    starttime: parseInt(m[4], 16),
    type: m[5],
    id: m[6],
    user: m[7],
  };
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** The UPID text of a task's parts (the inverse of parseUpid). */
export function formatUpid(t: Omit<Upid, 'upid'>): string {
  return `UPID:${t.node}:${hex8(t.pid)}:${hex8(t.pstart)}:${hex8(t.starttime)}:${t.type}:${t.id}:${t.user}:`;
}

const TASK_WORDS: Record<string, string> = {
  clustercreate: 'creating cluster',
  clusterjoin: 'joining the cluster',
  srvreload: 'applying the network configuration',
  qmcreate: 'creating VM',
  qmclone: 'cloning VM',
  qmtemplate: 'converting to a template VM',
  qmdestroy: 'destroying VM',
  qmstart: 'starting VM',
  qmstop: 'stopping VM',
  qmshutdown: 'shutting down VM',
  qmreboot: 'rebooting VM',
  qmconfig: 'configuring VM',
  qmmigrate: 'migrating VM',
  qmresize: 'resizing a disk of VM',
  hamigrate: 'HA migration of',
  harelocate: 'HA relocation of',
};

/** "creating VM 100", "joining the cluster", "task imgcopy 100" for a task type/id. */
export function describeTask(type: string, id: string): string {
  const words = TASK_WORDS[type];
  if (!words) return `task ${type}${id ? ` ${id}` : ''}`;
  return id && !type.startsWith('cluster') && type !== 'srvreload' ? `${words} ${id}` : words;
}
