import { describe, expect, it } from 'vitest';
import { parseReplayTime } from '../../src/replay/index.js';

describe('Replay > parseReplayTime', () => {
  it('takes milliseconds since the epoch as they are', () => {
    expect(parseReplayTime('1718000000000')).toBe(1_718_000_000_000);
    expect(parseReplayTime(' 0 ')).toBe(0);
  });

  it('reads an ISO date-time with Z or an offset', () => {
    expect(parseReplayTime('2024-06-10T06:13:20Z')).toBe(1_718_000_000_000);
    expect(parseReplayTime('2024-06-10T08:13:20+02:00')).toBe(1_718_000_000_000);
    expect(parseReplayTime('2024-06-10T06:13:20.123Z')).toBe(1_718_000_000_123);
    expect(parseReplayTime('2024-06-10T06:13Z')).toBe(1_717_999_980_000);
  });

  it('reads a date alone as midnight UTC', () => {
    expect(parseReplayTime('2024-06-10')).toBe(Date.UTC(2024, 5, 10));
  });

  it('refuses a date-time without an offset, which would depend on the local time zone', () => {
    expect(() => parseReplayTime('2024-06-10T06:13:20')).toThrow(
      /ROWKUBE_ERR_CONFIG: --at '2024-06-10T06:13:20'/,
    );
  });

  it('refuses what is not a time, naming it', () => {
    for (const text of ['yesterday', '', '-5', '2024-13-45T00:00:00Z', '1.5'])
      expect(() => parseReplayTime(text), text).toThrow(/is not a time/);
  });
});
