#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds a Node base image without any container registry, for machines that
# cannot pull node:24-slim: Debian bookworm (debootstrap, minbase) plus the
# project's pinned Node 24 binary (the `node` npm package in node_modules) and
# npm from the npm registry. It keeps the contract of the official Node image
# the Dockerfile relies on: `node`, `npm` and `npx` on the PATH, a user `node`
# with uid and gid 1000 and home /home/node, CMD ["node"].
#
# usage: scripts/images/node-base.sh [--dry-run]     # prints the image name on stdout
# environment: DEBIAN_MIRROR (http://deb.debian.org/debian), DEBIAN_SUITE (bookworm),
#              NODE_BASE_NPM_VERSION (11.19.1), IMAGE_BUILDER (podman), DRY_RUN=1
#
# Cached: an image of the same Node, npm and suite is reused (podman image exists).
set -euo pipefail

# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
NODE_BASE_NPM_VERSION="${NODE_BASE_NPM_VERSION:-11.19.1}"
builder="${IMAGE_BUILDER:-podman}"
parse_common_flags "$@"
exec 3>&1 1>&2 # progress on stderr; only the image name goes to stdout

node_bin="$MESHMART_ROOT/node_modules/node/bin/node"
[[ -x "$node_bin" ]] || die "no pinned Node at $node_bin: run 'make install' first"
node_version="$("$node_bin" --version)"
node_version="${node_version#v}"
image="localhost/meshmart/node-base:${node_version}-${DEBIAN_SUITE}"

if ! is_dry_run && "$builder" image exists "$image" 2>/dev/null; then
  note "base image $image exists"
  printf '%s\n' "$image" >&3
  exit 0
fi
[[ "$(id -u)" -eq 0 ]] || is_dry_run || die "debootstrap needs root: run as root, or build on a machine that can pull node:24-slim"

work="$(mktemp -d "${TMPDIR:-/tmp}/meshmart-node-base.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

log "base image $image: debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR (about 2 min once)"
run debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR"
run chroot "$rootfs" apt-get clean
run rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/var/log/"*

log "Node $node_version (the project's pinned binary) and npm $NODE_BASE_NPM_VERSION (npm registry)"
run install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
run npm pack --silent --pack-destination "$work" "npm@$NODE_BASE_NPM_VERSION"
run mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
run tar -xzf "$work/npm-$NODE_BASE_NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
run ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
run ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

log "user node (1000:1000), as in the official image"
run chroot "$rootfs" groupadd --gid 1000 node
run chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

log "import as $image"
if is_dry_run; then
  run "$builder" import --change 'CMD ["node"]' - "$image"
else
  printf '+ tar -C %q -c . | %s import ... - %s\n' "$rootfs" "$builder" "$image"
  tar -C "$rootfs" -c . | "$builder" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' - "$image" >/dev/null
  "$builder" run --rm "$image" sh -c 'node --version && npm --version' >/dev/null \
    || die "the new base image does not run node"
fi
note "built $image"
printf '%s\n' "$image" >&3
