import type { DatabaseKind } from '../../support/admin-database.js';

// The column types of the type matrix (type-matrix.test.ts), each with edge
// values as SQL literals and the value rowkube must write for each, as
// docs/capture.md ("Types") documents it. Row r of the test table holds the
// r-th value of every case (NULL past a case's last value), so every column
// is also read as NULL.

export interface TypeCase {
  /** Column name. */
  column: string;
  /** The column's SQL type. */
  type: string;
  /** [SQL literal, the value in the change event (decoded from Avro)]. */
  values: [string, unknown][];
}

const buffer = (hex: string) => Buffer.from(hex, 'hex');

/** MariaDB and MySQL share their types; where they print differently, `kind` decides. */
function mysqlCases(kind: 'mariadb' | 'mysql'): TypeCase[] {
  const json = (mariadb: string, mysql: string) => (kind === 'mysql' ? mysql : mariadb);
  return [
    {
      column: 'c_bool',
      type: 'BOOLEAN',
      values: [
        ['TRUE', true],
        ['FALSE', false],
      ],
    },
    {
      column: 'c_tinyint',
      type: 'TINYINT',
      values: [
        ['-128', -128],
        ['127', 127],
      ],
    },
    {
      column: 'c_tinyint_u',
      type: 'TINYINT UNSIGNED',
      values: [
        ['0', 0],
        ['255', 255],
      ],
    },
    {
      column: 'c_smallint',
      type: 'SMALLINT',
      values: [
        ['-32768', -32768],
        ['32767', 32767],
      ],
    },
    { column: 'c_smallint_u', type: 'SMALLINT UNSIGNED', values: [['65535', 65535]] },
    {
      column: 'c_mediumint',
      type: 'MEDIUMINT',
      values: [
        ['-8388608', -8388608],
        ['8388607', 8388607],
      ],
    },
    { column: 'c_mediumint_u', type: 'MEDIUMINT UNSIGNED', values: [['16777215', 16777215]] },
    {
      column: 'c_int',
      type: 'INT',
      values: [
        ['-2147483648', -2147483648],
        ['2147483647', 2147483647],
      ],
    },
    {
      column: 'c_int_u',
      type: 'INT UNSIGNED',
      values: [
        ['4294967295', 4294967295n],
        ['0', 0n],
      ],
    },
    {
      column: 'c_bigint',
      type: 'BIGINT',
      values: [
        ['-9223372036854775808', -9223372036854775808n],
        ['9223372036854775807', 9223372036854775807n],
      ],
    },
    {
      column: 'c_bigint_u',
      type: 'BIGINT UNSIGNED',
      values: [
        ['18446744073709551615', '18446744073709551615'],
        ['0', '0'],
      ],
    },
    {
      column: 'c_float',
      type: 'FLOAT',
      values: [
        ['0.1', 0.1],
        ['3.4e38', 3.4e38],
        ['16777217', 16777216],
        ['-1.17549435e-38', -1.1754944e-38],
        ['1.2345678', 1.2345678],
      ],
    },
    {
      column: 'c_float_md',
      type: 'FLOAT(10,4)',
      values: [
        ['12.3456', 12.3456],
        ['-0.5', -0.5],
      ],
    },
    {
      column: 'c_double',
      type: 'DOUBLE',
      values: [
        ['0.1', 0.1],
        ['1.7976931348623157e308', 1.7976931348623157e308],
        ['-2.2250738585072014e-308', -2.2250738585072014e-308],
      ],
    },
    {
      column: 'c_decimal',
      type: 'DECIMAL(30,9)',
      values: [
        ['12345678901234567890.123456789', '12345678901234567890.123456789'],
        ['-0.000000001', '-0.000000001'],
        ['0', '0.000000000'],
      ],
    },
    { column: 'c_decimal_0', type: 'DECIMAL(5,0)', values: [['-99999', '-99999']] },
    {
      column: 'c_char',
      type: 'CHAR(4)',
      values: [
        ["'ab'", 'ab'],
        ["''", ''],
      ],
    },
    {
      column: 'c_varchar',
      type: 'VARCHAR(64)',
      values: [
        ["'Zoë 😀 中文'", 'Zoë 😀 中文'],
        ["'it''s \\\\ \"q\"'", 'it\'s \\ "q"'],
      ],
    },
    { column: 'c_tinytext', type: 'TINYTEXT', values: [["'t'", 't']] },
    { column: 'c_text', type: 'TEXT', values: [["'line1\\nline2'", 'line1\nline2']] },
    { column: 'c_mediumtext', type: 'MEDIUMTEXT', values: [["REPEAT('m', 1000)", 'm'.repeat(1000)]] },
    { column: 'c_longtext', type: 'LONGTEXT', values: [["''", '']] },
    {
      column: 'c_enum',
      type: "ENUM('a','b','c')",
      values: [
        ["'b'", 'b'],
        ["'c'", 'c'],
      ],
    },
    {
      column: 'c_set',
      type: "SET('x','y','z')",
      values: [
        ["'x,z'", 'x,z'],
        ["''", ''],
      ],
    },
    {
      column: 'c_json',
      type: 'JSON',
      values: [
        ['\'{"a":[1,2,{"b":null}]}\'', json('{"a":[1,2,{"b":null}]}', '{"a": [1, 2, {"b": null}]}')],
        ["'[]'", '[]'],
      ],
    },
    { column: 'c_binary', type: 'BINARY(4)', values: [["x'00ff0102'", buffer('00ff0102')]] },
    {
      column: 'c_varbinary',
      type: 'VARBINARY(8)',
      values: [
        ["x'00'", buffer('00')],
        ["x''", buffer('')],
      ],
    },
    { column: 'c_tinyblob', type: 'TINYBLOB', values: [["x'01'", buffer('01')]] },
    { column: 'c_blob', type: 'BLOB', values: [["x'deadbeef'", buffer('deadbeef')]] },
    { column: 'c_mediumblob', type: 'MEDIUMBLOB', values: [["x'ff'", buffer('ff')]] },
    { column: 'c_longblob', type: 'LONGBLOB', values: [["x'0000'", buffer('0000')]] },
    {
      column: 'c_bit',
      type: 'BIT(3)',
      values: [
        ["b'101'", buffer('05')],
        ["b'000'", buffer('00')],
      ],
    },
    {
      column: 'c_date',
      type: 'DATE',
      values: [
        ["'2024-02-29'", '2024-02-29'],
        ["'1000-01-01'", '1000-01-01'],
        ["'9999-12-31'", '9999-12-31'],
      ],
    },
    {
      column: 'c_time',
      type: 'TIME',
      values: [
        ["'23:59:59'", '23:59:59'],
        ["'-838:59:59'", '-838:59:59'],
      ],
    },
    {
      column: 'c_time6',
      type: 'TIME(6)',
      values: [
        ["'12:34:56.123456'", '12:34:56.123456'],
        ["'00:00:00'", '00:00:00.000000'],
      ],
    },
    {
      column: 'c_datetime',
      type: 'DATETIME',
      values: [
        ["'1000-01-01 00:00:00'", '1000-01-01T00:00:00'],
        ["'9999-12-31 23:59:59'", '9999-12-31T23:59:59'],
      ],
    },
    {
      column: 'c_datetime6',
      type: 'DATETIME(6)',
      values: [["'2024-02-29 23:59:59.999999'", '2024-02-29T23:59:59.999999']],
    },
    {
      column: 'c_timestamp',
      type: 'TIMESTAMP NULL',
      values: [["'2038-01-19 03:14:07'", '2038-01-19T03:14:07Z']],
    },
    {
      column: 'c_timestamp3',
      type: 'TIMESTAMP(3) NULL',
      values: [["'1970-01-01 00:00:01.500'", '1970-01-01T00:00:01.500Z']],
    },
    {
      column: 'c_year',
      type: 'YEAR',
      values: [
        ['2024', 2024],
        ['1901', 1901],
      ],
    },
  ];
}

