#!/bin/sh
# Browser tests drive the system's Chromium through Playwright (Playwright's own browser
# download cannot be relied on). Install Debian's package where we can; elsewhere the
# browser tests skip locally, and fail in CI.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$CHROMIUM_PATH" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium not found: browser tests will be skipped (set CHROMIUM_PATH to use another Chromium)."
fi
