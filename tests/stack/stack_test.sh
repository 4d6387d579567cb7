#!/usr/bin/env bash
# The compose stack, for real (docs/stack.md, "The stack test"):
#
#   1. a private dockerd (tests/stack/lib.sh; state cached in /var/cache/peregrine/docker) and the
#      debian:bookworm-slim base imported from a debootstrap tarball;
#   2. `compose build` of the Peregrine image from ./Dockerfile;
#   3. OpenSearch 2.19.6 and VictoriaLogs on the host (scripts/receivers.sh), in place of the registry-only
#      opensearch and loki services (deploy/compose/ci.override.yml points the router at them);
#   4. `compose up -d sensor engine router` from docker-compose.yml + the override; all three turn healthy;
#   5. checks: engine and router run as uid 10001, the sensor as root with exactly the documented capabilities
#      and not privileged; a suspicious action on the host (`cat /etc/shadow` under a unique program name)
#      reaches the router's file output, OpenSearch and VictoriaLogs within 10 s; POST /test and GET /ping on
#      the intake; every field the dashboards use exists in the mapping the router's template produced;
#   6. `compose down -v`: no container, volume or dockerd is left, nothing stays mounted.
#
# Root only; exit 77 with "SKIPPED: why" when it cannot run. Prints "N passed, N failed" (and how many checks
# could not run yet). Environment: PEREGRINE_COMPOSE ("docker-compose" or "docker compose"),
# PEREGRINE_STACK_CACHE, PEREGRINE_RECEIVERS_DIR, STACK_KEEP_LOGS=DIR (copy the logs there).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/stack/lib.sh
source "$ROOT/tests/stack/lib.sh"
cd "$ROOT"
export PATH=$PATH:/usr/sbin:/sbin

