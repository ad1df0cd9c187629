// `npm run docs`: writes docs/configuration.md from the configuration schema.
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/core/config/config-reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configReference());
