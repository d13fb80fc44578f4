#!/usr/bin/env bash
# The core's lifecycle tests (build, pull, volumes, start/stop/remove, engine discovery and the
# watcher connecting when the engine appears) against Podman's Docker-compatible API. Podman is found the way a user's would be: a
# docker context pointing at its socket is the current one, DOCKER_HOST is unset. The test binary
# is the one `cargo test --workspace` built (nothing is rebuilt); Podman is stopped by its pid at
# the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d /tmp/occ-podman-tests.XXXXXX)
pidfile="$work/podman.pid"
cleanup() {
    "$root/scripts/podman.sh" stop "$pidfile" || true
    rm -rf "$work"
}
trap cleanup EXIT

# The integration test executable of the last `cargo test --workspace` (a no-op build).
binary=$(cargo test --workspace --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] == "integration" and "test" in m["target"]["kind"]:
        print(m["executable"])
')
[ -x "$binary" ] || { echo "podman-tests: no integration test binary found" >&2; exit 1; }

scripts/podman.sh start "$pidfile"
export DOCKER_CONFIG="$work/docker"
mkdir -p "$DOCKER_CONFIG"
docker context create occ-podman --docker host=unix:///run/podman/podman.sock >/dev/null
docker context use occ-podman >/dev/null
unset DOCKER_HOST DOCKER_CONTEXT

# The event watcher's tests (watch::) are not run here yet: on Podman 4.3 its event stream
# intermittently delivers nothing for seconds although the events are in Podman's log (see the
# team note for issue 9); a flaky run would be worse than none. They run on Docker above.
cd core
time timeout 600 "$binary" --test-threads 2 build:: pull:: persistence:: lifecycle:: engines::
