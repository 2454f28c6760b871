#!/usr/bin/env bash
# Install Debian's kamailio package: the SIP proxy in front of a cluster's Asterisk nodes
# (ivr/cluster/, `ivr cluster up`, the cluster's tests check its rendered kamailio.cfg with
# `kamailio -c`). Its dispatcher, tm, rr, sl, maxfwd, pv, textops, siputils, xlog, permissions
# and ctl modules are in the core package, as is kamcmd.
#
# Idempotent, non-interactive (CI has no stdin), and it says what it does. Kamailio is installed
# for the cluster lab only: the package's own service is not started (a policy-rc.d that refuses
# service starts is in place during the install when the machine has none), and is disabled
# afterwards, so the machine's port 5060 stays free. Packages come from the host's own apt
# configuration; no mirror is named here.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
say() { printf 'install-kamailio: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if command -v kamailio >/dev/null && command -v kamcmd >/dev/null; then
    say "present: $(kamailio -v 2>/dev/null | head -1)"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root to install kamailio (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: install kamailio (5.6 or newer) by hand"

policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-kamailio: no service starts while it installs\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
fi
cleanup() { if [ -n "$ours" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

say "apt-get update"
apt-get update -q </dev/null >/dev/null
say "apt-get install kamailio"
apt-get install -y -q --no-install-recommends kamailio </dev/null >/dev/null
command -v kamailio >/dev/null || die "kamailio installed but not on PATH"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now kamailio >/dev/null 2>&1 || true
fi
say "installed: $(kamailio -v 2>/dev/null | head -1)"
