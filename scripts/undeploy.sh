#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Removes meshmart from kind. By default deletes the whole kind cluster (the
# platform, Istio, the images loaded into it, the Postgres and Kafka volumes).
# With --keep-cluster, removes only the platform and Istio and keeps the cluster.
# With --context NAME (a cluster `make deploy ARGS="--context NAME"` used),
# removes the platform's namespace and leaves the cluster and Istio alone.
#
# usage: scripts/undeploy.sh [--dry-run] [--keep-cluster] [--context NAME]
# environment: CLUSTER_NAME / KUBE_CONTEXT, MESHMART_NAMESPACE, DRY_RUN=1
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/settings.sh
source "$MESHMART_ROOT/scripts/lib/settings.sh"
# shellcheck source=lib/prereqs.sh
source "$MESHMART_ROOT/scripts/lib/prereqs.sh"

keep_cluster=0 context=""
parse_common_flags "$@"
set -- "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"
while (($# > 0)); do
  arg="$1"
  shift
  case "$arg" in
    --keep-cluster) keep_cluster=1 ;;
    --context)
      [[ $# -ge 1 && -n "$1" ]] || die "--context needs a name"
      context="$1"
      shift
      ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

if [[ -n "$context" ]]; then
  log "remove meshmart (namespace $MESHMART_NAMESPACE) from context $context; the cluster stays"
  run kubectl --context "$context" delete namespace "$MESHMART_NAMESPACE" --ignore-not-found --wait=true
  if is_dry_run; then printf '\nDRY RUN complete: nothing was removed.\n'; fi
  exit 0
fi

if ((keep_cluster)); then
  needed=(kubectl helm)
else
  needed=(kind)
fi
log "prerequisites"
if ! check_prereqs "${needed[@]}"; then
  is_dry_run || die "install the missing tools above"
  note "dry run: continuing"
fi

if ((keep_cluster)); then
  log "remove meshmart (namespace $MESHMART_NAMESPACE) and Istio, keep cluster '$CLUSTER_NAME'"
  if [[ -f "$MANIFESTS" ]] || is_dry_run; then
    run kubectl --context "$KUBE_CONTEXT" delete -f "$MANIFESTS" --ignore-not-found --wait=true
  else
    run kubectl --context "$KUBE_CONTEXT" delete namespace "$MESHMART_NAMESPACE" --ignore-not-found --wait=true
  fi
  run helm uninstall istio-ingressgateway --kube-context "$KUBE_CONTEXT" --namespace "$INGRESS_NAMESPACE" --ignore-not-found
  run helm uninstall istiod --kube-context "$KUBE_CONTEXT" --namespace "$ISTIO_NAMESPACE" --ignore-not-found
  run helm uninstall istio-base --kube-context "$KUBE_CONTEXT" --namespace "$ISTIO_NAMESPACE" --ignore-not-found
  run kubectl --context "$KUBE_CONTEXT" delete namespace "$INGRESS_NAMESPACE" "$ISTIO_NAMESPACE" --ignore-not-found
else
  log "delete kind cluster '$CLUSTER_NAME'"
  run kind delete cluster --name "$CLUSTER_NAME"
fi
if is_dry_run; then
  printf '\nDRY RUN complete: nothing was removed.\n'
fi
