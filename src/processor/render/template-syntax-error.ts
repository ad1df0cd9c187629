import { ErrorCode, RowkubeError } from '../../core/errors.js';

/**
 * A template in the configuration does not parse. A configuration problem,
 * normally found when the configuration is loaded (see checkTemplates), so the
 * message quotes the template text for the user to find it.
 */
export class TemplateSyntaxError extends RowkubeError {
  constructor(
    /** The template text as written in the configuration. */
    readonly template: string,
    /** What Liquid said, with the line and column inside the template. */
    readonly reason: string,
    options?: { cause?: unknown },
    /** Where the template is ("form 'web' resource 'app' at spec.replicas"), when known. */
    readonly location?: string,
  ) {
    super(
      ErrorCode.CONFIG,
      `${location ? `${location}: ` : ''}template syntax error: ${reason} in template ${JSON.stringify(template)}`,
      false,
      options,
    );
    this.name = 'TemplateSyntaxError';
  }
}
