/**
 * The API group of an apiVersion: "apps/v1" → "apps", "v1" → "" (the core
 * group). Kinds are only unique within a group (Knative has its own
 * "Service"), so rules about built-in kinds look at both.
 */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