skip() { echo "SKIPPED: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "the stack test runs a private dockerd and the eBPF sensor: run it as root"
missing=$(pg_missing_docker_tools)
[[ -z $missing ]] || skip "not installed: $missing(scripts/install-deps.sh installs docker.io)"
[[ -r /sys/kernel/btf/vmlinux ]] || skip "no kernel BTF at /sys/kernel/btf/vmlinux (the sensor needs CO-RE)"
if [[ -n ${PEREGRINE_COMPOSE:-} ]]; then
  read -r -a COMPOSE <<<"$PEREGRINE_COMPOSE"
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
else
  skip "no compose CLI (scripts/install-deps.sh installs docker-compose)"
fi
[[ -s $PG_BASE_TARBALL ]] || command -v debootstrap >/dev/null ||
  skip "debootstrap is not installed and there is no cached base tarball (scripts/install-deps.sh)"

PROJECT=pgstack
IMAGE=peregrine:local
WORK=$(mktemp -d /tmp/pgstack.XXXXXX)
DELIVERY_BUDGET_S=10
RECEIVER_PIDS=()
T0=$SECONDS
phase() { pg_log "== $* (+$((SECONDS - T0)) s)"; }

compose() {
  "${COMPOSE[@]}" -p "$PROJECT" -f docker-compose.yml -f deploy/compose/ci.override.yml "$@"
}

cleanup() {
  local rc=$?
  set +e
  [[ -n ${STACK_KEEP_LOGS:-} ]] && mkdir -p "$STACK_KEEP_LOGS"
  if [[ -n ${DOCKER_HOST:-} ]] && docker version >/dev/null 2>&1; then
    [[ -n ${STACK_KEEP_LOGS:-} && -n $(compose ps -q 2>/dev/null) ]] &&
      compose logs --no-color >"$STACK_KEEP_LOGS/compose.log" 2>&1
    compose down -v --remove-orphans -t 20 >/dev/null 2>&1
    docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
  fi
  for pid in "${RECEIVER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${RECEIVER_PIDS[@]}"; do
    pg_wait_until 20 "receiver $pid to exit" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
  done
  pg_stop_dockerd
  [[ -n ${STACK_KEEP_LOGS:-} ]] && cp -r "$WORK"/*.log "$STACK_KEEP_LOGS/" 2>/dev/null
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports for every listener of the stack, so a `make run` or another test on the default ports
# cannot collide with it.
read -r EV CT SA EA RA AL IN < <(/usr/bin/python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)
export PEREGRINE_EVENTS_PORT=$EV PEREGRINE_CONTROL_PORT=$CT PEREGRINE_SENSOR_ADMIN_PORT=$SA \
  PEREGRINE_ENGINE_ADMIN_PORT=$EA PEREGRINE_ROUTER_ADMIN_PORT=$RA \
  PEREGRINE_ROUTER_BIND=tcp://127.0.0.1:$AL PEREGRINE_ROUTER_ENDPOINT=tcp://127.0.0.1:$AL \
  PEREGRINE_INTAKE_LISTEN=127.0.0.1:$IN PEREGRINE_IMAGE=$IMAGE
INTAKE=http://127.0.0.1:$IN
# Set for real once the receivers run; port 9 (discard) until then, and when they cannot run.
export STACK_OPENSEARCH_PORT=9 STACK_VICTORIALOGS_PORT=9

# ------------------------------------------------------------------------------------------------ docker --
phase "private dockerd ($PG_CACHE)"
pg_lock_cache || exit 1
pg_start_dockerd || { pg_fail "dockerd starts"; pg_summary; exit 1; }
export STACK_DOCKER_SOCKET=$PG_SOCK PEREGRINE_DOCKER_SOCKET=$PG_SOCK
pg_ensure_base_image || { pg_fail "base image $PG_BASE_IMAGE"; pg_summary; exit 1; }
docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 # containers of a run that was killed
# The sensor's capabilities (docs/stack.md, "The sensor's privileges"): Docker >= 23 grants BPF + PERFMON;
# Docker 20.10 does not know them, and SYS_ADMIN takes their place.
docker_major=$(docker version -f '{{.Server.Version}}' | cut -d. -f1)
if ((docker_major < 23)); then
  export PEREGRINE_SENSOR_CAP_BPF=SYS_ADMIN PEREGRINE_SENSOR_CAP_PERFMON=CAP_SYS_ADMIN
  EXPECTED_CAPS="CAP_DAC_READ_SEARCH CAP_SYS_ADMIN CAP_SYS_PTRACE"
else
  EXPECTED_CAPS="CAP_BPF CAP_DAC_READ_SEARCH CAP_PERFMON CAP_SYS_PTRACE"
fi

phase "compose build"
t=$SECONDS
# The build stage gets a tag of its own: otherwise it is a dangling image once the runtime stage is built, and
# the prune below (which keeps the data root from growing by a compile layer per source change) would delete
# the compile cache of the next run.
# The CRI proto goes into the build context first (the image build does not download it).
if bash scripts/fetch-cri-api.sh --context >"$WORK/build.log" 2>&1 &&
  docker build --network host --target build -t peregrine-build:cache . >>"$WORK/build.log" 2>&1 &&
  compose build sensor engine router >>"$WORK/build.log" 2>&1; then
  pg_pass "compose build ($((SECONDS - t)) s; image $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
else
  tail -40 "$WORK/build.log"
  pg_fail "compose build" "see the build log above"
  pg_summary
  exit 1
fi
docker image prune -f >/dev/null 2>&1 # stages of earlier builds, now untagged; this build's stay

# --------------------------------------------------------------------------------------------- receivers --
RECEIVERS=0
if [[ -x scripts/receivers.sh ]]; then
  phase "receivers: OpenSearch + VictoriaLogs on the host"
  if scripts/receivers.sh build opensearch victorialogs >"$WORK/receivers-build.log" 2>&1; then
    for r in opensearch victorialogs; do
      scripts/receivers.sh run "$r" --dir "$WORK/$r" --port-file "$WORK/$r.port" >"$WORK/$r.log" 2>&1 &
      RECEIVER_PIDS+=($!)
    done
    if pg_wait_until 90 "receivers' port files" test -s "$WORK/opensearch.port" -a -s "$WORK/victorialogs.port"; then
      STACK_OPENSEARCH_PORT=$(sed -n 's/^http=//p' "$WORK/opensearch.port")
      STACK_VICTORIALOGS_PORT=$(sed -n 's/^http=//p' "$WORK/victorialogs.port")
      RECEIVERS=1
      pg_pass "OpenSearch on :$STACK_OPENSEARCH_PORT and VictoriaLogs on :$STACK_VICTORIALOGS_PORT are up"
    else
      tail -20 "$WORK/opensearch.log" "$WORK/victorialogs.log"
      pg_fail "receivers start"
    fi
  else
    tail -20 "$WORK/receivers-build.log"
    pg_fail "scripts/receivers.sh build opensearch victorialogs"
  fi
else
  pg_fail "OpenSearch and VictoriaLogs receivers" "scripts/receivers.sh is not there"
fi

# The router must accept every output file of deploy/compose/outputs: start it alone with each and see that it
# comes up (an unknown output type or a bad key is refused before anything starts).
router_accepts_outputs() { # outputs (comma-separated); 0 accepted, 2 unknown type, 1 other error
  local name=pgstack-probe out
  docker rm -f "$name" >/dev/null 2>&1
  docker run -d --name "$name" --network host --user 10001:10001 --read-only --tmpfs /tmp \
    --tmpfs /var/lib/peregrine/router:uid=10001 --tmpfs /var/log/peregrine:uid=10001 \
    -v "$ROOT/config/compose.yaml:/etc/peregrine/compose.yaml:ro" \
    -v "$ROOT/deploy/compose/outputs:/etc/peregrine/outputs:ro" \
    -e PEREGRINE_OUTPUTS="$1" -e PEREGRINE_ROUTER_BIND=tcp://127.0.0.1:0 -e PEREGRINE_INTAKE_LISTEN=127.0.0.1:0 \
    -e PEREGRINE_ROUTER_ADMIN_PORT=0 -e OPENSEARCH_URL="http://127.0.0.1:$STACK_OPENSEARCH_PORT" \
    -e LOKI_URL="http://127.0.0.1:$STACK_VICTORIALOGS_PORT" -e LOKI_PATH=/insert/loki/api/v1/push \
    -e SLACK_WEBHOOK_URL=http://127.0.0.1:9/slack -e TEAMS_WEBHOOK_URL=http://127.0.0.1:9/teams \
    -e TWILIO_ACCOUNT_SID=ACx -e TWILIO_AUTH_TOKEN=x -e TWILIO_FROM=+15550000000 -e TWILIO_TO=+15550000001 \
    -e SMS_GATEWAY_URL=http://127.0.0.1:9/sms -e SMS_GATEWAY_USERNAME=x -e SMS_GATEWAY_PASSWORD=x \
    -e SMS_GATEWAY_TO=+15550000001 -e OPENSEARCH_PASSWORD=x -e WEBHOOK_URL=http://127.0.0.1:9/hook \
    -e WEBHOOK_HMAC_SECRET=0123456789abcdef0123 -e ALERTMANAGER_URL=http://127.0.0.1:9 -e SYSLOG_HOST=127.0.0.1 \
    "$IMAGE" peregrine-with-outputs /etc/peregrine/compose.yaml /etc/peregrine/outputs -- peregrine-router \
    >/dev/null 2>&1 || return 1
  pg_wait_until 30 "router probe ($1) to start or exit" bash -c \
    "docker logs $name 2>&1 | grep -q 'started: alerts on' || [[ \$(docker inspect -f '{{.State.Running}}' $name) == false ]]"
  out=$(docker logs "$name" 2>&1)
  docker rm -f "$name" >/dev/null 2>&1
  PROBE_LOG=$out
  if grep -q 'started: alerts on' <<<"$out"; then return 0; fi
  if grep -q 'unknown output type' <<<"$out"; then return 2; fi
  return 1
}

phase "router outputs"
OUTPUTS=""
for o in opensearch loki slack teams twilio http_sms webhook alertmanager syslog; do
  router_accepts_outputs "$o"
  case $? in
    0) pg_pass "the router accepts deploy/compose/outputs/$o.yaml"
       [[ $o == opensearch || $o == loki ]] && ((RECEIVERS)) && OUTPUTS+="${OUTPUTS:+,}$o" ;;
    2) pg_fail "deploy/compose/outputs/$o.yaml" "this router has no '$o' output type" ;;
    *) pg_fail "the router accepts deploy/compose/outputs/$o.yaml" "$(grep -i error <<<"$PROBE_LOG" | head -3)" ;;
  esac
done
export PEREGRINE_OUTPUTS=$OUTPUTS

# -------------------------------------------------------------------------------------------------- up --
phase "compose up -d sensor engine router (outputs: console, alerts${OUTPUTS:+,$OUTPUTS})"
if ! compose up -d sensor engine router >"$WORK/up.log" 2>&1; then
  cat "$WORK/up.log"
  compose logs --no-color --tail 30
  pg_fail "compose up"
  pg_summary
  exit 1
fi
cid() { compose ps -q "$1"; }
healthy() { [[ $(docker inspect -f '{{.State.Health.Status}}' "$(cid "$1")" 2>/dev/null) == healthy ]]; }
for s in router engine sensor; do
  if pg_wait_until 90 "$s to be healthy" healthy "$s"; then
    pg_pass "$s is healthy (compose healthcheck)"
  else
    pg_fail "$s is healthy" "$(docker inspect -f '{{.State.Status}} {{json .State.Health}}' "$(cid "$s")" | head -c 600)"
    compose logs --no-color --tail 20 "$s"
  fi
done
phase "stack up"

# ------------------------------------------------------------------------------------------- identities --
for s in engine router; do
  uid=$(docker exec "$(cid "$s")" id -u 2>/dev/null)
  [[ $uid == 10001 ]] && pg_pass "$s: docker exec id -u = $uid (non-root)" || pg_fail "$s runs as non-root" "id -u = '$uid'"
  top_uids=$(docker top "$(cid "$s")" -eo pid,uid | awk 'NR > 1 {print $2}' | sort -u | tr '\n' ' ')
  [[ $top_uids == "10001 " ]] && pg_pass "$s: docker top shows only uid 10001" ||
    pg_fail "$s: docker top shows only uid 10001" "uids: $top_uids"
done
docker exec "$(cid router)" sh -c 'test -w /var/lib/peregrine/router && test -w /var/log/peregrine' &&
  pg_pass "router: the queue and alerts volumes are writable by uid 10001" ||
  pg_fail "router: volumes writable"

sensor_id=$(cid sensor)
priv=$(docker inspect -f '{{.HostConfig.Privileged}} {{.HostConfig.PidMode}}' "$sensor_id")
[[ $priv == "false host" ]] && pg_pass "sensor: not privileged, pid: host" || pg_fail "sensor: not privileged, pid host" "$priv"
sensor_pid=$(docker inspect -f '{{.State.Pid}}' "$sensor_id")
cap_eff=$(awk '/^CapEff:/ {print $2}' "/proc/$sensor_pid/status")
caps=$(/usr/bin/python3 - "$cap_eff" <<'EOF'
import sys
# linux/capability.h, in bit order
names = """CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE
SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL
SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE""".split()
v = int(sys.argv[1], 16)
print(" ".join(sorted("CAP_" + (names[b] if b < len(names) else str(b)) for b in range(64) if v >> b & 1)) + " ")
EOF
)
[[ $caps == "$EXPECTED_CAPS " ]] && pg_pass "sensor: effective capabilities are exactly $EXPECTED_CAPS" ||
  pg_fail "sensor: effective capabilities" "got '$caps' (CapEff $cap_eff), want '$EXPECTED_CAPS'"

# ---------------------------------------------------------------------------------- a suspicious action --
# A copy of cat under a unique name reads /etc/shadow: rule "Credential file read by unexpected program".
# The name (proc.name, at most 15 characters) tells this run's alert from any other.
MARK=pgst$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | tail -c 6)
cp /bin/cat "$WORK/$MARK"
RULE="Credential file read by unexpected program"
alert_in_file() { docker exec "$(cid router)" grep -F "$MARK" /var/log/peregrine/alerts.jsonl; }
opensearch_hits() {
  curl -fsS -X POST "http://127.0.0.1:$STACK_OPENSEARCH_PORT/peregrine-*/_refresh" >/dev/null 2>&1
  curl -fsS -H 'Content-Type: application/json' "http://127.0.0.1:$STACK_OPENSEARCH_PORT/peregrine-*/_search" \
    -d "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"output_fields.proc_name\":\"$MARK\"}},{\"term\":{\"rule\":\"$RULE\"}}]}}}" |
    /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["hits"]["total"]["value"] >= 1 else 1)'
}
victorialogs_hits() {
  curl -fsS "http://127.0.0.1:$STACK_VICTORIALOGS_PORT/internal/force_flush" >/dev/null 2>&1
  curl -fsS "http://127.0.0.1:$STACK_VICTORIALOGS_PORT/select/logsql/query" \
    --data-urlencode "query={rule=\"$RULE\"} _time:10m" | grep -qF "$MARK"
}

