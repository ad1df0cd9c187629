import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { ConfigError } from '../../src/core/config/load-config.js';

// A password or private key written out in the configuration file is refused
// at load time, at its path and line, with the two ways to give it instead.
// The check sees the text as written: a reference substituted to the same
// value is fine.

const config = (kafka: string, ssl = '') => `
kafka:
  brokers: [b:9094]
${kafka}
sources:
  - name: appdb
    mysql: { url: "mysql://u:p@h:3306/d"${ssl} }
    tables: [t]
  - name: pgdb
    postgres: { url: "postgres://u:p@h:5432/d"${ssl.replace('ca: C', 'mode: verify-full, ca: C')} }
    tables: [t]
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

describe('Config > secrets are never inline', () => {
  it('refuses an inline kafka.sasl.password, naming the path and the references to use, without the value', () => {
    const problems = problemsOf(
      config('  sasl: { mechanism: scram-sha-512, username: rowkube, password: hunter2-inline }'),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^4: kafka\.sasl\.password: a secret written inline/);
    expect(problems[0]).toContain(`\${env:NAME}`);
    expect(problems[0]).toContain(`\${file:PATH}`);
    expect(problems[0]).not.toContain('hunter2-inline');
  });

  it('refuses inline private keys in kafka.ssl and in each source ssl section', () => {
    const problems = problemsOf(
      config(
        '  ssl: { cert: CERT, key: "-----BEGIN PRIVATE KEY-----" }',
        ', ssl: { ca: C, cert: C, key: K }',
      ),
    );
    expect(problems.map((p) => p.split(': a secret')[0])).toEqual([
      '4: kafka.ssl.key',
      '7: sources[0].mysql.ssl.key',
      '10: sources[1].postgres.ssl.key',
    ]);
  });

  it('refuses an inline schemaRegistry password and private key', () => {
    const problems = problemsOf(
      config(
        '  topicPrefix: rk\nschemaRegistry: { url: "https://r:8443", auth: { username: u, password: pw-inline }, ssl: { cert: C, key: K } }',
      ),
    );
    expect(problems.map((p) => p.split(': a secret')[0])).toEqual([
      '5: schemaRegistry.auth.password',
      '5: schemaRegistry.ssl.key',
    ]);
    expect(problems.join('\n')).not.toContain('pw-inline');
    expect(
      problemsOf(
        config(
          `  topicPrefix: rk\nschemaRegistry: { url: "http://r", auth: { username: u, password: "\${env:P}" } }`,
        ),
        { P: 'secret' },
      ),
    ).toEqual([]);
  });

  it('refuses a value that is only partly a reference', () => {
    const problems = problemsOf(
      config(`  sasl: { mechanism: plain, username: u, password: "pre-\${env:P}" }`),
      { P: 'x' },
    );
    expect(problems).toEqual([expect.stringContaining('kafka.sasl.password: a secret written inline')]);
  });

  it(`accepts \${env:} and \${file:} references, and leaves non-secret PEM (CA, certificate) alone`, () => {
    const text = config(
      `  ssl: { ca: CA, cert: CERT, key: "\${env:KEY}" }\n  sasl: { mechanism: scram-sha-512, username: u, password: "\${env:PASSWORD}" }`,
      `, ssl: { ca: C, cert: C, key: "\${env:KEY}" }`,
    );
    expect(problemsOf(text, { KEY: 'K', PASSWORD: 'inline-looking-secret' })).toEqual([]);
    const parsed = parseConfig(text, 'rowkube.yaml', { KEY: 'K', PASSWORD: 'pw' });
    const sasl = parsed.kafka.sasl;
    expect(sasl !== undefined && 'password' in sasl ? sasl.password : undefined).toBe('pw');
    expect(parsed.kafka.ssl?.key).toBe('K');
  });
});
