# shellcheck shell=bash
# Shared by the stack tests (sourced): a private dockerd whose state persists in a cache directory, the
# debian:bookworm-slim base image imported from a debootstrap tarball, and small wait/report helpers.
#
# The recipe is shared/reference/containers.md: host networking only (--bridge=none, no iptables, masquerade or
# forwarding: the daemon creates no network and no interface), overlay2, every path of the daemon below
# $PG_CACHE. Unlike tests/integration/docker_env.cpp (a throw-away daemon per test), the data root is kept
# between runs so that the image layers (apt installs, the C++ compile) stay cached: that is what makes a warm
# run take a minute instead of ten.

PG_CACHE=${PEREGRINE_STACK_CACHE:-/var/cache/peregrine/docker}
PG_SOCK=$PG_CACHE/docker.sock
PG_BASE_TARBALL=$PG_CACHE/debian-bookworm-slim.tar.gz
PG_BASE_IMAGE=debian:bookworm-slim
PG_DOCKERD_PID=""
PG_TOOL_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

pg_log() { echo "[stack $(date +%H:%M:%S)] $*" >&2; }

# pg_wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s until it succeeds; 1 after the deadline.
pg_wait_until() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  pg_log "timed out after ${secs}s waiting for: $what"
  return 1
}

# Prints what is missing to run a private dockerd ("" when nothing).
pg_missing_docker_tools() {
  local t missing=""
  for t in dockerd docker containerd runc; do
    PATH=$PG_TOOL_PATH command -v "$t" >/dev/null 2>&1 || missing+="$t "
  done
  echo "$missing"
}

# Serialises users of $PG_CACHE (two checkouts running the stack test at once would share the data root).
pg_lock_cache() {
  mkdir -p "$PG_CACHE"
  exec 9>"$PG_CACHE/lock"
  if ! flock -w "${1:-900}" 9; then
    pg_log "another run holds $PG_CACHE/lock"
    return 1
  fi
}

# The debian:bookworm-slim tarball: debootstrap --variant=minbase from the host's Debian mirror, trimmed the way
# the official slim image is (no docs, man pages or locales), sources and apt cleaned. Built once, kept.
pg_ensure_base_tarball() {
  [[ -s $PG_BASE_TARBALL ]] && return 0
  PATH=$PG_TOOL_PATH command -v debootstrap >/dev/null || { pg_log "debootstrap is not installed"; return 1; }
  local mirror root=$PG_CACHE/rootfs.build t0=$SECONDS
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [[ -n $mirror ]] || { pg_log "no Debian mirror found in /etc/apt/sources.list.d/*.sources or sources.list"; return 1; }
  pg_log "debootstrap bookworm from $mirror (once; cached in $PG_BASE_TARBALL)"
  rm -rf "$root"
  if ! PATH=$PG_TOOL_PATH debootstrap --variant=minbase bookworm "$root" "$mirror" >"$PG_CACHE/debootstrap.log" 2>&1; then
    pg_log "debootstrap failed; see $PG_CACHE/debootstrap.log"
    tail -5 "$PG_CACHE/debootstrap.log" >&2
    return 1
  fi
  mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/dpkg/dpkg.cfg.d"
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  [[ -e /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$root/etc/dpkg/dpkg.cfg.d/docker-slim"
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,info,locale}/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
  tar --numeric-owner -C "$root" -czf "$PG_BASE_TARBALL.tmp" . && mv "$PG_BASE_TARBALL.tmp" "$PG_BASE_TARBALL"
  rm -rf "$root"
  pg_log "base tarball ready ($(du -h "$PG_BASE_TARBALL" | cut -f1), $((SECONDS - t0)) s)"
}

# Unmounts what a daemon left below $PG_CACHE (the nsfs at exec/netns/default; overlays after a crash).
pg_unmount_leftovers() {
  local m
  awk -v p="$PG_CACHE/" 'index($2, p) == 1 {print length($2) " " $2}' /proc/self/mounts | sort -rn | cut -d' ' -f2- |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# A daemon of an earlier run that was killed before it could stop its dockerd (we hold the lock, so it is ours).
pg_stop_stale_daemon() {
  local pid
  pid=$(cat "$PG_CACHE/dockerd.pid" 2>/dev/null) || return 0
  [[ -n $pid && -d /proc/$pid ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--data-root=$PG_CACHE/data"; then
    pg_log "stopping a dockerd left by an earlier run (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    pg_wait_until 30 "stale dockerd $pid to exit" test ! -d "/proc/$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  pg_unmount_leftovers
}

pg_start_dockerd() {
  pg_stop_stale_daemon
  mkdir -p "$PG_CACHE/data" "$PG_CACHE/exec"
  rm -f "$PG_SOCK"
  PATH=$PG_TOOL_PATH dockerd --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
    --storage-driver=overlay2 --data-root="$PG_CACHE/data" --exec-root="$PG_CACHE/exec" \
    --pidfile="$PG_CACHE/dockerd.pid" -H "unix://$PG_SOCK" >"$PG_CACHE/dockerd.log" 2>&1 &
  PG_DOCKERD_PID=$!
  export DOCKER_HOST=unix://$PG_SOCK
  if ! pg_wait_until 30 "dockerd to answer" docker version; then
    tail -20 "$PG_CACHE/dockerd.log" >&2
    return 1
  fi
}

pg_stop_dockerd() {
  [[ -n $PG_DOCKERD_PID ]] || return 0
  if kill -0 "$PG_DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$PG_DOCKERD_PID" 2>/dev/null || true
    pg_wait_until 30 "dockerd to exit" bash -c "! kill -0 $PG_DOCKERD_PID" || kill -KILL "$PG_DOCKERD_PID" 2>/dev/null || true
  fi
  wait "$PG_DOCKERD_PID" 2>/dev/null || true
  PG_DOCKERD_PID=""
  pg_unmount_leftovers
}

pg_ensure_base_image() {
  docker image inspect "$PG_BASE_IMAGE" >/dev/null 2>&1 && return 0
  pg_ensure_base_tarball || return 1
  pg_log "importing $PG_BASE_TARBALL as $PG_BASE_IMAGE"
  docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$PG_BASE_TARBALL" "$PG_BASE_IMAGE" >/dev/null
}

# Check bookkeeping: pg_pass NAME / pg_fail NAME WHY / pg_pending NAME WHY, then pg_summary (exit code).
PG_PASSED=0 PG_FAILED=0 PG_PENDING=0
pg_pass() { PG_PASSED=$((PG_PASSED + 1)); echo "PASS: $1"; }
pg_fail() { PG_FAILED=$((PG_FAILED + 1)); echo "FAIL: $1${2:+ — $2}"; }
pg_pending() { PG_PENDING=$((PG_PENDING + 1)); echo "NOT RUN: $1${2:+ — $2}"; }
pg_summary() {
  local extra=""
  ((PG_PENDING == 0)) || extra=" ($PG_PENDING not run yet)"
  echo "$PG_PASSED passed, $PG_FAILED failed$extra"
  ((PG_FAILED == 0))
}
