// Whether a live object is ready for the resources that depend on it.
export { readinessOf } from './readiness.js';
export type { Readiness, ReadinessState } from './readiness-state.js';
