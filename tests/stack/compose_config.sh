#!/usr/bin/env bash
# Validates docker-compose.yml against the Compose specification with every compose CLI found, for each way the
# stack is started: no profile, each profile, all profiles, and with the CI override. No daemon is needed.
#
#   docker-compose config -q       Debian's docker-compose 1.29 (scripts/install-deps.sh installs it)
#   docker compose config -q       the v2+ CLI plugin, when installed, or the one tests/stack/build_compose_v2.sh
#                                  built into /var/cache/peregrine/compose-v2 (checked too; skipped when absent)
#
# Prints one line per check and "N passed, N failed"; exit 77 (SKIPPED) when no compose CLI is installed.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

clis=()
command -v docker-compose >/dev/null 2>&1 && clis+=("docker-compose")
if docker compose version >/dev/null 2>&1; then
  clis+=("docker compose")
else # the v2-line CLI tests/stack/build_compose_v2.sh builds, when it is there (it also runs standalone)
  v2=${PEREGRINE_COMPOSE_V2_DIR:-/var/cache/peregrine/compose-v2}/bin/docker-compose
  [[ -x $v2 ]] && clis+=("$v2")
fi
if ((${#clis[@]} == 0)); then
  echo "SKIPPED: neither docker-compose nor the docker compose plugin is installed (scripts/install-deps.sh)"
  exit 77
fi

passed=0 failed=0
check() { # description, command...
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "PASS: $what"
  else
    failed=$((failed + 1)); echo "FAIL: $what"; echo "$out" | sed 's/^/    /'
  fi
}

# Variables the files reference must not be needed for validation: run with an empty environment file.
export COMPOSE_PROFILES=""
for cli in "${clis[@]}"; do
  read -r -a c <<<"$cli"
  check "$cli config -q: docker-compose.yml" "${c[@]}" -f docker-compose.yml config -q
  for p in opensearch loki; do
    check "$cli config -q: --profile $p" "${c[@]}" -f docker-compose.yml --profile "$p" config -q
  done
  check "$cli config -q: all profiles" "${c[@]}" -f docker-compose.yml --profile opensearch --profile loki config -q
  check "$cli config -q: with deploy/compose/ci.override.yml" \
    env STACK_OPENSEARCH_PORT=9200 STACK_VICTORIALOGS_PORT=9428 STACK_DOCKER_SOCKET=/var/run/docker.sock \
    "${c[@]}" -f docker-compose.yml -f deploy/compose/ci.override.yml config -q
  # A bad key must be refused (the validation is real).
  bad=$(mktemp --suffix=.yml)
  printf 'services:\n  router:\n    image: x\n    network_mode: host\n    bogus_key: 1\n' >"$bad"
  check "$cli refuses an unknown service key" bash -c "! ${cli} -f '$bad' config -q"
  rm -f "$bad"
done

echo "$passed passed, $failed failed"
((failed == 0))
