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