function postgresCases(enumType: string): TypeCase[] {
  return [
    {
      column: 'c_bool',
      type: 'BOOLEAN',
      values: [
        ['TRUE', true],
        ['FALSE', false],
      ],
    },
    {
      column: 'c_int2',
      type: 'SMALLINT',
      values: [
        ['-32768', -32768],
        ['32767', 32767],
      ],
    },
    {
      column: 'c_int4',
      type: 'INTEGER',
      values: [
        ['-2147483648', -2147483648],
        ['2147483647', 2147483647],
      ],
    },
    {
      column: 'c_int8',
      type: 'BIGINT',
      values: [
        ['-9223372036854775808', -9223372036854775808n],
        ['9223372036854775807', 9223372036854775807n],
      ],
    },
    { column: 'c_oid', type: 'OID', values: [['4294967295', 4294967295n]] },
    {
      column: 'c_real',
      type: 'REAL',
      values: [
        ['0.1', 0.1],
        ['3.4e38', 3.4e38],
        ['16777217', 16777216],
        ["'NaN'", Number.NaN],
        ["'Infinity'", Number.POSITIVE_INFINITY],
        ["'-Infinity'", Number.NEGATIVE_INFINITY],
      ],
    },
    {
      column: 'c_double',
      type: 'DOUBLE PRECISION',
      values: [
        ['0.1', 0.1],
        ['1.7976931348623157e308', 1.7976931348623157e308],
        ["'NaN'", Number.NaN],
        ["'Infinity'", Number.POSITIVE_INFINITY],
        ["'-Infinity'", Number.NEGATIVE_INFINITY],
      ],
    },
    {
      column: 'c_numeric',
      type: 'NUMERIC(30,9)',
      values: [
        ['12345678901234567890.123456789', '12345678901234567890.123456789'],
        ['-0.000000001', '-0.000000001'],
        ['0', '0.000000000'],
      ],
    },
    {
      column: 'c_numeric_any',
      type: 'NUMERIC',
      values: [
        ['1e-20', '0.00000000000000000001'],
        ["'NaN'", 'NaN'],
        ["'Infinity'", 'Infinity'],
        ["'-Infinity'", '-Infinity'],
      ],
    },
    { column: 'c_char', type: 'CHAR(4)', values: [["'ab'", 'ab  ']] },
    {
      column: 'c_varchar',
      type: 'VARCHAR(64)',
      values: [
        ["'Zoë 😀 中文'", 'Zoë 😀 中文'],
        ["''", ''],
      ],
    },
    {
      column: 'c_text',
      type: 'TEXT',
      values: [
        ["E'line1\\nline2'", 'line1\nline2'],
        ["'it''s'", "it's"],
      ],
    },
    {
      column: 'c_uuid',
      type: 'UUID',
      values: [["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
    },
    { column: 'c_enum', type: enumType, values: [["'happy'", 'happy']] },
    { column: 'c_json', type: 'JSON', values: [['\'{"a":[1, 2]}\'', '{"a":[1, 2]}']] },
    { column: 'c_jsonb', type: 'JSONB', values: [['\'{"b":1,"a":[1,2]}\'', '{"a": [1, 2], "b": 1}']] },
    {
      column: 'c_bytea',
      type: 'BYTEA',
      values: [
        ["'\\x00ff0102'", buffer('00ff0102')],
        ["''", buffer('')],
      ],
    },
    {
      column: 'c_date',
      type: 'DATE',
      values: [
        ["'2024-02-29'", '2024-02-29'],
        ["'infinity'", 'infinity'],
        ["'-infinity'", '-infinity'],
        ["'0001-01-01 BC'", '0000-01-01'],
      ],
    },
    {
      column: 'c_time',
      type: 'TIME',
      values: [
        ["'23:59:59.999999'", '23:59:59.999999'],
        ["'00:00:00'", '00:00:00'],
      ],
    },
    {
      column: 'c_timestamp',
      type: 'TIMESTAMP',
      values: [
        ["'2024-02-29 23:59:59.5'", '2024-02-29T23:59:59.500000'],
        ["'infinity'", 'infinity'],
        ["'-infinity'", '-infinity'],
      ],
    },
    {
      column: 'c_timestamptz',
      type: 'TIMESTAMPTZ',
      values: [
        ["'2024-02-29 23:59:59.5+02'", '2024-02-29T21:59:59.500000Z'],
        ["'infinity'", 'infinity'],
        ["'-infinity'", '-infinity'],
      ],
    },
    { column: 'c_timetz', type: 'TIMETZ', values: [["'12:00:00+02'", '12:00:00+02']] },
    {
      column: 'c_interval',
      type: 'INTERVAL',
      values: [["'1 year 2 months 3 days 04:05:06'", '1 year 2 mons 3 days 04:05:06']],
    },
    { column: 'c_inet', type: 'INET', values: [["'192.168.0.1/24'", '192.168.0.1/24']] },
    { column: 'c_cidr', type: 'CIDR', values: [["'10.0.0.0/8'", '10.0.0.0/8']] },
    { column: 'c_macaddr', type: 'MACADDR', values: [["'08:00:2b:01:02:03'", '08:00:2b:01:02:03']] },
    { column: 'c_bit', type: 'BIT(3)', values: [["B'101'", '101']] },
    { column: 'c_varbit', type: 'BIT VARYING(8)', values: [["B'1'", '1']] },
    { column: 'c_int_array', type: 'INTEGER[]', values: [["'{1,2,NULL}'", '{1,2,NULL}']] },
    { column: 'c_text_array', type: 'TEXT[]', values: [['\'{"a b",c}\'', '{"a b",c}']] },
    { column: 'c_range', type: 'INT4RANGE', values: [["'[1,5)'", '[1,5)']] },
    { column: 'c_xml', type: 'XML', values: [["'<a>1</a>'", '<a>1</a>']] },
    { column: 'c_numeric_0', type: 'NUMERIC(5,0)', values: [['-99999', '-99999']] },
    {
      column: 'c_timestamp3',
      type: 'TIMESTAMP(3)',
      values: [["'2024-02-29 23:59:59.123'", '2024-02-29T23:59:59.123000']],
    },
    { column: 'c_name', type: 'NAME', values: [["'abc'", 'abc']] },
    { column: 'c_char1', type: '"char"', values: [["'x'", 'x']] },
    { column: 'c_point', type: 'POINT', values: [["'(1,2)'", '(1,2)']] },
    { column: 'c_tsvector', type: 'TSVECTOR', values: [["'a fat cat'", "'a' 'cat' 'fat'"]] },
    {
      column: 'c_daterange',
      type: 'DATERANGE',
      values: [["'[2024-01-01,2024-02-01)'", '[2024-01-01,2024-02-01)']],
    },
    { column: 'c_numrange', type: 'NUMRANGE', values: [["'(1.5,2.5]'", '(1.5,2.5]']] },
    { column: 'c_float_array', type: 'DOUBLE PRECISION[]', values: [["'{0.1,NaN}'", '{0.1,NaN}']] },
  ];
}

/** The cases of one database; PostgreSQL's enum type is created by the test under `enumType`. */
export function typeCases(kind: DatabaseKind, enumType: string): TypeCase[] {
  return kind === 'postgres' ? postgresCases(enumType) : mysqlCases(kind);
}

/** How many rows hold every value of every case, plus one row of NULLs. */
export function matrixRows(cases: readonly TypeCase[]): number {
  return Math.max(...cases.map((c) => c.values.length)) + 1;
}

/** The literal and expected value of a case in row r (0-based): NULL past its values. */
export function cell(c: TypeCase, r: number): [string, unknown] {
  return c.values[r] ?? ['NULL', null];
}
