import type { Connection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { mysqlPreflight } from '../../connectors/mysql/mysql-preflight.js';

/** What a server answers to the three statements preflight sends. */
interface ServerState {
  variables: Record<string, string>;
  grants: string[];
  binlogs: string[];
}

const healthy: ServerState = {
  variables: { log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL' },
  grants: ['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`'],
  binlogs: ['mariadb-bin.000003', 'mariadb-bin.000004'],
};

/** Answers preflight's queries from a fixed server state; no I/O. */
function server(state: Partial<ServerState>): Connection {
  const s = { ...healthy, ...state };
  const query = async (sql: string) => {
    if (sql.startsWith('SHOW GLOBAL VARIABLES')) {
      return [Object.entries(s.variables).map(([Variable_name, Value]) => ({ Variable_name, Value }))];
    }
    if (sql === 'SHOW GRANTS') return [s.grants.map((g) => ({ 'Grants for cdc@%': g }))];
    if (sql === 'SHOW BINARY LOGS') return [s.binlogs.map((Log_name) => ({ Log_name, File_size: 1 }))];
    throw new Error(`unexpected query: ${sql}`);
  };
  return { query } as unknown as Connection;
}

describe('MySQL connector > preflight', () => {
  it('accepts a server set up for capture', async () => {
    await expect(mysqlPreflight(server({}), 'appdb', { file: 'mariadb-bin.000004', pos: 400 })).resolves.toBe(
      undefined,
    );
  });

  it.each([
    [{ log_bin: 'OFF' }, /ROWKUBE_ERR_BINLOG_DISABLED: source appdb: the binary log is off/],
    [
      { binlog_format: 'MIXED' },
      /ROWKUBE_ERR_BINLOG_FORMAT: source appdb: binlog_format is MIXED; set binlog_format=ROW/,
    ],
    [{ binlog_row_image: 'MINIMAL' }, /ROWKUBE_ERR_BINLOG_ROW_IMAGE: .*binlog_row_image=FULL/],
    [{ binlog_row_metadata: 'NO_LOG' }, /ROWKUBE_ERR_BINLOG_ROW_METADATA: .*binlog_row_metadata is NO_LOG/],
  ])('refuses %o naming the setting and the fix', async (override, message) => {
    const variables = { ...healthy.variables, ...override };
    await expect(mysqlPreflight(server({ variables }), 'appdb', undefined)).rejects.toThrow(message);
  });

  it('refuses a server too old to have binlog_row_metadata', async () => {
    const { binlog_row_metadata: _, ...variables } = healthy.variables;
    await expect(mysqlPreflight(server({ variables }), 'appdb', undefined)).rejects.toThrow(
      /ROWKUBE_ERR_BINLOG_ROW_METADATA: .*no binlog_row_metadata setting/,
    );
  });

  it('names every missing privilege and the GRANT that fixes it', async () => {
    await expect(
      mysqlPreflight(server({ grants: ['GRANT SELECT ON *.* TO `cdc`@`%`'] }), 'appdb', undefined),
    ).rejects.toThrow(
      'ROWKUBE_ERR_PRIVILEGES: source appdb: the capture user lacks REPLICATION SLAVE and REPLICATION CLIENT; run GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO <user>',
    );
  });

  it('accepts MySQL spellings of the privileges and ALL PRIVILEGES', async () => {
    for (const grant of [
      'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO x',
      'GRANT ALL PRIVILEGES ON *.* TO x',
    ]) {
      await expect(mysqlPreflight(server({ grants: [grant] }), 'appdb', undefined)).resolves.toBe(undefined);
    }
  });

  it('refuses a stored position in a purged binlog file', async () => {
    await expect(
      mysqlPreflight(server({}), 'appdb', { file: 'mariadb-bin.000001', pos: 400 }),
    ).rejects.toThrow(
      /ROWKUBE_ERR_POSITION_PURGED: source appdb: the stored position mariadb-bin.000001:400 is in a purged binlog file \(oldest available: mariadb-bin.000003\)/,
    );
    await expect(
      mysqlPreflight(server({}), 'appdb', { file: 'mariadb-bin.000001', pos: 400 }),
    ).rejects.toThrow(/run 'rowkube snapshot --source appdb' to take a new snapshot/);
  });
});
