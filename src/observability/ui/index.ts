// The read-only dashboard at /ui/ of the observability server: the page's
// files (assets/), its JSON API (ui-routes.ts) and the pure parts behind it.
export { KafkaDashboardData, type KafkaDashboardDataOptions } from './dashboard-data.js';
export { type LatencyMinute, LatencyPerMinute } from './latency-per-minute.js';
export {
  BadQuery,
  type FormSummary,
  filterNodes,
  type HubSummary,
  matchesFilter,
  type NodeFilter,
  parseNodeFilter,
  summarizeByHub,
} from './node-filter.js';
export { type HistoryAction, type HistoryTransaction, historyTransactions } from './node-history-view.js';
export { type DashboardData, handleUi, type StatusReading } from './ui-routes.js';
