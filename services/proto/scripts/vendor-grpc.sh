#!/usr/bin/env bash
# Re-extract grpc/health/v1/health.proto and grpc/reflection/{v1,v1alpha}/reflection.proto
# (the gRPC health-checking and server-reflection protocols every service
# port serves, see services/platform/src/grpc-health.ts and grpc-reflection.ts)
# from the io.grpc:grpc-services jar on Maven Central into vendor/.
#
# Why Maven Central: buf.build (BSR deps) is not reachable from our build
# machines; gRPC's Java artifact ships these .proto sources next to the
# classes, checksummed.
#
# Usage: scripts/vendor-grpc.sh [version]   (needs curl and unzip)
set -euo pipefail

VERSION="${1:-${GRPC_SERVICES_VERSION:-1.85.1}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../../scripts/tools/vendor-protos.sh
source "$HERE/../../scripts/tools/vendor-protos.sh"

vendor_from_maven_jar io/grpc grpc-services "$VERSION" "$HERE/vendor" \
  grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto grpc/reflection/v1alpha/reflection.proto
