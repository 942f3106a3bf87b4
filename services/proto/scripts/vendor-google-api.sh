#!/usr/bin/env bash
# Re-extract google/api/annotations.proto and google/api/http.proto (the
# google.api.http option that declares the gateway's REST mapping) from the
# com.google.api.grpc:proto-google-common-protos jar on Maven Central into
# vendor/.
#
# Why Maven Central: buf.build (BSR deps) is not reachable from our build
# machines, and the googleapis repository is no Go module; Google's Java
# artifact ships the .proto sources next to the classes, checksummed.
#
# Usage: scripts/vendor-google-api.sh [version]   (needs curl and unzip)
set -euo pipefail

VERSION="${1:-${GOOGLE_COMMON_PROTOS_VERSION:-2.81.0}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../../scripts/tools/vendor-protos.sh
source "$HERE/../../scripts/tools/vendor-protos.sh"

vendor_from_maven_jar com/google/api/grpc proto-google-common-protos "$VERSION" "$HERE/vendor" \
  google/api/annotations.proto google/api/http.proto
