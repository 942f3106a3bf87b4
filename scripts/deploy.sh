#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deploys meshmart to Kubernetes: by default to a kind cluster it creates,
# with --context to any cluster kubectl can reach (kind, k3d, minikube, or
# the local cluster of `make cluster-up`, context meshmart-local).
#   1. checks the prerequisites and says how to get missing ones
#   2. synthesizes the manifests (cdk8s -> cdk8s/dist/meshmart.k8s.yaml)
#   3. kind: creates the cluster from scripts/kind/kind-config.yaml (ingress on localhost:8000)
#   4. Istio: kind installs it with Helm (base, istiod, ingress gateway; values in charts/istio/);
#      elsewhere, without istiod, only Istio's CRDs (from istioctl) so that the policy objects apply
#   5. builds one image per service, 6. gets them to the nodes (kind load, containerd import, or a push)
#   7. the namespace and its install-time Secrets (random passwords, never in the manifests)
#   8. applies the manifests (server-side), 9. waits for every rollout
#  10. prints how to call the platform
#
# usage: scripts/deploy.sh [--dry-run] [--context NAME] [--skip-images] [--images kind|containerd|registry|none]
#                          [--istio helm|crds|none] [--external-postgres HOST:PORT --external-postgres-admin-url URL]
#                          [--external-kafka HOST:PORT,...] [--help]
#   --dry-run      print every command in order without running any (works without the prerequisites)
#   --context      deploy to this existing cluster instead of creating a kind cluster
#   --skip-images  do not build and load the images (re-apply manifests only)
#   --images       how images reach the nodes (default: kind for kind-*, containerd for meshmart-local, else registry)
#   --istio        helm: install Istio (default on kind); crds: Istio's CRDs only (default elsewhere
#                  unless istiod runs); none: leave Istio alone
#   --external-*   PostgreSQL / Kafka outside the cluster instead of the StatefulSets (default on
#                  meshmart-local: the host processes of `tsx scripts/cluster/src/main.ts externals`)
# environment: CLUSTER_NAME, IMAGE_REPOSITORY, IMAGE_TAG, ISTIO_VERSION, KAFKA_REPLICAS, IMAGE_BUILDER,
#              NODE_IMAGE, BUILD_CA_BUNDLE, DRY_RUN=1
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/settings.sh
source "$MESHMART_ROOT/scripts/lib/settings.sh"
# shellcheck source=lib/prereqs.sh
source "$MESHMART_ROOT/scripts/lib/prereqs.sh"
# shellcheck source=lib/images.sh
source "$MESHMART_ROOT/scripts/lib/images.sh"

skip_images=0 context="" images_target="" istio_mode=""
external_postgres="" external_postgres_admin_url="" external_kafka=""
parse_common_flags "$@"
set -- "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"
while (($# > 0)); do
  case "$1" in
    --skip-images) skip_images=1 ;;
    --context | --images | --istio | --external-postgres | --external-postgres-admin-url | --external-kafka)
      [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"
      case "$1" in
        --context) context="$2" ;;
        --images) images_target="$2" ;;
        --istio) istio_mode="$2" ;;
        --external-postgres) external_postgres="$2" ;;
        --external-postgres-admin-url) external_postgres_admin_url="$2" ;;
        --external-kafka) external_kafka="$2" ;;
      esac
      shift
      ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

kind_mode=1
if [[ -n "$context" && "$context" != "kind-$CLUSTER_NAME" ]]; then
  kind_mode=0
  KUBE_CONTEXT="$context"
  if [[ "$context" == kind-* ]]; then CLUSTER_NAME="${context#kind-}"; fi
fi
if [[ -z "$images_target" ]]; then
  case "$KUBE_CONTEXT" in
    kind-*) images_target=kind ;;
    meshmart-local) images_target=containerd ;;
    *) images_target=registry ;;
  esac
fi
[[ -n "$istio_mode" ]] || { ((kind_mode)) && istio_mode=helm; }
case "${istio_mode:-auto}" in helm | crds | none | auto) ;; *) die "--istio must be helm, crds or none" ;; esac
if [[ -n "$external_postgres" && -z "$external_postgres_admin_url" ]]; then
  die "--external-postgres needs --external-postgres-admin-url (a superuser URL, to create each service's role and database)"