phase "suspicious action: $MARK /etc/shadow"
# The sensor is healthy once its programs are attached, but the engine's first control message (which event
# types to send) may still be on its way: repeat the action every second until the first alert arrives.
t_action=$(date +%s.%N)
deadline=$((SECONDS + DELIVERY_BUDGET_S))
got_file=""
while ((SECONDS < deadline)); do
  "$WORK/$MARK" /etc/shadow >/dev/null
  if pg_wait_until 1 "alert in the file output" alert_in_file; then got_file=$(date +%s.%N); break; fi
done
elapsed() { /usr/bin/python3 -c "print(f'{$1 - $t_action:.2f}')"; }
if [[ -n $got_file ]]; then
  pg_pass "alert '$RULE' from the host reached the router's file output in $(elapsed "$got_file") s"
  line=$(alert_in_file | head -1)
  /usr/bin/python3 - "$line" "$MARK" <<'EOF' && pg_pass "the alert carries the host name and the append_output fields" || pg_fail "alert fields"
import json, socket, sys
a = json.loads(sys.argv[1])
f = a["output_fields"]
ok = a["hostname"] == socket.gethostname() and f.get("proc.name") == sys.argv[2] and "container.id" in f \
     and f.get("user.name") == "root" and a["priority"] == "Warning" and a.get("uuid")
