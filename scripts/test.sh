#!/usr/bin/env bash
# Every test: formatting and lints, the core against the real Docker engine, the app's unit
# tests, the front end's helpers, the Dockerfile lint, and the app launched headless.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/hadolint.sh
# The Debian 12 base the real image's tests build on (cached by tag; the tests make it too).
scripts/debian-base.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
echo "== the lifecycle suite again, on Podman (a docker context at its socket, DOCKER_HOST unset)"
scripts/podman-tests.sh
echo "== node --test ui/tests/"
node --test ui/tests/
echo "== app smoke test"
scripts/smoke-app.sh
echo "== end-to-end: the window by WebDriver, the tray and notifications over D-Bus"
scripts/e2e.sh
