// What an administrator can do about a Proxmox VE API message: the "what to do" part of PveApiError,
// PveTaskError and PveTransportError messages. Proxmox answers with its handlers' die texts (no
// codes), so the advice is keyed by patterns of those texts; a cluster join reports every failed
// precondition at once ("detected the following error(s):" and one "* ..." line each) and gets one
// piece of advice per line. Also the test for the config-lock timeouts the client retries.

import type { PveAuth } from './types.js';

/** "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout": another operation holds the config lock. */
export function isLockTimeout(message: string): boolean {
  return /can't lock file .*got timeout/i.test(message);
}

/** The lines of a join failure ("detected the following error(s):\n* a\n* b"), or [] for another message. */
export function joinErrors(message: string): string[] {
  if (!/detected the following error\(s\)/i.test(message)) return [];
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('*'))
    .map((l) => l.replace(/^\*\s*/, ''));
}

export interface RemedyContext {
  /** The node that answered (or that the task ran on). */
  node?: string;
  status?: number;
  method?: string;
  path?: string;
}

type Rule = [RegExp, (m: RegExpExecArray, ctx: RemedyContext) => string];

const on = (ctx: RemedyContext): string => (ctx.node ? ` ${ctx.node}` : '');

const QUORUM =
  'the cluster has no quorum (fewer than half of its votes are online), so its configuration is read-only: ' +
  'bring the offline nodes back and check `pvecm status` on a node; only if they are gone for good, lower the expected votes with `pvecm expected <n>` on a surviving node';

const JOIN_RULES: Rule[] = [
  [
    /already (?:a member of|in|part of) a cluster|corosync is already running|cluster config .* already exists|authentication key .* already exists/i,
    () => 'the joining node already belongs to a cluster: only a standalone node can join; remove it from its cluster first (pvecm delnode there) and reinstall it',
  ],
  [
    /already contains virtual guests|contains? (?:vms|guests)/i,
    () => 'the joining node holds VMs or containers: back them up (vzdump) and remove them first; a joining node must hold no guests (their VMIDs could collide with the cluster\'s)',
  ],
  [
    /link ?(\d).*(?:missing|not configured|no link|but the cluster)|cluster (?:uses|has|requires) link ?(\d)|(?:missing|no) link ?(\d)/i,
    (m) => `give the same links the cluster uses (link${m[1] ?? m[2] ?? m[3]} is the one that differs): every node needs an address on each of the cluster's corosync networks`,
  ],
  [
    /address '([^']+)' already defined by node '([^']+)'/i,
    (m) => `each node needs its own link addresses: ${m[1]} is already node ${m[2]}'s; give the joining node's own addresses`,
  ],
  [/node ID (\d+) is already used by node '([^']+)'/i, (m) => `node ID ${m[1]} belongs to node ${m[2]} already: choose a free nodeid, or leave it unset`],
  [
    /can't add existing node '([^']+)'/i,
    (m) => `the cluster still lists a node '${m[1]}': if it is a stale entry of a removed node, remove it first (\`pvecm delnode ${m[1]}\` on a cluster node)`,
  ],
  [
    /\b(?:address|ip)\b.*(?:not (?:found|configured)|is not local|not on a local interface|not on this node)/i,
    () => 'use for link0/link1 an address configured on one of the joining node\'s interfaces, in the cluster network (check with `ip -brief addr` on that node)',
  ],
  [
    /can't connect to ([^\s:]+)(?::\d+)?/i,
    (m) => `the joining node cannot reach ${m[1]} on TCP 8006: name in hostname a cluster node's management address (or name) that is up and reachable from the joining node`,
  ],
  [
    /node is not in a cluster, no join info/i,
    () => 'the node named in hostname is not in a cluster: create the cluster on it first (proxmox_cluster), or name a node that is a member',
  ],
  [/version/i, () => 'every node must run the same major Proxmox VE version: compare `pveversion` on both nodes and upgrade the older one first'],
  [/fingerprint/i, () => 'the fingerprint given for the cluster node does not match its certificate: read it on that node (`pvenode cert info`) and use that value'],
  [/authentication fail|permission denied|401|wrong password/i, () => 'the cluster\'s root password given for the join (join_password) was refused: check it'],
  [/quorum|quorate/i, () => `the cluster is not quorate: bring its nodes back online (\`pvecm status\`) before adding a node`],
];

const RULES: Rule[] = [
  [/no quorum|not quorate|cluster not ready/i, () => QUORUM],
  [
    /can't lock file '([^']+)'.*got timeout/i,
    (m) =>
      `another operation holds the lock ${m[1]} (a task on the same guest, or a concurrent change of cluster configuration); ` +
      'poolform retried for about 15 s: wait for the running tasks to finish (Datacenter → Tasks on the node) and run again, or lower -parallelism / max_concurrency',
  ],
  [
    /storage '([^']+)' is not online|(?:server|storage) .*(?:is not online|not reachable|unreachable)|mount error|connection timed out.*(?:nfs|cifs|iscsi)/i,
    (m, ctx) =>
      `the storage${m[1] ? ` '${m[1]}'` : ''} is not reachable from node${on(ctx)}: check the network path from that node to the storage server ` +
      '(on the node: `pvesm scan nfs|cifs|iscsi <server>`, ping), the export/share permissions for that node, or restrict the storage\'s nodes',
  ],
  [
    /not available with API token, need proper ticket/i,
    () => 'this API call refuses API tokens: configure username and password (ticket login) in the provider block for it',
  ],
  [
    /permission check failed/i,
    () =>
      'the user or API token lacks a privilege on this path: grant it a role such as Administrator on / (`pveum acl modify / --roles Administrator --users <user>`); ' +
      'a token with privilege separation needs its own ACL (`--tokens <user>!<tokenid>`), or create the token with --privsep 0',
  ],
  [
    /VM (\d+) already exists(?: on node '([^']+)')?/i,
    (m) =>
      `VMID ${m[1]} is already in use${m[2] ? ` (on node ${m[2]})` : ''}: leave vmid unset so poolform allocates a free one, pick another, ` +
      'or import that VM if it is the one meant',
  ],
  [/storage ID '([^']+)' already defined/i, (m) => `a storage '${m[1]}' already exists in storage.cfg: import it into the state, or choose another storage ID`],
  [
    /Open VSwitch is not installed/i,
    (_m, ctx) => `install Open vSwitch on node${on(ctx)} (\`apt install openvswitch-switch\`), or use Linux bridge/bond types (ovs = false)`,
  ],
  [/ha groups have been migrated to rules/i, () => 'this cluster runs Proxmox VE 9, where HA groups became HA rules: use proxmox_ha_rule instead of proxmox_ha_group'],
  [
    /unable to find VM|Configuration file '[^']*qemu-server\/(\d+)\.conf' does not exist/i,
    () => 'the VM does not exist (any more): check the vmid, or refresh the state if it was removed outside poolform',
  ],
  [
    /detected modified configuration|digest mismatch|file changed by other user/i,
    () => 'the configuration changed between reading and writing it (someone else edited it): run again so poolform reads the current version',
  ],
  [
    /Method '[A-Z]+ [^']*' not implemented|no such uri/i,
    (_m, ctx) =>
      `node${on(ctx)} does not know this API call: its Proxmox VE version differs from what this needs (compare \`pveversion\`; e.g. HA rules need PVE 9, HA groups PVE 8)`,
  ],
  [
    /Parameter verification failed/i,
    () => 'fix the parameters listed (names and formats are those of the Proxmox VE API for this call)',
  ],
  [
    /^(?:595 )?(?:Connection refused|No route to host|Connection timed out|proxy loop detected|hostname lookup)/i,
    (_m, ctx) => `node${on(ctx)} could not forward the request to the node it concerns: check that node is up and reachable from${on(ctx)} on TCP 8006`,
  ],
];

