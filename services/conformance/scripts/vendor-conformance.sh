#!/usr/bin/env bash
# Re-extract the Connect conformance protocol's .proto files
# (connectrpc/conformance/v1: the ConformanceService, the server-compat
# messages the runner sends on stdin, their config) from the Go module
# connectrpc.com/conformance into proto/.
#
# Why this module: it is the runner itself (scripts/tools/ensure-tool.sh
# builds connectconformance from it), so the protos are those of the runner we
# test against; the go command fetches it from the Go module proxy, verified
# against the checksum database. Keep CONFORMANCE_VERSION in step with
# CONNECT_CONFORMANCE_VERSION in scripts/tools/versions.sh.
#
# Usage: scripts/vendor-conformance.sh [version]   (needs the go command)
set -euo pipefail

VERSION="${1:-${CONFORMANCE_VERSION:-v1.0.7}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../../scripts/tools/vendor-protos.sh
source "$HERE/../../scripts/tools/vendor-protos.sh"

vendor_from_go_module connectrpc.com/conformance "$VERSION" proto "$HERE/proto" \
  connectrpc/conformance/v1/config.proto connectrpc/conformance/v1/service.proto connectrpc/conformance/v1/server_compat.proto
