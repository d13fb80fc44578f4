#!/usr/bin/env bash
# Installs what building, running and testing need on Debian 12: Tauri's system libraries, the
# headless display and session bus, and the Docker test tools (debootstrap makes the local Debian
# base image the real image's tests build on). Safe to run again; quick when done.
set -euo pipefail

packages=(
    build-essential pkg-config libssl-dev
    libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
    xvfb xauth dbus dbus-x11 libglib2.0-bin xdotool imagemagick webkit2gtk-driver
    docker-registry busybox-static python3-gi gir1.2-glib-2.0
    python3-selenium python3-pytest python3-pytest-timeout python3-pip debootstrap
    podman uidmap slirp4netns fuse-overlayfs
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
    echo "setup: the Docker engine is not answering; start it (sudo systemctl start docker)" >&2
    exit 1
fi
