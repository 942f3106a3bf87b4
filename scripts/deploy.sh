#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deploys meshmart to a local kind cluster:
#   1. checks the prerequisites (docker, kind, kubectl, helm) and says how to get missing ones
#   2. synthesizes the manifests (cdk8s -> cdk8s/dist/meshmart.k8s.yaml)
#   3. creates the kind cluster from scripts/kind/kind-config.yaml (ingress on localhost:8000)
#   4. installs Istio with Helm: base (CRDs), istiod, the ingress gateway (values in charts/istio/)
#   5. builds one image per service, 6. loads them into kind
#   7. applies the manifests, 8. waits for Postgres, Kafka, the topic Job and every rollout
#   9. prints how to call the platform
#
# usage: scripts/deploy.sh [--dry-run] [--skip-images] [--help]
#   --dry-run      print every command in order without running any (works without the prerequisites)
#   --skip-images  do not build and load the images (re-apply manifests only)
# environment: CLUSTER_NAME, IMAGE_REPOSITORY, IMAGE_TAG, ISTIO_VERSION, MESHMART_SECRET_SEED, KAFKA_REPLICAS, DRY_RUN=1
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/settings.sh
source "$MESHMART_ROOT/scripts/lib/settings.sh"
# shellcheck source=lib/prereqs.sh
source "$MESHMART_ROOT/scripts/lib/prereqs.sh"
# shellcheck source=lib/images.sh
source "$MESHMART_ROOT/scripts/lib/images.sh"

skip_images=0
parse_common_flags "$@"
for arg in "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"; do
  case "$arg" in
    --skip-images) skip_images=1 ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

cd "$MESHMART_ROOT"
kubectl_ns=(kubectl --context "$KUBE_CONTEXT" --namespace "$MESHMART_NAMESPACE")

log "1/9 prerequisites"
if ! check_prereqs docker kind kubectl helm npm; then
  if is_dry_run; then
    note "dry run: continuing to print the plan; a real run stops here"
  else
    die "install the missing tools above, then run 'make deploy' again"
  fi
fi
if ! is_dry_run; then
  check_docker_daemon
fi

mapfile -t services < <(service_names)
((${#services[@]} > 0)) || die "could not list the services (cdk8s/src/list-services.ts); run 'make install' first"
note "services (from services/platform/src/topology.ts): ${services[*]}"

log "2/9 synthesize the manifests (cdk8s)"
run env MESHMART_NAMESPACE="$MESHMART_NAMESPACE" IMAGE_REPOSITORY="$IMAGE_REPOSITORY" IMAGE_TAG="$IMAGE_TAG" \
  npm run --silent synth

log "3/9 kind cluster '$CLUSTER_NAME'"
cluster_existed=0
if ! is_dry_run && kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  cluster_existed=1
  note "cluster '$CLUSTER_NAME' exists; reusing it"
else
  is_dry_run && note "(skipped when the cluster already exists)"
  run kind create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 180s
fi

log "4/9 Istio $ISTIO_VERSION (Helm charts base, istiod, gateway)"
helm_args=(--kube-context "$KUBE_CONTEXT" --version "$ISTIO_VERSION" --wait --timeout 10m)
run helm repo add istio "$ISTIO_REPO_URL" --force-update
run helm repo update istio
run helm upgrade --install istio-base istio/base --namespace "$ISTIO_NAMESPACE" --create-namespace \
  --values charts/istio/base-values.yaml "${helm_args[@]}"
run helm upgrade --install istiod istio/istiod --namespace "$ISTIO_NAMESPACE" \
  --values charts/istio/istiod-values.yaml "${helm_args[@]}"
run helm upgrade --install istio-ingressgateway istio/gateway --namespace "$INGRESS_NAMESPACE" --create-namespace \
  --values charts/istio/gateway-values.yaml "${helm_args[@]}"

if ((skip_images)); then
  log "5/9 images: skipped (--skip-images)"
  log "6/9 load into kind: skipped (--skip-images)"
else
  log "5/9 build the service images (docker build x ${#services[@]})"
  build_images "${services[@]}"
  log "6/9 load the images into kind (kind load x ${#services[@]})"
  load_images "${services[@]}"
fi

log "7/9 apply the manifests"
# A Job's pod template is immutable: the finished topic Job is replaced on every deploy.
run "${kubectl_ns[@]}" delete job kafka-topics --ignore-not-found
run kubectl --context "$KUBE_CONTEXT" apply -f "$MANIFESTS"
if ((!skip_images)) && { is_dry_run || ((cluster_existed)); }; then
  is_dry_run && note "(only when re-deploying to an existing cluster: same tag, new images)"
  run "${kubectl_ns[@]}" rollout restart deployment --selector app.kubernetes.io/part-of=meshmart
fi

log "8/9 wait for Postgres, Kafka, the topics and every rollout"
run "${kubectl_ns[@]}" rollout status statefulset/postgres --timeout=300s
run "${kubectl_ns[@]}" rollout status statefulset/kafka --timeout=600s
run "${kubectl_ns[@]}" wait --for=condition=complete job/kafka-topics --timeout=600s
for service in "${services[@]}"; do
  run "${kubectl_ns[@]}" rollout status "deployment/$service" --timeout=300s
done

log "9/9 how to call meshmart"
cat <<EOF_CALLS
    Through the Istio ingress (kind maps it to localhost:$INGRESS_HOST_PORT):
      curl -i http://localhost:$INGRESS_HOST_PORT/readyz
      curl -s http://localhost:$INGRESS_HOST_PORT/api/v1/products
      TOKEN=\$(npx tsx cdk8s/src/dev-token.ts customer-1)   # HS256 JWT the ingress and the gateway accept
      curl -s -H "Authorization: Bearer \$TOKEN" http://localhost:$INGRESS_HOST_PORT/api/v1/orders
    With port-forwards (gateway on localhost:9080, '--service NAME' or '--all' for the others):
      make port-forward                      # or: make port-forward ARGS="--service catalog"
    Watch it:   kubectl --context $KUBE_CONTEXT -n $MESHMART_NAMESPACE get pods
    Remove it:  make undeploy
EOF_CALLS
if is_dry_run; then
  printf '\nDRY RUN complete: nothing was changed.\n'
fi
