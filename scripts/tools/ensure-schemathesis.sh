#!/usr/bin/env bash
# Makes sure Schemathesis (the OpenAPI fuzzer of `make test`) is installed at
# the pinned version, in a Python virtual environment of its own made with the
# machine's python3 and pip from PyPI. The venv is cached per version in
# ${XDG_CACHE_HOME:-~/.cache}/meshmart/tools, so later runs and fresh clones on
# the same machine reuse it. Idempotent.
#
#   bash scripts/tools/ensure-schemathesis.sh     # prints the path of the `schemathesis` command on success
#   SCHEMATHESIS_VERSION=4.32.5 bash scripts/tools/ensure-schemathesis.sh
#
# Exit status: 0 with schemathesis in place; 1 when it cannot be had (no
# python3 with venv, PyPI unreachable), with the reason on stderr.
set -euo pipefail

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
cache_dir="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/meshmart/tools/schemathesis-${SCHEMATHESIS_VERSION}"
target="$cache_dir/bin/schemathesis"
stamp="$cache_dir/.installed"

say() { printf 'ensure-schemathesis: %s\n' "$*" >&2; }

if [[ -x "$target" && -f "$stamp" ]]; then
  say "schemathesis $SCHEMATHESIS_VERSION already at $target"
  printf '%s\n' "$target"
  exit 0
fi

python="$(command -v python3 || true)"
if [[ -z "$python" ]]; then
  say "cannot install schemathesis: no python3 on PATH (install Python >= 3.9 with its venv module)"
  exit 1
fi

# pip trusts its own CA bundle (certifi); where outbound TLS is re-signed by a
# local CA that only the system bundle holds, point pip at the system bundle.
if [[ -z "${PIP_CERT:-}" && -f /etc/ssl/certs/ca-certificates.crt ]]; then
  export PIP_CERT=/etc/ssl/certs/ca-certificates.crt
fi

say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into a venv at $cache_dir (about a minute, once)"
rm -rf "$cache_dir"
mkdir -p "$(dirname "$cache_dir")"
if ! "$python" -m venv "$cache_dir" >&2; then
  say "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
  rm -rf "$cache_dir"
  exit 1
fi
if ! "$cache_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "schemathesis==${SCHEMATHESIS_VERSION}" >&2; then
  say "pip install schemathesis==${SCHEMATHESIS_VERSION} failed (is PyPI reachable?)"
  rm -rf "$cache_dir"
  exit 1
fi
touch "$stamp"
say "installed $("$target" --version 2>/dev/null || echo "schemathesis $SCHEMATHESIS_VERSION") at $target"
printf '%s\n' "$target"