print(json.dumps({k: a.get(k) for k in ("rule", "priority", "hostname", "uuid")}))
sys.exit(0 if ok else 1)
EOF
else
  pg_fail "alert from the host reaches the router's file output within ${DELIVERY_BUDGET_S} s"
  compose logs --no-color --tail 30
fi

# The backends get what is left of the same 10 s, counted from the first action.
remaining() { local r=$((deadline - SECONDS)); echo $((r > 1 ? r : 1)); }
in_budget() { /usr/bin/python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $t_action <= $DELIVERY_BUDGET_S else 1)"; }
if [[ $OUTPUTS == *opensearch* ]]; then
  if pg_wait_until "$(remaining)" "alert in OpenSearch" opensearch_hits && in_budget; then
    pg_pass "the alert is in OpenSearch (term output_fields.proc_name) $(elapsed "$(date +%s.%N)") s after the action"
  else
    pg_fail "the alert reaches OpenSearch within ${DELIVERY_BUDGET_S} s"
  fi
  curl -fsS "http://127.0.0.1:$STACK_OPENSEARCH_PORT/peregrine-*/_mapping" >"$WORK/mapping.json" &&
    /usr/bin/python3 tests/stack/check_provisioning.py --mapping "$WORK/mapping.json" --only-fields \
      --opensearch-url "http://127.0.0.1:$STACK_OPENSEARCH_PORT" >"$WORK/fields.log" 2>&1 &&
    pg_pass "dashboards vs the router's documents: every field exists in the mapping, every visualization, the saved search and the Grafana OpenSearch panel find data ($(tail -1 "$WORK/fields.log"))" ||
    { grep -v '^PASS' "$WORK/fields.log"; pg_fail "dashboards vs the router's documents"; }
