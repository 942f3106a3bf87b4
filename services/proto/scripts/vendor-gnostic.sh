#!/usr/bin/env bash
# Re-extract openapiv3/annotations.proto and openapiv3/OpenAPIv3.proto
# (gnostic's OpenAPI v3 options: the responses, headers and security that the
# gateway's OpenAPI document says beside each route) from the Go module
# github.com/google/gnostic-models into vendor/.
#
# Why this module: it is what protoc-gen-connect-openapi is built against (the
# plugin reads these options through its Go types, so the two must describe
# the same messages), and the go command fetches it from the Go module proxy,
# verified against the checksum database. Keep GNOSTIC_MODELS_VERSION in step
# with `go version -m $(command -v protoc-gen-connect-openapi) | grep gnostic-models`.
#
# Usage: scripts/vendor-gnostic.sh [version]   (needs the go command)
set -euo pipefail

VERSION="${1:-${GNOSTIC_MODELS_VERSION:-v0.7.0}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE=github.com/google/gnostic-models
FILES=(openapiv3/annotations.proto openapiv3/OpenAPIv3.proto)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Outside any module, so that no go.mod is read or changed.
dir="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$dir" ]]; then
  echo "go mod download $MODULE@$VERSION gave no directory" >&2
  exit 1
fi
for file in "${FILES[@]}"; do
  mkdir -p "$HERE/vendor/$(dirname "$file")"
  cp "$dir/$file" "$HERE/vendor/$file"
  chmod u+w "$HERE/vendor/$file" # the module cache is read-only
done
echo "vendored ${FILES[*]} from $MODULE@$VERSION -> vendor/"
