import { describe, expect, it } from 'vitest';
import { isActive } from '../../src/processor/activation.js';

describe('Processor > activation > isActive', () => {
  it.each([true, 1, 1n, '1', 'true', 'TRUE', 'True', ' yes ', 'Yes', 'on', 'ON', '\ttrue\n'])(
    '%s is active',
    (value) => {
      expect(isActive(value)).toBe(true);
    },
  );

  it.each([
    false,
    0,
    0n,
    2,
    2n,
    -1,
    1.5,
    '0',
    'false',
    'no',
    'off',
    '',
    ' ',
    'y',
    't',
    'enabled',
    '1.0',
    '01',
    null,
    undefined,
    Buffer.from('1'),
    [1],
    { active: true },
  ])('%s is not active', (value) => {
    expect(isActive(value)).toBe(false);
  });
});
