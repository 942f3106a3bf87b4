#!/usr/bin/env bash
# Makes sure the Debian packages a local cluster or an image build needs are
# installed, installing the missing ones with apt-get when running as root (or
# with passwordless sudo). Idempotent: a warm run only checks.
#
#   bash scripts/tools/ensure-packages.sh cluster   # containerd, runc, CNI plugins, iptables, conntrack, socat, ...
#   bash scripts/tools/ensure-packages.sh images    # podman, buildah, debootstrap and what they need
#   bash scripts/tools/ensure-packages.sh --check cluster   # only report; exit 1 naming what is missing
#
# Exit status: 0 when everything is there; 1 when something is missing and
# cannot be installed here, with the packages and the command on stderr.
set -euo pipefail

say() { printf 'ensure-packages: %s\n' "$*" >&2; }
# shellcheck source=scripts/tools/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

check_only=0
if [[ "${1:-}" == "--check" ]]; then
  check_only=1
  shift
fi

# package:command-or-path that proves it is installed
cluster_packages=(
  containerd:containerd
  runc:runc
  containernetworking-plugins:/usr/lib/cni/bridge
  iptables:iptables
  conntrack:conntrack
  socat:socat
  ethtool:ethtool
  iproute2:ip
  openssl:openssl
  util-linux:nsenter
)
image_packages=(
  podman:podman
  buildah:buildah
  runc:runc
  fuse-overlayfs:fuse-overlayfs
  slirp4netns:slirp4netns
  uidmap:newuidmap
  netavark:/usr/lib/podman/netavark
  aardvark-dns:/usr/lib/podman/aardvark-dns
  catatonit:catatonit
  debootstrap:debootstrap
  gcc:gcc
  libc6-dev:/usr/include/stdio.h
)

wanted=()
for set in "$@"; do
  case "$set" in
    cluster) wanted+=("${cluster_packages[@]}") ;;
    images) wanted+=("${image_packages[@]}") ;;
    *)
      say "unknown package set '$set' (cluster, images)"
      exit 2
      ;;
  esac
done
((${#wanted[@]} > 0)) || { say "usage: ensure-packages.sh [--check] cluster|images..."; exit 2; }

missing=()
for entry in "${wanted[@]}"; do
  package="${entry%%:*}" probe="${entry#*:}"
  if [[ "$probe" == /* ]]; then
    [[ -e "$probe" ]] && continue
  else
    command -v "$probe" >/dev/null 2>&1 && continue
    # sbin tools are not on every user's PATH
    [[ -x "/usr/sbin/$probe" || -x "/sbin/$probe" ]] && continue
  fi
  [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  say "all present: $(printf '%s ' "${wanted[@]%%:*}" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
  exit 0
fi

hint="apt-get install -y --no-install-recommends ${missing[*]}"
if ((check_only)); then
  say "missing Debian packages: ${missing[*]} (install with: sudo $hint)"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "missing: ${missing[*]}; this is not a Debian/Ubuntu system: install the equivalent packages with your package manager"
  exit 1
fi
sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    say "missing Debian packages: ${missing[*]}; installing them needs root: run 'sudo $hint'"
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
say "installing ${missing[*]} (apt-get; the first time takes a minute or two)"
if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  say "running: apt-get update"
  apt_get update -qq >&2 || { say "apt-get update failed"; exit 1; }
fi
# Do not let package scripts start daemons: PID 1 here is often not an init
# system, and the cluster scripts run containerd with a configuration of their own.
policy_added=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d
  policy_added=1
fi
status=0
apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2 || status=$?
((policy_added)) && "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
if ((status != 0)); then
  say "apt-get install ${missing[*]} failed (exit $status)"
  exit 1
fi
say "installed ${missing[*]}"
