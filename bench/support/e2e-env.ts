// What the end-to-end benchmark needs from its environment and command line:
// the local stack's addresses (as `deploy/local/stack env` prints them) and
// the size of the run. The bench brings nothing up itself, so a missing
// variable is reported with the commands that fix it.

export interface E2eBenchEnv {
  /** The capture user, as a deployment configures it. */
  mysqlUrl: string;
  /** The writer: creates the table and commits the rows, as an application would. */
  mysqlAdminUrl: string;
  kafkaBrokers: string[];
  kubeconfig: string;
  /** Tenants of the bulk insert, 3 objects each (`--tenants N`, default 10,000). */
  tenants: number;
  /** Length of the steady-rate phase (`--seconds N`, default 60). */
  seconds: number;
  /** Tenant updates per second in the steady-rate phase (`--rate N`, default 50). */
  rate: number;
  /** Requests in flight: the sink's kubernetes.concurrency and the floor's (`--concurrency N`, default 16). */
  concurrency: number;
}

const STACK_VARS = ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'] as const;

const DEFAULTS = { '--tenants': 10_000, '--seconds': 60, '--rate': 50, '--concurrency': 16 } as const;
type Flag = keyof typeof DEFAULTS;
const USAGE = 'usage: bench:e2e [--tenants N] [--seconds N] [--rate N] [--concurrency N]';
/** The sink's schema allows at most this many requests in flight. */
const MAX_CONCURRENCY = 256;

export class E2eBenchEnvError extends Error {}

export function e2eBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): E2eBenchEnv {
  const missing = STACK_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new E2eBenchEnvError(
      `${missing.join(', ')} not set: the end-to-end benchmark runs against the local stack and starts nothing itself.\n` +
        'Bring the stack up and export its addresses, then run it again:\n' +
        '  deploy/local/stack up\n' +
        '  set -a; eval "$(deploy/local/stack env)"; set +a\n' +
        '  npm run bench:e2e',
    );
  }
  const options = parseArgs(argv);
  const concurrency = options.get('--concurrency') ?? DEFAULTS['--concurrency'];
  if (concurrency > MAX_CONCURRENCY)
    throw new E2eBenchEnvError(
      `--concurrency: ${concurrency} is above ${MAX_CONCURRENCY}, the most the sink allows`,
    );
  return {
    mysqlUrl: env.MYSQL_URL as string,
    mysqlAdminUrl: env.MYSQL_ADMIN_URL as string,
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(','),
    kubeconfig: env.KUBECONFIG as string,
    tenants: options.get('--tenants') ?? DEFAULTS['--tenants'],
    seconds: options.get('--seconds') ?? DEFAULTS['--seconds'],
    rate: options.get('--rate') ?? DEFAULTS['--rate'],
    concurrency,
  };
}

/** `--tenants 500`, `--tenants=500`, …: each a positive integer. */
function parseArgs(argv: readonly string[]): Map<Flag, number> {
  const options = new Map<Flag, number>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const equals = arg.indexOf('=');
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    if (!Object.hasOwn(DEFAULTS, flag)) throw new E2eBenchEnvError(`unknown argument '${arg}'; ${USAGE}`);
    const text = equals < 0 ? argv[++i] : arg.slice(equals + 1);
    if (text === undefined) throw new E2eBenchEnvError(`${flag} needs a number; ${USAGE}`);
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0)
      throw new E2eBenchEnvError(`${flag}: '${text}' is not a positive integer`);
    options.set(flag as Flag, value);
  }
  return options;
}
