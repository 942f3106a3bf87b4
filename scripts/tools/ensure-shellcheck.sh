#!/usr/bin/env bash
# Makes sure shellcheck is on PATH, installing Debian's package with apt-get
# when it is missing (needs root, or passwordless sudo). Idempotent.
#
#   bash scripts/tools/ensure-shellcheck.sh     # prints the path of shellcheck on success
#
# Exit status: 0 with shellcheck available; 1 when it cannot be installed, with
# the reason on stderr.
set -euo pipefail

say() { printf 'ensure-shellcheck: %s\n' "$*" >&2; }
# shellcheck source=scripts/tools/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if command -v shellcheck >/dev/null 2>&1; then
  say "shellcheck $(shellcheck --version | sed -n 's/^version: //p') already at $(command -v shellcheck)"
  command -v shellcheck
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "shellcheck is missing and this is not a Debian/Ubuntu system: install it with your package manager (e.g. 'brew install shellcheck')"
  exit 1
fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    say "shellcheck is missing and installing it needs root: run 'sudo apt-get install -y shellcheck'"
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show shellcheck >/dev/null 2>&1; then
  say "running: apt-get update"
  apt_get update -qq >&2 || { say "apt-get update failed"; exit 1; }
fi
say "running: apt-get install -y shellcheck"
if ! apt_get install -y -qq --no-install-recommends shellcheck >&2; then
  say "apt-get install shellcheck failed"
  exit 1
fi
say "installed shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
command -v shellcheck
