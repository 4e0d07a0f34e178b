// One simulated host's SSH daemon (dom0's sshd as far as poolform needs it): the shared
// SshExecServer (providers/common/ssh-exec-server.ts) offering only the host version's algorithm
// lists (crypto-policy.ts), password logins for root, and `exec` requests answered by the model's
// shell (date +%s.%N, xe ..., ping).

import type { Algorithms } from 'ssh2';
import type { XapiBackend } from './backend.js';
import { SSH_ALGORITHMS_XS8, type SshAlgorithms } from '../crypto-policy.js';
import { SshExecServer, type SshExecServerOptions } from '../../common/ssh-exec-server.js';

// Host keys and known_hosts lines live in providers/common/ssh-keys.ts (the Proxmox lab uses them
// too); re-exported under the names this simulator's callers know.
export { generateSshHostKeys, knownHostsLines, loadOrCreateSshHostKeys, publicKeyEntry, privateKeyFingerprint as sshFingerprint, type SshHostKeys } from '../../common/ssh-keys.js';

export interface SshAgentOptions extends Omit<SshExecServerOptions, 'ident' | 'algorithms' | 'authorizedKeys'> {
  /** Default SSH_ALGORITHMS_XS8. */
  algorithms?: SshAlgorithms;
}

/** The SSH endpoint of one simulated host. Like the HTTPS server, it listens first and is bound later. */
export class SshAgent extends SshExecServer {
  constructor(opts: SshAgentOptions) {
    const algos = opts.algorithms ?? SSH_ALGORITHMS_XS8;
    super({
      ...opts,
      ident: 'OpenSSH_8.0',
      // The policy's host-key list also names types this host has no key for; ssh2 offers the keys it has.
      algorithms: { kex: algos.kex, cipher: algos.cipher, hmac: algos.hmac, serverHostKey: algos.serverHostKey, compress: algos.compress } as Algorithms,
    });
  }

  bind(backend: XapiBackend, hostUuid: string): void {
    this.serve((command) => backend.shell(hostUuid, command));
  }
}
