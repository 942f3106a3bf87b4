#!/usr/bin/env bash
# buf generate (buf.gen.yaml) with both of its plugins on PATH:
# protoc-gen-es from node_modules/.bin (npm run puts it there) and
# protoc-gen-connect-openapi, the pinned build of scripts/tools/ensure-tool.sh
# (from the Go module proxy, built once per machine and cached).
#
# Usage: scripts/gen.sh [buf generate flags, e.g. --output DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"

openapi="$(bash "$root/scripts/tools/ensure-tool.sh" protoc-gen-connect-openapi | tail -n 1)"
if [[ ! -x "$openapi" ]]; then
  echo "gen: protoc-gen-connect-openapi is not an executable: ${openapi:-(none)}" >&2
  exit 1
fi

cd "$here"
PATH="$(dirname "$openapi"):$PATH" exec buf generate "$@"
