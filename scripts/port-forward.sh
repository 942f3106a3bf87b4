#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Forwards the gateway service to localhost:9080 (and, on request, other
# services to localhost:<1000 + their local port>, e.g. catalog on 9081), prints
# example calls, and keeps the forwards open until Ctrl-C.
#
# usage: scripts/port-forward.sh [--dry-run] [--context NAME] [--service NAME]... [--all]
#   --context NAME  the cluster's kubeconfig context (default kind-meshmart)
#   --service NAME  also forward this service (repeatable)
#   --all           forward every service
# environment: CLUSTER_NAME / KUBE_CONTEXT, MESHMART_NAMESPACE, PORT_FORWARD_OFFSET (1000), DRY_RUN=1
#
# Port-forwarded traffic enters the pod on localhost and bypasses the Istio
# sidecar (no mTLS, no AuthorizationPolicy): it is operator access.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/settings.sh
source "$MESHMART_ROOT/scripts/lib/settings.sh"
# shellcheck source=lib/prereqs.sh
source "$MESHMART_ROOT/scripts/lib/prereqs.sh"

declare -A local_port=()
while read -r name port; do
  [[ -n "$name" ]] && local_port["$name"]=$((port + PORT_FORWARD_OFFSET))
done < <(topology_services)
((${#local_port[@]} > 0)) || die "could not list the services (cdk8s/src/list-services.ts); run 'make install' first"

selected=(gateway)
parse_common_flags "$@"
set -- "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"
while (($# > 0)); do
  case "$1" in
    --service)
      [[ $# -ge 2 ]] || die "--service needs a name"
      [[ -n "${local_port[$2]+x}" ]] || die "unknown service '$2' (known: ${!local_port[*]})"
      selected+=("$2")
      shift 2
      ;;
    --all)
      mapfile -t selected < <(service_names)
      shift
      ;;
    --context)
      [[ $# -ge 2 && -n "$2" ]] || die "--context needs a name"
      KUBE_CONTEXT="$2"
      shift 2
      ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
mapfile -t selected < <(printf '%s\n' "${selected[@]}" | awk '!seen[$0]++')

log "prerequisites"
if ! check_prereqs kubectl; then
  is_dry_run || die "install kubectl"
  note "dry run: continuing"
fi

log "forwarding ${#selected[@]} service(s) from namespace $MESHMART_NAMESPACE (context $KUBE_CONTEXT)"
pids=()
stop_forwards() {
  ((${#pids[@]} == 0)) || kill "${pids[@]}" 2>/dev/null || true
}
trap stop_forwards EXIT INT TERM
for service in "${selected[@]}"; do
  port="${local_port[$service]}"
  if is_dry_run; then
    run kubectl --context "$KUBE_CONTEXT" --namespace "$MESHMART_NAMESPACE" port-forward "service/$service" "$port:8080"
  else
    # Started directly, not through run(): a backgrounded function is a
    # subshell, and killing it would leave its kubectl running on the port.
    printf '+ %s\n' "$(quote_command kubectl --context "$KUBE_CONTEXT" --namespace "$MESHMART_NAMESPACE" port-forward "service/$service" "$port:8080")"
    kubectl --context "$KUBE_CONTEXT" --namespace "$MESHMART_NAMESPACE" port-forward "service/$service" "$port:8080" &
    pids+=("$!")
  fi
done

gateway_port="${local_port[gateway]}"
log "example calls"
cat <<EOF_CALLS
    Gateway (REST) on localhost:$gateway_port:
      curl -i http://localhost:$gateway_port/healthz
      curl -i http://localhost:$gateway_port/readyz
      curl -s http://localhost:$gateway_port/api/v1/products
      TOKEN=\$(make -s token ARGS="--context $KUBE_CONTEXT")
      curl -s -H "Authorization: Bearer \$TOKEN" http://localhost:$gateway_port/api/v1/orders
EOF_CALLS
for service in "${selected[@]}"; do
  [[ "$service" == gateway ]] && continue
  port="${local_port[$service]}"
  case "$service" in
    catalog) call="meshmart.catalog.v1.CatalogService/ListProducts" ;;
    inventory) call="meshmart.inventory.v1.InventoryService/ListStock" ;;
    orders) call="meshmart.orders.v1.OrderService/ListOrders" ;;
    payments) call="meshmart.payments.v1.PaymentService/ListPayments" ;;
    notifications) call="meshmart.notifications.v1.NotificationService/ListNotifications" ;;
    *) call="" ;;
  esac
  printf '    %s on localhost:%s (Connect, gRPC, gRPC-Web):\n' "$service" "$port"
  if [[ -n "$call" ]]; then
    printf "      npx buf curl --schema services/proto --data '{}' http://localhost:%s/%s\n" "$port" "$call"
    printf "      curl -s -H 'Content-Type: application/json' -d '{}' http://localhost:%s/%s\n" "$port" "$call"
  fi
  printf '      curl -s http://localhost:%s/metrics | head\n' "$port"
done

if is_dry_run; then
  printf '\nDRY RUN complete: no port was forwarded.\n'
  exit 0
fi
printf '\nForwarding; press Ctrl-C to stop.\n'
wait
