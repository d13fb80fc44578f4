#!/usr/bin/env bash
# Builds and runs the desktop app. Without a display (a headless machine) it runs inside a
# private X server and D-Bus session bus, so it can still be driven and screenshotted.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --features tauri/custom-protocol --bin opencode-cloud-desktop
app=target/release/opencode-cloud-desktop

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec "$app" "$@"
fi
echo "run: no display found; running under Xvfb (display printed by xvfb-run) with a private D-Bus" >&2
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$app" "$@"
