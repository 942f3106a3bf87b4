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
REPO="${MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
JAR_PATH="io/grpc/grpc-services/$VERSION/grpc-services-$VERSION.jar"
FILES=(grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto grpc/reflection/v1alpha/reflection.proto)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

curl -fsSL -o "$tmp/grpc-services.jar" "$REPO/$JAR_PATH"
curl -fsSL -o "$tmp/grpc-services.jar.sha1" "$REPO/$JAR_PATH.sha1"
expected="$(cut -c1-40 "$tmp/grpc-services.jar.sha1")"
actual="$(sha1sum "$tmp/grpc-services.jar" | cut -c1-40)"
if [[ "$expected" != "$actual" ]]; then
  echo "checksum mismatch for $JAR_PATH: expected $expected, got $actual" >&2
  exit 1
fi

unzip -q -o "$tmp/grpc-services.jar" "${FILES[@]}" -d "$tmp/x"
for file in "${FILES[@]}"; do
  mkdir -p "$HERE/vendor/$(dirname "$file")"
  cp "$tmp/x/$file" "$HERE/vendor/$file"
done
echo "vendored ${FILES[*]} from io.grpc:grpc-services:$VERSION -> vendor/"
