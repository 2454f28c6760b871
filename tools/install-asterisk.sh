#!/usr/bin/env bash
# Install what the engine needs to drive a real Asterisk: Asterisk itself (>= 20) and SIPp.
#
# Idempotent, non-interactive (CI has no stdin), and it says what it does.
#   * A system Asterisk (>= 20, `asterisk -V` works) is used as it is.
#   * Otherwise a Debian sid root is built with debootstrap under
#     ${IVR_ASTERISK_CACHE:-/var/cache/ivr-12345}/sid-root, because Debian 12 has no asterisk
#     package and installing sid packages on the host would pull a newer libc. A root that is
#     present and works is reused; a broken one is rebuilt.
#   * Host packages debootstrap and sip-tester (SIPp) are installed with apt-get when missing.
# The Debian mirror is read from the host's own apt configuration at run time (never written in
# the repository); IVR_DEBIAN_MIRROR overrides it.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
CACHE="${IVR_ASTERISK_CACHE:-/var/cache/ivr-12345}"
ROOT="$CACHE/sid-root"
MIN_MAJOR=20
# Hold music is the package's recommendation; --no-install-recommends needs it named. opus-tools:
# Asterisk compresses each recording to Ogg Opus when the call ends (dialplan/answered.conf).
PACKAGES=(asterisk asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm opus-tools)

say() { printf 'install-asterisk: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root to $1 (try: sudo $0)"
}

# The major version out of "Asterisk 22.10.1~dfsg+~cs6.15.60671435-1" or "Asterisk 20.5.0".
asterisk_major() {
    sed -n 's/^Asterisk \([0-9][0-9]*\)\..*/\1/p' | head -n1
}

# --- the Debian mirror, from the host's apt configuration ---------------------------------
debian_mirror() {
    if [ -n "${IVR_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$IVR_DEBIAN_MIRROR"
        return 0
    fi
    local url=""
    # deb822 files: the URIs of a stanza whose Suites are not the security archive.
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        url=$(awk '
            BEGIN { RS=""; FS="\n" }
            {
                uris=""; suites=""; types=""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)   { uris = $i;   sub(/^URIs:[ \t]*/, "", uris) }
                    if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
                    if ($i ~ /^Types:/)  { types = $i }
                }
                if (types ~ /deb([ \t]|$)/ && uris != "" && suites !~ /security/) {
                    split(uris, u, /[ \t]+/); print u[1]; exit
                }
            }' "$f")
        [ -n "$url" ] && break
    done
    if [ -z "$url" ]; then
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -r "$f" ] || continue
            url=$(awk '$1 == "deb" && $0 !~ /security/ {
                        for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit }
                      }' "$f")
            [ -n "$url" ] && break
        done
    fi
    [ -n "$url" ] || die "no Debian mirror found in /etc/apt (set IVR_DEBIAN_MIRROR=URL)"
    printf '%s\n' "${url%/}"
}

# --- host packages ----------------------------------------------------------------------------
APT_UPDATED=0
apt_install_host() {
    need_root "install host packages ($*)"
    command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update (host)"
        apt-get update -q </dev/null
        APT_UPDATED=1
    fi
    say "apt-get install $* (host)"
    apt-get install -y -q --no-install-recommends "$@" </dev/null
}

ensure_sipp() {
    if command -v sipp >/dev/null 2>&1; then
        say "SIPp present: $(command -v sipp)"
    else
        apt_install_host sip-tester
        command -v sipp >/dev/null 2>&1 || die "sip-tester installed but sipp is not on PATH"
    fi
}

# --- the sid root -------------------------------------------------------------------------------
root_works() {
    [ -x "$ROOT/usr/sbin/asterisk" ] || return 1
    [ -f "$ROOT/.ivr-ready" ] || return 1
    local major
    major=$(chroot "$ROOT" /usr/sbin/asterisk -V 2>/dev/null | asterisk_major) || return 1
    [ -n "$major" ] && [ "$major" -ge "$MIN_MAJOR" ] || return 1
    # The prompt folders are alternatives symlinks that only resolve inside the root.
    chroot "$ROOT" test -f /usr/share/asterisk/sounds/en/hello-world.gsm || return 1
}

# Packages of PACKAGES not installed in a root that otherwise works (a list grown since it was built).
missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        chroot "$ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || printf '%s\n' "$p"
    done
}

