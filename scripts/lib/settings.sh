# shellcheck shell=bash
# Settings shared by deploy, images, port-forward and undeploy. Each can be
# overridden from the environment.

CLUSTER_NAME="${CLUSTER_NAME:-meshmart}"
KUBE_CONTEXT="${KUBE_CONTEXT:-kind-$CLUSTER_NAME}"
MESHMART_NAMESPACE="${MESHMART_NAMESPACE:-meshmart}"
IMAGE_REPOSITORY="${IMAGE_REPOSITORY:-meshmart}"
IMAGE_TAG="${IMAGE_TAG:-dev}"
# The Istio release of the charts installed on kind: the same as the istioctl built by
# scripts/tools/ensure-tool.sh (versions.sh), whose CRDs other clusters get.
# shellcheck source=scripts/tools/versions.sh
source "$MESHMART_ROOT/scripts/tools/versions.sh"
ISTIO_VERSION="${ISTIO_VERSION:-$ISTIO_LABEL}"
ISTIO_REPO_URL="${ISTIO_REPO_URL:-https://istio-release.storage.googleapis.com/charts}"
ISTIO_NAMESPACE="${ISTIO_NAMESPACE:-istio-system}"
INGRESS_NAMESPACE="${INGRESS_NAMESPACE:-istio-ingress}"
# Must match scripts/kind/kind-config.yaml (hostPort) and charts/istio/gateway-values.yaml (nodePort).
INGRESS_HOST_PORT="${INGRESS_HOST_PORT:-8000}"
KIND_CONFIG="${KIND_CONFIG:-$MESHMART_ROOT/scripts/kind/kind-config.yaml}"
MANIFESTS="${MANIFESTS:-$MESHMART_ROOT/cdk8s/dist/meshmart.k8s.yaml}"
# Local port for a forwarded service: this offset plus its localPort from the topology.
PORT_FORWARD_OFFSET="${PORT_FORWARD_OFFSET:-1000}"

export CLUSTER_NAME KUBE_CONTEXT MESHMART_NAMESPACE IMAGE_REPOSITORY IMAGE_TAG ISTIO_VERSION

service_image() {
  printf '%s/%s:%s' "$IMAGE_REPOSITORY" "$1" "$IMAGE_TAG"
}
