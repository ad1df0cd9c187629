import type { Message } from 'kafkajs';

// The broker refuses a record batch over its message.max.bytes (1 MiB by
// default), and kafkajs puts everything one send holds for a partition into
// one batch: a large send is split into sends of a bounded size.

/** Default bound of one send: half the broker's default limit, leaving room for record overhead. */
export const MAX_SEND_BYTES = 512 * 1024;

/** Splits messages into consecutive runs of at most maxBytes each (a bigger message goes alone). */
export function chunksBySize<T extends Pick<Message, 'key' | 'value' | 'headers'>>(
  messages: readonly T[],
  maxBytes = MAX_SEND_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = sizeOf(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function sizeOf(message: Pick<Message, 'key' | 'value' | 'headers'>): number {
  let bytes = length(message.key) + length(message.value) + 16;
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes += name.length + length(value as Buffer | string);
  return bytes;
}

function length(part: Buffer | string | null | undefined): number {
  if (part === null || part === undefined) return 0;
  return typeof part === 'string' ? Buffer.byteLength(part) : part.length;
}
