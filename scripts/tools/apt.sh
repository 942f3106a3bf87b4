# shellcheck shell=bash
# Sourced by the ensure-*.sh scripts that install Debian packages. apt_get
# runs apt-get one at a time on this machine (make test builds the cluster
# tools in the background while lint may install shellcheck) and waits for a
# dpkg or lists lock another process holds (a fresh machine's own boot-time
# apt run), instead of failing at once: "Could not get lock
# /var/lib/dpkg/lock-frontend" ended a cold make test once. Bounded: six tries
# 10 s apart, each waiting up to 5 minutes for dpkg's lock.
# Needs sudo_cmd (an array, empty as root) from the sourcing script.
apt_get() {
  local lock="${TMPDIR:-/tmp}/meshmart-apt.lock" try status
  for try in 1 2 3 4 5 6; do
    status=0
    # shellcheck disable=SC2154 # sudo_cmd comes from the sourcing script
    "${sudo_cmd[@]}" flock --timeout 900 "$lock" apt-get -o DPkg::Lock::Timeout=300 "$@" || status=$?
    ((status == 0)) && return 0
    ((try < 6)) && { printf 'apt: apt-get %s failed (exit %s, try %s of 6); trying again in 10 s\n' "$1" "$status" "$try" >&2; sleep 10; }
  done
  return "$status"
}
