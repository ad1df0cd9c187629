import { describe, expect, it } from 'vitest';
import { decodeControl } from '../../src/contracts/control-record.js';
import { heldControlRecord } from '../../src/processor/runner/hold-records.js';

// A held removal keeps the change's provenance in a JSON control record: the
// stage times the desired records carry (bigint) must stay out of it.

describe('processor > hold records', () => {
  it('keeps the provenance of a change that carries stage times, without them', () => {
    const record = heldControlRecord(
      'rk.control',
      {
        id: 'web/acme',
        hub: 'tenants',
        form: 'web',
        tx: 'tx-1',
        hash: 'h',
        topic: 'rk.appdb.tenants',
        partition: 0,
        provenance: {
          source: 'appdb',
          table: 'tenants',
          position: '{"lsn":"0/1"}',
          commitTsMs: 1_700_000_000_000n,
          primaryKey: '{"tenant_id":"acme"}',
          capturedAtMs: 1_700_000_000_002n,
          changeSeenAtMs: 1_700_000_000_010n,
        },
      },
      { hub: 'tenants', tx: 'tx-1', ids: ['web/acme'], live: 1, share: 1 },
      1_700_000_000_500,
    );
    const decoded = decodeControl(String(record.key), String(record.value));
    expect(decoded).toMatchObject({
      kind: 'held',
      provenance: {
        source: 'appdb',
        table: 'tenants',
        position: '{"lsn":"0/1"}',
        commitTsMs: '1700000000000',
        primaryKey: '{"tenant_id":"acme"}',
      },
    });
    expect(Object.keys((decoded as { provenance: object }).provenance)).not.toContain('capturedAtMs');
  });
});
