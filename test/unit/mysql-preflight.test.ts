import type { Connection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import {
  binlogReadError,
  checkBinlogSettings,
  checkPrivileges,
  mysqlPreflight,
} from '../../connectors/mysql/mysql-preflight.js';

/** What a server answers to the statements preflight sends. */
interface ServerState {
  version: string;
  variables: Record<string, string>;
  grants: string[];
  binlogs: string[];
  /** GTID_SUBSET(@@gtid_purged, stored set) */
  gtidCovered?: boolean;
}

const healthy: ServerState = {
  version: '10.11.6-MariaDB-0+deb12u1',
  variables: { log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL' },
  grants: ['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`'],
  binlogs: ['mariadb-bin.000003', 'mariadb-bin.000004'],
};

/** Answers preflight's queries from a fixed server state; no I/O. */
function server(state: Partial<ServerState>): Connection {
  const s = { ...healthy, ...state };
  const query = async (sql: string) => {
    if (sql.startsWith('SELECT VERSION()')) return [[{ version: s.version, comment: 'Debian' }]];
    if (sql.startsWith('SELECT GTID_SUBSET')) return [[{ covered: s.gtidCovered ? 1 : 0, mode: 'ON' }]];
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
    await expect(
      mysqlPreflight(server({}), 'appdb', { file: 'mariadb-bin.000004', pos: 400 }),
    ).resolves.toEqual({ flavour: 'mariadb', resumeFromGtid: false, warnings: [] });
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
      await expect(mysqlPreflight(server({ grants: [grant] }), 'appdb', undefined)).resolves.toMatchObject({
        warnings: [],
      });
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

  const mysql84: Partial<ServerState> = {
    version: '9.7.4-2',
    variables: {
      ...healthy.variables,
      gtid_mode: 'ON',
      binlog_row_value_options: '',
      binlog_transaction_compression: 'OFF',
    },
    grants: ['GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`'],
    binlogs: ['binlog.000007', 'binlog.000008'],
  };
  const storedSet = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20';

  it('detects MySQL and accepts it set up for capture', async () => {
    await expect(mysqlPreflight(server(mysql84), 'appdb', undefined)).resolves.toEqual({
      flavour: 'mysql',
      resumeFromGtid: false,
      warnings: [],
    });
  });

  it('on MySQL, resumes from the GTID set when the stored file is purged but the set covers gtid_purged', async () => {
    const stored = { file: 'binlog.000002', pos: 400, gtid: storedSet };
    await expect(
      mysqlPreflight(server({ ...mysql84, gtidCovered: true }), 'appdb', stored),
    ).resolves.toMatchObject({
      resumeFromGtid: true,
    });
    await expect(mysqlPreflight(server({ ...mysql84, gtidCovered: false }), 'appdb', stored)).rejects.toThrow(
      /ROWKUBE_ERR_POSITION_PURGED: .*binlog.000002:400 is in a purged binlog file .*GTID set no longer covers @@gtid_purged/,
    );
  });
});

describe('MySQL connector > preflight > binlog settings', () => {
  const base = { log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL' };

  it.each([
    [
      { binlog_row_value_options: 'PARTIAL_JSON' },
      /ROWKUBE_ERR_BINLOG_ROW_VALUE_OPTIONS: source s: binlog_row_value_options is PARTIAL_JSON: .*set binlog_row_value_options=''/,
    ],
    [
      { binlog_transaction_compression: 'ON' },
      /ROWKUBE_ERR_BINLOG_COMPRESSION: source s: binlog_transaction_compression is ON: .*set binlog_transaction_compression=OFF/,
    ],
  ])('refuses MySQL setting %o naming it and the fix', (override, message) => {
    expect(() => checkBinlogSettings({ ...base, ...override }, 'mysql', 'source s')).toThrow(message);
  });

  it('warns, without refusing, about gtid_mode OFF on MySQL and binlogs kept less than a day', () => {
    const warnings = checkBinlogSettings(
      { ...base, gtid_mode: 'OFF', binlog_expire_logs_seconds: '3600' },
      'mysql',
      'source s',
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^source s: gtid_mode is OFF: .*resumes by binlog file and position only/),
      expect.stringMatching(/^source s: binlog_expire_logs_seconds is 3600: /),
    ]);
  });

  it('does not warn about retention 0 (never expire) or about MariaDB, which has no gtid_mode', () => {
    expect(checkBinlogSettings({ ...base, binlog_expire_logs_seconds: '0' }, 'mariadb', 'source s')).toEqual(
      [],
    );
  });
});

describe('MySQL connector > preflight > privileges', () => {
  const replication = 'GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO X';

  it('on MySQL, wants RELOAD or BACKUP_ADMIN for the snapshot lock, only when a snapshot is due', () => {
    expect(() => checkPrivileges(replication, 'mysql', { snapshot: true }, 'source s')).toThrow(
      /ROWKUBE_ERR_PRIVILEGES: source s: a MySQL snapshot needs a lock .*GRANT RELOAD ON \*\.\* TO <user>.*GRANT BACKUP_ADMIN/,
    );
    expect(checkPrivileges(replication, 'mysql', { snapshot: false }, 'source s')).toEqual([]);
    expect(checkPrivileges(replication, 'mariadb', { snapshot: true }, 'source s')).toEqual([]);
    expect(
      checkPrivileges(
        `GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO X`,
        'mysql',
        { snapshot: true },
        'source s',
      ),
    ).toEqual([]);
  });

  it('warns that the backup lock alone streams transactions around the snapshot twice', () => {
    const grants = `${replication} GRANT BACKUP_ADMIN ON *.* TO X`;
    expect(checkPrivileges(grants, 'mysql', { snapshot: true }, 'source s')).toEqual([
      expect.stringMatching(/BACKUP_ADMIN but not RELOAD: .*streamed a second time/),
    ]);
  });

  it("accepts MySQL 8.4's REPLICATION REPLICA", () => {
    expect(
      checkPrivileges(
        'GRANT RELOAD, REPLICATION REPLICA, REPLICATION CLIENT ON *.* TO X',
        'mysql',
        { snapshot: true },
        's',
      ),
    ).toEqual([]);
  });
});

describe('MySQL connector > stream errors', () => {
  it('stops for good on a compressed transaction or a partial JSON update, retries a lost connection', () => {
    const compressed = binlogReadError(
      's',
      new Error('Server sent a TRANSACTION_PAYLOAD_EVENT (binlog_transaction_compression=ON).'),
    );
    expect(compressed.message).toMatch(/^ROWKUBE_ERR_BINLOG_COMPRESSION: source s: /);
    expect(compressed.retriable).toBe(false);
    const partial = binlogReadError(
      's',
      new Error('Server sent a PARTIAL_UPDATE_ROWS_EVENT (binlog_row_value_options=PARTIAL_JSON).'),
    );
    expect(partial.message).toMatch(/^ROWKUBE_ERR_BINLOG_ROW_VALUE_OPTIONS: /);
    const lost = binlogReadError('s', new Error('Connection lost'));
    expect([lost.message, lost.retriable]).toEqual([
      'ROWKUBE_ERR_SOURCE_CONNECTION: source s: binlog connection failed: Connection lost',
      true,
    ]);
  });
});
