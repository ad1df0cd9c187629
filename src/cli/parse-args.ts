import { parseArgs as parseNodeArgs } from 'node:util';
import { parseReplayTime } from '../replay/replay-time.js';

/** What the command line asks for, before anything runs. */
export type CliRequest =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; config: string }
  | { kind: 'capture'; config: string; instance?: string }
  | { kind: 'apply'; config: string }
  | { kind: 'run'; config: string; instance?: string }
  | { kind: 'process'; config: string; instance?: string }
  | { kind: 'snapshot'; config: string; table?: string; source?: string; wait: boolean }
  | { kind: 'replay'; config: string; kubeconfig: string; at?: number; waitTimeoutSeconds?: number }
  | { kind: 'release'; config: string; hub: string; waitSeconds: number }
  | {
      kind: 'rollout';
      action: 'status' | 'resume' | 'abort';
      config: string;
      form: string;
      waitSeconds: number;
    }
  | {
      kind: 'rbac';
      config: string;
      kubeconfig?: string;
      output: 'values' | 'manifests';
      serviceAccount?: { namespace: string; name: string };
    }
  | {
      kind: 'tail';
      topic: string;
      config?: string;
      brokers?: string[];
      /** Schema registry URL for records in the Confluent wire format (the config's schemaRegistry wins). */
      registry?: string;
      fromBeginning: boolean;
      follow: boolean;
      limit?: number;
    }
  | {
      kind: 'status';
      /** One node (`<form>/<uid>`): its objects and history; absent: the table of nodes. */
      node?: string;
      config?: string;
      brokers?: string[];
      /** The topic prefix with --brokers (default rowkube); a config's kafka.topicPrefix wins. */
      prefix?: string;
      registry?: string;
      form?: string;
      failed: boolean;
      output: 'table' | 'json' | 'yaml';
      watch: boolean;
    }
  | { kind: 'kafka-acls'; config: string; principal?: string }
  | { kind: 'wait'; config: string; node: string; position: string; timeoutSeconds: number; json: boolean }
  | { kind: 'error'; message: string };

type Options = NonNullable<Parameters<typeof parseNodeArgs>[0]>['options'];

const CONFIG: Options = { config: { type: 'string', short: 'c' } };

