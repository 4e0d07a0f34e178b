// The cryptography XenServer hosts speak, as the product documentation lists it (seeds 000 for
// Citrix Hypervisor 8.2, 001 for XenServer 8): TLS 1.2 with ECDHE-RSA GCM suites on the management
// API, and fixed SSH algorithm lists. The provider's clients offer only these; the simulator's
// servers accept only a host version's own list, so a client that drifts from the platform's
// policy fails in the tests rather than in the field.

import type { SshAlgorithms } from '../common/ssh.js';

/** ssh2's `algorithms` option shape (defined with the shared SSH client). */
export type { SshAlgorithms };

export const TLS_MIN_VERSION = 'TLSv1.2' as const;
export const TLS_MAX_VERSION = 'TLSv1.2' as const;
/** OpenSSL names of the suites XenServer 8 accepts on port 443 (8.2 also lists two CBC suites). */
export const TLS_CIPHERS = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'].join(':');

/** XenServer 8 (seed 001). */
export const SSH_ALGORITHMS_XS8: SshAlgorithms = {
  kex: ['curve25519-sha256', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group14-sha1'],
  cipher: ['aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  hmac: ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
  serverHostKey: ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519', 'ssh-rsa'],
  compress: ['none'],
};

/** Citrix Hypervisor 8.2 with XS82E015 (seed 000), less the certificate host-key types it lists (ssh2 has none). */
export const SSH_ALGORITHMS_CH82: SshAlgorithms = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha1'],
  cipher: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
  serverHostKey: ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519'],
  compress: ['none'],
};

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** What the provider's SSH client offers: every algorithm either version accepts, strongest first. */
export const SSH_ALGORITHMS_CLIENT: SshAlgorithms = {
  kex: union(SSH_ALGORITHMS_XS8.kex.filter((k) => !k.endsWith('sha1')), SSH_ALGORITHMS_CH82.kex.filter((k) => !k.endsWith('sha1'))).concat('diffie-hellman-group14-sha1'),
  cipher: union(['aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'], SSH_ALGORITHMS_XS8.cipher).filter((c) => !c.endsWith('-cbc')),
  hmac: union(['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com'], SSH_ALGORITHMS_XS8.hmac),
  serverHostKey: union(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'], SSH_ALGORITHMS_XS8.serverHostKey),
  compress: ['none'],
};