fi

cd "$MESHMART_ROOT"
kubectl_ctx=(kubectl --context "$KUBE_CONTEXT")
kubectl_ns=("${kubectl_ctx[@]}" --namespace "$MESHMART_NAMESPACE")

log "1/10 prerequisites (context $KUBE_CONTEXT)"
if ! command -v kubectl >/dev/null 2>&1 && ! is_dry_run && ((!kind_mode)); then
  bash scripts/tools/ensure-tool.sh kubectl >/dev/null && PATH="$MESHMART_LOCAL_BIN:$PATH"
fi
needed=(kubectl npm)
((kind_mode)) && needed+=(docker kind helm)
((skip_images)) || [[ "$images_target" != containerd ]] || needed+=(ctr)
if ! check_prereqs "${needed[@]}"; then
  if is_dry_run; then
    note "dry run: continuing to print the plan; a real run stops here"
  else
    die "install the missing tools above, then run 'make deploy' again"
  fi
fi
if ! is_dry_run; then
  ((kind_mode)) && check_docker_daemon
  if ((!kind_mode)) && ! "${kubectl_ctx[@]}" get --raw /readyz >/dev/null 2>&1; then
    die "the cluster of context $KUBE_CONTEXT does not answer (kubectl --context $KUBE_CONTEXT get --raw /readyz); for the local cluster run 'make cluster-up' first"
  fi
fi

if [[ "$KUBE_CONTEXT" == meshmart-local && -z "$external_postgres$external_kafka" ]]; then
  note "meshmart-local has no registry for the postgres and apache/kafka images: PostgreSQL and Kafka run on the host, on the node address"
  if is_dry_run; then
    run npm exec --silent -- tsx scripts/cluster/src/main.ts externals
    external_postgres="198.18.0.1:15434" external_kafka="198.18.0.1:19094" external_postgres_admin_url="postgres://postgres:***@127.0.0.1:15434/postgres"
  else
    externals="$(npm exec --silent -- tsx scripts/cluster/src/main.ts externals)" || die "could not start the local cluster's PostgreSQL and Kafka"
    external_postgres="$(sed -n 's/^EXTERNAL_POSTGRES=//p' <<<"$externals")"
    external_postgres_admin_url="$(sed -n 's/^EXTERNAL_POSTGRES_ADMIN_URL=//p' <<<"$externals")"
    external_kafka="$(sed -n 's/^EXTERNAL_KAFKA=//p' <<<"$externals")"
  fi
fi
jaeger_image=""
if [[ "$KUBE_CONTEXT" == meshmart-local && "${MESHMART_JAEGER:-true}" == true && -z "${MESHMART_JAEGER_IMAGE:-}" ]]; then
  # Nor for jaegertracing/jaeger: its image is built here around the Jaeger binary of make dev.
  jaeger_image="$(jaeger_image_ref)"
  note "meshmart-local has no registry for jaegertracing/jaeger either: the in-cluster Jaeger runs $jaeger_image, FROM scratch around the binary built from the Go module proxy (scripts/images/jaeger; MESHMART_JAEGER=false leaves it out)"
  export MESHMART_JAEGER_IMAGE="$jaeger_image"
fi
[[ -z "$external_postgres" ]] || note "external PostgreSQL: $external_postgres"
[[ -z "$external_kafka" ]] || note "external Kafka: $external_kafka"

