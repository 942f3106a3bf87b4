# shellcheck shell=bash
# Pinned versions of every tool the scripts build from the Go module proxy.
# Sourced by scripts/tools/ensure-tool.sh; override any of them from the
# environment (KUBERNETES_VERSION=v1.36.1 make cluster-up).

: "${KUBERNETES_VERSION:=v1.36.3}"   # kube-apiserver, controller-manager, scheduler, kubelet, kube-proxy, kubectl
: "${ETCD_VERSION:=v3.6.16}"
: "${KWOK_VERSION:=v0.8.0}"          # kwok (fake nodes for the API-server checks)
: "${COREDNS_VERSION:=v1.15.0}"
: "${CRICTL_VERSION:=v1.37.0}"
: "${KUBE_SCORE_VERSION:=v1.20.0}"
: "${HELM_VERSION:=v3.20.2}"
# istio.io/istio publishes no semver tags to the module proxy, only
# pseudo-versions; this one is on the release-1.30 branch. Its go.mod pins
# pseudo-versions of istio.io/api, istio.io/client-go and go-control-plane
# that the proxy refuses, so the build replaces them with released ones.
: "${ISTIO_PSEUDO_VERSION:=v0.0.0-20260826214018-9739e10eb9d7}"
: "${ISTIO_API_VERSION:=v1.30.8}"
: "${ISTIO_LABEL:=1.30.8}"           # what `istioctl version` reports
: "${ENVOY_CONTROL_PLANE_VERSION:=v1.38.0}"
: "${ENVOY_CONTRIB_VERSION:=v1.36.1-0.20260729145720-a2d8c7492908}"
: "${KIND_VERSION:=v0.33.0}"         # kind (needs a Docker engine to make clusters)
: "${GRPCURL_VERSION:=v1.9.4}"
: "${GRPC_HEALTH_PROBE_VERSION:=v0.4.62}"
# The module proxy's version list of toxiproxy/v2 stops at v2.5.0, but it
# serves v2.12.0 (the newest release) when asked for it.
: "${TOXIPROXY_VERSION:=v2.12.0}"     # toxiproxy-server, toxiproxy-cli
# Prometheus's Go module is tagged v0.x for release 3.x: v0.316.0 is 3.16.0
# (what `prometheus --version` reports, read from the module's VERSION file).
: "${PROMETHEUS_VERSION:=v0.316.0}"   # prometheus, promtool
# Jaeger v2 (cmd/jaeger) ships in the v1 module: v1.76.0 is release v2.13.0.
: "${JAEGER_VERSION:=v1.76.0}"
: "${CONNECT_CONFORMANCE_VERSION:=v1.0.7}"         # connectconformance
# The proxy refuses this module's version list but serves v0.25.6.
: "${PROTOC_GEN_CONNECT_OPENAPI_VERSION:=v0.25.6}" # protoc/buf plugin
export KUBERNETES_VERSION ETCD_VERSION KWOK_VERSION COREDNS_VERSION CRICTL_VERSION KUBE_SCORE_VERSION HELM_VERSION
export ISTIO_PSEUDO_VERSION ISTIO_API_VERSION ISTIO_LABEL ENVOY_CONTROL_PLANE_VERSION ENVOY_CONTRIB_VERSION
export KIND_VERSION GRPCURL_VERSION GRPC_HEALTH_PROBE_VERSION TOXIPROXY_VERSION PROMETHEUS_VERSION JAEGER_VERSION
export CONNECT_CONFORMANCE_VERSION PROTOC_GEN_CONNECT_OPENAPI_VERSION
