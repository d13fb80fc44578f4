#!/usr/bin/env bash
# End-to-end tests of the desktop app as a user clicks it (e2e/, pytest + selenium over
# tauri-driver, the tray and notifications over a private D-Bus session bus, under Xvfb).
#
# Builds the app once, then prepares what the tests need from Docker with the docker CLI:
#   - a busybox test image in two variants (an image change), serving /global/health on 3000;
#   - a build context folder (the build path) and one whose Dockerfile fails at a RUN step;
#   - Debian's docker-registry on a free 127.0.0.1 port holding an image with a few MB layer
#     that is not on this machine (the pull path).
# Everything it creates is named occ-e2e-<pid>… or labelled dev.opencode-cloud.e2e-run, and is
# removed on exit, also on failure or ^C.
# Extra arguments go to pytest (e.g. `scripts/e2e.sh -k tray -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

scripts/setup.sh

tauri_driver="$(command -v tauri-driver || true)"
[ -n "$tauri_driver" ] || tauri_driver="$HOME/.cargo/bin/tauri-driver"
if [ ! -x "$tauri_driver" ]; then
    echo "e2e: installing tauri-driver"
    cargo install tauri-driver --version 2.1.0 --locked
    tauri_driver="$HOME/.cargo/bin/tauri-driver"
fi

echo "== e2e: building the app"
cargo build --bin opencode-cloud-desktop
app="$repo/target/debug/opencode-cloud-desktop"

rm -rf target/e2e-failures # a failed test leaves its window and the app's state there
run="occ-e2e-$$"
sandbox="$(mktemp -d "/tmp/$run.XXXXXX")"
registry_pid=""
inner_pid=""

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Ends a process group by its id: TERM, then KILL if it is still there after 5 s.
end_group() {
    kill -TERM -- "-$1" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$1" 2>/dev/null || true
}

# What is left of this run in Docker: containers by name or label (a build's intermediate
# containers carry the label too), volumes by name, images by label, tagged or not.
docker_leftovers() {
    {
        docker ps -aq --filter "name=^/$run-" | sed 's/^/container /'
        docker ps -aq --filter "label=dev.opencode-cloud.e2e-run=$run" | sed 's/^/container /'
        docker volume ls -q | grep "^$run-" | sed 's/^/volume /'
        docker images -q --filter "label=dev.opencode-cloud.e2e-run=$run" | sed 's/^/image /'
    } 2>/dev/null | sort -u
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # The test run (pytest, the bus, Xvfb) is one process group; tauri-driver (and the app
    # under it) runs in groups of its own, which the tests list in $sandbox/process-groups.
    [ -n "$inner_pid" ] && end_group "$inner_pid"
    if [ -f "$sandbox/process-groups" ]; then
        while read -r group; do end_group "$group"; done <"$sandbox/process-groups"
    fi
    if [ -n "$registry_pid" ]; then
        kill "$registry_pid" 2>/dev/null || true
        wait "$registry_pid" 2>/dev/null || true
    fi
    # A build cut short by the end of the app may still commit a step for a moment: repeat
    # until a pass finds nothing.
    local left
    for _ in $(seq 20); do
        left="$(docker_leftovers)"
        [ -n "$left" ] || break
        awk '$1 == "container" { print $2 }' <<<"$left" | xargs -r docker rm -f >/dev/null 2>&1 || true
        awk '$1 == "volume" { print $2 }' <<<"$left" | xargs -r docker volume rm -f >/dev/null 2>&1 || true
        awk '$1 == "image" { print $2 }' <<<"$left" | xargs -r docker rmi -f >/dev/null 2>&1 || true
        sleep 0.5
    done
    [ -z "$left" ] || echo "e2e: could not remove: $left" >&2
    rm -rf "$sandbox"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- test images ----------------------------------------------------------------------------
echo "== e2e: building the test images ($run)"
dockerfile() { # $1 = variant; the image's page says which one it is
    cat <<EOF
FROM scratch
LABEL dev.opencode-cloud.e2e-run=$run
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG VARIANT=$1
RUN mkdir -p /www/global /tmp && echo '{"healthy":true}' > /www/global/health && echo "<h1>occ e2e test image</h1><p>variant \$VARIANT</p>" > /www/index.html
HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:3000/global/health || exit 1
EXPOSE 3000
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; httpd -f -p 3000 -h /www & wait; exit 3"]
EOF
}
context() { # $1 = folder, $2 = variant, $3 = extra Dockerfile lines
    mkdir -p "$1"
    cp /bin/busybox "$1/busybox"
    { dockerfile "$2"; printf '%s' "${3:-}"; } >"$1/Dockerfile"
}
context "$sandbox/ctx-1" 1
context "$sandbox/ctx-2" 2
docker build -q -t "$run-busybox:1" "$sandbox/ctx-1" >/dev/null
docker build -q -t "$run-busybox:2" "$sandbox/ctx-2" >/dev/null

# The build path: tests copy this folder and write a fresh `stamp`, so the steps after it run
# for real every time (and the sleep makes the build last long enough to be seen).
context "$sandbox/build-context" built 'COPY stamp /www/stamp.txt
RUN echo "building the e2e image" && sleep 2
'
# A build that fails at a RUN step.
context "$sandbox/failing-context" failing 'RUN echo "e2e: this step fails on purpose" && exit 7
'

# ---- the registry ---------------------------------------------------------------------------
echo "== e2e: starting a registry"
registry_port="$(free_port)"
registry="127.0.0.1:$registry_port"
mkdir -p "$sandbox/registry"
cat >"$sandbox/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $sandbox/registry/data
http:
  addr: $registry
EOF
docker-registry serve "$sandbox/registry/config.yml" >"$sandbox/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$registry_port") 2>/dev/null && break
    kill -0 "$registry_pid" 2>/dev/null || { cat "$sandbox/registry/log"; exit 1; }
    sleep 0.1
