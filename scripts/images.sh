#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the image of every service (or of the services named) from the
# repository's Dockerfile, with docker when a Docker engine answers, else with
# podman (on a locally built Node base image when no registry can be reached;
# see scripts/lib/images.sh). With --load, also gets them to a cluster's nodes.
#
# usage: scripts/images.sh [--dry-run] [--load [kind|containerd|registry]] [SERVICE...]
#   --load            kind (default): kind load into cluster CLUSTER_NAME;
#                     containerd: import into the local cluster (make cluster-up);
#                     registry: push to IMAGE_REPOSITORY
# environment: IMAGE_REPOSITORY (meshmart), IMAGE_TAG (dev), CLUSTER_NAME (meshmart), IMAGE_BUILDER,
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

load=""
requested=()
parse_common_flags "$@"
set -- "${REMAINING_ARGS[@]+"${REMAINING_ARGS[@]}"}"
while (($# > 0)); do
  case "$1" in
    --load)
      load=kind
      if [[ $# -ge 2 && "$2" =~ ^(kind|containerd|registry)$ ]]; then
        load="$2"
        shift
      fi
      ;;
    -h | --help)
      print_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown flag: $1" ;;
    *) requested+=("$1") ;;
  esac
  shift
done

needed=()
[[ "$load" == kind ]] && needed+=(kind)
[[ "$load" == containerd ]] && needed+=(ctr)
if ((${#needed[@]} > 0)); then
  log "prerequisites"
  if ! check_prereqs "${needed[@]}"; then
    is_dry_run || die "install the missing tools above"
    note "dry run: continuing"
  fi
fi

mapfile -t known < <(service_names)
if ((${#requested[@]} == 0)); then
  requested=("${known[@]}")
fi
for service in "${requested[@]}"; do
  printf '%s\n' "${known[@]}" | grep -qx "$service" || die "unknown service '$service' (known: ${known[*]})"
done

log "build ${#requested[@]} images ($(image_ref '<service>'))"
build_images "${requested[@]}"
if [[ -n "$load" ]]; then
  log "get them to the nodes ($load)"
  load_images "$load" "${requested[@]}"
fi
