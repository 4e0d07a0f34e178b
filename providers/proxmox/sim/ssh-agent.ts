// One simulated Proxmox node's SSH daemon (sshd as far as pvecm and the probes need it): the shared
// SshExecServer (providers/common/ssh-exec-server.ts) with Debian 13's OpenSSH banner, root logins
// by password or by an authorised public key (the lab's client key), and `exec` requests answered
// by the model's shell (pvecm, date, ping, pvesm scan, cat, cp, ifreload). It answers while the
// node is powered on even when its API does not: a node whose management address was lost is
// repaired over this path (the lab's stand-in for the console).

import type { PveBackend } from './backend.js';
import { SshExecServer, type SshExecServerOptions } from '../../common/ssh-exec-server.js';

export type PveSshAgentOptions = Omit<SshExecServerOptions, 'ident' | 'algorithms'>;

/** The SSH endpoint of one simulated node; like the HTTPS server it listens first and is bound later. */
export class PveSshAgent extends SshExecServer {
  constructor(opts: PveSshAgentOptions) {
    // Debian 13's OpenSSH offers ed25519, ecdsa and rsa host keys; ed25519 and ecdsa suffice here.
    super({ ...opts, ident: 'OpenSSH_10.0p2 Debian-7' });
  }

  bind(backend: PveBackend, node: string): void {
    this.serve((command) => backend.shell(node, command));
  }
}
