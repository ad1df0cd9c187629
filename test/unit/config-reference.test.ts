import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../src/core/config/config-reference.js';

describe('Config > reference', () => {
  it('docs/configuration.md is what the schema says (regenerate with `npm run docs`)', () => {
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(
      configReference(),
    );
  });

  it('documents every policy of a resource with its default', () => {
    const reference = configReference();
    for (const line of [
      '| `forms[].resources[].creationPolicy` | `WhenNeeded` \\| `Once` | `"WhenNeeded"` |',
      '| `forms[].resources[].deletionPolicy` | `Delete` \\| `Retain` | `"Delete"` |',
      '| `forms[].resources[].conflictPolicy` | `Stuck` \\| `Force` | `"Stuck"` |',
    ]) {
      expect(reference).toContain(line);
    }
  });
});
