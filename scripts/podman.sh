#!/usr/bin/env bash
# Podman's Docker-compatible API service, for running the lifecycle tests against Podman:
#   scripts/podman.sh start PIDFILE   starts `podman system service` on /run/podman/podman.sock
#   scripts/podman.sh stop PIDFILE    ends that process (by its pid) and nothing else
# Rootful Podman here needs runc and no default rlimits (docs: ../shared/ENGINES.md). That
# containers.conf (and the loopback registry entry) are settings for this test machine only:
# never write them on a user's machine.
set -euo pipefail

socket=/run/podman/podman.sock
action=${1:?usage: podman.sh start|stop PIDFILE}
pidfile=${2:?usage: podman.sh start|stop PIDFILE}

case "$action" in
start)
    conf=/etc/containers/containers.conf
    want=$'[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"'
    if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
        if [ -s "$conf" ] && ! grep -q '^default_ulimits = \[\]' "$conf"; then
            echo "podman.sh: $conf exists with other settings; not touching it" >&2
            exit 1
        fi
        mkdir -p /etc/containers
        printf '%s\n' "$want" >"$conf"
    fi
    # The tests' registry listens on 127.0.0.1 without TLS, which Docker allows for loopback by
    # default and Podman only when told.
    mkdir -p /etc/containers/registries.conf.d
    printf '[[registry]]\nlocation = "127.0.0.1"\ninsecure = true\n' \
        >/etc/containers/registries.conf.d/occ-test-loopback.conf
    mkdir -p /run/podman
    if curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then
        echo "podman.sh: something already answers on $socket" >&2
        exit 1
    fi
    podman system service --time=0 "unix://$socket" >"${pidfile}.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        if curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then
            echo "podman.sh: Podman $(podman version --format '{{.Server.Version}}' 2>/dev/null || podman --version) answers on $socket (pid $(cat "$pidfile"))"
            exit 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || { cat "${pidfile}.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "podman.sh: Podman did not answer on $socket within 10 s" >&2
    cat "${pidfile}.log" >&2
    exit 1
    ;;
stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$pidfile"
    ;;
*)
    echo "usage: podman.sh start|stop PIDFILE" >&2
    exit 2
    ;;
esac
