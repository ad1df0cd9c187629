import { ErrorCode, RowkubeError } from '../core/errors.js';

// `--at`: the point in time a replay rebuilds. Accepted as milliseconds since
// the epoch (what provenance.commitTsMs and Kafka timestamps are) or as an ISO
// 8601 date-time with its offset. A date-time without an offset is refused:
// JavaScript would read it as the local time of whatever machine runs the
// replay, and a cluster rebuilt as of the wrong hour is a silent mistake.

const EPOCH_MS = /^\d{1,15}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch; throws a CONFIG error naming the text when it is not a time. */
export function parseReplayTime(text: string): number {
  const trimmed = text.trim();
  if (EPOCH_MS.test(trimmed)) return Number(trimmed);
  // A date alone is midnight UTC, as Date.parse reads it.
  if (DATE_ONLY.test(trimmed) || DATE_TIME.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RowkubeError(
    ErrorCode.CONFIG,
    `--at '${text}' is not a time: give milliseconds since the epoch (1718000000000) or an ISO 8601 ` +
      'date-time with its offset (2024-06-10T06:13:20Z, 2024-06-10T08:13:20+02:00) or a date (2024-06-10, midnight UTC)',
  );
}
