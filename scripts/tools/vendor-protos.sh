#!/usr/bin/env bash
# Shared by the scripts that re-extract vendored .proto files
# (services/proto/scripts/vendor-*.sh, services/conformance/scripts/): source
# it, then call one of
#
#   vendor_from_maven_jar <group/path> <artifact> <version> <dest dir> <file>...
#       the jar from Maven Central (MAVEN_REPO_URL), its .sha1 checked;
#   vendor_from_go_module <module> <version> <dir in module> <dest dir> <file>...
#       the module from the Go module proxy (the go command verifies it
#       against the checksum database); <dir in module> may be "." .
#
# Each copies the named files, keeping their paths, below <dest dir>.

vendor_from_maven_jar() {
  local group_path="$1" artifact="$2" version="$3" dest="$4"
  shift 4
  local repo="${MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
  local jar_path="$group_path/$artifact/$version/$artifact-$version.jar"
  local tmp expected actual file
  tmp="$(mktemp -d)"
  curl -fsSL -o "$tmp/a.jar" "$repo/$jar_path"
  curl -fsSL -o "$tmp/a.jar.sha1" "$repo/$jar_path.sha1"
  expected="$(cut -c1-40 "$tmp/a.jar.sha1")"
  actual="$(sha1sum "$tmp/a.jar" | cut -c1-40)"
  if [[ "$expected" != "$actual" ]]; then
    echo "checksum mismatch for $jar_path: expected $expected, got $actual" >&2
    rm -rf "$tmp"
    return 1
  fi
  unzip -q -o "$tmp/a.jar" "$@" -d "$tmp/x"
  for file in "$@"; do
    mkdir -p "$dest/$(dirname "$file")"
    cp "$tmp/x/$file" "$dest/$file"
  done
  rm -rf "$tmp"
  echo "vendored $* from ${group_path//\//.}:$artifact:$version -> $dest"
}

vendor_from_go_module() {
  local module="$1" version="$2" inside="$3" dest="$4"
  shift 4
  local tmp dir file
  tmp="$(mktemp -d)"
  # Outside any module, so that no go.mod is read or changed.
  dir="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  rm -rf "$tmp"
  if [[ -z "$dir" ]]; then
    echo "go mod download $module@$version gave no directory" >&2
    return 1
  fi
  for file in "$@"; do
    mkdir -p "$dest/$(dirname "$file")"
    cp "$dir/$inside/$file" "$dest/$file"
    chmod u+w "$dest/$file" # the module cache is read-only
  done
  echo "vendored $* from $module@$version -> $dest"
}