else
  pg_fail "alert reaches OpenSearch; dashboard fields vs the router-made mapping" "no opensearch output or receiver"
fi
if [[ $OUTPUTS == *loki* ]]; then
  if pg_wait_until "$(remaining)" "alert in VictoriaLogs" victorialogs_hits && in_budget; then
    pg_pass "the alert is in VictoriaLogs (Loki push, stream {rule=...}) $(elapsed "$(date +%s.%N)") s after the action"
  else
    pg_fail "the alert reaches VictoriaLogs within ${DELIVERY_BUDGET_S} s"
  fi
else
  pg_fail "alert reaches VictoriaLogs through the loki output" "no loki output or receiver"
fi

# The same action inside a container: the alert names the container and its image, which the sensor reads
# from the Docker API through the read-only socket mount (first alerts of a new container may precede the
# lookup, so the container repeats the read).
CNAME=pgstack-$MARK
docker run -d --rm --network host --name "$CNAME" "$PG_BASE_IMAGE" \
  sh -c 'i=0; while [ $i -lt 60 ]; do cat /etc/shadow >/dev/null; sleep 0.5; i=$((i+1)); done' >/dev/null
container_alert() {
  docker exec "$(cid router)" grep -F "\"container.name\":\"$CNAME\"" /var/log/peregrine/alerts.jsonl |
    grep -qF '"container.image.repository":"debian"'
}
if pg_wait_until "$DELIVERY_BUDGET_S" "an alert naming container $CNAME" container_alert; then
  pg_pass "an alert from container $CNAME carries container.name and container.image.repository=debian"
