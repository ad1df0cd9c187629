import { ErrorCode, RowkubeError } from '../../core/errors.js';

/** The codes a render can end with (from the catalogue in src/core/errors.ts). */
export const RenderErrorCode = {
  TEMPLATE: ErrorCode.TEMPLATE,
  INVALID_NAME: ErrorCode.INVALID_NAME,
} as const;
export type RenderErrorCode = (typeof RenderErrorCode)[keyof typeof RenderErrorCode];

/** Which resource of which form a render is about; every render error names both. */
export interface RenderSite {
  form: string;
  resourceId: string;
}

/**
 * A node could not be rendered from its row. Never retriable: the same row and
 * the same form render the same way, so only a change to either can fix it.
 * The message starts with the resource it is about, then the leaf, then why.
 */
export class RenderError extends RowkubeError {
  constructor(
    code: RenderErrorCode,
    readonly site: RenderSite,
    /** JSON path of the leaf inside the manifest: "spec.template.spec.containers[0].image". */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      code,
      `form '${site.form}' resource '${site.resourceId}' at ${path || '(root)'}: ${message}`,
      false,
      options,
    );
    this.name = 'RenderError';
  }
}

/** Long values are cut in messages so that one bad row does not flood a log line. */
export function quoteForMessage(text: string, max = 120): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}
