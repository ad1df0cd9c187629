// `npm run bench:kafka-security`: capture throughput over the stack's SASL_SSL
// listener (TLS + SCRAM-SHA-512, ACLs enforced) against plaintext, in one run
// on the same broker, as a ratio. Same phases and knobs as bench:capture
// (BENCH_ROWS, BENCH_TX_ROWS, BENCH_RATE, BENCH_SECONDS); BENCH_DATABASES
// defaults to mariadb here. Plaintext runs first, then secure, per database;
// human-readable lines as it goes, one JSON line at the end.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import type { DatabaseKind } from '../support/admin-database.js';
import { type CaptureBenchEnv, captureBenchEnv } from './support/bench-env.js';
import { benchLogger, runBench, say } from './support/bench-main.js';
import { benchDatabase, type DatabaseFigures } from './support/database-bench.js';
import { describe, machineInfo } from './support/report.js';

const logger = benchLogger();

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: eval "$(deploy/local/stack env)" first`);
  return value;
}

async function main(env: CaptureBenchEnv): Promise<number> {
  required('KAFKA_SASL_PASSWORD'); // read by the configuration through ${env:}
  const secure = {
    brokers: required('KAFKA_SECURE_BROKERS').split(','),
    caFile: required('STACK_CA_FILE'),
    username: required('KAFKA_SASL_USERNAME'),
    passwordVariable: 'KAFKA_SASL_PASSWORD',
    prefix: required('KAFKA_SECURE_PREFIX'),
  };
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `kafka-security bench: ${env.rows} backlog rows (${env.txRows} per transaction), plaintext then SASL_SSL; ` +
      `${cpus().length} CPUs, load average ${loadBefore.toFixed(2)}`,
  );
  type Figures = DatabaseFigures | { error: string };
  const results: Partial<
    Record<DatabaseKind, { plaintext: Figures; secure: Figures; ratio: number | null }>
  > = {};
  let failed = false;
  const measure = async (kind: DatabaseKind, over: 'plaintext' | 'secure'): Promise<Figures> => {
    try {
      return await benchDatabase(kind, {
        env,
        kafka,
        logger,
        say: (line) => say(`${over}: ${line}`),
        ...(over === 'secure' ? { secure } : {}),
      });
    } catch (error) {
      failed = true;
      say(`${kind} ${over}: FAILED: ${describe(error)}`);
      return { error: describe(error) };
    }
  };
  for (const kind of env.databases) {
    const plaintext = await measure(kind, 'plaintext');
    const overTls = await measure(kind, 'secure');
    const ratio =
      'eventsPerSec' in plaintext && 'eventsPerSec' in overTls
        ? Math.round((overTls.eventsPerSec / plaintext.eventsPerSec) * 1000) / 1000
        : null;
    say(`${kind}: SASL_SSL events/s ÷ plaintext events/s = ${ratio ?? 'n/a'}`);
    results[kind] = { plaintext, secure: overTls, ratio };
  }
  say(
    JSON.stringify({
      bench: 'kafka-security',
      rows: env.rows,
      txRows: env.txRows,
      ...results,
      machine: machineInfo(loadBefore),
    }),
  );
  return failed ? 1 : 0;
}

runBench('bench:kafka-security', () => captureBenchEnv({ BENCH_DATABASES: 'mariadb', ...process.env }), main);
