// Readers of a provider block's attributes that both platforms' config.ts use: the loose scalar
// readers (an empty string or a non-finite number counts as unset), max_concurrency, and the SSH
// login settings, which carry the same attribute names and defaults in both schemas.

import type { Attrs } from '../../engine/provider.js';
import type { SshTarget } from './ssh.js';

const DEFAULT_MAX_CONCURRENCY = 4;

/** A non-empty string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A finite number, else undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Steps that may run at once on one queue (max_concurrency: the XenServer coordinator, one
 * Proxmox node). Read apart from readConfig: the engine asks for queue limits with the raw
 * provider block, before any session exists.
 */
export function maxConcurrency(attrs: Attrs | undefined): number {
  const n = num(attrs?.max_concurrency);
  return n !== undefined && n >= 1 ? n : DEFAULT_MAX_CONCURRENCY;
}

/** The SSH login of the provider block (ssh_username, ssh_password, ssh_private_key, known_hosts_file, timeout_ms). */
export function sshLogin(attrs: Attrs): Omit<SshTarget, 'host' | 'port'> {
  return {
    username: str(attrs.ssh_username) ?? 'root',
    password: str(attrs.ssh_password),
    privateKey: str(attrs.ssh_private_key),
    knownHostsFile: str(attrs.known_hosts_file) ?? `${process.env.HOME ?? ''}/.ssh/known_hosts`,
    timeoutMs: num(attrs.timeout_ms),
  };
}
