// One page of a table in primary-key order, after a given key: keyset
// pagination, so that each chunk of a snapshot is one cheap index range read
// whatever the table's size, and a snapshot cut short continues after the
// last key it committed. Pure: builds SQL text and parameters, no I/O.

export interface KeysetQueryOptions {
  /**
   * `postgres` compares a row value, `(a, b) > ($1, $2)`, which PostgreSQL
   * reads as an index range; `mysql` spells it out, `a > ? OR (a = ? AND b > ?)`,
   * which MySQL and MariaDB turn into ranges too (row comparisons are not
   * always).
   */
  dialect: 'mysql' | 'postgres';
  /** The select list, quoted. */
  columns: string;
  /** The FROM clause, quoted ("`db`.`t`", "ONLY \"public\".\"t\""). */
  from: string;
  /** The primary key columns in key order, unquoted. */
  key: readonly string[];
  quote: (identifier: string) => string;
  /** The last key already read, in key order; undefined for the first page. */
  after?: readonly unknown[] | undefined;
  /** Rows per page, a positive whole number. */
  limit: number;
}

export interface KeysetQuery {
  text: string;
  params: unknown[];
}

/** Throws a RangeError for an empty key, a key of the wrong length or a bad limit. */
export function keysetQuery(options: KeysetQueryOptions): KeysetQuery {
  const { dialect, key, quote, after, limit } = options;
  if (key.length === 0) throw new RangeError('keyset pagination needs a primary key');
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`page size must be a positive whole number, got ${limit}`);
  if (after !== undefined && after.length !== key.length)
    throw new RangeError(
      `resume key has ${after.length} values for a primary key of ${key.length} columns (${key.join(', ')})`,
    );
  const columns = key.map(quote);
  const order = `ORDER BY ${columns.join(', ')}`;
  let where = '';
  const params: unknown[] = [];
  if (after !== undefined) {
    if (dialect === 'postgres') {
      const placeholders = after.map((_, i) => `$${i + 1}`);
      params.push(...after);
      where =
        columns.length === 1
          ? ` WHERE ${columns[0]} > ${placeholders[0]}`
          : ` WHERE (${columns.join(', ')}) > (${placeholders.join(', ')})`;
    } else {
      // a > x  OR  (a = x AND b > y)  OR  (a = x AND b = y AND c > z) …
      const terms: string[] = [];
      for (let i = 0; i < columns.length; i++) {
        const equal = columns.slice(0, i).map((c) => `${c} = ?`);
        terms.push([...equal, `${columns[i]} > ?`].join(' AND '));
        params.push(...after.slice(0, i), after[i]);
      }
      where = ` WHERE ${terms.length === 1 ? terms[0] : terms.map((t) => `(${t})`).join(' OR ')}`;
    }
  }
  return { text: `SELECT ${options.columns} FROM ${options.from}${where} ${order} LIMIT ${limit}`, params };
}
