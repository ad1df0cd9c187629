// `rowkube plan`: what a new configuration would do to every node, read from
// the topics and diffed against the live cluster with server-side dry runs.
export { type FieldGroup, fieldGroups } from './field-groups.js';
export { changeText, nodeText, planJson, planText } from './plan-report.js';
export { exitCode, type PlanSummary, summarize } from './plan-summary.js';
export type { FieldChange, NodePlan, ObjectPlan, PlanResult } from './plan-types.js';
export { type RunPlanOptions, runPlan } from './run-plan.js';