mapfile -t services < <(service_names)
((${#services[@]} > 0)) || die "could not list the services (cdk8s/src/list-services.ts); run 'make install' first"
note "services (from services/topology/src/topology.ts): ${services[*]}"

log "2/10 synthesize the manifests (cdk8s)"
note "token issuer key pair: .local/keys/$KUBE_CONTEXT/ (created once; the manifests carry only its public key)"
run env MESHMART_NAMESPACE="$MESHMART_NAMESPACE" IMAGE_REPOSITORY="$IMAGE_REPOSITORY" IMAGE_TAG="$IMAGE_TAG" \
  MESHMART_KEY_NAME="$KUBE_CONTEXT" EXTERNAL_POSTGRES="$external_postgres" EXTERNAL_KAFKA="$external_kafka" \
  npm run --silent synth

# Re-deploying (same image tag, new images) needs a restart of the Deployments; a first deploy does not.
redeploy=0
if ! is_dry_run && "${kubectl_ns[@]}" get deployment gateway >/dev/null 2>&1; then redeploy=1; fi
if ((kind_mode)); then
  log "3/10 kind cluster '$CLUSTER_NAME'"
  if ! is_dry_run && kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    note "cluster '$CLUSTER_NAME' exists; reusing it"
  else
    is_dry_run && note "(skipped when the cluster already exists)"
    run kind create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 180s
  fi
else
  log "3/10 cluster: using context $KUBE_CONTEXT as it is"
fi

if [[ "${istio_mode:-auto}" == auto ]]; then
  if ! is_dry_run && "${kubectl_ctx[@]}" --namespace "$ISTIO_NAMESPACE" get deployment istiod >/dev/null 2>&1; then
    istio_mode=none
    note "istiod runs in $ISTIO_NAMESPACE: Istio is left as it is"
  else
    istio_mode=crds
  fi
fi
case "$istio_mode" in
  helm)
    log "4/10 Istio $ISTIO_VERSION (Helm charts base, istiod, gateway)"
    helm_args=(--kube-context "$KUBE_CONTEXT" --version "$ISTIO_VERSION" --wait --timeout 10m)
    run helm repo add istio "$ISTIO_REPO_URL" --force-update
    run helm repo update istio
    run helm upgrade --install istio-base istio/base --namespace "$ISTIO_NAMESPACE" --create-namespace \
      --values charts/istio/base-values.yaml "${helm_args[@]}"
    run helm upgrade --install istiod istio/istiod --namespace "$ISTIO_NAMESPACE" \
      --values charts/istio/istiod-values.yaml "${helm_args[@]}"
    run helm upgrade --install istio-ingressgateway istio/gateway --namespace "$INGRESS_NAMESPACE" --create-namespace \
      --values charts/istio/gateway-values.yaml "${helm_args[@]}"
    ;;
  crds)
    log "4/10 Istio's CRDs only (from istioctl; no istiod, no sidecars: the mesh policy is stored, not enforced)"
    note "no Istio data plane here: mTLS, retries, timeouts, outlier detection and AuthorizationPolicies do not act"
    run npm exec --silent -- tsx scripts/cluster/src/deploy/istio-crds.ts --context "$KUBE_CONTEXT" --ingress-namespace "$INGRESS_NAMESPACE"
    ;;
  none) log "4/10 Istio: left alone (--istio none)" ;;
esac
# The synth's PrometheusRule (and a PodMonitor when on) need prometheus-operator's CRDs.
if is_dry_run || ! "${kubectl_ctx[@]}" get crd prometheusrules.monitoring.coreos.com >/dev/null 2>&1; then
  note "prometheus-operator's CRDs from its Go module (the rules are stored; a prometheus-operator of your own evaluates them)"
  run npm exec --silent -- tsx scripts/cluster/src/deploy/prometheus-operator-crds.ts --context "$KUBE_CONTEXT"
fi

if ((skip_images)); then
  log "5/10 images: skipped (--skip-images)"
  log "6/10 load: skipped (--skip-images)"
else
  log "5/10 build the service images (x ${#services[@]})"
  build_images "${services[@]}"
  [[ -z "$jaeger_image" ]] || build_jaeger_image "$jaeger_image"
  log "6/10 get the images to the nodes ($images_target x ${#services[@]}${jaeger_image:+, and the Jaeger})"
  load_images "$images_target" "${services[@]}"
  [[ -z "$jaeger_image" ]] || load_image_refs "$images_target" "$jaeger_image"
fi

