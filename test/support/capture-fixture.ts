import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stackEnv } from './stack-env.js';

// What the end-to-end capture tests share: a connection as the application
// (table owner) to either database, and a capture configuration file.

export type DatabaseKind = 'mysql' | 'postgres';

export interface AdminDatabase {
  kind: DatabaseKind;
  /** The capture user's URL, for the configuration. */
  captureUrl: string;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects as the application user, who creates tables and writes rows. */
export async function openAdminDatabase(kind: DatabaseKind): Promise<AdminDatabase> {
  const env = stackEnv();
  if (kind === 'mysql') {
    const connection = await mysql.createConnection(env.mysqlAdminUrl);
    // A restart of the database ends idle connections with an 'error' event.
    connection.on('error', () => {});
    return {
      kind,
      captureUrl: env.mysqlUrl,
      exec: async (sql) => void (await connection.query(sql)),
      close: () => connection.end(),
    };
  }
  const client = new pg.Client({ connectionString: env.pgAdminUrl });
  client.on('error', () => {});
  await client.connect();
  return {
    kind,
    captureUrl: env.pgUrl,
    exec: async (sql) => void (await client.query(sql)),
    close: () => client.end(),
  };
}

/** Writes a one-source capture configuration into a fresh directory and returns its path. */
export function writeCaptureConfig(options: {
  kind: DatabaseKind;
  captureUrl: string;
  prefix: string;
  source: string;
  tables: string[];
}): string {
  const env = stackEnv();
  const file = join(mkdtempSync(join(tmpdir(), 'rowkube-test-')), 'rowkube.yaml');
  writeFileSync(
    file,
    `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${options.prefix} }
sources:
  - name: ${options.source}
    ${options.kind}: { url: "${options.captureUrl}" }
    tables: [${options.tables.join(', ')}]
`,
  );
  return file;
}
