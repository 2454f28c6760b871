#!/usr/bin/env bash
# Install what the softphone tests need: Debian's baresip (a real SIP softphone, run headless)
# and fail2ban (its fail2ban-regex checks the repository's filter against Asterisk's log).
#
# Idempotent and non-interactive (CI has no stdin), like tools/install-asterisk.sh.
# fail2ban is installed for its fail2ban-regex only: its service is not started by this script
# (a policy-rc.d that refuses service starts is in place during the install when the machine
# has none). Packages come from the host's own apt configuration; no mirror is named here.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
say() { printf 'install-softphones: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

missing=()
command -v baresip >/dev/null || missing+=(baresip)
command -v fail2ban-regex >/dev/null || missing+=(fail2ban)

if [ "${#missing[@]}" -eq 0 ]; then
    say "baresip and fail2ban-regex present"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]} (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"

policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-softphones: no service starts while it installs\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
fi
cleanup() { if [ -n "$ours" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

say "apt-get update"
apt-get update -q </dev/null >/dev/null
say "apt-get install ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null
command -v baresip >/dev/null || die "baresip installed but not on PATH"
say "installed: $(baresip -h 2>&1 | head -1), $(fail2ban-regex --version 2>&1 | head -1)"
