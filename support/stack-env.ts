// The local stack's addresses, as `deploy/local/stack env` prints them, for
// everything that drives rowkube against the stack: the integration tests,
// the benchmarks and the demo. None of them brings the stack up itself
// (scripts/test.sh and scripts/demo.sh do), so a missing variable is reported
// with the commands that fix it.

export interface StackEnv {
  /** Capture user: REPLICATION SLAVE, REPLICATION CLIENT, SELECT. */
  mysqlUrl: string;
  /** A user that may create tables and write rows, as an application would. */
  mysqlAdminUrl: string;
  /** Capture user: REPLICATION, reads every table. */
  /** Oracle's MySQL (stack part `mysql`): capture user, as for MariaDB plus RELOAD for the snapshot lock. */
  oracleMysqlUrl: string;
  oracleMysqlAdminUrl: string;
  pgUrl: string;
  pgAdminUrl: string;
  /** The helm binary (stack part `helm`), for the chart's tests. */
  helm: string;
  /** Every variable by its name, e.g. for a caller that picks the database at run time. */
  urls: Record<StackVariable, string>;
  kafkaBrokers: string[];
  kubeconfig: string;
}

export type StackVariable =
  | 'MYSQL_URL'
  | 'MYSQL_ADMIN_URL'
  | 'ORACLE_MYSQL_URL'
  | 'ORACLE_MYSQL_ADMIN_URL'
  | 'PG_URL'
  | 'PG_ADMIN_URL'
  | 'KAFKA_BROKERS'
  | 'KUBECONFIG'
  | 'HELM'
  | 'MYSQL_TLS_URL'
  | 'ORACLE_MYSQL_TLS_URL'
  | 'PG_TLS_URL'
  | 'STACK_CA_FILE';

const EVERY_VARIABLE: readonly StackVariable[] = [
  'MYSQL_URL',
  'MYSQL_ADMIN_URL',
  'ORACLE_MYSQL_URL',
  'ORACLE_MYSQL_ADMIN_URL',
  'PG_URL',
  'PG_ADMIN_URL',
  'KAFKA_BROKERS',
  'KUBECONFIG',
  'HELM',
  // TLS-only capture users (REQUIRE SSL, hostssl) and the CA that signed the servers' certificates.
  'MYSQL_TLS_URL',
  'ORACLE_MYSQL_TLS_URL',
  'PG_TLS_URL',
  'STACK_CA_FILE',
];

/**
 * What a caller needs unless it says otherwise. MySQL's variables, HELM and
 * the TLS ones are left out: only the tests and benchmarks that use them ask for them, by name.
 */
const DEFAULT_NEEDS = EVERY_VARIABLE.filter(
  (name) =>
    !name.startsWith('ORACLE_') && !['HELM', 'MYSQL_TLS_URL', 'PG_TLS_URL', 'STACK_CA_FILE'].includes(name),
);

export class StackEnvError extends Error {}

export interface StackEnvOptions {
  /** The variables the caller uses; the others may be missing (their fields are then empty). Default: all but MySQL's. */
  needs?: readonly StackVariable[];
  /** What runs against the stack, for the message, e.g. "the sink benchmark" (default: each integration test). */
  what?: string;
  /** The command to run again once the stack is up, e.g. "npm run bench:apply". */
  rerun?: string;
  env?: NodeJS.ProcessEnv;
}

export function stackEnv(options: StackEnvOptions = {}): StackEnv {
  const env = options.env ?? process.env;
  const missing = (options.needs ?? DEFAULT_NEEDS).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new StackEnvError(
      `${missing.join(', ')} not set: ${options.what ?? 'each integration test'} runs against the local stack ` +
        'and starts nothing itself.\n' +
        'Bring the stack up and export its addresses, then run again:\n' +
        '  deploy/local/stack up\n' +
        '  set -a; eval "$(deploy/local/stack env)"; set +a\n' +
        `  ${options.rerun ?? 'npm test'}`,
    );
  }
  const value = (name: StackVariable) => env[name] ?? '';
  return {
    mysqlUrl: value('MYSQL_URL'),
    mysqlAdminUrl: value('MYSQL_ADMIN_URL'),
    oracleMysqlUrl: value('ORACLE_MYSQL_URL'),
    oracleMysqlAdminUrl: value('ORACLE_MYSQL_ADMIN_URL'),
    pgUrl: value('PG_URL'),
    pgAdminUrl: value('PG_ADMIN_URL'),
    helm: value('HELM'),
    kafkaBrokers: value('KAFKA_BROKERS').split(','),
    kubeconfig: value('KUBECONFIG'),
    urls: Object.fromEntries(EVERY_VARIABLE.map((name) => [name, value(name)])) as Record<
      StackVariable,
      string
    >,
  };
}

/** The second cluster's kubeconfig (`KUBECONFIG_REPLAY`), the target of the replay tests. */
export function replayKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.KUBECONFIG_REPLAY;
  if (!path)
    throw new StackEnvError(
      'KUBECONFIG_REPLAY is not set: the replay test needs the second cluster of the local stack ' +
        '(`deploy/local/stack up` and export `deploy/local/stack env`)',
    );
  return path;
}

/** The prometheus-operator CRDs (ServiceMonitor, PrometheusRule) the stack part `helm` generates. */
export function monitoringCrdsDir(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.MONITORING_CRDS_DIR;
  if (!path)
    throw new StackEnvError(
      'MONITORING_CRDS_DIR is not set: the chart test needs the stack part `helm` ' +
        '(`deploy/local/stack up helm` and export `deploy/local/stack env`)',
    );
  return path;
}

/** The chromium executable (stack part `browser`) that the dashboard's test drives with playwright-core. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.ROWKUBE_CHROMIUM;
  if (!path)
    throw new StackEnvError(
      'ROWKUBE_CHROMIUM is not set: the dashboard test needs the stack part `browser` ' +
        '(`deploy/local/stack up browser` and export `deploy/local/stack env`)',
    );
  return path;
}

/** The schema registry (stack part `registry`): its Confluent API over HTTP and HTTPS, and its basic-auth user. */
export interface SchemaRegistryEnv {
  /** `http://…/apis/ccompat/v7`. */
  url: string;
  /** The same API over HTTPS, with a certificate signed by `STACK_CA_FILE`. */
  tlsUrl: string;
  /** Both URLs require HTTP basic authentication. */
  username: string;
  password: string;
  /** The stack CA that signed the HTTPS port's certificate. */
  caFile: string;
}

export function schemaRegistryEnv(env: NodeJS.ProcessEnv = process.env): SchemaRegistryEnv {
  const names = [
    'SCHEMA_REGISTRY_URL',
    'SCHEMA_REGISTRY_TLS_URL',
    'SCHEMA_REGISTRY_USERNAME',
    'SCHEMA_REGISTRY_PASSWORD',
    'STACK_CA_FILE',
  ] as const;
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0)
    throw new StackEnvError(
      `${missing.join(', ')} not set: this needs the stack part \`registry\` ` +
        '(`deploy/local/stack up registry` and export `deploy/local/stack env`)',
    );
  const value = (name: (typeof names)[number]) => env[name] ?? '';
  return {
    url: value('SCHEMA_REGISTRY_URL'),
    tlsUrl: value('SCHEMA_REGISTRY_TLS_URL'),
    username: value('SCHEMA_REGISTRY_USERNAME'),
    password: value('SCHEMA_REGISTRY_PASSWORD'),
    caFile: value('STACK_CA_FILE'),
  };
}

/**
 * A name no other test, benchmark or earlier run uses: they all share one
 * stack. Lower-case, so it is a valid PostgreSQL slot name too.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
