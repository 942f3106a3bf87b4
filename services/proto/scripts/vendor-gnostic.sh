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
# shellcheck source=SCRIPTDIR/../../../scripts/tools/vendor-protos.sh
source "$HERE/../../scripts/tools/vendor-protos.sh"

vendor_from_go_module github.com/google/gnostic-models "$VERSION" . "$HERE/vendor" \
  openapiv3/annotations.proto openapiv3/OpenAPIv3.proto
