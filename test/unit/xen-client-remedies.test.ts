// The remedy table checked against the reference list of XAPI error codes: every code it knows is
// a real code (spelling included), the codes an administrator meets have advice, storage-driver
// numbers get specific advice, and the transient set is what the client retries.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isTransient, remedyCodes, remedyFor, TRANSIENT_CODES } from '../../providers/xenserver/client/remedies.js';

const ref = JSON.parse(readFileSync('/work/shared/reference/xapi-errors.json', 'utf8')) as {
  errors: Record<string, unknown>;
  other_codes: string[];
  raised_by: Record<string, Record<string, string[]>>;
};
const known = new Set([...Object.keys(ref.errors), ...ref.other_codes]);

describe('remedies', () => {
  it('only names codes XAPI really has', () => {
    const unknown = remedyCodes().filter((c) => !known.has(c));
    assert.deepEqual(unknown, []);
    for (const c of TRANSIENT_CODES) assert.ok(known.has(c), c);
  });

  it('advises on every pool.join precondition code and the codes of the brief', () => {
    const join = ref.raised_by.xapi_pool.pre_join_checks.filter((c) => /JOIN|HA_IS_ENABLED|LICEN|HOSTS_NOT/.test(c));
    const brief = [
      'SESSION_AUTHENTICATION_FAILED', 'HOST_IS_SLAVE', 'HOST_OFFLINE', 'HOST_STILL_BOOTING', 'HOST_NOT_LIVE', 'HA_IS_ENABLED',
      'VDI_IN_USE', 'PIF_IS_MANAGEMENT_INTERFACE', 'PIF_HAS_NO_NETWORK_CONFIGURATION', 'TOO_MANY_PENDING_TASKS',
      'OTHER_OPERATION_IN_PROGRESS', 'LICENCE_RESTRICTION', 'JOINING_HOST_CANNOT_HAVE_RUNNING_VMS', 'JOINING_HOST_CONNECTION_FAILED',
    ];
    for (const code of [...join, ...brief]) {
      const r = remedyFor(code, ['p1', 'p2']);
      assert.ok(r && r.length > 20, `no remedy for ${code}`);
      assert.match(r, /^[A-Z]/, 'a sentence');
    }
  });

  it('fills parameters in', () => {
    assert.match(remedyFor('HOST_IS_SLAVE', ['10.0.0.1'])!, /coordinator is 10\.0\.0\.1/);
    assert.match(remedyFor('LICENCE_RESTRICTION', ['restrict_pooling'])!, /"restrict_pooling"/);
    assert.match(remedyFor('POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', ['0', '20'])!, /joining host 0, pool 20/);
  });

  it('knows storage-driver numbers, with a generic fallback', () => {
    assert.match(remedyFor('SR_BACKEND_FAILURE_73')!, /NFS mount.*serverpath/);
    assert.match(remedyFor('SR_BACKEND_FAILURE_68')!, /iSCSI login.*chap/i);
    assert.match(remedyFor('SR_BACKEND_FAILURE_140')!, /does not resolve/);
    assert.equal(remedyFor('SR_BACKEND_FAILURE_9999'), remedyFor('SR_BACKEND_FAILURE'));
  });

  it('falls back for join codes it has no entry for, and says nothing for unknown codes', () => {
    assert.match(remedyFor('POOL_JOINING_SOMETHING_NEW')!, /pool-join precondition/);
    assert.equal(remedyFor('NOT_A_CODE'), undefined);
  });

  it('treats only "not now" codes as transient', () => {
    assert.ok(isTransient('TOO_MANY_PENDING_TASKS') && isTransient('OTHER_OPERATION_IN_PROGRESS') && isTransient('HOST_STILL_BOOTING'));
    assert.ok(!isTransient('SESSION_AUTHENTICATION_FAILED') && !isTransient('HOST_OFFLINE'));
  });
});
