// How far back `--at` can be trusted. The desired topic is compacted: the
// cleaner keeps only each node's newest record, but never touches records
// younger than min.compaction.lag.ms (src/kafka/topics.ts sets it when it
// creates the topic). Before that window a node's older versions may be gone,
// so a replay as of such a time can show a newer version, or miss a node
// whose tombstone was cleaned away too. The window is read with
// KafkaAdmin.compactionLagMs.

/** Why a replay as of atMs may be incomplete, or undefined when the time is inside the window. */
export function historyWarning(atMs: number, nowMs: number, lagMs: number | undefined): string | undefined {
  if (lagMs === undefined) return undefined;
  const oldest = nowMs - lagMs;
  if (atMs >= oldest) return undefined;
  return (
    `--at ${new Date(atMs).toISOString()} is older than the desired topic's compaction window ` +
    `(min.compaction.lag.ms ${lagMs}: versions are kept since ${new Date(oldest).toISOString()}); ` +
    'versions from before it may have been compacted away, so nodes can show a newer version or be missing'
  );
}
