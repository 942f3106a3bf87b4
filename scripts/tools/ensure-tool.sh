#!/usr/bin/env bash
# Makes sure pinned builds of the cluster tools are in .local/bin, building
# them with the go tool from the Go module proxy when needed (no prebuilt
# download, no GitHub). Each build is cached per version in
# ${XDG_CACHE_HOME:-~/.cache}/meshmart/tools/<recipe>-<version>/, so only the
# first run on a machine pays (Kubernetes and istioctl take ten minutes or
# more on 2 cores); a warm run only links. Progress is printed while a cold
# build runs. Versions: scripts/tools/versions.sh.
#
#   bash scripts/tools/ensure-tool.sh kubectl etcd     # prints one path per tool
#   bash scripts/tools/ensure-tool.sh --list           # every tool and its version
#
# Tools: kube-apiserver kube-controller-manager kube-scheduler kubelet
# kube-proxy kubectl (one Kubernetes build), etcd, kwok, coredns, crictl,
# kube-score, istioctl, helm, kind; grpcurl, grpc_health_probe (also as
# grpc-health-probe), toxiproxy-server and toxiproxy-cli (one build),
# prometheus and promtool (one build; no web UI, the API works), jaeger (v2,
# all-in-one; placeholder UI, the API works), connectconformance,
# protoc-gen-connect-openapi.
#
# Exit status: 0 with every tool in place; 1 when one cannot be had (no Go
# toolchain, the module proxy unreachable), with the reason on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/tools/versions.sh
source "$here/versions.sh"

bin_dir="${MESHMART_LOCAL_BIN:-$root/.local/bin}"
cache_root="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/meshmart/tools"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"

say() { printf 'ensure-tool: %s\n' "$*" >&2; }

# recipe_of TOOL -> the build that provides it
recipe_of() {
  case "$1" in
    kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | kubectl) echo kubernetes ;;
    etcd | kwok | coredns | crictl | kube-score | istioctl | helm | kind) echo "$1" ;;
    grpcurl | jaeger | connectconformance | protoc-gen-connect-openapi) echo "$1" ;;
    grpc_health_probe | grpc-health-probe) echo grpc-health-probe ;;
    toxiproxy-server | toxiproxy-cli) echo toxiproxy ;;
    prometheus | promtool) echo prometheus ;;
    *) return 1 ;;
  esac
}

version_of() {
  case "$1" in
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    coredns) echo "$COREDNS_VERSION" ;;
    crictl) echo "$CRICTL_VERSION" ;;
    kube-score) echo "$KUBE_SCORE_VERSION" ;;
    istioctl) echo "$ISTIO_LABEL" ;;
    helm) echo "$HELM_VERSION" ;;
    kind) echo "$KIND_VERSION" ;;
    grpcurl) echo "$GRPCURL_VERSION" ;;
    grpc-health-probe) echo "$GRPC_HEALTH_PROBE_VERSION" ;;
    toxiproxy) echo "$TOXIPROXY_VERSION" ;;
    prometheus) echo "$PROMETHEUS_VERSION" ;;
    jaeger) echo "$JAEGER_VERSION" ;;
    connectconformance) echo "$CONNECT_CONFORMANCE_VERSION" ;;
    protoc-gen-connect-openapi) echo "$PROTOC_GEN_CONNECT_OPENAPI_VERSION" ;;
  esac
}

if [[ "${1:-}" == "--list" ]]; then
  for tool in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd kwok coredns crictl kube-score istioctl helm kind \
    grpcurl grpc_health_probe grpc-health-probe toxiproxy-server toxiproxy-cli prometheus promtool jaeger connectconformance protoc-gen-connect-openapi; do
    printf '%-27s %s\n' "$tool" "$(version_of "$(recipe_of "$tool")")"
  done
  exit 0
fi

# A throwaway Go module to build in (some tools cannot be `go install`ed:
# their go.mod carries replace directives).
scratch_module() {
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/meshmart-build.XXXXXX")"
  printf 'module meshmart.local/build\n\ngo 1.26\n' >"$dir/go.mod"
  echo "$dir"
}

# module_field MODULE@VERSION FIELD -> a field of `go mod download -json`
# (Dir: the unpacked source, to read a release number from; Info, GoMod).
module_field() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"'"$2"'": "\(.*\)",\{0,1\}$/\1/p'
}

