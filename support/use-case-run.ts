import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, visit } from 'yaml';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient, type KubeObject } from '../src/sink/kube/index.js';
import { type AdminDatabase, type DatabaseKind, execOnce, openAdminDatabase } from './admin-database.js';
import { writeConfigFile } from './config-file.js';
import { removePipelineLeftovers } from './pipeline-leftovers.js';
import { RowkubeProcess } from './rowkube-process.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';

// One use-case example (examples/use-cases/<name>/) run the way its page
// tells a newcomer to run it: the tables and rows of its schema.sql, then
// `rowkube run` with its rowkube.yaml. So that a run can go beside others on
// the shared stack, it gets a database of its own (the example's table names
// stay as they are), its own topic prefix and replication slot, and its own
// namespaces: the example's namespace prefix `tenant-` becomes a unique one.

const EXAMPLES = 'examples/use-cases';
/** The namespace prefix every use-case example gives its tenants' namespaces (and allowedNamespaces). */
const EXAMPLE_NAMESPACE_PREFIX = 'tenant-';

export interface UseCaseOptions {
  /** The folder under examples/use-cases. */
  example: string;
  kind: DatabaseKind;
  /** YAML files of the example folder applied before rowkube starts (CRDs the example needs), awaited until established. */
  install?: string[];
  /** More of the example's ${env:…} references (another cluster's kubeconfig). */
  env?: Record<string, string>;
  /** Other clusters the example writes to (kubeconfig files): stop() removes the run's namespaces there too. */
  otherClusters?: string[];
  /** Serve /metrics and /readyz on this port (default: no observability server). */
  observabilityPort?: number;
}

export interface UseCaseRun {
  /** The application's connection to the run's own database, where schema.sql ran. */
  db: AdminDatabase;
  kube: KubeClient;
  rowkube: RowkubeProcess;
  /** The run's topic prefix. */
  prefix: string;
  /** The namespace the example names `tenant-<uid>`. */
  tenantNamespace(uid: string): string;
  /** waitFor with rowkube's last output in the failure, ended at once when rowkube exits. */
  until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  /** Stops rowkube, runs `whileStopped`, and starts it again with the same configuration. */
  restart(whileStopped?: () => Promise<void>): Promise<void>;
  /** Stops rowkube and removes what the run left: namespaces, database, topics, slot. */
  stop(): Promise<void>;
}

