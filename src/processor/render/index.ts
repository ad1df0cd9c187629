export {
  b64dec,
  b64enc,
  dnsLabel,
  fromJson,
  sha1,
  toBool,
  toFloat,
  toHost,
  toInt,
  trunc63,
} from './filters.js';
export {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  labelValue,
  type NameRule,
  nameRuleFor,
  qualifiedName,
  validateRenderedNames,
} from './kubernetes-names.js';
export { type CompiledTemplate, compileTemplate } from './liquid-engine.js';
export { formatManifestPath, type ManifestPath } from './manifest-path.js';
export { RenderError, RenderErrorCode, type RenderSite } from './render-error.js';
export { renderManifest } from './render-manifest.js';
export { renderResource } from './render-resource.js';
export { checkTemplates, type TemplateProblem } from './template-check.js';
export { TemplateSyntaxError } from './template-syntax-error.js';
