#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the image of every service (or of the services named) from the
# repository's Dockerfile; with --load, also loads them into the kind cluster.
#
# usage: scripts/images.sh [--dry-run] [--load] [SERVICE...]
# environment: IMAGE_REPOSITORY (meshmart), IMAGE_TAG (dev), CLUSTER_NAME (meshmart), DRY_RUN=1
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/settings.sh
source "$MESHMART_ROOT/scripts/lib/settings.sh"
# shellcheck source=lib/prereqs.sh
source "$MESHMART_ROOT/scripts/lib/prereqs.sh"
# shellcheck source=lib/images.sh
source "$MESHMART_ROOT/scripts/lib/images.sh"

load=0
requested=()
parse_common_flags "$@"
for arg in "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"; do
  case "$arg" in
    --load) load=1 ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown flag: $arg" ;;
    *) requested+=("$arg") ;;
  esac
done

needed=(docker)
((load)) && needed+=(kind)
log "prerequisites"
if ! check_prereqs "${needed[@]}"; then
  is_dry_run || die "install the missing tools above"
  note "dry run: continuing"
fi

mapfile -t known < <(service_names)
if ((${#requested[@]} == 0)); then
  requested=("${known[@]}")
fi
for service in "${requested[@]}"; do
  printf '%s\n' "${known[@]}" | grep -qx "$service" || die "unknown service '$service' (known: ${known[*]})"
done

log "build ${#requested[@]} images ($IMAGE_REPOSITORY/<service>:$IMAGE_TAG)"
build_images "${requested[@]}"
if ((load)); then
  log "load them into kind cluster '$CLUSTER_NAME'"
  load_images "${requested[@]}"
fi
