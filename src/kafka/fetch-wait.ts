/**
 * How long the broker holds a fetch that finds no new record. A record that
 * arrives meanwhile ends the wait at once (the fetch asks for at least one
 * byte), so this costs no latency; it only sets how often an idle consumer
 * asks again: 20 ms made each of the processor's and the sink's consumers
 * send 50 fetches a second with nothing to do. A longer wait delays a
 * rebalance and a stop by up to this (kafkajs heartbeats and stops between
 * fetches), hence a second, not minutes. Measured: an idle `rowkube run`
 * without tenants took 6.4 % of a core with 20 ms and 4.1 % with 500 ms, and
 * COMMIT → applied at 20 updates/s stayed the same (bench:e2e, bench/README.md).
 */
export const IDLE_FETCH_WAIT_MS = 1_000;
