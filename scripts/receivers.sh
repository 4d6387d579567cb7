#!/usr/bin/env bash
# The real receivers of the router's integration tests and benchmarks: build them once into a cache, run them
# on 127.0.0.1 in the foreground. See tests/receivers/README.md.
#
#   receivers.sh build [all|opensearch|victorialogs|alertmanager|adaptivecards|kubernetes-models|helm|k8s-strict|kannel|rsyslog]...
#   receivers.sh run NAME --dir DIR --port-file FILE [options] [-- receiver arguments]
#   receivers.sh path NAME
#
# Cache: ${PEREGRINE_RECEIVERS_DIR:-/var/cache/peregrine/receivers}, one folder per receiver with a .stamp that
# holds the pinned version; Maven's repository (m2/), Go's caches (go/) and npm's cache (npm/) live there too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${PEREGRINE_RECEIVERS_DIR:-/var/cache/peregrine/receivers}
[[ $CACHE == /* ]] || CACHE=$PWD/$CACHE
export PATH="$PATH:/usr/local/go/bin"

OPENSEARCH_VERSION=2.19.6
VICTORIALOGS_VERSION=v1.52.2
ALERTMANAGER_VERSION=v0.35.0
ADAPTIVECARDS_VERSION=3.0.6
KUBERNETES_MODELS_VERSION=5.1.0
HELM_VERSION=v4.3.2
HELM_PKG=helm.sh/helm/v4/cmd/helm
VICTORIALOGS_PKG=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs
ALERTMANAGER_PKGS=(./cmd/alertmanager ./cmd/amtool) # inside the module's source
KANNEL_DEBS=(kannel kannel-extras)
RSYSLOG_DEBS=(rsyslog rsyslog-gnutls openssl)
ALL=(kannel rsyslog adaptivecards kubernetes-models helm k8s-strict opensearch victorialogs alertmanager)
READY_TIMEOUT=${PEREGRINE_RECEIVERS_READY_TIMEOUT:-60}

say() { echo "receivers: $*" >&2; }
die() { say "$*"; exit 1; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------------------- build --

need_tool() { # tool, what to install
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install $2 (CI machines have it preinstalled)"
}

stamp_of() { cat "$CACHE/$1/.stamp" 2>/dev/null || true; }

# The harness sources and the JDK (the class-data archive is only valid for the JDK that wrote it) are part of
# OpenSearch's version: changing either rebuilds.
opensearch_version() {
  local src=$ROOT/tests/receivers/opensearch jdk
  jdk=$(java -version 2>&1 | head -n 1 | sha256sum | cut -c1-8) || jdk=none
  echo "$OPENSEARCH_VERSION $(cat "$src/pom.xml" "$src"/src/main/java/org/peregrine/testing/*.java |
    sha256sum | cut -c1-12) jdk-$jdk"
}

# The same for the archive-writing start at build time and every run, so the class-data archive matches.
OPENSEARCH_JAVA_OPTS=(-Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.net.preferIPv4Stack=true)

wanted_version() {
  case $1 in
    opensearch) opensearch_version ;;
    victorialogs) echo "$VICTORIALOGS_VERSION" ;;
    alertmanager) echo "$ALERTMANAGER_VERSION" ;;
    adaptivecards) echo "$ADAPTIVECARDS_VERSION" ;;
    kubernetes-models) echo "$KUBERNETES_MODELS_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    k8s-strict) k8s_strict_version ;;
    kannel | rsyslog) echo debian ;;
    *) die "unknown receiver '$1' (one of: ${ALL[*]})" ;;
  esac
}

is_built() { [[ $(stamp_of "$1") == "$(wanted_version "$1")" ]]; }

run_logged() { # log file, command...: quiet unless it fails
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "failed: $* (full log: $log)"
  fi
}

build_opensearch() {
  need_tool java "a Java 17 JDK (apt-get install default-jdk-headless)"
  need_tool mvn "Maven 3.8 (apt-get install maven)"
  local major
  major=$(java -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')
  ((${major:-0} >= 17)) || die "OpenSearch $OPENSEARCH_VERSION needs Java 17 or newer, found '${major:-?}' (java -version)"
  local out=$CACHE/opensearch
  rm -rf "$out/build" "$out/lib" "$out/app.jsa"
  mkdir -p "$out"
  run_logged "$out/build.log" mvn -B -q -f "$ROOT/tests/receivers/opensearch/pom.xml" \
    -Dmaven.repo.local="$CACHE/m2" -Dbuild.dir="$out/build" -Dmaven.test.skip=true package
  mkdir -p "$out/lib"
  cp "$out"/build/lib/*.jar "$out"/build/opensearch-node-*.jar "$out/lib/"
  rm -rf "$out/build"
  opensearch_cds_archive "$out"
}

# A class-data sharing archive of everything a start loads, written by one start of the node now: later starts
# are 2-3x faster (8 s -> 3 s on a busy 2-core machine) and use ~50 MB less memory. Without it a node still runs.
opensearch_cds_archive() { # out dir
  local out=$1 home pid deadline=$((SECONDS + 180))
  home=$(mktemp -d)
  java "${OPENSEARCH_JAVA_OPTS[@]}" -XX:ArchiveClassesAtExit="$out/app.jsa" -Djava.io.tmpdir="$home" \
    -cp "$out/lib/*" org.peregrine.testing.OpenSearchNode --home "$home" --port-file "$home/ports" \
    >"$out/cds.log" 2>&1 &
  pid=$!
  until [[ -f $home/ports ]] || ((SECONDS >= deadline)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  rm -rf "$home"
  [[ -s $out/app.jsa ]] || say "opensearch: no class-data archive (see $out/cds.log); nodes will start slower"
}

go_env() {
  env GOPATH="$CACHE/go/path" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" \
    GOFLAGS="-mod=mod -modcacherw -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 "$@"
}

build_go() { # receiver, version, packages...
  local name=$1 version=$2
  shift 2
  need_tool go "Go 1.26 (expected at /usr/local/go/bin/go)"
  local pkgs=() p
  for p in "$@"; do pkgs+=("$p@$version"); done
  mkdir -p "$CACHE/$name"
  run_logged "$CACHE/$name/build.log" go_env GOBIN="$CACHE/$name/bin" go install "${pkgs[@]}"
}

# The module's ui/web.go embeds ui/app/dist, which its release process builds with npm and which is not in the
# module zip, so `go install` fails ("pattern app/dist: no matching files found"). Build from a copy of the
# module's source with a one-page placeholder there instead: the API (/api/v2) and /-/ready do not use the UI.
build_alertmanager() {
  need_tool go "Go 1.26 (expected at /usr/local/go/bin/go)"
  local out=$CACHE/alertmanager module dir
  module=github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION
  rm -rf "$out"
  mkdir -p "$out"
  run_logged "$out/download.log" go_env go mod download -json "$module"
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$out/download.log")
  [[ -d $dir ]] || die "alertmanager: no source directory in $out/download.log"
  cp -r "$dir" "$out/src"
  chmod -R u+w "$out/src"
  local ui
  for ui in elm mantine; do
    mkdir -p "$out/src/ui/app/dist/$ui"
    printf '<!doctype html><title>Alertmanager</title><p>Test build without the web UI; the API is at /api/v2.\n' \
      >"$out/src/ui/app/dist/$ui/index.html"
  done
  mkdir -p "$out/bin"
  (cd "$out/src" && run_logged "$out/build.log" go_env go build -trimpath -o "$out/bin/" "${ALERTMANAGER_PKGS[@]}")
}

build_adaptivecards() {
  need_tool node "node 20 (apt-get install nodejs)"
  need_tool npm "npm (apt-get install npm)"
  local out=$CACHE/adaptivecards
  rm -rf "$out"
  mkdir -p "$out"
  printf '{"private": true, "dependencies": {"adaptivecards": "%s"}}\n' "$ADAPTIVECARDS_VERSION" >"$out/package.json"
  # The package's lib/ is extension-less ESM that node cannot load; its UMD bundle (dist/, swiper included)
  # loads under plain node without a DOM, so the swiper peer dependency is not needed.
  run_logged "$out/build.log" npm install --prefix "$out" --cache "$CACHE/npm" --no-audit --no-fund \
    --legacy-peer-deps --omit=dev
  run_logged "$out/check.log" node -e 'require(process.argv[1]).AdaptiveCard || process.exit(1)' \
    "$out/node_modules/adaptivecards/dist/adaptivecards.js"
}

# Not a receiver: the Kubernetes object schemas (npm kubernetes-models), which check the responder's Pod
# DeleteOptions, label patches and NetworkPolicy bodies offline (tests/receivers/kubernetes/validate_object.js).
build_kubernetes_models() {
  need_tool node "node 20 (apt-get install nodejs)"
  need_tool npm "npm (apt-get install npm)"
  local out=$CACHE/kubernetes-models
  rm -rf "$out"
  mkdir -p "$out"
  printf '{"private": true, "dependencies": {"kubernetes-models": "%s"}}\n' "$KUBERNETES_MODELS_VERSION" >"$out/package.json"
  run_logged "$out/build.log" npm install --prefix "$out" --cache "$CACHE/npm" --no-audit --no-fund --omit=dev
  run_logged "$out/check.log" node -e 'require(process.argv[1] + "/kubernetes-models/v1").Pod || process.exit(1)' \
    "$out/node_modules"
}

# Not a receiver: tests/deploy/strict, which decodes the chart's objects into k8s.io/api's Go types refusing unknown
# fields (kubernetes-models' schemas accept them). Its version is a hash of its sources.
k8s_strict_version() {
  cat "$ROOT"/tests/deploy/strict/{go.mod,go.sum,main.go} | sha256sum | cut -c1-12
}

build_k8s_strict() {
  need_tool go "Go 1.26 (expected at /usr/local/go/bin/go)"
  local out=$CACHE/k8s-strict
  rm -rf "$out"
  mkdir -p "$out/bin"
  (cd "$ROOT/tests/deploy/strict" &&
    run_logged "$out/build.log" go_env go build -trimpath -o "$out/bin/strict-decode" .)
}

check_debs() { # receiver, packages...: nothing to build, only to check
  local name=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "$name: MISSING Debian packages: ${missing[*]} (run: make deps, or apt-get install ${missing[*]})"
    return 1
  fi
  echo "$name: installed ($(dpkg-query -W -f='${Package} ${Version}  ' "$@"))"
}

build_one() {
  local name=$1 version start
  case $name in
    kannel) check_debs kannel "${KANNEL_DEBS[@]}"; return ;;
    rsyslog) check_debs rsyslog "${RSYSLOG_DEBS[@]}"; return ;;
  esac
  version=$(wanted_version "$name")
  if is_built "$name"; then
    echo "$name: cached ($version)"
    return
  fi
  start=$(now_ms)
  rm -f "$CACHE/$name/.stamp"
  case $name in
    opensearch) build_opensearch ;;
    victorialogs) build_go victorialogs "$VICTORIALOGS_VERSION" "$VICTORIALOGS_PKG" ;;
    alertmanager) build_alertmanager ;;
    adaptivecards) build_adaptivecards ;;
    kubernetes-models) build_kubernetes_models ;;
    helm) build_go helm "$HELM_VERSION" "$HELM_PKG" ;; # not a receiver: tests/deploy renders the chart
    k8s-strict) build_k8s_strict ;;
  esac
  echo "$version" >"$CACHE/$name/.stamp"
  echo "$name: built ($version) in $(( ($(now_ms) - start + 500) / 1000 )) s"
}

cmd_build() {
  local names=("$@") failed=0
  ((${#names[@]})) || names=(all)
  if [[ " ${names[*]} " == *" all "* ]]; then names=("${ALL[@]}"); fi
  for n in "${names[@]}"; do wanted_version "$n" >/dev/null; done
  mkdir -p "$CACHE" 2>/dev/null && [[ -w $CACHE ]] ||
    die "cannot write the cache $CACHE: run as root or set PEREGRINE_RECEIVERS_DIR to a writable folder"
  exec 9>"$CACHE/.build.lock"
  flock 9 # two builds at once would share Maven's and Go's caches mid-write
  for n in "${names[@]}"; do
    (build_one "$n") || failed=1 # a subshell: one failure (die) does not stop the others
  done
  return $failed
}

# ----------------------------------------------------------------------------------------------------- path --

path_of() {
  case $1 in
    opensearch) echo "$CACHE/opensearch/lib" ;;
    victorialogs) echo "$CACHE/victorialogs/bin/victoria-logs" ;;
    alertmanager) echo "$CACHE/alertmanager/bin/alertmanager" ;;
    adaptivecards) echo "$CACHE/adaptivecards/node_modules" ;;
    kubernetes-models) echo "$CACHE/kubernetes-models/node_modules" ;;
    helm) echo "$CACHE/helm/bin/helm" ;;
    k8s-strict) echo "$CACHE/k8s-strict/bin/strict-decode" ;;
    kannel) echo /usr/sbin/bearerbox ;;
    rsyslog) echo /usr/sbin/rsyslogd ;;
    *) die "unknown receiver '$1' (one of: ${ALL[*]})" ;;
  esac
}

cmd_path() {
  (($# == 1)) || die "usage: receivers.sh path NAME"
  local p
  p=$(path_of "$1")
  case $1 in
    kannel) check_debs kannel "${KANNEL_DEBS[@]}" >&2 || exit 1 ;;
    rsyslog) check_debs rsyslog "${RSYSLOG_DEBS[@]}" >&2 || exit 1 ;;
    *) is_built "$1" || { say "$1 is not built at $(wanted_version "$1"): run scripts/receivers.sh build $1"; exit 1; } ;;
  esac
  [[ -e $p ]] || die "$p is missing: run scripts/receivers.sh build $1"
  echo "$p"
}

# ------------------------------------------------------------------------------------------- run: helpers --

write_atomic() { # file, content
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  printf '%s' "$2" >"$tmp"
  mv -f "$tmp" "$1"
}

# Local ports of the sockets that PID owns (tcp: listening ones), from /proc: works for any program bound to
# port 0, whether or not it says which port it got.
bound_ports() { # pid, tcp|udp
  local pid=$1 proto=$2 fd link inodes=""
  for fd in /proc/"$pid"/fd/*; do
    link=$(readlink "$fd" 2>/dev/null) || continue
    [[ $link == socket:* ]] && inodes+="${link//[^0-9]/} "
  done
  [[ -n $inodes ]] || return 0
  local hex
  for hex in $(cat /proc/"$pid"/net/"$proto" /proc/"$pid"/net/"$proto"6 2>/dev/null |
    awk -v inodes="$inodes" -v proto="$proto" '
      BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) own[a[i]] = 1 }
      FNR > 1 && ($10 in own) && (proto == "udp" || $4 == "0A") { split($2, l, ":"); print l[2] }'); do
    echo $((16#$hex))
  done
}

# Random ports outside the kernel's ephemeral range (so no outgoing connection takes them meanwhile) that
# nothing listens on now. Callers retry with new ones if a bind still fails (another instance won the race).
pick_ports() { # count
  local used want=$1 p picked=" "
  used=" $(ss -Htuan 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u | tr '\n' ' ') "
  while ((want > 0)); do
    p=$((20000 + RANDOM % 12000))
    [[ $used == *" $p "* || $picked == *" $p "* ]] && continue
    picked+="$p "
    ((want--))
  done
  echo $picked
}

http_ok() { # url, wanted status (default 200)
  local code
  code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null) || true
  [[ $code == "${2:-200}" ]]
}

# For single-process receivers that `exec` in the foreground: a detached watcher finds the port the receiver
# (same PID after exec) bound, checks its readiness URL, then writes the port file. It gives up, stopping the
# receiver, after READY_TIMEOUT seconds; it exits by itself if the receiver dies first.
watch_http_ready() { # pid, port file, readiness path
  local pid=$1 file=$2 ready_path=$3
  # Detached (double fork): not a child of the receiver, which would never reap it.
  ( (
    exec </dev/null >&2
    local deadline=$((SECONDS + READY_TIMEOUT)) p
    while ((SECONDS < deadline)); do
      kill -0 "$pid" 2>/dev/null || exit 0
      for p in $(bound_ports "$pid" tcp); do
        if http_ok "http://127.0.0.1:$p$ready_path"; then
          write_atomic "$file" "http=$p"$'\n'
          exit 0
        fi
      done
      sleep 0.05
    done
    say "not ready after $READY_TIMEOUT s (no answer on $ready_path): stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
  ) & )
}

# Which receiver takes which of the receiver-specific options ("--" = extra arguments for the program).
declare -A RUN_OPTIONS=(
  [opensearch]="--http-port" [victorialogs]="--http-port --" [alertmanager]="--http-port --config --"
  [kannel]="" [rsyslog]="--no-tls --"
)

parse_run_args() { # name, options...: sets RUN_DIR, RUN_PORT_FILE, RUN_HTTP_PORT, RUN_CONFIG, RUN_TLS, RUN_EXTRA
  local name=$1 opt
  shift
  RUN_DIR="" RUN_PORT_FILE="" RUN_HTTP_PORT=0 RUN_CONFIG="" RUN_TLS=1 RUN_EXTRA=()
  while (($#)); do
    opt=$1
    case $opt in
      --dir) RUN_DIR=${2:?--dir wants a value}; shift 2 ;;
      --port-file) RUN_PORT_FILE=${2:?--port-file wants a value}; shift 2 ;;
      --http-port) RUN_HTTP_PORT=${2:?--http-port wants a value}; shift 2 ;;
      --config) RUN_CONFIG=${2:?--config wants a value}; shift 2 ;;
      --no-tls) RUN_TLS=0; shift ;;
      --) shift; RUN_EXTRA=("$@"); set -- ;;
      *) die "run: unknown option '$opt'" ;;
    esac
    case $opt in
      --dir | --port-file) ;;
      *) [[ " ${RUN_OPTIONS[$name]} " == *" $opt "* ]] || die "run $name: '$opt' does not apply to $name" ;;
    esac
  done
  [[ -n $RUN_DIR && -n $RUN_PORT_FILE ]] || die "usage: receivers.sh run NAME --dir DIR --port-file FILE [options]"
  [[ $RUN_HTTP_PORT =~ ^[0-9]+$ ]] || die "--http-port wants a number"
  mkdir -p "$RUN_DIR" "$(dirname "$RUN_PORT_FILE")"
  RUN_DIR=$(cd "$RUN_DIR" && pwd)
  RUN_PORT_FILE=$(cd "$(dirname "$RUN_PORT_FILE")" && pwd)/$(basename "$RUN_PORT_FILE")
  rm -f "$RUN_PORT_FILE" # a file left by an earlier run must not look like readiness
}

built_path() { # name: the built thing, or exit with what to do
  is_built "$1" || die "$1 is not built at $(wanted_version "$1"): run scripts/receivers.sh build $1"
  path_of "$1"
}

# --------------------------------------------------------------------------------- run: single processes --

run_opensearch() {
  local lib
  lib=$(built_path opensearch)
  need_tool java "a Java 17 JDK"
  mkdir -p "$RUN_DIR/tmp"
  local cds=()
  [[ -s $lib/../app.jsa ]] && cds=(-XX:SharedArchiveFile="$lib/../app.jsa")
  # The harness writes the port file itself once HTTP is bound and the cluster is yellow.
  exec java "${OPENSEARCH_JAVA_OPTS[@]}" "${cds[@]}" -Djava.io.tmpdir="$RUN_DIR/tmp" \
    -Dperegrine.opensearch.log="${PEREGRINE_OPENSEARCH_LOG:-WARN}" -cp "$lib/*" \
    org.peregrine.testing.OpenSearchNode --home "$RUN_DIR" --port-file "$RUN_PORT_FILE" --http-port "$RUN_HTTP_PORT"
}

run_victorialogs() {
  local bin
  bin=$(built_path victorialogs)
  mkdir -p "$RUN_DIR/data"
  watch_http_ready $$ "$RUN_PORT_FILE" /health
  exec "$bin" -storageDataPath="$RUN_DIR/data" -retentionPeriod=100y \
    -httpListenAddr="127.0.0.1:$RUN_HTTP_PORT" "${RUN_EXTRA[@]}"
}

run_alertmanager() {
  local bin config=$RUN_CONFIG
  bin=$(built_path alertmanager)
  mkdir -p "$RUN_DIR/data"
  if [[ -z $config ]]; then
    config=$RUN_DIR/alertmanager.yml
    cat >"$config" <<'EOF'
# Written by scripts/receivers.sh: one receiver that notifies nobody; alerts are only kept and listed.
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
EOF
  fi
  watch_http_ready $$ "$RUN_PORT_FILE" /-/ready
  # An empty cluster address turns gossip off: no peer port, no traffic beyond loopback.
  exec "$bin" --config.file="$config" --storage.path="$RUN_DIR/data" \
    --web.listen-address="127.0.0.1:$RUN_HTTP_PORT" --cluster.listen-address= "${RUN_EXTRA[@]}"
}

# --------------------------------------------------------------------------- run: kannel (three processes) --

KANNEL_PIDS=()

# TERM each, wait up to 10 s, then KILL what is left; always reaps, so nothing outlives the script.
stop_pids() {
  local pid deadline=$((SECONDS + 10)) alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  while ((SECONDS < deadline)); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.05
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

kannel_stop() {
  ((${#KANNEL_PIDS[@]})) || return 0
  # Upstream first: smsbox, then fakesmsc, then bearerbox (KANNEL_PIDS is in start order).
  local reversed=() i
  for ((i = ${#KANNEL_PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${KANNEL_PIDS[i]}"); done
  KANNEL_PIDS=()
  stop_pids "${reversed[@]}"
}

kannel_alive() {
  local pid
  for pid in "${KANNEL_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}

# Polls (every 50 ms) until the command succeeds; fails if a Kannel process died or could not bind a port (the
# boxes log that and go on running), or after timeout seconds.
kannel_wait_for() { # timeout, command...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    kannel_alive && ((SECONDS < deadline)) || return 1
    ! grep -qs 'Address already in use' "$RUN_DIR/bearerbox.out" "$RUN_DIR/smsbox.out" || return 1
    sleep 0.05
  done
}

ports_bound() { # pid, ports...
  local pid=$1 p bound
  shift
  bound=" $(bound_ports "$pid" tcp | tr '\n' ' ') "
  for p in "$@"; do [[ $bound == *" $p "* ]] || return 1; done
}

# Both boxes are up (smsbox answers, having reached bearerbox) and fakesmsc is connected, so a sendsms right
# after readiness is delivered, not "3: Queued for later delivery".
kannel_ready() {
  http_ok "http://127.0.0.1:$KANNEL_SENDSMS/cgi-bin/sendsms?username=tester&password=wrong&to=1&text=probe" 403 &&
    curl --noproxy '*' -s --max-time 2 "http://127.0.0.1:$KANNEL_ADMIN/status.txt?password=foo" |
    grep -q 'FAKE.*(online'
}

# One try with fresh ports; fails (leaving the processes to kannel_stop) if any of them cannot start.
kannel_start() {
  local template=$ROOT/tests/receivers/kannel/kannel.conf.in conf=$RUN_DIR/kannel.conf
  read -r KANNEL_ADMIN KANNEL_SMSBOX KANNEL_SMSC KANNEL_SENDSMS <<<"$(pick_ports 4)"
  sed -e "s|@ADMIN_PORT@|$KANNEL_ADMIN|" -e "s|@SMSBOX_PORT@|$KANNEL_SMSBOX|" -e "s|@SMSC_PORT@|$KANNEL_SMSC|" \
    -e "s|@SENDSMS_PORT@|$KANNEL_SENDSMS|" -e "s|@DIR@|$RUN_DIR|g" "$template" >"$conf"
  # --pdeathsig: if this script is killed outright (SIGKILL, no trap), the boxes die with it.
  setpriv --pdeathsig KILL -- /usr/sbin/bearerbox -v 2 "$conf" >"$RUN_DIR/bearerbox.out" 2>&1 &
  KANNEL_PIDS+=($!)
  kannel_wait_for 15 ports_bound "${KANNEL_PIDS[0]}" "$KANNEL_ADMIN" "$KANNEL_SMSBOX" "$KANNEL_SMSC" || return 1
  # -m 0: send no MO traffic, only receive and print: "Got message N: <from to text ...>".
  setpriv --pdeathsig KILL -- /usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r "$KANNEL_SMSC" -i 1 -m 0 \
    '123 234 text nop' >"$RUN_DIR/fakesmsc.out" 2>&1 &
  KANNEL_PIDS+=($!)
  setpriv --pdeathsig KILL -- /usr/sbin/smsbox -v 2 "$conf" >"$RUN_DIR/smsbox.out" 2>&1 &
  KANNEL_PIDS+=($!)
  kannel_wait_for 20 kannel_ready
}

run_kannel() {
  check_debs kannel "${KANNEL_DEBS[@]}" >/dev/null || die "$(check_debs kannel "${KANNEL_DEBS[@]}")"
  trap 'kannel_stop; exit 0' TERM INT
  trap 'kannel_stop' EXIT
  local attempt exited
  for attempt in 1 2 3 4 5; do
    kannel_start && break
    kannel_stop
    ((attempt < 5)) || die "kannel: not ready after 5 attempts; see $RUN_DIR/*.out and *.log"
    say "kannel: attempt $attempt failed (a port taken meanwhile?), retrying on other ports"
  done
  write_atomic "$RUN_PORT_FILE" "sendsms=$KANNEL_SENDSMS"$'\n'"admin=$KANNEL_ADMIN"$'\n'"smsbox=$KANNEL_SMSBOX"$'\n'"smsc=$KANNEL_SMSC"$'\n'
  # Any box exiting on its own is a failure: stop the others and say which.
  wait -n -p exited "${KANNEL_PIDS[@]}" || true
  say "kannel: pid ${exited:-?} exited on its own; stopping the others (see $RUN_DIR/*.out)"
  kannel_stop
  exit 1
}

# ------------------------------------------------------------------------------------------ run: rsyslog --

make_test_ca() { # dir: CA + server certificate for 127.0.0.1/localhost, valid 30 days
  local d=$1
  [[ -s $d/ca.pem && -s $d/server.pem && -s $d/server.key ]] && return 0
  mkdir -p "$d"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=Peregrine test CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
      -out "$d/server.pem" -extfile <(printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth")
  } >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "rsyslog: could not make the test CA in $d"; }
}

write_rsyslog_conf() { # conf file
  local d=$RUN_DIR
  cat >"$1" <<EOF
# Written by scripts/receivers.sh: a syslog receiver on 127.0.0.1 only (no /dev/log, no kernel log).
global(workDirectory="$d/work" net.enableDNS="off")
module(load="imtcp")
module(load="imudp")

# One JSON object per received message: the raw message as it came off the wire and its parsed RFC 5424 fields.
template(name="peregrine_json" type="list" option.jsonf="on") {
  property(outname="raw" name="rawmsg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}

ruleset(name="received") {
  # Readiness probes of receivers.sh go to their own file, so messages.log holds only what tests sent.
  if \$app-name == "peregrine-receivers-probe" then {
    action(type="omfile" file="$d/probe.log" template="peregrine_json")
    stop
  }
  action(type="omfile" file="$d/messages.log" template="peregrine_json")
}

input(type="imtcp" name="tcp" address="127.0.0.1" port="0" listenPortFileName="$d/tcp.port" ruleset="received")
input(type="imudp" name="udp" address="127.0.0.1" port="0" ruleset="received")
EOF
  # The TLS listener: server authentication only ("anon": clients need no certificate). rsyslogd generates DH
  # parameters for it at start, which costs 0.1-1.5 s; --no-tls leaves it out.
  ((RUN_TLS)) && cat >>"$1" <<EOF
input(type="imtcp" name="tls" address="127.0.0.1" port="0" listenPortFileName="$d/tls.port" ruleset="received"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.caFile="$d/tls/ca.pem" streamDriver.certFile="$d/tls/server.pem"
      streamDriver.keyFile="$d/tls/server.key")
EOF
  cat >>"$1" <<EOF

# rsyslogd's own messages (start, errors).
action(type="omfile" file="$d/rsyslogd.log")
EOF
}

# Detached like watch_http_ready: waits for the TCP and TLS port files, finds the UDP port in /proc, then sends
# one probe over UDP and one over TCP and waits until both were written (the whole pipeline works).
watch_rsyslog_ready() { # pid
  local pid=$1 d=$RUN_DIR file=$RUN_PORT_FILE
  ( (
    exec </dev/null >&2
    local deadline=$((SECONDS + READY_TIMEOUT)) tcp="" tls="" udp="" sent=0 tls_lines=""
    ((RUN_TLS)) || tls=off
    while ((SECONDS < deadline)); do
      kill -0 "$pid" 2>/dev/null || exit 0
      [[ -z $tcp && -s $d/tcp.port ]] && tcp=$(<"$d/tcp.port")
      [[ -z $tls && -s $d/tls.port ]] && tls=$(<"$d/tls.port")
      [[ -z $udp ]] && udp=$(bound_ports "$pid" udp | head -n 1)
      if [[ -n $tcp && -n $tls && -n $udp ]]; then
        if [[ -f $d/probe.log ]] && (($(grep -c . "$d/probe.log" || true) >= 2)); then
          ((RUN_TLS)) && tls_lines="tls=$tls"$'\n'"ca=$d/tls/ca.pem"$'\n'
          write_atomic "$file" "tcp=$tcp"$'\n'"udp=$udp"$'\n'"$tls_lines"
          exit 0
        fi
        if ((sent % 10 == 0)); then # again every 0.5 s: a datagram sent before the socket was ready is lost
          printf '<14>1 - - peregrine-receivers-probe - udp - probe\n' >/dev/udp/127.0.0.1/"$udp" || true
          if ((sent == 0)); then
            printf '<14>1 - - peregrine-receivers-probe - tcp - probe\n' >/dev/tcp/127.0.0.1/"$tcp" || sent=-1
          fi
        fi
        sent=$((sent + 1))
      fi
      sleep 0.05
    done
    say "rsyslog: not ready after $READY_TIMEOUT s (tcp=$tcp tls=$tls udp=$udp): stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
  ) & )
}

run_rsyslog() {
  check_debs rsyslog "${RSYSLOG_DEBS[@]}" >/dev/null || die "$(check_debs rsyslog "${RSYSLOG_DEBS[@]}")"
  local conf=$RUN_DIR/rsyslog.conf
  mkdir -p "$RUN_DIR/work"
  if ((RUN_TLS)); then make_test_ca "$RUN_DIR/tls"; fi
  write_rsyslog_conf "$conf"
  rm -f "$RUN_DIR/tcp.port" "$RUN_DIR/tls.port" "$RUN_DIR/probe.log" "$RUN_DIR/rsyslogd.pid"
  /usr/sbin/rsyslogd -N1 -f "$conf" >"$RUN_DIR/config-check.log" 2>&1 ||
    { cat "$RUN_DIR/config-check.log" >&2; die "rsyslog: $conf does not validate"; }
  watch_rsyslog_ready $$
  exec /usr/sbin/rsyslogd -n -f "$conf" -i "$RUN_DIR/rsyslogd.pid" "${RUN_EXTRA[@]}"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    build) cmd_build "$@" ;;
    path) cmd_path "$@" ;;
    run)
      local name=${1:-}
      (($#)) && shift
      [[ -n $name && -v "RUN_OPTIONS[$name]" ]] ||
        die "run: unknown receiver '$name' (one of: ${!RUN_OPTIONS[*]})"
      parse_run_args "$name" "$@"
      "run_$name"
      ;;
    *)
      sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
