// SSH to a Proxmox VE node, for what the API does not do or cannot be trusted to do while the
// cluster changes (pvecm add/delnode/status, clock and latency probes, network rollback): the
// strict one-command sshExec of providers/common/ssh.ts (unknown or changed host keys refused before
// any credential is sent), offering what the nodes' OpenSSH (Debian 12 for PVE 8, Debian 13 for
// PVE 9) accepts by default, less the legacy SHA-1 and ssh-rsa choices.

import { sshExec, type SshAlgorithms, type SshPlatform } from '../../common/ssh.js';
import { PveTransportError, type PveSshEndpoint, type ShellOutput } from './types.js';

/** Algorithms offered, strongest first (all in OpenSSH 9.2 and 10.0 defaults, all supported by ssh2). */
export const PVE_SSH_ALGORITHMS: SshAlgorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group-exchange-sha256',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  cipher: ['aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'],
  hmac: ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512', 'hmac-sha2-256'],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
  compress: ['none'],
};

/**
 * Runs `command` on the node as the provider block's SSH user; resolves to its output and exit
 * status (a non-zero status is not an error here: callers read pvecm's own messages). Transport
 * failures are PveTransportErrors naming the node and host:port.
 */
export function pveSsh(ep: PveSshEndpoint, command: string, opts: { signal?: AbortSignal } = {}): Promise<ShellOutput> {
  const platform: SshPlatform = {
    product: 'Proxmox VE',
    algorithms: PVE_SSH_ALGORITHMS,
    credentialsHint: 'ssh_username and ssh_password or ssh_private_key of the provider block',
    makeError: (message, _label, kind) => new PveTransportError(message, ep.node, kind),
  };
  return sshExec(ep, command, platform, { signal: opts.signal, label: `${ep.node} (${ep.host}:${ep.port})` });
}