/**
 * Advice for an API or task message; undefined when nothing useful can be said. Join failures get
 * one numbered piece of advice per reported error.
 */
export function remedyFor(message: string, ctx: RemedyContext = {}): string | undefined {
  const lines = joinErrors(message);
  if (lines.length) {
    const advice: string[] = [];
    for (const line of lines) {
      const hit = match(JOIN_RULES, line, ctx) ?? match(RULES, line, ctx);
      if (hit && !advice.includes(hit)) advice.push(hit);
    }
    if (!advice.length) return 'fix each error listed, then run again';
    return advice.length === 1 ? advice[0] : advice.map((a, i) => `(${i + 1}) ${a}`).join('; ');
  }
  if (ctx.status === 501) return match(RULES, `Method '${ctx.method ?? 'GET'} ${ctx.path ?? ''}' not implemented`, ctx);
  return match(RULES, message, ctx) ?? (/join/i.test(ctx.path ?? '') ? match(JOIN_RULES, message, ctx) : undefined);
}

function match(rules: Rule[], text: string, ctx: RemedyContext): string | undefined {
  for (const [re, advice] of rules) {
    const m = re.exec(text);
    if (m) return advice(m, ctx);
  }
  return undefined;
}

/**
 * What to do when a node refused the credentials (401), per kind of authentication; never
 * contains the secret, only the token id or user name.
 */
export function authRemedy(auth: PveAuth): string {
  if (auth.kind === 'token') {
    return (
      `check api_token: it must read USER@REALM!TOKENID=SECRET (here the id is "${auth.tokenId}") with the secret shown once when the token was created, ` +
      'and the token must exist on this node (`pveum user token list <user>`; before clustering, on every node) and not be expired; ' +
      'a token with privilege separation also needs its own permissions (`pveum acl modify / --roles Administrator --tokens <user>!<tokenid>`)'
    );
  }
  return (
    `check username and password: the user ("${auth.username}") must include its realm (root@pam, admin@pve) and the password must be that user's on this node ` +
    '(for @pam the Linux password of the node); after a join the cluster\'s root password counts'
  );
}

/** Whether a token id reads USER@REALM!TOKENID, the form the PVEAPIToken header needs. */
export function isTokenId(tokenId: string): boolean {
  return /^[^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$/.test(tokenId);
}