# module_time MODULE@VERSION -> when the proxy says that version was published
# (2026-11-05T15:06:51Z): a reproducible build date.
module_time() {
  sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(module_field "$1" Info)"
}

build_kubernetes() {
  local out="$1" version="$KUBERNETES_VERSION" dir gomod minor staging
  minor="${version#v1.}"; minor="${minor%%.*}"
  staging="v0.${version#v1.}"
  dir="$(scratch_module)"
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # k8s.io/kubernetes replaces every staging module with ./staging/...; pin each
  # to its published version instead.
  {
    printf 'require k8s.io/kubernetes %s\n' "$version"
    sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*|replace \1 => \1 '"$staging"'|p' "$gomod"
  } >>"$dir/go.mod"
  local pkgs=() ldflags="-s -w" pkg
  for pkg in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do pkgs+=("k8s.io/kubernetes/cmd/$pkg"); done
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$dir" && go get "${pkgs[@]/%/@$version}" >&2 && go build -v -mod=mod -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")
  rm -rf "$dir"
}

build_etcd() {
  local out="$1" version="$ETCD_VERSION" dir mod
  dir="$(scratch_module)"
  # etcd's server module replaces its sibling modules by path; pin them.
  {
    printf 'require go.etcd.io/etcd/server/v3 %s\n' "$version"
    for mod in api/v3 client/pkg/v3 client/v3 pkg/v3 server/v3; do
      printf 'replace go.etcd.io/etcd/%s => go.etcd.io/etcd/%s %s\n' "$mod" "$mod" "$version"
    done
  } >>"$dir/go.mod"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$version" >&2 &&
    go build -v -mod=mod -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=release-$version" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$dir"
}

build_istioctl() {
  local out="$1" dir
  dir="$(scratch_module)"
  cat >>"$dir/go.mod" <<EOF
require istio.io/istio $ISTIO_PSEUDO_VERSION
replace istio.io/api => istio.io/api $ISTIO_API_VERSION
replace istio.io/client-go => istio.io/client-go $ISTIO_API_VERSION
replace github.com/envoyproxy/go-control-plane/envoy => github.com/envoyproxy/go-control-plane/envoy $ENVOY_CONTROL_PLANE_VERSION
replace github.com/envoyproxy/go-control-plane/contrib => github.com/envoyproxy/go-control-plane/contrib $ENVOY_CONTRIB_VERSION
EOF
  printf 'package build\n\nimport _ "istio.io/istio/istioctl/cmd"\n' >"$dir/tools.go"
  local ldflags="-s -w"
  ldflags+=" -X istio.io/istio/pkg/version.buildVersion=$ISTIO_LABEL -X istio.io/istio/pkg/version.buildStatus=Clean"
  ldflags+=" -X istio.io/istio/pkg/version.buildTag=$ISTIO_LABEL -X istio.io/istio/pkg/version.buildHub=docker.io/istio"
  # `-e`: one test-only dependency of istio is refused by the proxy.
  (cd "$dir" && go mod tidy -e >&2 && go build -v -mod=mod -ldflags "$ldflags" -o "$out/istioctl" istio.io/istio/istioctl/cmd/istioctl)
  rm -rf "$dir"
}

