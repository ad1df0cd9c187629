import { parseConfig } from '../../src/cli/load-config.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';

// The configuration the processor bench runs: examples/saas-mariadb.yaml's
// hub and form, with a few more templated leaves (a row filter, sha1, trunc63,
// from_json, a revision annotation) so that each node costs what a realistic
// form costs. It goes through parseConfig, so it is validated exactly as a
// user's file is.

export interface TenantConfigOptions {
  kafkaBrokers: readonly string[];
  prefix: string;
  source: string;
  mysqlUrl: string;
  tenantsTable: string;
  flagsTable: string;
}

/** Node ids are `<FORM_NAME>/<uid>`. */
export const FORM_NAME = 'web';

export function tenantConfigYaml(options: TenantConfigOptions): string {
  return `kafka:
  brokers: [${options.kafkaBrokers.map((b) => JSON.stringify(b)).join(', ')}]
  topicPrefix: ${options.prefix}
kubernetes:
  allowedNamespaces: ["tenant-*"]
sources:
  - name: ${options.source}
    mysql: { url: ${JSON.stringify(options.mysqlUrl)} }
    tables: [${options.tenantsTable}, ${options.flagsTable}]
hubs:
  - name: tenants
    source: ${options.source}
    table: ${options.tenantsTable}
    uid: tenant_id
    activate: active
    values: { domain: domain, plan: plan, replicas: replicas, settings: settings, revision: revision }
    filter: "plan != 'suspended'"
    lookups:
      - { name: features, table: ${options.flagsTable}, key: tenant_id }
forms:
  - name: ${FORM_NAME}
    hub: tenants
    resources:
      - id: ns
        manifest:
          apiVersion: v1
          kind: Namespace
          metadata:
            name: "tenant-{{ uid | dns_label }}"
            labels: { rowkube.io/plan: "{{ plan | default: 'free' }}", rowkube.io/host: "{{ domain | to_host | trunc63 }}" }
      - id: config
        dependIds: [ns]
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: app-config, namespace: "tenant-{{ uid | dns_label }}" }
          data:
            domain: "{{ domain | to_host }}"
            plan: "{{ plan | default: 'free' }}"
            features: "{{ features | map: 'flag' | sort | join: ',' }}"
      - id: app
        dependIds: [config]
        waitForReady: true
        timeoutSeconds: 120
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web, namespace: "tenant-{{ uid | dns_label }}", labels: { app: web } }
          spec:
            replicas: "{{ replicas | default: 1 | to_int }}"
            selector: { matchLabels: { app: web } }
            template:
              metadata:
                labels: { app: web, rowkube.io/tenant: "{{ uid | trunc63 }}" }
                annotations:
                  rowkube.io/revision: "{{ revision }}"
                  rowkube.io/config-hash: "{{ domain | append: plan | sha1 }}"
              spec:
                containers:
                  - name: web
                    image: "nginx:1.27"
                    env:
                      - { name: TENANT_HOST, value: "{{ domain | to_host }}" }
                      - { name: TENANT_PLAN, value: "{{ plan | upcase }}" }
                    resources: "{{ settings | from_json }}"
`;
}

export function tenantConfig(options: TenantConfigOptions): RowkubeConfig {
  return parseConfig(tenantConfigYaml(options), 'processor-bench.yaml');
}
