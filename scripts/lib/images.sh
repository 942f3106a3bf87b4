# shellcheck shell=bash
# Building the service images and loading them into kind.

# build_images SERVICE...: one `docker build` per service, from the repository's Dockerfile.
build_images() {
  local service
  for service in "$@"; do
    run docker build --file "$MESHMART_ROOT/Dockerfile" --build-arg "SERVICE=$service" \
      --tag "$(service_image "$service")" "$MESHMART_ROOT"
  done
}

# load_images SERVICE...: copies each image into the kind cluster's node(s).
load_images() {
  local service
  for service in "$@"; do
    run kind load docker-image "$(service_image "$service")" --name "$CLUSTER_NAME"
  done
}
