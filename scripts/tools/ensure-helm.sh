#!/usr/bin/env bash
# Makes sure .local/bin/helm is Helm v3 at the pinned version, building it with
# `go install` from the Go module proxy when needed (no prebuilt download).
# The build is cached per version in ${XDG_CACHE_HOME:-~/.cache}/meshmart/tools,
# so a fresh clone on the same machine only copies it. Idempotent.
#
#   bash scripts/tools/ensure-helm.sh           # prints the path of helm on success
#   HELM_VERSION=v3.20.2 bash scripts/tools/ensure-helm.sh
#
# Exit status: 0 with helm in place; 1 when it cannot be had (no Go toolchain,
# no module proxy), with the reason on stderr.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.20.2}"
# The Kubernetes minor version Helm assumes for `helm template`/`lint`
# (Capabilities.KubeVersion); Helm's own release build sets it from its
# k8s.io modules (0.35 for v3.20). Without it a `go install` build assumes 1.20.
HELM_K8S_MINOR="${HELM_K8S_MINOR:-35}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${MESHMART_LOCAL_BIN:-$root/.local/bin}"
cache_dir="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/meshmart/tools/helm-${HELM_VERSION}"
target="$bin_dir/helm"
stamp="$bin_dir/.helm-version"

say() { printf 'ensure-helm: %s\n' "$*" >&2; }

if [[ -x "$target" && -f "$stamp" && "$(cat "$stamp")" == "$HELM_VERSION" ]]; then
  say "helm $HELM_VERSION already at $target"
  printf '%s\n' "$target"
  exit 0
fi

if [[ ! -x "$cache_dir/helm" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    say "cannot build helm: no Go toolchain on PATH (install Go >= 1.24, or put helm $HELM_VERSION at $target)"
    exit 1
  fi
  say "building helm $HELM_VERSION with 'go install' from the Go module proxy into $cache_dir (takes a few minutes once)"
  mkdir -p "$cache_dir"
  ldflags="-s -w"
  ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${HELM_K8S_MINOR}"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${HELM_K8S_MINOR}"
  if ! GOBIN="$cache_dir" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"; then
    say "go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} failed (is the Go module proxy reachable?)"
    exit 1
  fi
else
  say "using cached build $cache_dir/helm"
fi

mkdir -p "$bin_dir"
cp "$cache_dir/helm" "$target.tmp"
mv "$target.tmp" "$target"
printf '%s\n' "$HELM_VERSION" >"$stamp"
say "installed $("$target" version --short 2>/dev/null || echo "helm $HELM_VERSION") at $target"
printf '%s\n' "$target"
