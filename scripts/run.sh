#!/usr/bin/env bash
# `make run`: starts responder, router, engine and sensor on this host with one config file, in dependency order.
# Alerts go to the router's outputs (stdout and a JSON-lines file with the default config). The responder gets
# alerts only once a `responder` output is configured, and the default config keeps it in dry_run.
# Ctrl-C (or SIGTERM) stops them all, sensor first so that in-flight events drain through engine and router.
set -euo pipefail

BUILD=${1:-build}
CONFIG=${2:-config/peregrine.yaml}
BIN="$BUILD"

for b in peregrine-responder peregrine-router peregrine-engine peregrine-sensor; do
  f=$(find "$BIN" -name "$b" -type f -perm -u+x | head -n1)
  [[ -n "$f" ]] || { echo "run: $b not built in $BUILD" >&2; exit 1; }
  declare "BIN_${b//-/_}=$f"
done

mkdir -p /var/log/peregrine /var/lib/peregrine/router /var/lib/peregrine/responder

pids=()
stop() {
  trap - INT TERM
  echo "peregrine: stopping" >&2
  # Reverse start order: sensor, engine, router, responder.
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  exit 0
}
trap stop INT TERM

"$BIN_peregrine_responder" --config "$CONFIG" & pids+=($!)
"$BIN_peregrine_router" --config "$CONFIG" & pids+=($!)
"$BIN_peregrine_engine" --config "$CONFIG" & pids+=($!)
if [[ $(id -u) -eq 0 && -r /sys/kernel/btf/vmlinux ]]; then
  "$BIN_peregrine_sensor" --config "$CONFIG" & pids+=($!)
else
  echo "peregrine: not root or no BTF: the sensor cannot run here; engine and router are up" >&2
fi
echo "peregrine: running (responder, router, engine, sensor) with $CONFIG; Ctrl-C to stop" >&2

# If any process dies, stop the others and report.
while true; do
  for p in "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then
      wait "$p"; rc=$?
      echo "peregrine: process $p exited with $rc; stopping the rest" >&2
      stop
    fi
  done
  wait -n || true
done
