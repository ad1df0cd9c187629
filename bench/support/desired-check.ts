import type { SchemaResolver } from '../../src/kafka/index.js';
import type { CollectedRecord } from './output-collector.js';
import { FORM_NAME } from './tenant-config.js';
import { FLAGS, isFlagged, tenantUid } from './tenant-rows.js';

// Once the desired topic has gone quiet, is it the backlog's final state? Each
// tenant's latest record must be its node, rendered without error, with the
// flags of its lookup rows. This is how the throughput phase knows the
// processor is done without looking inside it (hub and lookup topics are read
// in no fixed order, so a tenant may first render without its flags: the
// number of records is not known in advance, the final state is). It runs
// after the clock stopped, so its decoding costs the figures nothing.

export interface DesiredCheck {
  /** Every tenant's node is there, rendered, with its flags. */
  complete: boolean;
  nodes: number;
  /** Tenants whose node is missing or not (yet) in its final state. */
  pending: number;
  /** Nodes whose record is an error record (the form failed for them): the bench's form is wrong. */
  errors: number;
  firstProblem: string | undefined;
  /** Mean size of the desired values, for a floor that writes records of the same size. */
  avgValueBytes: number;
}

interface DesiredValueView {
  id: string;
  resources: { id: string; manifest: string }[];
  error: { code: string; message: string } | null;
}

export async function checkDesired(
  latest: ReadonlyMap<string, CollectedRecord>,
  resolver: SchemaResolver,
  tenants: number,
  flaggedEvery: number,
): Promise<DesiredCheck> {
  const byNode = new Map<string, DesiredValueView | null>();
  let bytes = 0;
  let values = 0;
  for (const record of latest.values()) {
    if (record.value === null || record.valueSchema === undefined) continue;
    bytes += record.value.length;
    values += 1;
    const value = (await resolver.resolve(record.valueSchema)).decode(record.value) as DesiredValueView;
    byNode.set(value.id, value);
  }
  let pending = 0;
  let errors = 0;
  let firstProblem: string | undefined;
  const problem = (text: string) => {
    firstProblem ??= text;
  };
  for (let id = 1; id <= tenants; id++) {
    const node = `${FORM_NAME}/${tenantUid(id)}`;
    const value = byNode.get(node);
    if (value === undefined || value === null) {
      pending += 1;
      problem(`${node}: no desired record`);
      continue;
    }
    if (value.error !== null) {
      errors += 1;
      problem(`${node}: error record ${value.error.code}: ${value.error.message}`);
      continue;
    }
    const config = value.resources.find((r) => r.id === 'config');
    const features = config === undefined ? undefined : JSON.parse(config.manifest)?.data?.features;
    const expected = isFlagged(id, flaggedEvery) ? FLAGS.join(',') : '';
    if (features !== expected) {
      pending += 1;
      problem(`${node}: features ${JSON.stringify(features)}, expected ${JSON.stringify(expected)}`);
    }
  }
  return {
    complete: pending === 0 && errors === 0,
    nodes: byNode.size,
    pending,
    errors,
    firstProblem,
    avgValueBytes: values === 0 ? 0 : Math.round(bytes / values),
  };
}
