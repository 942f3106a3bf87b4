# shellcheck shell=bash
# Prerequisite checks: which tools are there, and how to get the ones that are not.

prereq_hint() {
  case "$1" in
    docker) printf 'install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, and start it' ;;
    kind) printf 'go install sigs.k8s.io/kind@v0.33.0 (or https://kind.sigs.k8s.io/docs/user/quick-start/#installation)' ;;
    kubectl) printf 'https://kubernetes.io/docs/tasks/tools/ (a client within one minor version of the cluster)' ;;
    helm) printf 'bash scripts/tools/ensure-tool.sh helm (builds Helm 3 with Go into .local/bin) or https://helm.sh/docs/intro/install/' ;;
    npm | node) printf 'the project pins Node 24: run "make install" (needs npm from any Node >= 20)' ;;
    *) printf 'install %s' "$1" ;;
  esac
}

# check_prereqs TOOL...: prints one line per tool; returns 1 when any is missing
# (their names are left in MISSING_PREREQS).
check_prereqs() {
  MISSING_PREREQS=()
  local tool
  for tool in "$@"; do
    if command -v "$tool" >/dev/null 2>&1; then
      printf '    ok       %-8s %s\n' "$tool" "$(command -v "$tool")"
    else
      printf '    MISSING  %-8s -> %s\n' "$tool" "$(prereq_hint "$tool")"
      MISSING_PREREQS+=("$tool")
    fi
  done
  if ((${#MISSING_PREREQS[@]} > 0)); then
    printf '    prerequisites missing: %s\n' "${MISSING_PREREQS[*]}"
    return 1
  fi
  printf '    all prerequisites found\n'
}

# Docker must not only be installed but its daemon reachable.
check_docker_daemon() {
  if ! docker info >/dev/null 2>&1; then
    die "docker is installed but its daemon does not answer ('docker info' fails): start Docker and retry"
  fi
}
