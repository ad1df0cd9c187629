#!/usr/bin/env node
// Launcher for the compiled CLI (`npm ci` and `npm run build` make dist/).
import '../dist/src/cli/run.js';
