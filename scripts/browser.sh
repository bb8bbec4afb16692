#!/usr/bin/env bash
# Makes sure a headless browser is there for the explorer's browser tests
# (explorer/*_test.go drive it with chromedp). Idempotent: when chromium is
# already on the PATH it only prints its path. Without it, as root, it
# installs Debian's chromium package with apt-get, the way
# scripts/services.sh installs PostgreSQL. Usage: scripts/browser.sh
set -euo pipefail

log() { printf 'browser: %s\n' "$*" >&2; }
die() { printf 'browser: error: %s\n' "$*" >&2; exit 1; }

find_browser() {
	local b
	for b in chromium chromium-browser google-chrome headless-shell; do
		command -v "$b" 2>/dev/null && return 0
	done
	return 1
}

if find_browser >/dev/null; then
	find_browser
	exit 0
fi
log "chromium not found; installing Debian's chromium package"
[ "$(id -u)" = 0 ] || die "chromium is not installed and we are not root to apt-get install it"
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
	|| die "apt-get install chromium failed"
find_browser || die "chromium installed but not on the PATH"
