import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../src/cli/load-config.js';
import type { RowkubeConfig } from '../src/core/config/config-schema.js';
import { type DatabaseKind, sourceKey } from './admin-database.js';
import { stackEnv } from './stack-env.js';

// Configuration made the way a user makes it: a YAML file, read by
// loadConfig, so that defaults and validation are the real ones.

/** Writes `document` (YAML text, or an object to write as YAML) into a fresh directory; returns the file's path. */
export function writeConfigFile(document: string | object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rowkube-')), 'rowkube.yaml');
  writeFileSync(file, typeof document === 'string' ? document : stringify(document));
  return file;
}

/** `document` as loadConfig reads it from a file, the file removed afterwards. */
export function configFrom(document: string | object): RowkubeConfig {
  const file = writeConfigFile(document);
  try {
    return loadConfig(file);
  } finally {
    rmSync(join(file, '..'), { recursive: true, force: true });
  }
}

/** Writes a one-source capture configuration and returns its path. */
export function writeCaptureConfig(options: {
  kind: DatabaseKind;
  captureUrl: string;
  prefix: string;
  source: string;
  tables: string[];
}): string {
  const env = stackEnv({ needs: ['KAFKA_BROKERS'] });
  return writeConfigFile(
    `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${options.prefix} }
sources:
  - name: ${options.source}
    ${sourceKey(options.kind)}: { url: "${options.captureUrl}" }
    tables: [${options.tables.join(', ')}]
`,
  );
}

/** What configMapPerRowYaml needs: where to capture from and where to apply. */
export interface ConfigMapPerRowSetting {
  /** The YAML of the `kafka:` section's body, indented by two spaces, one key per line. */
  kafka: string;
  kubeconfig: string;
  namespace: string;
  captureUrl: string;
  table: string;
}

/**
 * The smallest whole pipeline, as YAML: one MariaDB table whose rows
 * (`tenant_id`, `plan`) become one ConfigMap each in `namespace`, so a
 * test can vary how Kafka is reached and nothing else.
 */
export function configMapPerRowYaml(setting: ConfigMapPerRowSetting): string {
  return `kafka:
${setting.kafka}
kubernetes:
  kubeconfig: ${setting.kubeconfig}
  allowedNamespaces: ["${setting.namespace}"]
sources:
  - name: appdb
    mysql: { url: "${setting.captureUrl}" }
    tables: [${setting.table}]
hubs:
  - { name: tenants, source: appdb, table: ${setting.table}, uid: tenant_id, values: { plan: plan } }
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "t-{{ uid }}", namespace: "${setting.namespace}" }
          data: { plan: "{{ plan }}" }
`;
}

/** What oneHubYaml needs: the pipeline `<prefix>` that captures `tables` and renders the hub `tenants`. */
export interface OneHubSetting {
  prefix: string;
  /** The one entry of kubernetes.allowedNamespaces, e.g. `<base>-*`. */
  namespaces: string;
  kind: DatabaseKind;
  captureUrl: string;
  /** The captured tables; the first is the hub's table (`tenant_id`, `plan`). */
  tables: string[];
  /** Top-level sections between kubernetes and sources (observability, sink), as YAML lines. */
  sections?: string;
  /** The resources of the form `web`: YAML list items indented by six spaces. */
  resources: string;
}

/**
 * One source, one hub `tenants` (uid tenant_id, the value plan) and one form
 * `web`, as YAML, so a test writes only what it is about (its sections and
 * resources). PostgreSQL gets a slot and publication named `<prefix>`.
 */
export function oneHubYaml(setting: OneHubSetting): string {
  const env = stackEnv({ needs: ['KAFKA_BROKERS', 'KUBECONFIG'] });
  const { kind, prefix } = setting;
  const slot = kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : '';
  const table = setting.tables[0];
  return `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${setting.namespaces}"]
${setting.sections === undefined ? '' : `${setting.sections.trimEnd()}\n`}sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${setting.captureUrl}"${slot} }
    tables: [${setting.tables.join(', ')}]
hubs:
  - { name: tenants, source: appdb, table: ${table}, uid: tenant_id, values: { plan: plan } }
forms:
  - name: web
    hub: tenants
    resources:
${setting.resources.replace(/^\n+/, '').trimEnd()}
`;
}

/** The resources of a tenant's own namespace `<base>-<uid>` and its ConfigMap `settings` (data.plan). */
export function namespacePerTenantResources(base: string): string {
  return `      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "${base}-{{ uid }}" } }
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: settings, namespace: "${base}-{{ uid }}" }
          data: { plan: "{{ plan }}" }
`;
}
