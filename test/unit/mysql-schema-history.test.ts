import { describe, expect, it } from 'vitest';
import { compareMysqlPositions, parseMysqlPosition } from '../../connectors/mysql/mysql-offset.js';
import { type EventColumns, MysqlSchemaHistory } from '../../connectors/mysql/mysql-schema-history.js';
import type { ColumnSpec, SourcePosition, TableSchema } from '../../src/core/change-event.js';

const compare = (a: SourcePosition, b: SourcePosition) =>
  compareMysqlPositions(parseMysqlPosition(a), parseMysqlPosition(b));
const at = (pos: number, file = 'mariadb-bin.000001'): SourcePosition => ({ file, pos, gtid: null });

const id: ColumnSpec = { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint(20)' };
const flag: ColumnSpec = { name: 'flag', kind: 'boolean', nullable: true, sourceType: 'tinyint(1)' };
const doc: ColumnSpec = { name: 'doc', kind: 'json', nullable: true, sourceType: 'longtext' };
const extra: ColumnSpec = { name: 'extra', kind: 'string', nullable: true, sourceType: 'varchar(10)' };
const more: ColumnSpec = { name: 'more', kind: 'int', nullable: true, sourceType: 'int(11)' };

function table(...columns: ColumnSpec[]): TableSchema {
  return { source: 'app', database: 'shop', table: 'items', columns, primaryKey: ['id'] };
}
const v1 = table(id, flag, doc);
const v2 = table(id, extra, flag, doc);
const v3 = table(id, extra, flag, doc, more);

/** What the binlog says about a column no definition knows: as mysql-source.ts does. */
function eventColumns(...names: string[]): EventColumns {
  return {
    names,
    describe: (name) => ({ name, kind: 'string', nullable: true, sourceType: 'varchar(255)' }),
  };
}

describe('MySQL connector > schema history > inForce', () => {
  it('gives the latest definition at or before a position, across binlog files', () => {
    const history = new MysqlSchemaHistory('shop', compare, [
      { position: at(100), table: v1 },
      { position: at(4, 'mariadb-bin.000002'), table: v2 },
    ]);
    expect(history.inForce('items', at(50))).toBeUndefined();
    expect(history.inForce('items', at(100))).toBe(v1);
    expect(history.inForce('items', at(9_999))).toBe(v1);
    expect(history.inForce('items', at(4, 'mariadb-bin.000002'))).toBe(v2);
    expect(history.inForce('other', at(9_999))).toBeUndefined();
  });

  it('ignores the stored definitions of other databases of the source', () => {
    const history = new MysqlSchemaHistory('shop', compare, [
      { position: at(100), table: { ...v1, database: 'other' } },
    ]);
    expect(history.inForce('items', at(200))).toBeUndefined();
  });

  it('adds a definition only when it is not already in force there, in position order', () => {
    const history = new MysqlSchemaHistory('shop', compare);
    expect(history.add({ position: at(300), table: v2 })).toBe(true);
    expect(history.add({ position: at(100), table: v1 })).toBe(true);
    expect(history.add({ position: at(200), table: structuredClone(v1) })).toBe(false);
    expect(history.inForce('items', at(250))).toBe(v1);
    expect(history.inForce('items', at(300))).toBe(v2);
    expect(history.known('items')).toEqual([v2, v1]);
  });
});

describe('MySQL connector > schema history > resolve', () => {
  it('describes an event written before an ALTER with the definition of then, not of today', () => {
    // Restart across an ALTER: the history has v1 from the snapshot, the database says v2.
    const history = new MysqlSchemaHistory('shop', compare, [{ position: at(100), table: v1 }]);
    const resolved = history.resolve('items', at(150), eventColumns('id', 'flag', 'doc'), v2);
    expect(resolved).toEqual({ schema: v1, how: 'history', unknownColumns: [] });
  });

  it('takes the current definition when the event has its columns and the history not yet', () => {
    const history = new MysqlSchemaHistory('shop', compare, [{ position: at(100), table: v1 }]);
    const resolved = history.resolve('items', at(500), eventColumns('id', 'extra', 'flag', 'doc'), v2);
    expect(resolved).toEqual({ schema: v2, how: 'current', unknownColumns: [] });
  });

  it('rebuilds a definition no longer known from the column names, keeping kinds and key by name', () => {
    // Two ALTERs while capture was down: the event is from v2, the history has v1, the database v3.
    const history = new MysqlSchemaHistory('shop', compare, [{ position: at(100), table: v1 }]);
    const resolved = history.resolve('items', at(500), eventColumns('id', 'extra', 'flag', 'doc'), v3);
    expect(resolved.how).toBe('rebuilt');
    expect(resolved.unknownColumns).toEqual([]);
    expect(resolved.schema.columns).toEqual([id, extra, flag, doc]);
    expect(resolved.schema.primaryKey).toEqual(['id']);
    // BOOLEAN and MariaDB's JSON keep their kinds: the binlog would say int and string.
    expect(resolved.schema.columns.map((c) => c.kind)).toEqual(['long', 'string', 'boolean', 'json']);
  });

  it('describes a column no definition knows from the binlog, and says so', () => {
    const history = new MysqlSchemaHistory('shop', compare, [{ position: at(100), table: v1 }]);
    const resolved = history.resolve('items', at(500), eventColumns('id', 'gone', 'flag', 'doc'), v3);
    expect(resolved.unknownColumns).toEqual(['gone']);
    expect(resolved.schema.columns[1]).toEqual({
      name: 'gone',
      kind: 'string',
      nullable: true,
      sourceType: 'varchar(255)',
    });
  });

  it('keeps a rebuilt definition once recorded, so later events of it come from the history', () => {
    const history = new MysqlSchemaHistory('shop', compare, [{ position: at(100), table: v1 }]);
    const columns = eventColumns('id', 'extra', 'flag', 'doc');
    const first = history.resolve('items', at(500), columns, v3);
    history.add({ position: at(500), table: first.schema });
    expect(history.resolve('items', at(600), columns, v3)).toEqual({
      schema: first.schema,
      how: 'history',
      unknownColumns: [],
    });
    // And an event from before it still reads with v1.
    expect(history.resolve('items', at(200), eventColumns('id', 'flag', 'doc'), v3).schema).toBe(v1);
  });
});
