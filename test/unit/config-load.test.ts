import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { ConfigError } from '../../src/core/config/load-config.js';

const valid = `
kafka:
  brokers: [127.0.0.1:9092]
sources:
  - name: appdb
    mysql: { url: "mysql://cdc:\${env:MYSQL_PASSWORD}@127.0.0.1:3306/app" }
    tables: [tenants, feature_flags]
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'rowkube.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('Config > loadConfig', () => {
  it('fills defaults and substitutes environment references', () => {
    const config = parseConfig(valid, 'rowkube.yaml', { MYSQL_PASSWORD: 's3cr#t' });
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'rowkube',
      clientId: 'rowkube',
      partitions: 1,
      replicationFactor: 1,
    });
    expect(config.sources[0]?.mysql?.url).toBe('mysql://cdc:s3cr#t@127.0.0.1:3306/app');
  });

  it('reads a secret from a file next to the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowkube-config-'));
    writeFileSync(join(dir, 'password'), 'from-file\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: rowkube's own reference syntax, not a template
    const text = valid.replace('${env:MYSQL_PASSWORD}', '${file:password}');
    const config = parseConfig(text, join(dir, 'rowkube.yaml'), {});
    expect(config.sources[0]?.mysql?.url).toBe('mysql://cdc:from-file@127.0.0.1:3306/app');
  });

  it('names an unset environment variable and where it is used', () => {
    expect(problemsOf(valid)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: rowkube's own reference syntax, not a template
      '6: sources[0].mysql.url: ${env:MYSQL_PASSWORD} refers to an environment variable that is not set',
    ]);
  });

  it('reports unknown keys with their line and the fix', () => {
    const text = valid.replace('    tables:', '    tabels: [x]\n    tables:');
    expect(problemsOf(text, { MYSQL_PASSWORD: 'x' })).toEqual([
      "5: sources[0]: unknown key 'tabels'; remove or correct it",
    ]);
  });

  it('reports every problem at once', () => {
    const text = `
kafka:
  brokers: []
sources:
  - name: App DB
    tables: []
`;
    expect(problemsOf(text)).toEqual([
      '3: kafka.brokers: Too small: expected array to have >=1 items',
      '5: sources[0].name: use lowercase letters, digits, "-" and "_" (at most 63)',
      '6: sources[0].tables: Too small: expected array to have >=1 items',
      '5: sources[0]: give exactly one of `mysql` or `postgres`',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf('kafka:\n  brokers: [a\nsources: x')[0]).toMatch(/^\d+: : YAML: /);
  });
});
