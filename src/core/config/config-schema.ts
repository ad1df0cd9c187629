import { z } from 'zod';
import { deletionGuardSchema } from './deletion-guard-schema.js';
import { formSchema } from './form-schema.js';
import { hubSchema } from './hub-schema.js';
import { kafkaSaslConfigSchema } from './kafka-sasl-schema.js';
import { kafkaSslSchema } from './kafka-security-schema.js';
import { kubernetesSchema } from './kubernetes-schema.js';
import { leaderElectionSchema } from './leader-election-schema.js';
import { observabilitySchema } from './observability-schema.js';
import { schemaRegistrySchema } from './schema-registry-schema.js';
import { sinkSchema } from './sink-schema.js';

// The one definition of rowkube's configuration: it validates a file, fills
// defaults, and its descriptions are the reference (`rowkube validate`, README).
// Each section is its own schema (this file, hub-schema.ts, form-schema.ts,
// kubernetes-schema.ts, observability-schema.ts); config-references.ts checks what they say about each
// other once each is valid.

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/, 'use lowercase letters, digits, "-" and "_" (at most 63)');

export const kafkaSchema = z
  .strictObject({
    brokers: z.array(z.string().min(1)).min(1).describe('Bootstrap brokers, host:port.'),
    topicPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9._-]+$/, 'Kafka topic names allow letters, digits, ".", "_" and "-"')
      .default('rowkube')
      .describe('First part of every topic name: <prefix>.<source>.<table>, <prefix>.desired, …'),
    clientId: z.string().default('rowkube').describe('Client id shown in broker logs and metrics.'),
    partitions: z.number().int().min(1).default(1).describe('Partitions of topics rowkube creates.'),
    replicationFactor: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Replication factor of topics rowkube creates.'),
    ssl: kafkaSslSchema.optional(),
    sasl: kafkaSaslConfigSchema.optional(),
  })
  .describe('Where the change, desired-state and audit topics live.');

const tableName = z
  .string()
  .regex(/^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)?$/, 'a table name, optionally qualified as schema.table');

// PEM text, normally `${file:/path/ca.pem}` or `${env:VAR}`: secrets never sit inline in the file.
const pem = z.string().min(1);

export const mysqlSslSchema = z
  .strictObject({
    ca: pem
      .optional()
      .describe('PEM of the CA(s) that signed the server certificate; default the system CAs.'),
    cert: pem.optional().describe('PEM client certificate, for servers that require X509 users.'),
    key: pem
      .optional()
      .describe('PEM private key of `cert`; give it by a file: or env: reference, never inline.'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe(
        'Verify the server certificate against `ca` (and its name); false encrypts without verifying.',
      ),
  })
  .describe('TLS for the binlog and the query connections. Without it the connection is plaintext.');

export const postgresSslSchema = z
  .strictObject({
    mode: z
      .enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])
      .default('verify-full')
      .describe(
        'As libpq sslmode, without fallbacks: disable and allow connect in plaintext, prefer and require use TLS ' +
          'without verifying the server (unless `ca` is given), verify-ca checks the chain, verify-full also the host name.',
      ),
    ca: pem
      .optional()
      .describe('PEM of the CA(s) that signed the server certificate; default the system CAs.'),
    cert: pem.optional().describe('PEM client certificate (for `cert` authentication in pg_hba.conf).'),
    key: pem
      .optional()
      .describe('PEM private key of `cert`; give it by a file: or env: reference, never inline.'),
  })
  .describe(
    'TLS for the replication and the query connections; an `sslmode` in the URL takes precedence over `mode`.',
  );

export const mysqlSourceSchema = z.strictObject({
  url: z
    .string()
    .regex(/^mysql:\/\//, 'a mysql://user:password@host:port/database URL')
    .describe('Capture user needs REPLICATION SLAVE, REPLICATION CLIENT and SELECT.'),
  serverId: z
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1)
    .optional()
    .describe(
      'Binlog reader id, unique among the replicas of the server; derived from the source name if unset.',
    ),
  ssl: mysqlSslSchema.optional(),
});

export const postgresSourceSchema = z.strictObject({
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres://user:password@host:port/database URL')
    .describe('Capture user needs REPLICATION and SELECT on the captured tables.'),
  slot: z.string().optional().describe('Replication slot; default rowkube_<source>.'),
  publication: z.string().optional().describe('Publication; default rowkube_<source>.'),
  ssl: postgresSslSchema.optional(),
});

export const incrementalSnapshotsSchema = z
  .strictObject({
    signalTable: tableName
      .default('rowkube_signal')
      .describe(
        'Signal table (columns id, type, data) in the source database, read from the log but never published. ' +
          'Capture uses it only if it exists; the capture user needs INSERT on it for watermarks.',
      ),
    chunkSize: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1024)
      .describe('Rows per chunk of an incremental snapshot, read by primary key between two watermarks.'),
  })
  .describe(
    'Re-snapshots of single tables while streaming goes on (`rowkube snapshot --table T`, or an ' +
      'execute-snapshot row in the signal table); docs/capture.md "Incremental snapshots".',
  );

export const sourceSchema = z
  .strictObject({
    name: name.describe('Names the source in topic names and offsets.'),
    mysql: mysqlSourceSchema.optional(),
    postgres: postgresSourceSchema.optional(),
    tables: z.array(tableName).min(1).describe('Tables to capture; each needs a primary key.'),
    incrementalSnapshots: incrementalSnapshotsSchema.prefault({}),
    snapshotChunkRows: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe(
        'Rows per snapshot chunk: each chunk commits to Kafka with the progress, so a crashed snapshot resumes after the last one.',
      ),
  })
  .refine((s) => (s.mysql ? 1 : 0) + (s.postgres ? 1 : 0) === 1, {
    message: 'give exactly one of `mysql` or `postgres`',
  })
  .describe('A database whose tables rowkube captures.');

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema,
    schemaRegistry: schemaRegistrySchema.optional(),
    sources: z
      .array(sourceSchema)
      .min(1)
      .refine((sources) => new Set(sources.map((s) => s.name)).size === sources.length, {
        message: 'source names must be unique',
      })
      .describe('Databases whose tables rowkube captures; give each exactly one of `mysql` or `postgres`.'),
    kubernetes: kubernetesSchema.prefault({}),
    sink: sinkSchema.prefault({}),
    hubs: z.array(hubSchema).default([]).describe('Tables whose rows become nodes.'),
    forms: z.array(formSchema).default([]).describe('What each hub row becomes in Kubernetes.'),
    observability: observabilitySchema.prefault({}),
    deletionGuard: deletionGuardSchema.prefault({}),
    leaderElection: leaderElectionSchema.prefault({}),
  })
  .describe('rowkube configuration.');

export type RowkubeConfig = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type KafkaConfig = z.infer<typeof kafkaSchema>;
export type MysqlSslConfig = z.infer<typeof mysqlSslSchema>;
export type PostgresSslConfig = z.infer<typeof postgresSslSchema>;