export async function startUseCase(options: UseCaseOptions): Promise<UseCaseRun> {
  const env = stackEnv();
  const folder = join(EXAMPLES, options.example);
  const prefix = uniqueName('uc');
  const namespacePrefix = `${prefix.replaceAll('_', '-')}-`;
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);

  await execOnce(options.kind, `CREATE DATABASE ${prefix}`);
  const dropDatabase = () =>
    execOnce(
      options.kind,
      options.kind === 'postgres'
        ? `DROP DATABASE IF EXISTS ${prefix} WITH (FORCE)`
        : `DROP DATABASE IF EXISTS ${prefix}`,
    );
  const db = await openAdminDatabase(options.kind, { database: prefix });
  try {
    for (const statement of sqlStatements(readFileSync(join(folder, 'schema.sql'), 'utf8')))
      await db.exec(statement);
    for (const file of options.install ?? []) await install(kube, join(folder, file));
  } catch (error) {
    // Nothing runs yet: the database is all there is to take back.
    await db.close();
    await dropDatabase();
    kube.close();
    throw error;
  }

  const config = writeConfigFile(
    runConfig(
      readFileSync(join(folder, 'rowkube.yaml'), 'utf8'),
      options.kind,
      prefix,
      namespacePrefix,
      options.observabilityPort ?? 0,
    ),
  );
  // The example's ${env:…} references, pointed at the run's database.
  const urlVariable = options.kind === 'postgres' ? 'PG_URL' : 'MYSQL_URL';
  const launch = () =>
    new RowkubeProcess(['run', '--config', config], [], {
      env: { ...options.env, [urlVariable]: db.captureUrl },
    });
  let rowkube = launch();

  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) =>
    waitFor(
      what,
      async (bail) => {
        if (rowkube.exitCode !== null) bail(new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`));
        return probe();
      },
      { timeoutMs, intervalMs: 200 },
    ).catch((error: Error) => {
      // Its warnings and errors first: the last lines are often only the routine ones.
      const problems = rowkube
        .logLines(undefined, 40)
        .slice(-10)
        .map((line) => JSON.stringify(line));
      throw new Error(
        `${error.message}\nrowkube run's last warnings and errors:\n${problems.join('\n')}\n` +
          `its last output:\n${rowkube.lastOutput(15)}`,
      );
    });

  const stop = async () => {
    // A rowkube that hangs on SIGTERM is reported, after the clean-up below.
    const stopped = await rowkube.stop().then(
      () => undefined,
      (error: unknown) => error,
    );
    const others = (options.otherClusters ?? []).map((file) => KubeClient.fromKubeconfigFile(file));
    for (const cluster of [kube, ...others]) {
      const namespaces = await cluster.list('v1', 'Namespace', '');
      for (const namespace of namespaces)
        if (namespace.metadata.name?.startsWith(namespacePrefix))
          await cluster.delete(
            { apiVersion: 'v1', kind: 'Namespace', name: namespace.metadata.name },
            { propagation: 'Background' },
          );
    }
    for (const other of others) other.close();
    kube.close();
    await db.close();
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'use-case-cleanup' });
    // The slot first: PostgreSQL refuses to drop a database a slot is on.
    await removePipelineLeftovers(kafka, prefix, options.kind);
    await dropDatabase();
    if (stopped !== undefined) throw stopped;
  };

  const restart = async (whileStopped?: () => Promise<void>) => {
    await rowkube.stop();
    await whileStopped?.();
    rowkube = launch();
  };

  return {
    db,
    kube,
    get rowkube() {
      return rowkube;
    },
    prefix,
    tenantNamespace: (uid) => `${namespacePrefix}${uid}`,
    until,
    restart,
    stop,
  };
}

/**
 * The statements of a schema.sql, in order: split at a `;` that ends a line,
 * `--` comment lines left out. Enough for the examples' plain DDL and INSERTs
 * (neither driver runs several statements in one call with parameters).
 */
export function sqlStatements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

/**
 * The example's configuration as the run uses it: its topic prefix and slot,
 * no metrics port unless the test asks for one (runs go side by side), and every `tenant-` that starts a
 * namespace name (`tenant-{{ … }}` in the forms, `tenant-*` in
 * allowedNamespaces) made the run's own.
 */
function runConfig(
  text: string,
  kind: DatabaseKind,
  prefix: string,
  namespacePrefix: string,
  port: number,
): string {
  const document = parseDocument(text);
  document.setIn(['kafka', 'topicPrefix'], prefix);
  document.setIn(['observability', 'port'], port);
  if (kind === 'postgres') {
    const sources = document.get('sources');
    if (isSeq(sources))
      for (const source of sources.items)
        if (isMap(source) && source.has('postgres')) source.setIn(['postgres', 'slot'], prefix);
  }
  // Only where a tenant's name follows (a template) or any name may (a wildcard):
  // an object merely named `tenant-quota` keeps its name.
  const swap = new RegExp(`(^|[^a-z0-9-])${EXAMPLE_NAMESPACE_PREFIX}(?=\\{\\{|\\*)`, 'g');
  for (const section of ['kubernetes', 'forms'])
    visit(document.get(section, true) as never, {
      Scalar(_key, node) {
        if (isScalar(node) && typeof node.value === 'string')
          node.value = node.value.replace(swap, `$1${namespacePrefix}`);
      },
    });
  return document.toString();
}

/** Applies every object of a YAML file; waits until each CRD among them is established. */
async function install(kube: KubeClient, file: string): Promise<void> {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as KubeObject | null;
    if (object === null) continue;
    await kube.apply(object, { fieldManager: 'use-case-setup', force: true });
    if (object.kind !== 'CustomResourceDefinition') continue;
    const name = object.metadata.name as string;
    await waitFor(`CRD ${name} established`, async () => {
      const live = (await kube.get({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name,
      })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
}