build_helm() {
  local out="$1" minor=35 ldflags="-s -w"
  # The Kubernetes minor Helm assumes for `helm template`/`lint`; Helm's own
  # release build sets it from its k8s.io modules (0.35 for v3.20).
  ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  GOBIN="$out" go install -v -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

build_toxiproxy() {
  local out="$1" version="$TOXIPROXY_VERSION" module=github.com/Shopify/toxiproxy/v2
  # cmd/server and cmd/cli install as `server` and `cli`: name them as upstream's releases do.
  GOBIN="$out" go install -v -ldflags "-s -w -X $module.Version=${version#v}" "$module/cmd/server@$version" "$module/cmd/cli@$version"
  mv "$out/server" "$out/toxiproxy-server"
  mv "$out/cli" "$out/toxiproxy-cli"
}

build_prometheus() {
  local out="$1" version="$PROMETHEUS_VERSION" module=github.com/prometheus/prometheus
  local dir release published ldflags="-s -w" pkg=github.com/prometheus/common/version
  # The module is tagged v0.<major><minor>.<patch> (v0.316.0); the release it
  # is (3.16.0) is in the module's VERSION file.
  dir="$(module_field "$module@$version" Dir)"
  release="$(cat "$dir/VERSION" 2>/dev/null || echo "${version#v}")"
  published="$(module_time "$module@$version")"
  # Upstream's format: 20261105-15:06:51.
  published="$(date -u -d "${published:-unknown}" +%Y%m%d-%H:%M:%S 2>/dev/null || echo unknown)"
  ldflags+=" -X $pkg.Version=$release -X $pkg.Revision=$version -X $pkg.Branch=release-${release%.*}"
  ldflags+=" -X $pkg.BuildUser=meshmart@ensure-tool -X $pkg.BuildDate=$published"
  # Without upstream's `builtinassets` tag (its assets are built with npm) the
  # web UI is not in the binary; the HTTP API (/api/v1/...) is.
  GOBIN="$out" go install -v -ldflags "$ldflags" "$module/cmd/prometheus@$version" "$module/cmd/promtool@$version"
}

build_jaeger() {
  local out="$1" version="$JAEGER_VERSION" module=github.com/jaegertracing/jaeger
  local dir src release published pkg=github.com/jaegertracing/jaeger/internal/version
  # Jaeger v2 ships in the v1 module (v1.76.0 is release v2.13.0: the
  # CHANGELOG pairs them). Its go.mod has replace directives, so it cannot be
  # `go install`ed: build it in a throwaway module that repeats them (its
  # one-line replaces of a module by a published version).
  dir="$(scratch_module)"
  src="$(module_field "$module@$version" Dir)"
  sed -n 's|^replace \(.* => [^.][^ ]* v[^ ]*\)$|replace \1|p' "$src/go.mod" >>"$dir/go.mod"
  release="$(sed -n 's|^'"$version"' / \(v2[.0-9]*\) .*|\1|p' "$src/CHANGELOG.md" | head -n1)"
  published="$(module_time "$module@$version")"
  (cd "$dir" && go get "$module/cmd/jaeger@$version" >&2 &&
    go build -v -mod=mod -ldflags "-s -w -X $pkg.latestVersion=${release:-$version} -X $pkg.date=$published" -o "$out/jaeger" "$module/cmd/jaeger")
  rm -rf "$dir"
}

build_protoc_gen_connect_openapi() {
  local out="$1" version="$PROTOC_GEN_CONNECT_OPENAPI_VERSION" module=github.com/sudorandom/protoc-gen-connect-openapi
  local proxy info gomod
  # The module proxy serves this version but refuses the module's version list
  # (403), which `go install MODULE@VERSION` reads to check the newest version
  # for a deprecation notice. A one-version local proxy in front answers that
  # (everything else falls through to $GOPROXY). Built this way the binary
  # reports its version from its build info; a throwaway module would make it
  # say "dev".
  proxy="$(mktemp -d "${TMPDIR:-/tmp}/meshmart-proxy.XXXXXX")"
  info="$(module_field "$module@$version" Info)"
  gomod="$(module_field "$module@$version" GoMod)"
  mkdir -p "$proxy/$module/@v"
  echo "$version" >"$proxy/$module/@v/list"
  cp "$info" "$proxy/$module/@v/$version.info"
  cp "$gomod" "$proxy/$module/@v/$version.mod"
  local status=0
  GOPROXY="file://$proxy,$(go env GOPROXY)" GOBIN="$out" go install -v -ldflags "-s -w" "$module@$version" || status=$?
  rm -rf "$proxy"
  return "$status"
}

build_plain() {
  local out="$1" recipe="$2" ldflags="-s -w"
  case "$recipe" in
    kwok) GOBIN="$out" go install -v -ldflags "$ldflags -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" ;;
    coredns) GOBIN="$out" go install -v -ldflags "$ldflags" "github.com/coredns/coredns@$COREDNS_VERSION" ;;
    crictl) GOBIN="$out" go install -v -ldflags "$ldflags -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" ;;
    kube-score) GOBIN="$out" go install -v -ldflags "$ldflags -X main.version=$KUBE_SCORE_VERSION" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" ;;
    # kind's version is a constant in its source.
    kind) GOBIN="$out" go install -v -ldflags "$ldflags" "sigs.k8s.io/kind@$KIND_VERSION" ;;
    grpcurl) GOBIN="$out" go install -v -ldflags "$ldflags -X main.version=$GRPCURL_VERSION" "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" ;;
    grpc-health-probe)
      # Upstream's releases name it grpc_health_probe (as Kubernetes probes call it).
      GOBIN="$out" go install -v -ldflags "$ldflags -X main.versionTag=${GRPC_HEALTH_PROBE_VERSION#v}" "github.com/grpc-ecosystem/grpc-health-probe@$GRPC_HEALTH_PROBE_VERSION" &&
        mv "$out/grpc-health-probe" "$out/grpc_health_probe" && ln -s grpc_health_probe "$out/grpc-health-probe" ;;
    connectconformance) GOBIN="$out" go install -v -ldflags "$ldflags -X connectrpc.com/conformance/internal.buildVersion=$CONNECT_CONFORMANCE_VERSION" "connectrpc.com/conformance/cmd/connectconformance@$CONNECT_CONFORMANCE_VERSION" ;;
  esac
}