else
  pg_fail "container context in alerts" "$(docker exec "$(cid router)" grep -F shadow /var/log/peregrine/alerts.jsonl | tail -1 | head -c 300)"
fi
docker rm -f "$CNAME" >/dev/null 2>&1

# ------------------------------------------------------------------------------------------ the intake --
# GET /ping and POST /test (Falcosidekick's endpoints).
ping=$(curl -s -w ' %{http_code}' "$INTAKE/ping")
if [[ $ping == "pong"*" 200" ]]; then pg_pass "GET /ping on the intake: ${ping% 200}"
else pg_fail "GET /ping answers pong" "$ping"; fi
before=$(docker exec "$(cid router)" sh -c 'wc -l </var/log/peregrine/alerts.jsonl')
test_reply=$(curl -s -w ' %{http_code}' -X POST "$INTAKE/test")   # exactly the README's command
if [[ $test_reply =~ \ 2[0-9][0-9]$ ]]; then
  if pg_wait_until "$DELIVERY_BUDGET_S" "the test alert in the file output" bash -c \
    "(( \$(docker exec $(cid router) sh -c 'wc -l </var/log/peregrine/alerts.jsonl') > ${before:-0} ))"; then
    pg_pass "POST /test (${test_reply##* }): a test alert reached the file output"
  else
    pg_fail "POST /test delivers a test alert" "$test_reply, but nothing new in alerts.jsonl"
  fi
else pg_fail "POST /test" "$test_reply"; fi
# The Falco http_output intake itself works today.
now=$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' "$INTAKE/" \
  -d "{\"rule\":\"Stack test\",\"priority\":\"Notice\",\"time\":\"$now\",\"output\":\"falco http_output $MARK-http\",\"source\":\"syscall\",\"hostname\":\"falco-node\"}")
if [[ $code == 200 ]] && pg_wait_until "$DELIVERY_BUDGET_S" "the POSTed alert in the file output" \
  bash -c "docker exec $(cid router) grep -qF '$MARK-http' /var/log/peregrine/alerts.jsonl"; then
  pg_pass "a Falco-format alert POSTed to the intake reaches the file output"
else
  pg_fail "Falco-format POST / on the intake" "HTTP $code"
fi

# Memory against the compose limits (docs/stack.md, "Measurements").
stats=$(docker stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.MemPerc}}' "$(cid sensor)" "$(cid engine)" "$(cid router)")
echo "$stats" | sed 's/^/    memory: /'
if awk '{gsub("%", "", $NF); if ($NF + 0 > 80) bad = 1} END {exit bad}' <<<"$stats"; then
  pg_pass "sensor, engine and router use less than 80% of their memory limits"
else
  pg_fail "memory within the compose limits" "$stats"
fi

# ------------------------------------------------------------------------------------------------ down --
phase "compose down -v"
[[ -n ${STACK_KEEP_LOGS:-} ]] && mkdir -p "$STACK_KEEP_LOGS" && compose logs --no-color >"$STACK_KEEP_LOGS/compose.log" 2>&1
if compose down -v --remove-orphans -t 20 >"$WORK/down.log" 2>&1; then pg_pass "compose down -v"
else cat "$WORK/down.log"; pg_fail "compose down -v"; fi
left=$(docker ps -aq | wc -l)
vols=$(docker volume ls -q | grep -c "^${PROJECT}_")
((left == 0 && vols == 0)) && pg_pass "down leaves no container and no volume of the stack" ||
  pg_fail "down leaves nothing" "$left containers, $vols volumes"
pg_stop_dockerd
if pgrep -f -- "--data-root=$PG_CACHE/data" >/dev/null; then pg_fail "the private dockerd stopped"
else pg_pass "the private dockerd stopped"; fi
if grep -q " $PG_CACHE/" /proc/self/mounts; then pg_fail "nothing stays mounted below $PG_CACHE"
else pg_pass "nothing stays mounted below $PG_CACHE"; fi

phase "done in $((SECONDS - T0)) s"
pg_summary
