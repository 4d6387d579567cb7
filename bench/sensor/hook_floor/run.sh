#!/usr/bin/env bash
# Builds and runs the hook-floor benchmark (hook_floor.bpf.c): what tp_btf/sys_exit costs an open+close loop
# with nothing useful done, and what each step of judging an open adds. Root; needs a build dir with the
# generated vmlinux.h (any build with the sensor on).
# Usage: bench/sensor/hook_floor/run.sh [build-dir] [rounds] [pairs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
gen="$build/bpf/gen"
[[ -f "$gen/vmlinux.h" ]] || { echo "hook_floor: no $gen/vmlinux.h (build the sensor first)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$gen" -I"$here/../../../bpf" -c "$here/hook_floor.bpf.c" -o "$work/hook_floor.bpf.o"
bpftool gen skeleton "$work/hook_floor.bpf.o" name hook_floor_bpf > "$work/hook_floor.skel.h"
cc -O2 -Wall -I"$work" "$here/hook_floor.c" -o "$work/hook_floor" -lbpf
"$work/hook_floor" "${2:-9}" "${3:-200000}"