log "7/10 namespace $MESHMART_NAMESPACE and its install-time Secrets"
run "${kubectl_ctx[@]}" apply --server-side --field-manager=meshmart-deploy -f "$MANIFESTS" --selector app.kubernetes.io/component=namespace
secrets_args=(--context "$KUBE_CONTEXT" --namespace "$MESHMART_NAMESPACE")
[[ -z "$external_postgres_admin_url" ]] || secrets_args+=(--external-postgres-admin-url "$external_postgres_admin_url")
is_dry_run && secrets_args+=(--dry-run)
printf '+ npm exec -- tsx scripts/cluster/src/deploy/secrets.ts %s\n' "$(quote_command "${secrets_args[@]}" | sed -E 's#(postgres://[^:]*:)[^@]*@#\1***@#')"
npm exec --silent -- tsx scripts/cluster/src/deploy/secrets.ts "${secrets_args[@]}" || die "could not create the Secrets"

log "8/10 apply the manifests (server-side)"
if [[ -z "$external_kafka" ]]; then
  # A Job's pod template is immutable: the finished topic Job is replaced on every deploy.
  run "${kubectl_ns[@]}" delete job kafka-topics --ignore-not-found
fi
run "${kubectl_ctx[@]}" apply --server-side --force-conflicts --field-manager=meshmart-deploy -f "$MANIFESTS"
if ((!skip_images)) && { is_dry_run || ((redeploy)); }; then
  is_dry_run && note "(only when re-deploying to an existing cluster: same tag, new images)"
  run "${kubectl_ns[@]}" rollout restart deployment --selector app.kubernetes.io/part-of=meshmart
fi

log "9/10 wait for every rollout"
if [[ -z "$external_postgres" ]]; then run "${kubectl_ns[@]}" rollout status statefulset/postgres --timeout=300s; fi
if [[ -z "$external_kafka" ]]; then
  run "${kubectl_ns[@]}" rollout status statefulset/kafka --timeout=600s
  run "${kubectl_ns[@]}" wait --for=condition=complete job/kafka-topics --timeout=600s
fi
for service in "${services[@]}"; do
  run "${kubectl_ns[@]}" rollout status "deployment/$service" --timeout=300s
done
if [[ "${MESHMART_JAEGER:-true}" == true ]]; then run "${kubectl_ns[@]}" rollout status deployment/jaeger --timeout=300s; fi
# The HPAs own the replica count: a first deploy starts one pod each until they raise it to their minimum.
for service in "${services[@]}"; do
  if is_dry_run; then
    note "would wait until deployment/$service has as many available replicas as its HPA's minReplicas"
    continue
  fi
  min="$("${kubectl_ns[@]}" get hpa "$service" -o jsonpath='{.spec.minReplicas}')"
  printf '+ waiting until deployment/%s has %s available replicas (its HPA minimum)\n' "$service" "$min"
  for ((waited = 0; ; waited += 2)); do
    available="$("${kubectl_ns[@]}" get "deployment/$service" -o jsonpath='{.status.availableReplicas}')"
    ((${available:-0} >= min)) && break
    ((waited < 300)) || die "deployment/$service has ${available:-0} available replicas after 300 s, its HPA asks for $min"
    sleep 2
  done
done

log "10/10 how to call meshmart"
if ((kind_mode)); then
  cat <<EOF_CALLS
    Through the Istio ingress (kind maps it to localhost:$INGRESS_HOST_PORT):
      curl -i http://localhost:$INGRESS_HOST_PORT/readyz
      curl -s http://localhost:$INGRESS_HOST_PORT/api/v1/products
      TOKEN=\$(make -s token ARGS="--context $KUBE_CONTEXT")   # ES256 JWT the ingress and the gateway accept
      curl -s -H "Authorization: Bearer \$TOKEN" http://localhost:$INGRESS_HOST_PORT/api/v1/orders
EOF_CALLS
fi
cat <<EOF_CALLS
    With port-forwards (gateway on localhost:9080, '--service NAME' or '--all' for the others):
      make port-forward ARGS="--context $KUBE_CONTEXT"
      TOKEN=\$(make -s token ARGS="--context $KUBE_CONTEXT")
      curl -s -H "Authorization: Bearer \$TOKEN" http://localhost:9080/api/v1/orders
    Watch it:   kubectl --context $KUBE_CONTEXT -n $MESHMART_NAMESPACE get pods
    Remove it:  make undeploy$( ((kind_mode)) || printf ' ARGS="--context %s"' "$KUBE_CONTEXT")
EOF_CALLS
if is_dry_run; then
  printf '\nDRY RUN complete: nothing was changed.\n'
fi
