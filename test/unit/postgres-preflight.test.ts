import { describe, expect, it } from 'vitest';
import { checkPosition, runPreflight, toastGuidance } from '../../connectors/postgres/postgres-preflight.js';
import type { CatalogTable, Queryable } from '../../connectors/postgres/postgres-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';

/** Answers the preflight's queries from canned rows, by the start of the SQL. */
function fakeClient(answers: Record<string, object[]>): Queryable {
  return {
    async query<R extends object>(text: string) {
      const key = Object.keys(answers).find((k) => text.startsWith(k));
      return { rows: (key ? answers[key] : []) as R[] };
    },
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RowkubeError ? error.code : String(error);
  }
  return undefined;
}

describe('connectors > postgres > preflight', () => {
  it('refuses wal_level other than logical, naming the fix', async () => {
    const error = await runPreflight(fakeClient({ 'SHOW wal_level': [{ wal_level: 'replica' }] }), {
      tables: [],
      slot: 's',
      offset: undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RowkubeError);
    expect((error as RowkubeError).code).toBe(ErrorCode.WAL_LEVEL);
    expect((error as RowkubeError).message).toContain('ALTER SYSTEM SET wal_level = logical');
  });

  it('checks a stored position against the slot', () => {
    const slot = {
      plugin: 'pgoutput',
      slotType: 'logical',
      database: 'db',
      active: false,
      restartLsn: 0x100n,
      confirmedFlushLsn: 0x200n,
      walStatus: 'reserved',
    };
    expect(codeOf(() => checkPosition('s', slot, { lsn: 0x200n }))).toBeUndefined();
    // Stored but not yet acknowledged when the process stopped: resumable.
    expect(codeOf(() => checkPosition('s', slot, { lsn: 0x300n }))).toBeUndefined();
    expect(codeOf(() => checkPosition('s', slot, { lsn: 0x1ffn }))).toBe(ErrorCode.POSITION_PURGED);
    expect(codeOf(() => checkPosition('s', undefined, { lsn: 0x200n }))).toBe(ErrorCode.POSITION_PURGED);
    expect(codeOf(() => checkPosition('s', { ...slot, walStatus: 'lost' }, { lsn: 0x200n }))).toBe(
      ErrorCode.POSITION_PURGED,
    );
    // The message names the command that gets capture going again.
    expect(() => checkPosition('s', undefined, { lsn: 0x200n }, 'appdb')).toThrow(
      /replication slot s does not exist .*run 'rowkube snapshot --source appdb'/,
    );
  });

  it('warns about out-of-line columns only under REPLICA IDENTITY DEFAULT', () => {
    const table: CatalogTable = {
      ref: { schema: 'public', table: 't' },
      oid: 1,
      relkind: 'r',
      replicaIdentity: 'd',
      columns: [
        { name: 'id', typeOid: 23, typeMod: -1, sourceType: 'integer', notNull: true, storage: 'p' },
        { name: 'doc', typeOid: 3802, typeMod: -1, sourceType: 'jsonb', notNull: false, storage: 'x' },
      ],
      primaryKey: ['id'],
      replicaIdentityColumns: [],
    };
    expect(toastGuidance(table)?.message).toContain('(doc)');
    expect(toastGuidance({ ...table, replicaIdentity: 'f' })).toBeUndefined();
    expect(toastGuidance({ ...table, columns: table.columns.slice(0, 1) })).toBeUndefined();
  });
});
