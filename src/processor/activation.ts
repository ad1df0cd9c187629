// Whether a hub row is switched on. Databases spell "on" many ways (MySQL
// booleans arrive as 1/0, PostgreSQL as true/false, hand-made flags as text),
// so the rule is a short allow-list: anything not clearly on is off. A typo or
// an unexpected value therefore removes a node rather than creating one, which
// is the safer mistake for a provisioning system.

const ACTIVE_TEXT = new Set(['1', 'true', 'yes', 'on']);

/**
 * true, 1, 1n, "1", "true", "yes", "on" (any case, trimmed) are active;
 * anything else, null and undefined included, is not. The rule documented on
 * the hub's `activate` option (src/core/config/hub-schema.ts).
 */
export function isActive(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'bigint') return value === 1n;
  if (typeof value === 'string') return ACTIVE_TEXT.has(value.trim().toLowerCase());
  return false;
}
