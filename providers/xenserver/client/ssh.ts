// SSH probes of a host's dom0 (what XAPI does not answer, e.g. the clock for the pool-join
// precondition): the strict, one-command sshExec of providers/common/ssh.ts, offering only the
// algorithms XenServer speaks (crypto-policy.ts); failures are TransportErrors naming host:port.

import { sshExec as commonSshExec, type SshPlatform } from '../../common/ssh.js';
import { SSH_ALGORITHMS_CLIENT } from '../crypto-policy.js';
import { TransportError, type ShellOutput, type SshEndpoint } from './types.js';

const XEN_SSH: SshPlatform = {
  product: 'XenServer',
  algorithms: SSH_ALGORITHMS_CLIENT,
  credentialsHint: 'the SSH username and password or private key of the provider block',
  makeError: (message, label, kind) => new TransportError(message, label, kind),
};

/** Runs `command` on the host and resolves to its output and exit status (255 when killed by a signal). */
export function sshExec(endpoint: SshEndpoint, command: string, opts: { signal?: AbortSignal } = {}): Promise<ShellOutput> {
  return commonSshExec(endpoint, command, XEN_SSH, opts);
}
