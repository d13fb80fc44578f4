#!/usr/bin/env bash
# Benchmark: the app's idle footprint, headless. Launches the release build in a sandbox (its own
# HOME, settings with instance "occ-bench", private X server and session bus) and prints, for the
# app and its WebKit processes, RSS and PSS and the CPU used over a minute, first with the window
# open, then with it closed (the webview destroyed). Figures, not a pass/fail test.
#   scripts/bench-idle.sh [SECONDS]   (default 60 per phase)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inner" ]; then
    scripts/setup.sh
    cargo build --release --features tauri/custom-protocol --bin opencode-cloud-desktop
    sandbox="$(mktemp -d)"
    trap 'rm -rf "$sandbox"' EXIT
    mkdir -p "$sandbox"/{home,config,data,cache,runtime,occ}
    chmod 700 "$sandbox/runtime"
    echo '{ "instance": "occ-bench", "port": 39518 }' >"$sandbox/occ/settings.json"
    export BENCH_SECONDS="${1:-60}"
    export HOME="$sandbox/home" XDG_CONFIG_HOME="$sandbox/config" XDG_DATA_HOME="$sandbox/data"
    export XDG_CACHE_HOME="$sandbox/cache" XDG_RUNTIME_DIR="$sandbox/runtime"
    export OPENCODE_CLOUD_CONFIG_DIR="$sandbox/occ"
    exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" --inner
fi

app="$PWD/target/release/opencode-cloud-desktop"
"$app" >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

window_id() { xdotool search --name '^opencode-cloud$' 2>/dev/null | head -n 1; }
for _ in $(seq 100); do [ -n "$(window_id)" ] && break; sleep 0.2; done
[ -n "$(window_id)" ] || { echo "the window did not appear" >&2; exit 1; }

# The app and every process below it (WebKit's web and network processes).
tree() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1"); do tree "$p"; done
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

measure() {
    local phase="$1" procs p t0=() total=0 hz
    hz=$(getconf CLK_TCK)
    sleep 5 # let start-up work finish before measuring idle
    procs=$(tree "$pid")
    for p in $procs; do t0+=("$(ticks "$p")"); done
    sleep "$BENCH_SECONDS"
    echo "== window $phase: ${BENCH_SECONDS} s idle"
    printf '%-24s %8s %8s %10s\n' process "RSS MiB" "PSS MiB" "CPU %"
    local i=0 rss_sum=0 pss_sum=0
    for p in $procs; do
        local used=$(($(ticks "$p") - t0[i]))
        local rss pss
        rss=$(kib "$p" Rss) pss=$(kib "$p" Pss)
        rss_sum=$((rss_sum + rss)) pss_sum=$((pss_sum + pss)) total=$((total + used))
        awk -v n="$(cat "/proc/$p/comm" 2>/dev/null || echo gone)" -v r="$rss" -v s="$pss" \
            -v u="$used" -v hz="$hz" -v t="$BENCH_SECONDS" \
            'BEGIN { printf "%-24s %8.1f %8.1f %10.2f\n", n, r / 1024, s / 1024, 100 * u / hz / t }'
        i=$((i + 1))
    done
    awk -v r="$rss_sum" -v s="$pss_sum" -v u="$total" -v hz="$hz" -v t="$BENCH_SECONDS" \
        'BEGIN { printf "%-24s %8.1f %8.1f %10.2f\n", "total", r / 1024, s / 1024, 100 * u / hz / t }'
}

measure open
python3 scripts/x-close-window.py "$(window_id)"
for _ in $(seq 50); do [ -z "$(window_id)" ] && break; sleep 0.2; done
measure closed
