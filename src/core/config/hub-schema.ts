import { z } from 'zod';
import { hubDeletionGuardSchema } from './deletion-guard-schema.js';

const identifier = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/, 'use lowercase letters, digits, "-" and "_" (at most 63)');
const column = z.string().min(1).describe('A column of the table, exactly as the database names it.');

export const lookupSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a template variable name: letters, digits and "_"')
      .describe('Variable under which templates see the matching rows, as a list.'),
    table: z.string().min(1).describe("A table captured by the hub's source."),
    key: column.describe('Column of the lookup table that holds the hub row’s uid.'),
  })
  .describe('Rows of another table joined to each hub row by key (e.g. feature_flags by tenant_id).');

export const hubStatusTableSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .describe('The source whose database holds the status table (any configured source).'),
    table: z
      .string()
      .min(1)
      .describe(
        'The status table ("table", or "schema.table" on PostgreSQL). It must not be captured: its writes would ' +
          'feed back into the hub. rowkube creates it if missing; the source user needs CREATE (or a table made ' +
          'from docs/status-table.md), INSERT, UPDATE, DELETE and SELECT on it.',
      ),
  })
  .describe(
    "Opt-in: the sink upserts each of the hub's nodes' state, applied position and last error into this table, " +
      'for the application to read (docs/status-table.md).',
  );

export const hubSchema = z
  .strictObject({
    name: identifier.describe('Names the hub; forms refer to it.'),
    source: z.string().min(1).describe('The source whose table this is.'),
    table: z.string().min(1).describe('A table the source captures; one node per row and form.'),
    uid: column.describe('Column whose value identifies the row: node id = <form>/<uid>.'),
    activate: column
      .optional()
      .describe(
        'Column that switches a row on: true, 1, "1", "true", "yes", "on" (any case) are active; anything else, NULL included, is not. Unset: every row is active.',
      ),
    values: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a template variable name'), column)
      .default({})
      .describe('Template variable → column. `uid` and the full row (`row`) are always available.'),
    filter: z
      .string()
      .optional()
      .describe("A Liquid condition over the hub's variables; rows where it is false are not nodes."),
    expireAt: column
      .optional()
      .describe(
        'Column holding the time the row expires: a DATETIME/TIMESTAMP (MySQL, MariaDB), timestamp/timestamptz (PostgreSQL), epoch milliseconds or ISO 8601 text. From that time on the node is gone as if deactivated, even when no change arrives; moving the value later extends its life; NULL never expires. DATETIME and timestamp without a time zone are read as UTC.',
      ),
    lookups: z
      .array(lookupSchema)
      .default([])
      .describe('Tables joined to each row; a change to one re-renders its nodes.'),
    deletionGuard: hubDeletionGuardSchema.optional(),
    status: hubStatusTableSchema.optional(),
  })
  .describe('A table whose rows become nodes.');

export type HubConfig = z.infer<typeof hubSchema>;
