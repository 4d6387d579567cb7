// SPDX-License-Identifier: GPL-2.0
/* What a syscall hook costs before it does anything useful: the pieces of the sensor's open filter, one at a
 * time, on tp_btf/sys_exit. `level` (set before load) picks how far the program goes for an openat:
 *   0  return after the selection lookup (the sensor's floor)
 *   1  + copy the path from user memory (bpf_probe_read_user_str)
 *   2  + look it up in an (empty) LPM trie
 *   3  + the byte-wise canonical-path walk (bpf_loop), as the sensor did before the word-wise scan
 *   4  + the word-wise scan (bpf/path_scan.h) instead of the walk
 * Selection: openat (257) and close (3) are "wanted", like the sensor with the default rules.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "path_scan.h"

char LICENSE[] SEC("license") = "GPL";

const volatile int level = 0;

struct hf_key {
	__u32 prefixlen;
	__u8 path[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u16);
} hf_wanted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hf_key);
} hf_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hf_key);
	__type(value, __u8);
} hf_trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hf_count SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(hf_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = regs->orig_ax;
	if (nr >= 512)
		return 0;
	__u16 *t = bpf_map_lookup_elem(&hf_wanted, &nr);
	if (!t || !*t)
		return 0;
	if (nr != 257 || level == 0)
		return 0;
	__u32 zero = 0;
	struct hf_key *k = bpf_map_lookup_elem(&hf_scratch, &zero);
	if (!k)
		return 0;
	long n = bpf_probe_read_user_str(k->path, sizeof(k->path), (const void *)regs->si);
	if (n <= 0 || n >= 256)
		return 0;
	if (level >= 2) {
		k->prefixlen = (__u32)n * 8;
		if (bpf_map_lookup_elem(&hf_trie, k))
			return 0;
	}
	if (level == 3) {
		struct pg_canon_ctx w = {.path = k->path, .len = (__u32)n - 1};
		bpf_loop(n - 2, pg__canon_step, &w, 0);
		if (w.bad)
			return 0;
	} else if (level >= 4) {
		if (!pg__path_no_slash_pairs((const __u64 *)k->path, (__u32)n - 1))
			return 0;
	}
	__u64 *c = bpf_map_lookup_elem(&hf_count, &zero);
	if (c)
		(*c)++;
	return 0;
}
