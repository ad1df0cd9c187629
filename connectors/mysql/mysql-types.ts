import type { ColumnKind, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { shortestFloat32 } from '../../src/core/float32.js';

/**
 * MySQL/MariaDB column types → rowkube's ColumnKind, decided from the
 * information_schema COLUMN_TYPE text ("int(10) unsigned", "decimal(10,2)").
 *
 * | MySQL/MariaDB type                               | kind            |
 * |--------------------------------------------------|-----------------|
 * | tinyint(1) / BOOLEAN                             | boolean (0 → false, anything else → true) |
 * | tinyint, smallint, mediumint, int; year          | int             |
 * | int unsigned, bigint                             | long (exact)    |
 * | bigint unsigned (up to 2^64−1, past Avro's long) | decimal (exact string) |
 * | float (4 bytes)                                  | float: the shortest decimal of the 32-bit value (src/core/float32.ts) |
 * | double, real                                     | double          |
 * | decimal, numeric                                 | decimal (exact string) |
 * | char, varchar, *text, enum, set                  | string          |
 * | json (MySQL); MariaDB longtext with json_valid() | json (text)     |
 * | binary, varbinary, *blob, bit                    | bytes           |
 * | date                                             | date "YYYY-MM-DD" |
 * | time                                             | time "HH:MM:SS[.ffffff]" (may exceed 24 h or be negative, as MySQL allows) |
 * | datetime                                         | local-timestamp, the wall-clock value as stored, no zone |
 * | timestamp                                        | timestamp, the instant in UTC ("…Z") |
 *
 * Zero dates ("0000-00-00") pass through as the database wrote them.
 * Spatial types are refused with ROWKUBE_ERR_UNSUPPORTED_TYPE.
 */
export function mysqlColumnKind(columnType: string, isJson: boolean, where: string): ColumnKind {
  const type = columnType.toLowerCase().trim();
  const base = /^[a-z]+/.exec(type)?.[0] ?? '';
  const unsigned = type.includes('unsigned');
  if (isJson) return 'json';
  switch (base) {
    case 'tinyint':
      return /^tinyint\(1\)/.test(type) ? 'boolean' : 'int';
    case 'bool':
    case 'boolean':
      return 'boolean';
    case 'smallint':
    case 'mediumint':
    case 'year':
      return 'int';
    case 'int':
    case 'integer':
      return unsigned ? 'long' : 'int';
    case 'bigint':
      // An unsigned bigint reaches 2^64−1, which no signed 64-bit long holds.
      return unsigned ? 'decimal' : 'long';
    case 'float':
      // COLUMN_TYPE says "float" only for the 4-byte type (FLOAT(p) with p > 24 is "double").
      return 'float';
    case 'double':
    case 'real':
      return 'double';
    case 'decimal':
    case 'numeric':
    case 'dec':
    case 'fixed':
      return 'decimal';
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'enum':
    case 'set':
    case 'uuid':
    case 'inet4':
    case 'inet6':
      return 'string';
    case 'json':
      return 'json';
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
    case 'bit':
      return 'bytes';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'datetime':
      return 'local-timestamp';
    case 'timestamp':
      return 'timestamp';
    default:
      throw new RowkubeError(
        ErrorCode.UNSUPPORTED_TYPE,
        `${where} has type ${columnType}, which rowkube does not capture; exclude the table or change the column type`,
      );
  }
}

/**
 * Converts a value as zongji (binlog) or mysql2 (snapshot) returns it — both
 * configured with dateStrings, jsonStrings, bigNumberStrings and time zone UTC —
 * into the representation of its kind. Both paths go through here, so a row
 * reads the same from the snapshot and from the stream.
 */
export function mysqlValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'boolean':
      return Number(value) !== 0;
    case 'int':
      return Number(value);
    case 'long':
      return typeof value === 'bigint' ? value : BigInt(value as string | number);
    case 'float':
      return shortestFloat32(Number(value));
    case 'double':
      return Number(value);
    case 'decimal':
      return String(value);
    case 'string':
      // zongji returns SET values as arrays on some servers; mysql2 as "a,b".
      return Array.isArray(value)
        ? value.join(',')
        : Buffer.isBuffer(value)
          ? value.toString('utf8')
          : String(value);
    case 'json':
      return typeof value === 'string'
        ? value
        : Buffer.isBuffer(value)
          ? value.toString('utf8')
          : JSON.stringify(value);
    case 'bytes':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    case 'date':
      return String(value);
    case 'time':
      return String(value);
    case 'local-timestamp':
      return String(value).replace(' ', 'T');
    case 'timestamp':
      return `${String(value).replace(' ', 'T')}Z`;
  }
}

/**
 * The SELECT list a snapshot reads a table with, so that every column arrives
 * as exactly as the binlog has it. A FLOAT is read widened to DOUBLE: the text
 * protocol prints a FLOAT with six significant digits (16777217 → "16777200"),
 * the widened value is the exact 32-bit value, which mysqlValue then writes by
 * the one FLOAT rule.
 */
export function mysqlSelectList(schema: TableSchema): string {
  const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;
  return schema.columns
    .map((c) => (c.kind === 'float' ? `CAST(${quote(c.name)} AS DOUBLE) AS ${quote(c.name)}` : quote(c.name)))
    .join(', ');
}
