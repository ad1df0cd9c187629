import { ErrorCode, type RowkubeError } from '../core/errors.js';

// Why a node could not be rendered, as plain data: it travels in the node's
// error record on the desired topic (and into logs), so it must serialize and
// hash like the rest of a node. One bad row or template produces one of these
// and every other node proceeds.

/** A row the processor cannot make a node from (its uid is NULL or empty, or a value the database did not send). */
export const ROW_ERROR_CODE = ErrorCode.ROW;

export type NodeErrorCode = ErrorCode;

export interface NodeError {
  code: NodeErrorCode;
  /** Starts with the code, then where (form, hub, resource), then why: like a RowkubeError's message. */
  message: string;
  /** The resource whose rendering failed, when one did. */
  resourceId?: string;
  /** Path of the failing leaf inside the resource's manifest ("metadata.name"), when known. */
  path?: string;
}

/** A NodeError whose message is formatted like RowkubeError's (`CODE: message`). */
export function nodeError(code: NodeErrorCode, message: string): NodeError {
  return { code, message: `${code}: ${message}` };
}

/** The RowkubeError's own code and message, kept verbatim. */
export function nodeErrorFrom(error: RowkubeError): NodeError {
  return { code: error.code, message: error.message };
}
