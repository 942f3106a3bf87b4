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
REPO="${MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
JAR_PATH="com/google/api/grpc/proto-google-common-protos/$VERSION/proto-google-common-protos-$VERSION.jar"
FILES=(google/api/annotations.proto google/api/http.proto)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

curl -fsSL -o "$tmp/common-protos.jar" "$REPO/$JAR_PATH"
curl -fsSL -o "$tmp/common-protos.jar.sha1" "$REPO/$JAR_PATH.sha1"
expected="$(cut -c1-40 "$tmp/common-protos.jar.sha1")"
actual="$(sha1sum "$tmp/common-protos.jar" | cut -c1-40)"
if [[ "$expected" != "$actual" ]]; then
  echo "checksum mismatch for $JAR_PATH: expected $expected, got $actual" >&2
  exit 1
fi

unzip -q -o "$tmp/common-protos.jar" "${FILES[@]}" -d "$tmp/x"
for file in "${FILES[@]}"; do
  mkdir -p "$HERE/vendor/$(dirname "$file")"
  cp "$tmp/x/$file" "$HERE/vendor/$file"
done
echo "vendored ${FILES[*]} from com.google.api.grpc:proto-google-common-protos:$VERSION -> vendor/"
