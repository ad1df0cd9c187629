// An update the API server refuses because a field cannot change in place (a
// Deployment's selector, a Service's clusterIP, a Job's template) comes back
// as HTTP 422 Invalid with "field is immutable" for each such field, e.g.
//
//   Deployment.apps "web" is invalid: spec.selector: Invalid value:
//   v1.LabelSelector{…}: field is immutable
//
// Several causes are joined by ", " inside "[…]". The values are Go syntax
// and may hold ": " themselves, so the message is cut at each "<field>:
// Invalid value: " (or "<field>: Forbidden: ") and each piece checked.

const IMMUTABLE = 'field is immutable';
const CAUSE = /(?:^|[\s[,])([A-Za-z][A-Za-z0-9_.[\]"'/-]*): (?:Invalid value|Forbidden): /g;

/** Whether the server's message refuses the update for an immutable field. */
export function isImmutableRefusal(message: string): boolean {
  return message.includes(IMMUTABLE);
}

/** The fields the message calls immutable, in order, without repeats; empty when it names none. */
export function immutableFields(message: string): string[] {
  const starts = [...message.matchAll(CAUSE)].map((match) => ({
    field: match[1] as string,
    at: match.index ?? 0,
  }));
  const fields: string[] = [];
  starts.forEach(({ field, at }, index) => {
    const piece = message.slice(at, starts[index + 1]?.at ?? message.length);
    if (piece.includes(IMMUTABLE) && !fields.includes(field)) fields.push(field);
  });
  return fields;
}
