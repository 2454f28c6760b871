#!/usr/bin/env bash
# Install what the stand-in Mandarin prompts are made with: espeak-ng (its Mandarin voice, cmn)
# and sox (resampling to what Asterisk plays: 8 kHz, mono, 16-bit WAV).
#
# Idempotent and non-interactive (CI has no stdin), like tools/install-browser.sh.
# Packages come from the host's own apt configuration; no mirror is named here.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
say() { printf 'install-prompts: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
# sox reads WAV, AIFF, FLAC and raw by itself; MP3 and Ogg need these format plug-ins
for pkg in libsox-fmt-mp3 libsox-fmt-base; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    say "espeak-ng and sox present: $(espeak-ng --version | head -n1); $(sox --version)"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]} (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
say "apt-get update"
apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null >/dev/null
say "apt-get install ${missing[*]}"
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" </dev/null >/dev/null
command -v espeak-ng >/dev/null || die "espeak-ng installed but not on PATH"
command -v sox >/dev/null || die "sox installed but not on PATH"
espeak-ng --voices=cmn | grep -q cmn || die "espeak-ng has no Mandarin voice (cmn)"
say "installed: $(espeak-ng --version | head -n1); $(sox --version)"
