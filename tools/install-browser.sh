#!/usr/bin/env bash
# Install what the browser tests need: Debian's Chromium and a CJK font.
#
# Idempotent and non-interactive (CI has no stdin), like tools/install-asterisk.sh.
#   * /usr/bin/chromium from Debian's `chromium` package; Playwright drives it through
#     executable_path, so no browser is ever downloaded (never run `playwright install`).
#   * fonts-wqy-microhei: without a CJK font the console's Chinese renders as boxes.
# Packages come from the host's own apt configuration; no mirror is named here.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
say() { printf 'install-browser: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null | grep -q 'install ok installed' \
    || missing+=(fonts-wqy-microhei)

if [ "${#missing[@]}" -eq 0 ]; then
    say "Chromium and the CJK font present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]} (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
say "apt-get update"
apt-get update -q </dev/null >/dev/null
say "apt-get install ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null
[ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
say "installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
