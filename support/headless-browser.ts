import { type Browser, chromium } from 'playwright-core';
import { chromiumPath } from './stack-env.js';

// A real browser for tests that look at a page as a person would: Debian's
// chromium from the local stack (part `browser`), driven by playwright-core,
// which never downloads a browser of its own.

/** Launches headless chromium; close() it when done. */
export function launchHeadlessBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // The tests run as root, where chromium's sandbox cannot start; the pages are the test's own, on 127.0.0.1.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
