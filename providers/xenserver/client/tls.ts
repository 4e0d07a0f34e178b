// TLS for the XAPI client: the shared pinned/CA-verified connection of providers/common/tls.ts with
// XenServer's protocol policy (crypto-policy.ts), the file an administrator reads the host's
// fingerprint from, and the provider block's attribute names; failures are TransportErrors.

import * as common from '../../common/tls.js';
import { TLS_CIPHERS, TLS_MAX_VERSION, TLS_MIN_VERSION } from '../crypto-policy.js';
import { TransportError } from './types.js';

export type { TrustPolicy } from '../../common/tls.js';

const XEN_TLS: common.TlsPlatform = {
  fingerprintHint: 'openssl x509 -in /etc/xensource/xapi-ssl.pem -noout -fingerprint -sha256',
  pinsAttribute: 'tls_fingerprints',
  caAttribute: 'ca_file',
  urlAttribute: 'url',
  minVersion: TLS_MIN_VERSION,
  maxVersion: TLS_MAX_VERSION,
  ciphers: TLS_CIPHERS,
  makeError: (message, label, kind) => new TransportError(message, label, kind),
};

/** Builds the trust policy of an XAPI endpoint; a malformed fingerprint or unreadable CA file is refused here. */
export function trustPolicy(endpoint: { url: string; fingerprints?: string[]; caFile?: string }): common.TrustPolicy {
  return common.trustPolicy(endpoint, XEN_TLS);
}
