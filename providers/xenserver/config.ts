// The provider block, read once per session: where the pool is, how to trust it, how to log in,
// how to reach hosts over SSH, and how hard to push the coordinator.

import type { Attrs } from '../../engine/provider.js';
import { num, sshLogin, str } from '../common/provider-config.js';
import type { SshEndpoint, XapiEndpoint } from './client/types.js';

export interface XenConfig {
  xapi: XapiEndpoint;
  ssh: Omit<SshEndpoint, 'host' | 'port'> & { port: number };
  /** How long a host may stay silent after a management move before it is rolled back. */
  managementCheckMs: number;
}

/** The provider block's attributes (already validated against schemas/xenserver.json). */
export function readConfig(attrs: Attrs): XenConfig {
  const url = str(attrs.url);
  if (!url) throw new Error('provider "xenserver": url is required (the address of any host of the pool, e.g. "https://xs1.example.net")');
  const password = str(attrs.password);
  if (password === undefined) throw new Error('provider "xenserver": password is required');
  const fingerprints = Array.isArray(attrs.tls_fingerprints) ? attrs.tls_fingerprints.filter((x): x is string => typeof x === 'string') : [];
  return {
    xapi: {
      url,
      username: str(attrs.username) ?? 'root',
      password,
      fingerprints,
      caFile: str(attrs.ca_file),
      timeoutMs: num(attrs.timeout_ms),
    },
    ssh: { port: num(attrs.ssh_port) ?? 22, ...sshLogin(attrs) },
    managementCheckMs: num(attrs.management_check_ms) ?? 30_000,
  };
}
