import { describe, expect, it } from 'vitest';
import { ALL_STAGES, stageComponents, stageLagGroups } from '../../src/app/pipeline-stages.js';
import { parseConfig } from '../../src/cli/load-config.js';

const config = parseConfig(
  `kafka: { brokers: [127.0.0.1:9092], topicPrefix: rk }
sources:
  - { name: appdb, mysql: { url: "mysql://cdc@127.0.0.1/app" }, tables: [tenants] }
  - { name: billing, postgres: { url: "postgres://cdc@127.0.0.1/billing" }, tables: [plans] }
hubs:
  - { name: tenants, source: appdb, table: tenants, uid: id }
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "{{ uid }}" } }
`,
  'stages.yaml',
);

describe('App > pipeline stages', () => {
  it('waits on /readyz for every source, the processor and the sink under `rowkube run`', () => {
    expect(stageComponents(config, new Set(ALL_STAGES))).toEqual([
      'capture/appdb',
      'capture/billing',
      'processor',
      'sink',
    ]);
  });

  it('waits only for the stages a command starts', () => {
    expect(stageComponents(config, new Set(['capture']))).toEqual(['capture/appdb', 'capture/billing']);
    expect(stageComponents(config, new Set(['apply']))).toEqual(['sink']);
  });

  it("watches the processor's and the sink's consumer groups, and none for capture", () => {
    expect(stageLagGroups(config, new Set(ALL_STAGES)).map((group) => group.stage)).toEqual([
      'processor',
      'sink',
    ]);
    expect(stageLagGroups(config, new Set(['capture']))).toEqual([]);
  });
});