# build RECIPE: builds into the cache, printing progress every 30 s.
build() {
  local recipe="$1" version out started pid status=0
  version="$(version_of "$recipe")"
  out="$cache_root/$recipe-$version"
  if [[ -f "$out/.complete" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    say "cannot build $recipe $version: no Go toolchain on PATH (install Go >= 1.26 from https://go.dev/dl or your package manager)"
    return 1
  fi
  mkdir -p "$cache_root"
  # One builder per recipe at a time (parallel test files may ask at once).
  exec {lock}>"$cache_root/.$recipe.lock"
  flock "$lock"
  if [[ -f "$out/.complete" ]]; then flock -u "$lock"; return 0; fi
  rm -rf "$out.partial"; mkdir -p "$out.partial"
  say "building $recipe $version from the Go module proxy into $out (once per machine; progress every 30 s)"
  started=$SECONDS
  case "$recipe" in
    kubernetes) build_kubernetes "$out.partial" ;;
    etcd) build_etcd "$out.partial" ;;
    istioctl) build_istioctl "$out.partial" ;;
    helm) build_helm "$out.partial" ;;
    toxiproxy) build_toxiproxy "$out.partial" ;;
    prometheus) build_prometheus "$out.partial" ;;
    jaeger) build_jaeger "$out.partial" ;;
    protoc-gen-connect-openapi) build_protoc_gen_connect_openapi "$out.partial" ;;
    *) build_plain "$out.partial" "$recipe" ;;
  esac >"$out.partial.log" 2>&1 &
  pid=$!
  local next_report=$((started + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next_report)); then
      say "still building $recipe $version: $((SECONDS - started)) s, $(grep -vc '^go: ' "$out.partial.log" 2>/dev/null || true) packages compiled, now $(tail -n1 "$out.partial.log" 2>/dev/null | cut -c1-70)"
      next_report=$((SECONDS + 30))
    fi
  done
  wait "$pid" || status=$?
  if ((status != 0)); then
    say "building $recipe $version failed after $((SECONDS - started)) s (is the Go module proxy reachable?); last lines of $out.partial.log:"
    tail -n 15 "$out.partial.log" >&2
    flock -u "$lock"
    return 1
  fi
  rm -rf "$out"; mv "$out.partial" "$out"; mv "$out.partial.log" "$out/build.log"
  touch "$out/.complete"
  flock -u "$lock"
  say "built $recipe $version in $((SECONDS - started)) s"
}

if (($# == 0)); then
  say "usage: ensure-tool.sh TOOL... (or --list)"
  exit 2
fi
mkdir -p "$bin_dir"
for tool in "$@"; do
  recipe="$(recipe_of "$tool")" || { say "unknown tool '$tool' (ensure-tool.sh --list shows the known ones)"; exit 2; }
  build "$recipe" || exit 1
  source_path="$cache_root/$recipe-$(version_of "$recipe")/$tool"
  [[ -x "$source_path" ]] || { say "the $recipe build has no $tool binary ($source_path)"; exit 1; }
  ln -sfn "$source_path" "$bin_dir/$tool"
  printf '%s\n' "$bin_dir/$tool"
done
