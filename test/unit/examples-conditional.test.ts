import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { deriveRbac } from '../../src/cluster/rbac-rules.js';

// The use-case examples of conditional resources and expiring rows must load
// (rowkube validate) with every kind known to rowkube rbac, the CRDs they
// install excepted.
const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MYSQL_URL: 'mysql://cdc:secret@127.0.0.1:3306/app',
  PG_URL: 'postgres://cdc:secret@127.0.0.1:5432/app',
};

describe('examples > use cases > includeWhen and expireAt', () => {
  it.each(['custom-domains', 'feature-flags', 'clone-and-preview'])(
    '%s is a valid configuration',
    (example) => {
      const config = loadConfig(join('examples/use-cases', example, 'rowkube.yaml'), env);
      expect(config.forms.length).toBeGreaterThan(0);
      const warnings = deriveRbac(config).warnings.filter(
        (warning) => !warning.startsWith('Certificate (cert-manager.io)'),
      );
      expect(warnings).toEqual([]);
    },
  );
});