root_apt_install() {
    local dir="$1"; shift
    chroot "$dir" apt-get -q -o Acquire::Check-Valid-Until=false update </dev/null >"$CACHE/apt.log" 2>&1 \
        || { tail -n 20 "$CACHE/apt.log" >&2; die "apt-get update inside the root failed (log: $CACHE/apt.log)"; }
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "$@" </dev/null >>"$CACHE/apt.log" 2>&1 \
        || { tail -n 20 "$CACHE/apt.log" >&2; die "apt-get install inside the root failed (log: $CACHE/apt.log)"; }
    chroot "$dir" apt-get clean >/dev/null 2>&1 || true
}

# Refuse to delete a tree that still has something mounted inside it (e.g. a recordings folder
# bound into it by a crashed run): rm -rf would go through the mount into the host's files.
remove_tree() {
    local dir="$1"
    [ -e "$dir" ] || return 0
    local mounts
    mounts=$(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    if [ -n "$mounts" ]; then
        say "unmounting leftovers under $dir"
        local m
        while read -r m; do umount "$m" || umount -l "$m" || true; done <<<"$mounts"
        if awk -v d="$dir/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
            die "$dir still has mounts inside; refusing to delete it"
        fi
    fi
    rm -rf --one-file-system "$dir"
}

build_root() {
    need_root "build the Debian sid root"
    command -v debootstrap >/dev/null 2>&1 || apt_install_host debootstrap
    local mirror
    mirror=$(debian_mirror)
    local new="$ROOT.new"
    remove_tree "$new"
    mkdir -p "$CACHE"
    say "debootstrap --variant=minbase sid $new (mirror from host apt configuration)"
    local started=$SECONDS
    debootstrap --variant=minbase sid "$new" "$mirror" </dev/null >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    say "debootstrap done in $((SECONDS - started)) s"

    # Name resolution as on the host: without /etc/hosts Asterisk resolves its own host name
    # through DNS on every call and stalls under load.
    cp /etc/hosts "$new/etc/hosts"
    [ -r /etc/resolv.conf ] && cp -L /etc/resolv.conf "$new/etc/resolv.conf" || true
    printf 'deb %s sid main\n' "$mirror" >"$new/etc/apt/sources.list"
    # No service may start inside the root during package installation.
    printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
    chmod 0755 "$new/usr/sbin/policy-rc.d"

    started=$SECONDS
    say "apt-get update + install ${PACKAGES[*]} inside the root"
    root_apt_install "$new" "${PACKAGES[@]}"
    say "packages installed in $((SECONDS - started)) s"

    # Asterisk runs as root inside the root: its own directories must belong to root.
    local d
    for d in etc/asterisk var/lib/asterisk var/spool/asterisk var/log/asterisk var/run/asterisk; do
        mkdir -p "$new/$d"
        chown -R root:root "$new/$d"
    done
    touch "$new/.ivr-ready"

    remove_tree "$ROOT"
    mv "$new" "$ROOT"
}

# --- main ---------------------------------------------------------------------------------------
main() {
    ensure_sipp
    # opusenc on the host too, whichever Asterisk runs: the console's tests compress their sample
    # recordings as the dialplan does
    command -v opusenc >/dev/null || apt_install_host opus-tools
    local version major
    if version=$(asterisk -V 2>/dev/null) && major=$(printf '%s\n' "$version" | asterisk_major) \
            && [ -n "$major" ] && [ "$major" -ge "$MIN_MAJOR" ]; then
        say "system Asterisk found: $version ($(command -v asterisk)); no sid root needed"
        return 0
    fi
    if [ -n "${version:-}" ]; then
        say "system $version is older than $MIN_MAJOR: using a Debian sid root instead"
    fi
    if root_works; then
        local missing
        missing=$(missing_packages | tr '\n' ' ')
        if [ -n "${missing// /}" ]; then
            need_root "add packages to the sid root"
            say "adding to the sid root: $missing"
            # shellcheck disable=SC2086 # one word per package name
            root_apt_install "$ROOT" $missing
        fi
        say "sid root present and working: $ROOT ($(chroot "$ROOT" /usr/sbin/asterisk -V))"
        return 0
    fi
    if [ -e "$ROOT" ]; then
        say "sid root at $ROOT is incomplete or broken: rebuilding it"
    fi
    local started=$SECONDS
    build_root
    root_works || die "the new sid root at $ROOT does not run asterisk -V"
    say "ready: $(chroot "$ROOT" /usr/sbin/asterisk -V) in $ROOT (built in $((SECONDS - started)) s)"
}

main "$@"