/**
 * Reads the command line. Kept free of I/O so that every way of calling the
 * CLI is covered by unit tests; each command lists its own options.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h')
    return { kind: 'help' };
  try {
    switch (command) {
      case 'version':
      case '--version':
      case '-v':
        parse(command, rest, {}, 0);
        return { kind: 'version' };
      case 'validate':
      case 'apply': {
        const { values } = parse(command, rest, CONFIG, 0);
        return { kind: command, config: requireConfig(command, values.config) };
      }
      case 'run':
      case 'capture':
      case 'process': {
        const { values } = parse(command, rest, { ...CONFIG, instance: { type: 'string' } }, 0);
        const instance = values.instance as string | undefined;
        if (instance !== undefined && !/^[a-zA-Z0-9._-]{1,100}$/.test(instance))
          throw new Error(
            `--instance wants letters, digits, ".", "_" or "-" (a Kafka transactional id part), got '${instance}'`,
          );
        return {
          kind: command,
          config: requireConfig(command, values.config),
          ...(instance ? { instance } : {}),
        };
      }
      case 'snapshot': {
        const { values } = parse(
          command,
          rest,
          {
            ...CONFIG,
            table: { type: 'string' },
            source: { type: 'string' },
            wait: { type: 'boolean', default: false },
          },
          0,
        );
        const table = values.table as string | undefined;
        const source = values.source as string | undefined;
        if (table === '' || source === '') throw new Error("'snapshot': --table and --source want a name");
        // --table: one table again while streaming goes on; --source alone: the whole source.
        if (table === undefined && source === undefined)
          throw new Error(
            "'snapshot' needs --table T (an incremental re-snapshot of one table) or --source S (a new snapshot of the whole source)",
          );
        if (table === undefined && values.wait === true)
          throw new Error(
            "'snapshot': --wait goes with --table; a whole-source snapshot happens at capture's next start",
          );
        return {
          kind: command,
          config: requireConfig(command, values.config),
          ...(table ? { table } : {}),
          ...(source ? { source } : {}),
          wait: values.wait === true,
        };
      }
      case 'replay': {
        const { values } = parse(
          command,
          rest,
          {
            ...CONFIG,
            kubeconfig: { type: 'string' },
            at: { type: 'string' },
            wait: { type: 'boolean', default: false },
            'wait-timeout': { type: 'string' },
          },
          0,
        );
        const kubeconfig = values.kubeconfig;
        // Never the configured cluster by default: a replay into the live
        // cluster by mistake would fight the sink that applies to it.
        if (typeof kubeconfig !== 'string' || kubeconfig === '')
          throw new Error("'replay' needs --kubeconfig FILE: the cluster to rebuild");
        const at = values.at === undefined ? undefined : parseReplayTime(String(values.at));
        const waitTimeoutSeconds = replayWait(values.wait === true, values['wait-timeout']);
        return {
          kind: command,
          config: requireConfig(command, values.config),
          kubeconfig,
          ...(at === undefined ? {} : { at }),
          ...(waitTimeoutSeconds === undefined ? {} : { waitTimeoutSeconds }),
        };
      }
      case 'release': {
        const { values, positionals } = parse(
          command,
          rest,
          { ...CONFIG, 'wait-timeout': { type: 'string' } },
          1,
        );
        const timeout = values['wait-timeout'];
        const waitSeconds = timeout === undefined ? DEFAULT_RELEASE_WAIT_SECONDS : Number(timeout);
        if (String(timeout ?? '0').trim() === '' || !Number.isFinite(waitSeconds) || waitSeconds < 0)
          throw new Error(`--wait-timeout wants a number of seconds (0 does not wait), got '${timeout}'`);
        return {
          kind: command,
          config: requireConfig(command, values.config),
          hub: positionals[0] as string,
          waitSeconds,
        };
      }
      case 'rollout': {
        const { values, positionals } = parse(
          command,
          rest,
          { ...CONFIG, 'wait-timeout': { type: 'string' } },
          2,
        );
        const action = positionals[0] as string;
        if (action !== 'status' && action !== 'resume' && action !== 'abort')
          throw new Error(`'rollout' wants status, resume or abort, then the form's name; got '${action}'`);
        const timeout = values['wait-timeout'];
        const waitSeconds = timeout === undefined ? DEFAULT_RELEASE_WAIT_SECONDS : Number(timeout);
        if (String(timeout ?? '0').trim() === '' || !Number.isFinite(waitSeconds) || waitSeconds < 0)
          throw new Error(`--wait-timeout wants a number of seconds (0 does not wait), got '${timeout}'`);
        return {
          kind: command,
          action,
          config: requireConfig(command, values.config),
          form: positionals[1] as string,
          waitSeconds,
        };
      }
      case 'wait': {
        const { values, positionals } = parse(
          command,
          rest,
          {
            ...CONFIG,
            position: { type: 'string', short: 'p' },
            timeout: { type: 'string' },
            output: { type: 'string', short: 'o' },
          },
          1,
        );
        const position = values.position as string | undefined;
        if (position === undefined || position.trim() === '')
          throw new Error(
            "'wait' needs --position P: the position your transaction committed at (docs/read-your-writes.md)",
          );
        const timeout = values.timeout ?? String(DEFAULT_WAIT_SECONDS);
        const timeoutSeconds = Number(timeout);
        if (String(timeout).trim() === '' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)
          throw new Error(`--timeout wants a number of seconds, got '${timeout}'`);
        const output = values.output;
        if (output !== undefined && output !== 'json')
          throw new Error(`'wait': -o wants json (the node's status as JSON), got '${output}'`);
        return {
          kind: command,
          config: requireConfig(command, values.config),
          node: positionals[0] as string,
          position,
          timeoutSeconds,
          json: output === 'json',
        };
      }
      case 'kafka-acls': {
        const { values } = parse(command, rest, { ...CONFIG, principal: { type: 'string' } }, 0);
        const principal = values.principal as string | undefined;
        if (principal !== undefined && !/^[A-Za-z]+:.+$/.test(principal))
          throw new Error(`--principal wants TYPE:NAME, e.g. User:rowkube, got '${principal}'`);
        return {
          kind: command,
          config: requireConfig(command, values.config),
          ...(principal === undefined ? {} : { principal }),
        };
      }
      case 'rbac': {
        const { values } = parse(
          command,
          rest,
          {
            ...CONFIG,
            kubeconfig: { type: 'string' },
            output: { type: 'string', short: 'o', default: 'values' },
            'service-account': { type: 'string' },
          },
          0,
        );
        const output = values.output;
        if (output !== 'values' && output !== 'manifests')
          throw new Error(`'rbac': -o wants values (the Helm chart's) or manifests, got '${output}'`);
        const account = values['service-account'] as string | undefined;
        const parts = account === undefined ? undefined : /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(account);
        if (account !== undefined && !parts)
          throw new Error(`--service-account wants NAMESPACE/NAME, got '${account}'`);
        if (output === 'manifests' && !parts)
          throw new Error("'rbac -o manifests' needs --service-account NAMESPACE/NAME: the identity to bind");
        const kubeconfig = values.kubeconfig as string | undefined;
        if (kubeconfig === '') throw new Error("'rbac': --kubeconfig wants a file");
        return {
          kind: command,
          config: requireConfig(command, values.config),
          ...(kubeconfig ? { kubeconfig } : {}),
          output,
          ...(parts ? { serviceAccount: { namespace: parts[1] as string, name: parts[2] as string } } : {}),
        };
      }
      case 'tail': {
        const { values, positionals } = parse(
          command,
          rest,
          {
            ...CONFIG,
            brokers: { type: 'string' },
            registry: { type: 'string' },
            'from-beginning': { type: 'boolean', default: false },
            follow: { type: 'boolean', short: 'f', default: false },
            limit: { type: 'string', short: 'n' },
          },
          1,
        );
        const topic = positionals[0] as string;
        const config = values.config as string | undefined;
        const brokers = (values.brokers as string | undefined)?.split(',').filter(Boolean);
        if (!config && !brokers) throw new Error("'tail' needs --config FILE or --brokers HOST:PORT[,…]");
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        const registry = values.registry as string | undefined;
        if (registry !== undefined && !/^https?:\/\/./.test(registry)) {
          throw new Error(`--registry wants the registry's http:// or https:// URL, got '${registry}'`);
        }
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
          throw new Error(`--limit wants a positive whole number, got '${values.limit}'`);
        }
        return {
          kind: 'tail',
          topic,
          ...(config ? { config } : {}),
          ...(brokers ? { brokers } : {}),
          ...(registry ? { registry } : {}),
          fromBeginning: values['from-beginning'] as boolean,
          follow: values.follow as boolean,
          ...(limit !== undefined ? { limit } : {}),
        };
      }
      case 'status': {
        const { values, positionals } = parse(
          command,
          rest,
          {
            ...CONFIG,
            brokers: { type: 'string' },
            prefix: { type: 'string' },
            registry: { type: 'string' },
            form: { type: 'string' },
            failed: { type: 'boolean', default: false },
            output: { type: 'string', short: 'o', default: 'table' },
            watch: { type: 'boolean', short: 'w', default: false },
          },
          [0, 1],
        );
        const config = values.config as string | undefined;
        const brokers = (values.brokers as string | undefined)?.split(',').filter(Boolean);
        if (!config && !brokers) throw new Error("'status' needs --config FILE or --brokers HOST:PORT[,…]");
        const output = values.output as string;
        if (output !== 'table' && output !== 'json' && output !== 'yaml')
          throw new Error(`-o wants table, json or yaml, got '${output}'`);
        const node = positionals[0];
        if (node !== undefined && !/^[^/]+\/.+$/.test(node))
          throw new Error(
            `'status' wants a node id <form>/<uid> (as 'rowkube status' lists them), got '${node}'`,
          );
        if (node !== undefined && (values.form !== undefined || values.failed === true))
          throw new Error("'status NODE' shows one node: --form and --failed filter the list of nodes");
        const registry = values.registry as string | undefined;
        if (registry !== undefined && !/^https?:\/\/./.test(registry))
          throw new Error(`--registry wants the registry's http:// or https:// URL, got '${registry}'`);
        const prefix = values.prefix as string | undefined;
        if (prefix !== undefined && !/^[a-zA-Z0-9._-]+$/.test(prefix))
          throw new Error(`--prefix wants a topic prefix (letters, digits, ".", "_", "-"), got '${prefix}'`);
        const form = values.form as string | undefined;
        return {
          kind: 'status',
          ...(node ? { node } : {}),
          ...(config ? { config } : {}),
          ...(brokers ? { brokers } : {}),
          ...(prefix ? { prefix } : {}),
          ...(registry ? { registry } : {}),
          ...(form ? { form } : {}),
          failed: values.failed === true,
          output,
          watch: values.watch === true,
        };
      }
      default:
        return {
          kind: 'error',
          message: `unknown command '${command}'; run 'rowkube help' for the commands`,
        };
    }
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
}

function parse(
  command: string,
  args: readonly string[],
  options: Options,
  /** How many positional arguments: exactly n, or [at least, at most]. */
  positionals: number | [number, number],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const parsed = parseNodeArgs({ args: [...args], options, allowPositionals: true, strict: true });
  if (Array.isArray(positionals)) {
    const [least, most] = positionals;
    const count = parsed.positionals.length;
    if (count < least || count > most)
      throw new Error(
        `'${command}' takes ${least === 0 ? 'at most' : `${least} to`} ${most} argument${most > 1 ? 's' : ''}, got: ${parsed.positionals.join(' ') || 'none'}`,
      );
  } else if (parsed.positionals.length !== positionals) {
    const wanted =
      positionals === 0 ? 'no arguments' : `${positionals} argument${positionals > 1 ? 's' : ''}`;
    throw new Error(`'${command}' takes ${wanted}, got: ${parsed.positionals.join(' ') || 'none'}`);
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** How long `wait` waits for a node by default. */
export const DEFAULT_WAIT_SECONDS = 60;

/** How long `release` waits by default for the processor to carry the release out. */
export const DEFAULT_RELEASE_WAIT_SECONDS = 30;

/** Default --wait-timeout, as `flux reconcile --timeout`: a rollout of many nodes takes minutes. */
export const DEFAULT_REPLAY_WAIT_SECONDS = 300;

/** `--wait [--wait-timeout SECONDS]` → the wait's timeout in seconds, or undefined without --wait. */
function replayWait(wait: boolean, timeout: string | boolean | undefined): number | undefined {
  if (timeout !== undefined && !wait)
    throw new Error('--wait-timeout goes with --wait: replay waits for readiness only when asked to');
  if (!wait) return undefined;
  if (timeout === undefined) return DEFAULT_REPLAY_WAIT_SECONDS;
  const seconds = Number(timeout);
  if (String(timeout).trim() === '' || !Number.isFinite(seconds) || seconds < 0)
    throw new Error(`--wait-timeout wants a number of seconds (0 looks once), got '${timeout}'`);
  return seconds;
}

function requireConfig(command: string, config: unknown): string {
  if (typeof config !== 'string' || config === '') throw new Error(`'${command}' needs --config FILE`);
  return config;
}
