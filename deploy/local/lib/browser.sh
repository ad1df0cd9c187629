# A headless browser for the dashboard's test (test/integration/ui-dashboard.test.ts):
# Debian's chromium, driven by playwright-core (a devDependency that never
# downloads a browser of its own). Like helm it is a tool, not a service: `up`
# installs the package (in the stack's one apt run, see browser_packages) and
# checks that it starts headless; nothing keeps running.

BROWSER_BIN=/usr/bin/chromium

# Installed with the stack's other Debian packages, before the parts start side
# by side (two apt runs at once would fight over dpkg's lock). The fonts make the
# test's screenshot readable; chromium itself only recommends them.
browser_packages() { echo chromium fonts-dejavu-core; }

# Root has no user namespace sandbox for chromium here: the test passes
# --no-sandbox too. It only ever loads pages the test serves on 127.0.0.1.
browser_check() { "$BROWSER_BIN" --headless --no-sandbox --disable-gpu --dump-dom about:blank; }

browser_up() {
  [ -x "$BROWSER_BIN" ] || die "browser: $BROWSER_BIN is missing after installing $(browser_packages)"
  browser_check >/dev/null 2>"$LOG_DIR/browser-check.log" ||
    fail_part browser "$LOG_DIR/browser-check.log" "chromium does not start headless"
}

browser_down() { :; }

browser_status() {
  [ -x "$BROWSER_BIN" ] || { echo "chromium is not installed (deploy/local/stack up browser)"; return 1; }
  "$BROWSER_BIN" --version 2>/dev/null || { echo "$BROWSER_BIN does not run"; return 1; }
}

browser_env() { echo "ROWKUBE_CHROMIUM=$BROWSER_BIN"; }