done
# An image with a 4 MB layer of noise: pulling it moves real bytes, layer by layer.
context "$sandbox/ctx-registry" registry 'COPY payload.bin /payload.bin
'
head -c 4000000 /dev/urandom >"$sandbox/ctx-registry/payload.bin"
remote="$registry/$run/busybox:1"
docker build -q -t "$remote" "$sandbox/ctx-registry" >/dev/null
docker push -q "$remote" >/dev/null
docker rmi "$remote" >/dev/null # so that a pull has to download it

# ---- the tests, in a private session bus and X server ---------------------------------------
mkdir -p "$sandbox"/{home,config,data,cache,runtime,tmp}
chmod 700 "$sandbox/runtime"
export OCC_E2E_RUN="$run" OCC_E2E_SANDBOX="$sandbox" OCC_E2E_APP="$app"
export OCC_E2E_TAURI_DRIVER="$tauri_driver" OCC_E2E_REGISTRY="$registry"
export OCC_E2E_REMOTE_PATH="$run/busybox:1"
export OCC_E2E_IMAGE="$run-busybox:1" OCC_E2E_IMAGE_2="$run-busybox:2"
export OCC_E2E_BUILD_CONTEXT="$sandbox/build-context"
export OCC_E2E_FAILING_CONTEXT="$sandbox/failing-context"
export HOME="$sandbox/home" XDG_CONFIG_HOME="$sandbox/config" XDG_DATA_HOME="$sandbox/data"
export XDG_CACHE_HOME="$sandbox/cache" XDG_RUNTIME_DIR="$sandbox/runtime" TMPDIR="$sandbox/tmp"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the work tree
unset OPENCODE_CLOUD_CONFIG_DIR BROWSER

# axe-core for the accessibility audit, from PyPI (that package ships axe's script);
# kept beside the build, so only the first run downloads it.
axe_dir="$repo/target/e2e-python"
if [ ! -d "$axe_dir/axe_playwright_python" ]; then
    /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$axe_dir" "axe-playwright-python==0.1.8"
fi
export PYTHONPATH="$axe_dir${PYTHONPATH:+:$PYTHONPATH}"

echo "== e2e: pytest"
# Its own process group (setsid), so that cleanup can end all of it by one id.
setsid dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
    /usr/bin/python3 -m pytest -c "$repo/e2e/pytest.ini" --rootdir "$repo/e2e" "$repo/e2e" "$@" &
inner_pid=$!
status=0
wait "$inner_pid" || status=$?
inner_pid=""
exit "$status"
