import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The dashboard's page: plain HTML, CSS and JavaScript files in ./assets,
// served as they are (no build step, no CDN). From src/ (tsx) they are next to
// this file; from dist/src/ (built, and in the image) the folder is the
// source's, which the package and the image ship (package.json `files`,
// deploy/image).

const CANDIDATES = ['./assets/', '../../../../src/observability/ui/assets/'];

/** The files the page is made of, by the name the browser asks for under /ui/. */
const ASSETS: Readonly<Record<string, { file: string; contentType: string }>> = {
  '': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  'style.css': { file: 'style.css', contentType: 'text/css; charset=utf-8' },
};

export interface UiAsset {
  body: Buffer;
  contentType: string;
}

function assetsFolder(): string {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}index.html`)) return path;
  }
  throw new Error(`the dashboard's assets (index.html) are not next to ${fileURLToPath(import.meta.url)}`);
}

const loaded = new Map<string, UiAsset>();

/** The asset named `name` (the path after /ui/), or undefined for any other name. Read once, then kept. */
export function uiAsset(name: string): UiAsset | undefined {
  const known = ASSETS[name];
  if (known === undefined) return undefined;
  let asset = loaded.get(name);
  if (asset === undefined) {
    asset = { body: readFileSync(`${assetsFolder()}${known.file}`), contentType: known.contentType };
    loaded.set(name, asset);
  }
  return asset;
}
