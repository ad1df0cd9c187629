// Pure planning of a node's apply and delete order: kind tiers and dependIds.
export { apiGroupOf } from './api-group.js';
export {
  type ApplySchedule,
  applySchedule,
  deletionWaves,
  type Prerequisites,
  type ScheduledResource,
} from './apply-schedule.js';
export { CUSTOM_RESOURCE_TIER, kindTier } from './kind-order.js';
