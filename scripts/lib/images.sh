# shellcheck shell=bash
# Building the service images and getting them into a cluster.
#
# Builder: docker when a Docker engine answers, otherwise podman (Debian's
# package, installed when missing and running as root). Base image: the
# Dockerfile's NODE_IMAGE (node:24 slim) when it can be pulled; where no
# registry can be reached, one built locally by scripts/images/node-base.sh
# (Debian bookworm by debootstrap plus the project's pinned Node 24, with the
# official image's contract). Behind a TLS-inspecting proxy the build needs the
# CA bundle that trusts it: it is passed as a build secret (never a layer),
# from BUILD_CA_BUNDLE, else NODE_EXTRA_CA_CERTS, else the system bundle.

OFFICIAL_NODE_IMAGE="${OFFICIAL_NODE_IMAGE:-docker.io/library/node:24.21.0-slim}"

# The image reference to build and load: a bare repository means Docker Hub,
# spelled out so that podman and containerd agree on the name.
image_ref() {
  local repo="$IMAGE_REPOSITORY" first="${IMAGE_REPOSITORY%%/*}"
  if [[ "$repo" != */* || ("$first" != *.* && "$first" != *:* && "$first" != localhost) ]]; then
    repo="docker.io/$repo"
  fi
  printf '%s/%s:%s' "$repo" "$1" "$IMAGE_TAG"
}

# Sets IMAGE_BUILDER to docker or podman.
detect_builder() {
  if [[ -n "${IMAGE_BUILDER:-}" ]]; then return 0; fi
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    IMAGE_BUILDER=docker
  else
    if ! command -v podman >/dev/null 2>&1; then
      note "no Docker engine answers; using podman (installing it)"
      is_dry_run || bash "$MESHMART_ROOT/scripts/tools/ensure-packages.sh" images >&2 || die "no image builder: start Docker, or install podman"
    fi
    IMAGE_BUILDER=podman
    # Settings that fit small VMs too (ulimits, runc, cgroupfs); see the file.
    export CONTAINERS_CONF="${CONTAINERS_CONF:-$MESHMART_ROOT/scripts/images/containers.conf}"
  fi
  export IMAGE_BUILDER
}

# Prints the base image to build FROM.
node_base_image() {
  if [[ -n "${NODE_IMAGE:-}" ]]; then
    printf '%s' "$NODE_IMAGE"
  elif [[ "$IMAGE_BUILDER" == docker ]] || podman image exists "$OFFICIAL_NODE_IMAGE" 2>/dev/null ||
    curl -s -o /dev/null --max-time 5 https://registry-1.docker.io/v2/; then
    printf '%s' "$OFFICIAL_NODE_IMAGE"
  else
    note "no container registry can be reached: building the Node base image locally (scripts/images/node-base.sh)" >&2
    if is_dry_run; then
      printf 'localhost/meshmart/node-base:<node version>-bookworm'
    else
      IMAGE_BUILDER="$IMAGE_BUILDER" bash "$MESHMART_ROOT/scripts/images/node-base.sh" || die "could not build the local Node base image"
    fi
  fi
}

# The CA bundle to pass to the build, if any.
build_ca_bundle() {
  local candidate
  for candidate in "${BUILD_CA_BUNDLE:-}" "${NODE_EXTRA_CA_CERTS:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [[ -n "$candidate" && -s "$candidate" ]]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
}

# build_images SERVICE...: one build per service, from the repository's Dockerfile.
build_images() {
  detect_builder
  local base ca service args=()
  base="$(node_base_image)"
  ca="$(build_ca_bundle)"
  [[ -n "$ca" ]] && args+=(--secret "id=ca-bundle,src=$ca")
  note "builder $IMAGE_BUILDER, base image $base${ca:+, CA bundle $ca as a build secret}"
  for service in "$@"; do
    run env DOCKER_BUILDKIT=1 "$IMAGE_BUILDER" build --file "$MESHMART_ROOT/Dockerfile" --build-arg "SERVICE=$service" \
      --build-arg "NODE_IMAGE=$base" "${args[@]}" --tag "$(image_ref "$service")" "$MESHMART_ROOT"
  done
}

# jaeger_image_ref: the reference of the locally built Jaeger image, tagged with the
# release the binary reports (ensure-tool.sh builds the binary when it is missing).
jaeger_image_ref() {
  local binary release
  if is_dry_run && [[ ! -x "$MESHMART_LOCAL_BIN/jaeger" ]]; then
    printf 'localhost/meshmart/jaeger:<release>'
    return 0
  fi
  binary="$(bash "$MESHMART_ROOT/scripts/tools/ensure-tool.sh" jaeger)" || die "could not build the Jaeger binary (scripts/tools/ensure-tool.sh jaeger)"
  release="$("$binary" version 2>/dev/null | sed -n 's/.*"gitVersion":"v\([^"]*\)".*/\1/p')"
  [[ -n "$release" ]] || die "$binary version did not report a release"
  printf 'localhost/meshmart/jaeger:%s' "$release"
}

# build_jaeger_image REF: the Jaeger image FROM scratch around the local binary
# (scripts/images/jaeger/Containerfile), unless the builder already has REF.
build_jaeger_image() {
  local ref="$1" work
  detect_builder
  if ! is_dry_run && "$IMAGE_BUILDER" image inspect "$ref" >/dev/null 2>&1; then
    note "$ref exists"
    return 0
  fi
  work="$(mktemp -d "${TMPDIR:-/tmp}/meshmart-jaeger-image.XXXXXX")"
  run cp "$MESHMART_LOCAL_BIN/jaeger" "$work/jaeger"
  run "$IMAGE_BUILDER" build --file "$MESHMART_ROOT/scripts/images/jaeger/Containerfile" --tag "$ref" "$work"
  rm -rf "$work"
}

# load_images TARGET SERVICE...: gets the services' images to where the cluster's nodes find them.
load_images() {
  local target="$1" service refs=()
  shift
  for service in "$@"; do refs+=("$(image_ref "$service")"); done
  load_image_refs "$target" "${refs[@]}"
}

# load_image_refs TARGET REF...: gets these images to where the cluster's nodes find them.
#   kind        kind load (docker-image, or image-archive from podman)
#   containerd  import into the local cluster's containerd (make cluster-up)
#   registry    push to their registry
#   none        the cluster pulls them itself
load_image_refs() {
  local target="$1" ref archive socket
  shift
  detect_builder
  case "$target" in
    kind)
      for ref in "$@"; do
        if [[ "$IMAGE_BUILDER" == docker ]]; then
          run kind load docker-image "$ref" --name "$CLUSTER_NAME"
        else
          archive="$(mktemp "${TMPDIR:-/tmp}/meshmart-image.XXXXXX.tar")"
          run podman save --quiet --output "$archive" "$ref"
          run kind load image-archive "$archive" --name "$CLUSTER_NAME"
          rm -f "$archive"
        fi
      done
      ;;
    containerd)
      socket="$(cd "$MESHMART_ROOT" && npm exec --silent --no -- tsx scripts/cluster/src/main.ts containerd)"
      for ref in "$@"; do
        if is_dry_run; then
          run "$IMAGE_BUILDER" save "$ref" "|" ctr --address "$socket" --namespace k8s.io images import -
        else
          printf '+ %s save %s | ctr --address %s --namespace k8s.io images import -\n' "$IMAGE_BUILDER" "$ref" "$socket"
          "$IMAGE_BUILDER" save "$ref" | ctr --address "$socket" --namespace k8s.io images import - >/dev/null ||
            die "could not import $ref into the local cluster's containerd"
        fi
      done
      ;;
    registry)
      for ref in "$@"; do run "$IMAGE_BUILDER" push "$ref"; done
      ;;
    none) note "images are not loaded: the cluster pulls $*" ;;
    *) die "unknown image target '$target' (kind, containerd, registry, none)" ;;
  esac
}
