#!/usr/bin/env bash
# Which BPF attach types this kernel accepts for syscall hooks. The sensor attaches to tp_btf/sys_enter and
# tp_btf/sys_exit, which put every task on the kernel's syscall-tracing slow path; per-syscall attachment
# (fentry/fexit on __x64_sys_*) would leave unselected syscalls untouched. This loads one empty program of each
# kind and prints whether the kernel took it. Needs root and a build dir with the generated vmlinux.h.
# Usage: bench/sensor/attach_check.sh [build-dir]   (default: build)
set -euo pipefail
build=${1:-build}
vmlinux_dir="$build/bpf/gen"
[[ -f "$vmlinux_dir/vmlinux.h" ]] || { echo "attach_check: no $vmlinux_dir/vmlinux.h (build the sensor first)" >&2; exit 2; }
work=$(mktemp -d)
mkdir "$work/fs"
mount -t bpf bpf "$work/fs"  # a private bpffs for the pins, gone on exit
trap 'umount "$work/fs"; rm -rf "$work"' EXIT
declare -A sec=(
  [tp_btf]='SEC("tp_btf/sys_exit") int BPF_PROG(p, struct pt_regs *regs, long ret) { return 0; }'
  [raw_tp]='SEC("raw_tp/sys_exit") int p(void *ctx) { return 0; }'
  [fentry]='SEC("fentry/__x64_sys_openat") int BPF_PROG(p, struct pt_regs *regs) { return 0; }'
  [fexit]='SEC("fexit/__x64_sys_openat") int BPF_PROG(p, struct pt_regs *regs, long ret) { return 0; }'
  [lsm]='SEC("lsm/file_open") int BPF_PROG(p, struct file *f) { return 0; }'
)
status=0
for kind in tp_btf raw_tp fentry fexit lsm; do
  src="$work/$kind.bpf.c"
  printf '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\nchar LICENSE[] SEC("license") = "GPL";\n%s\n' \
    "${sec[$kind]}" > "$src"
  clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$vmlinux_dir" -c "$src" -o "$work/$kind.o"
  if err=$(bpftool prog load "$work/$kind.o" "$work/fs/$kind" 2>&1); then
    echo "$kind: loads"
  else
    echo "$kind: refused ($(grep -m1 -o -E 'Operation not permitted|Invalid argument|[A-Z][a-z]+ [a-z ]+' <<<"$err" | head -1))"
    status=1
  fi
done
exit $status
