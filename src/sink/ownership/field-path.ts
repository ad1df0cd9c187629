import { ErrorCode, RowkubeError } from '../../core/errors.js';

/** Object keys (strings) and array indexes (numbers) from the root of an object. */
export type FieldPath = readonly (string | number)[];

/**
 * Parses an ignoreFields path:
 *
 * - dotted keys: `spec.replicas`, `metadata.annotations.owner`
 * - array indexes: `spec.template.spec.containers[0].image`
 * - keys holding dots, quoted in brackets, with JSON string escapes in double
 *   quotes: `metadata.annotations["example.com/x"]` or `['example.com/x']`
 * - an optional leading `$` or `$.`, so JSONPath-style paths written for Lynq
 *   (`$.spec.replicas`) keep working.
 *
 * Wildcards and filters are not supported. Throws ROWKUBE_ERR_CONFIG naming
 * the path and what is wrong at which character.
 */
export function parseFieldPath(text: string): FieldPath {
  const fail = (problem: string, at: number): never => {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `ignoreFields path ${JSON.stringify(text)}: ${problem} at character ${at + 1}`,
    );
  };
  const path: (string | number)[] = [];
  let at = 0;
  if (text.startsWith('$')) at = text.startsWith('$.') ? 2 : 1;
  if (at >= text.length) fail('it names no field', at);
  // After a bare "$" only a bracket may follow; everywhere else a key may start.
  let expectKey = at !== 1;
  while (at < text.length) {
    const char = text.charAt(at);
    if (char === '[') {
      const [segment, next] = bracketed(text, at, fail);
      path.push(segment);
      at = next;
      expectKey = false;
      continue;
    }
    if (!expectKey) {
      if (char !== '.') fail(`expected "." or "[", found ${JSON.stringify(char)}`, at);
      at += 1;
    }
    const end = nameEnd(text, at);
    const name = text.slice(at, end);
    if (name === '') fail('a key is empty', at);
    if (name === '*') fail('wildcards are not supported', at);
    path.push(name);
    at = end;
    expectKey = false;
  }
  return path;
}

function nameEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !'.[]'.includes(text.charAt(end))) end += 1;
  return end;
}

/** `[0]`, `["key"]` or `['key']` starting at `open`: the segment and the index after `]`. */
function bracketed(
  text: string,
  open: number,
  fail: (problem: string, at: number) => never,
): [string | number, number] {
  const start = open + 1;
  const quote = text.charAt(start);
  if (quote === '"' || quote === "'") {
    let end = start + 1;
    while (end < text.length && text.charAt(end) !== quote) end += text.charAt(end) === '\\' ? 2 : 1;
    if (end >= text.length) fail('an unterminated quoted key', open);
    if (text.charAt(end + 1) !== ']') fail('expected "]" after the quoted key', end + 1);
    const body = text.slice(start + 1, end);
    const key = quote === '"' ? parseJsonString(`"${body}"`, open, fail) : body.replace(/\\(['\\])/g, '$1');
    return [key, end + 2];
  }
  const close = text.indexOf(']', start);
  if (close < 0) fail('an unterminated "["', open);
  const inside = text.slice(start, close);
  if (inside === '*') fail('wildcards are not supported', start);
  if (!/^(0|[1-9][0-9]*)$/.test(inside)) fail(`expected an index or a quoted key in "[…]"`, start);
  return [Number(inside), close + 1];
}

function parseJsonString(json: string, at: number, fail: (problem: string, at: number) => never): string {
  try {
    return JSON.parse(json) as string;
  } catch {
    return fail('a bad escape in the quoted key', at);
  }
}
