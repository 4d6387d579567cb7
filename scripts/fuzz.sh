#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for a while.
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS]      (SECONDS defaults to $FUZZ_SECONDS, then 60)
#   FUZZ_TARGETS="fuzz_codec fuzz_event_json" scripts/fuzz.sh BUILD_DIR 60   (only these targets)
#
# Configures BUILD_DIR with clang + PEREGRINE_FUZZ=ON, builds every fuzz_* target, generates a seed corpus
# from tests/fixtures/events/*.jsonl plus rules/ and config/ YAML files, runs each fuzzer for SECONDS on one core, and exits non-zero if any
# fuzzer finds a crash, leak, timeout or sanitizer report (the reproducer is left in BUILD_DIR/fuzz-findings).
#
# Note: the top-level CMakeLists.txt only adds tests/ (where the fuzz targets are registered) when
# PEREGRINE_BUILD_TESTS is ON, so this script configures with tests ON but builds only the fuzz targets.
set -euo pipefail

BUILD=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}
SECONDS_EACH=${2:-${FUZZ_SECONDS:-60}}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${FUZZ_BUILD_JOBS:-2}

cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPEREGRINE_FUZZ=ON -DPEREGRINE_BUILD_SENSOR=OFF -DPEREGRINE_BUILD_TESTS=ON -DPEREGRINE_BUILD_BENCH=OFF >/dev/null

mapfile -t TARGETS < <(ninja -C "$BUILD" -t targets all | sed -n 's/^\(fuzz_[A-Za-z0-9_]*\): .*/\1/p' | sort -u)
if [[ -n "${FUZZ_TARGETS:-}" ]]; then  # optional subset, e.g. FUZZ_TARGETS="fuzz_codec fuzz_event_json"
  read -r -a TARGETS <<<"$FUZZ_TARGETS"
fi
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  echo "fuzz.sh: no fuzz_* targets found in $BUILD" >&2
  exit 1
fi
cmake --build "$BUILD" --target "${TARGETS[@]}" -j "$JOBS"

FIXTURES=$(ls "$ROOT"/tests/fixtures/events/*.jsonl 2>/dev/null | paste -sd: -)
FINDINGS="$BUILD/fuzz-findings"
mkdir -p "$FINDINGS"
status=0
for t in "${TARGETS[@]}"; do
  bin=$(find "$BUILD" -type f -name "$t" -perm -u+x | head -n1)
  [[ -n "$bin" ]] || { echo "fuzz.sh: built $t but cannot find the binary" >&2; status=1; continue; }
  corpus="$BUILD/fuzz-corpus/$t"
  mkdir -p "$corpus"
  # Seeds: every fixture line as its own input (JSON targets), plus whatever the target writes itself
  # when asked (binary targets such as fuzz_codec encode the fixtures).
  n=0
  for f in "$ROOT"/tests/fixtures/events/*.jsonl; do
    [[ -f "$f" ]] || continue
    while IFS= read -r line; do
      [[ -n "$line" ]] || continue
      printf '%s' "$line" >"$corpus/fixture-$(basename "$f" .jsonl)-$n"
      n=$((n + 1))
    done <"$f"
  done
  # YAML targets also start from the project's own rules and config files.
  for f in "$ROOT"/rules/*.yaml "$ROOT"/config/*.yaml; do
    [[ -f "$f" ]] && cp "$f" "$corpus/seed-$(basename "$f")"
  done
  PEREGRINE_FUZZ_WRITE_SEEDS="$corpus" PEREGRINE_FUZZ_FIXTURES="$FIXTURES" "$bin" -runs=0 >/dev/null 2>&1 || true
  echo "=== $t: ${SECONDS_EACH}s, corpus $(ls "$corpus" | wc -l) inputs"
  if ! "$bin" "$corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$FINDINGS/$t-" -print_final_stats=1 2>"$BUILD/$t.log"; then
    echo "fuzz.sh: $t FOUND A PROBLEM (log: $BUILD/$t.log, reproducer in $FINDINGS)" >&2
    tail -n 40 "$BUILD/$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$BUILD/$t.log" | sed "s/^/  $t /" || true
  fi
done
exit $status
