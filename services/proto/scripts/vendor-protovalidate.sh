#!/usr/bin/env bash
# Re-extract buf/validate/validate.proto (the protovalidate rules) from the
# build.buf:protovalidate jar on Maven Central into vendor/.
#
# Why Maven Central: the Buf Schema Registry (buf.build) is not reachable from
# our build machines, so buf.yaml cannot have BSR deps. The protovalidate Java
# artifact ships the .proto source. Keep PROTOVALIDATE_VERSION in step with the
# upstream version that @bufbuild/protovalidate (npm) was generated from: the
# generated code imports the validate descriptors from that package
# (map_imports in buf.gen.yaml), so the two must describe the same file.
#
# Usage: scripts/vendor-protovalidate.sh [version]   (needs curl and unzip, or mvn)
set -euo pipefail

VERSION="${1:-${PROTOVALIDATE_VERSION:-1.3.0}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$HERE/vendor/buf/validate/validate.proto"
REPO="${MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
JAR_PATH="build/buf/protovalidate/$VERSION/protovalidate-$VERSION.jar"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if command -v curl >/dev/null 2>&1; then
  curl -fsSL -o "$tmp/protovalidate.jar" "$REPO/$JAR_PATH"
  curl -fsSL -o "$tmp/protovalidate.jar.sha1" "$REPO/$JAR_PATH.sha1"
  expected="$(cut -c1-40 "$tmp/protovalidate.jar.sha1")"
  actual="$(sha1sum "$tmp/protovalidate.jar" | cut -c1-40)"
  if [[ "$expected" != "$actual" ]]; then
    echo "checksum mismatch for $JAR_PATH: expected $expected, got $actual" >&2
    exit 1
  fi
else
  mvn -q dependency:get -Dartifact="build.buf:protovalidate:$VERSION" -Dtransitive=false
  cp "${HOME}/.m2/repository/$JAR_PATH" "$tmp/protovalidate.jar"
fi

unzip -q -o "$tmp/protovalidate.jar" buf/validate/validate.proto -d "$tmp/x"
mkdir -p "$(dirname "$DEST")"
cp "$tmp/x/buf/validate/validate.proto" "$DEST"
echo "vendored buf/validate/validate.proto from build.buf:protovalidate:$VERSION -> ${DEST#"$HERE"/}"
