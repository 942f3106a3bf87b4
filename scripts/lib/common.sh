# shellcheck shell=bash
# Shared helpers for meshmart's scripts: the repository root, logging, and
# `run`, which prints every command before running it and, in dry-run mode
# (--dry-run or DRY_RUN=1), only prints it.

MESHMART_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export MESHMART_ROOT
DRY_RUN="${DRY_RUN:-0}"

# Tools the scripts install themselves (built by scripts/tools/ensure-tool.sh) live here.
MESHMART_LOCAL_BIN="${MESHMART_LOCAL_BIN:-$MESHMART_ROOT/.local/bin}"
if [[ -d "$MESHMART_LOCAL_BIN" ]]; then
  PATH="$MESHMART_LOCAL_BIN:$PATH"
fi

log() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

is_dry_run() { [[ "$DRY_RUN" == 1 ]]; }

# Shell-quotes a command line for display.
quote_command() {
  local out="" arg
  for arg in "$@"; do
    out+="${out:+ }$(printf '%q' "$arg")"
  done
  printf '%s' "$out"
}

# run CMD [ARGS...]: prints "+ CMD ARGS" and runs it, unless in dry-run mode.
run() {
  printf '+ %s\n' "$(quote_command "$@")"
  if is_dry_run; then
    return 0
  fi
  "$@"
}

# Handles the flags every script shares; sets REMAINING_ARGS to the rest.
parse_common_flags() {
  REMAINING_ARGS=()
  local arg
  for arg in "$@"; do
    case "$arg" in
      --dry-run) DRY_RUN=1 ;;
      *) REMAINING_ARGS+=("$arg") ;;
    esac
  done
  if is_dry_run; then
    printf 'DRY RUN: printing every command in order, running none of them.\n'
  fi
}

# Prints the services of the topology as "name localPort" lines (one source of truth:
# services/topology/src/topology.ts).
topology_services() {
  (cd "$MESHMART_ROOT" && npm exec --silent --no -- tsx cdk8s/src/list-services.ts 2>/dev/null)
}

# Names only.
service_names() {
  topology_services | cut -d' ' -f1
}

# Prints a script's header comment (its usage text).
print_usage() {
  awk 'NR == 1 { next } /^#/ { if ($0 ~ /shellcheck/) next; sub(/^# ?/, ""); print; next } { exit }' "$1"
}
