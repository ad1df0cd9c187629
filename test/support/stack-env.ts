// The local stack's addresses, as `deploy/local/stack env` prints them.
// scripts/test.sh exports them; running vitest by hand needs
//   set -a; eval "$(deploy/local/stack env)"; set +a

export interface StackEnv {
  /** Capture user: REPLICATION SLAVE, REPLICATION CLIENT, SELECT. */
  mysqlUrl: string;
  /** A user that may create tables and write rows, as an application would. */
  mysqlAdminUrl: string;
  /** Capture user: REPLICATION, reads every table. */
  pgUrl: string;
  pgAdminUrl: string;
  kafkaBrokers: string[];
  kubeconfig: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: integration tests need the local stack. Run them with \`npm test\`, ` +
        'or bring it up with `deploy/local/stack up` and export `deploy/local/stack env`.',
    );
  }
  return value;
}

export function stackEnv(): StackEnv {
  return {
    mysqlUrl: required('MYSQL_URL'),
    mysqlAdminUrl: required('MYSQL_ADMIN_URL'),
    pgUrl: required('PG_URL'),
    pgAdminUrl: required('PG_ADMIN_URL'),
    kafkaBrokers: required('KAFKA_BROKERS').split(','),
    kubeconfig: required('KUBECONFIG'),
  };
}

/** A name no other test or earlier run uses: tests share one stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
