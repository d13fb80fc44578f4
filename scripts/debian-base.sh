#!/usr/bin/env bash
# Makes a clean Debian 12 (bookworm) base image locally, for building the embedded Dockerfile in
# tests on a machine that reaches Debian's archive but no registry: debootstrap (minbase) from
# apt's own mirror, then `docker import`. Cached by tag: does nothing when the image exists.
# Usage: scripts/debian-base.sh [TAG]   (default occ-test/debian:bookworm)
set -euo pipefail

tag="${1:-occ-test/debian:bookworm}"
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "debian-base: $tag exists"
    exit 0
fi
command -v debootstrap >/dev/null 2>&1 || {
    echo "debian-base: debootstrap is missing (scripts/setup.sh installs it)" >&2
    exit 1
}

mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
mirror="${mirror:-http://deb.debian.org/debian}"

root=$(mktemp -d /tmp/occ-debian-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debian-base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 20 "$root.log" >&2
    rm -f "$root.log"
    exit 1
}
rm -f "$root.log"
# The image's apt gets the same mirror and the security suite, as a fresh Debian install does.
security="${mirror%/debian}/debian-security"
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$tag" >/dev/null
echo "debian-base: made $tag"
