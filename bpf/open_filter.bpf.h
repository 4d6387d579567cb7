/* The open filter: drop open/openat/openat2/creat events that no loaded rule could match, before they cost a
 * ring-buffer record and a user-space wakeup.
 *
 * The engine derives the filter from its rules (common/open_filter.h explains the semantics; open_filter_accepts
 * there is the reference this code implements). Terms are bits: an open passes if one term accepts it. A term
 * may require "opened for writing" and may require the raw path to start with one of its prefixes or equal one
 * of its exact names; user space keeps those in the `pg_open_paths` trie with the mask of terms per entry. A
 * path the kernel cannot judge by its bytes (relative, "//", "." or ".." components, trailing '/', cut at 255
 * bytes) always passes: only user space knows the fd.name it normalises to.
 */
#ifndef PEREGRINE_BPF_OPEN_FILTER_H
#define PEREGRINE_BPF_OPEN_FILTER_H

#include "pg_common.bpf.h"
#include "path_scan.h"

_Static_assert(PG_PATH_SCAN_WORDS * 8 == PG_PATH_KEY_BYTES, "the scan covers the whole path key");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);  /* == kOpenFilterMaxPaths */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_path_key);
	__type(value, __u8);
} pg_open_paths SEC(".maps") __weak;

/* Per-CPU lookup key, filled with the path being judged. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_path_key);
} pg_path_scratch SEC(".maps") __weak;

/* Absolute, no empty / "." / ".." component, no trailing '/': then the raw path is the normalised fd.name.
 * Most paths are settled by the word-wise scan; one with "/." (a dotfile or a dot component) or "//" takes
 * the exact byte-wise walk, where bpf_loop keeps the verifier's work to one pass over the step. */
static __always_inline int pg__path_canonical(const __u8 *p, __u32 len)
{
	if (len == 0 || len >= PG_PATH_KEY_BYTES || p[0] != '/')
		return 0;
	if (len > 1 && p[(len - 1) & (PG_PATH_KEY_BYTES - 1)] == '/')
		return 0;
	if (pg__path_no_slash_pairs((const __u64 *)p, len))
		return 1;
	struct pg_canon_ctx c = {.path = p, .len = len};
	bpf_loop(len - 1, pg__canon_step, &c, 0);
	if (c.bad)
		return 0;
	if (len > 1 && c.comp == 0)
		return 0;
	return !(c.comp > 0 && c.comp == c.dots && c.dots <= 2);
}

/* 1 = report this open, 0 = no rule could match it; `s` has the filter active. `stash_path` is the entry-time copy of the path when there
 * is one for this syscall (TOCTOU-safe), else the path is read from user memory at `upath`. */
static __always_inline int pg__open_wanted(const struct pg_settings *s, __u16 type, __u64 a1, __u64 a2,
					   const void *upath, const char *stash_path)
{
	__u32 zero = 0;
	__u64 flags = 0;
	if (type == PG_TYPE_CREAT)
		flags = 1;  /* O_WRONLY */
	else if (type == PG_TYPE_OPEN)
		flags = a1;
	else if (type == PG_TYPE_OPENAT)
		flags = a2;
	else if (type == PG_TYPE_OPENAT2 && a2)
		bpf_probe_read_user(&flags, sizeof(flags), (const void *)a2);  /* struct open_how starts with flags */
	else if (type != PG_TYPE_OPENAT2)
		return 1;
	__u8 eligible = (flags & 3) ? s->open_terms_all : s->open_terms_read;
	if (!eligible)
		return 0;
	if (eligible & s->open_terms_any_path)
		return 1;
	struct pg_path_key *k = bpf_map_lookup_elem(&pg_path_scratch, &zero);
	if (!k)
		return 1;
	long n = stash_path ? bpf_probe_read_kernel_str(k->path, sizeof(k->path), stash_path)
			    : bpf_probe_read_user_str(k->path, sizeof(k->path), upath);
	if (n <= 0 || n >= PG_PATH_KEY_BYTES)
		return 1;  /* unreadable or possibly cut: user space judges */
	k->prefixlen = (__u32)n * 8;  /* the NUL included, so exact entries can match */
	__u8 *mask = bpf_map_lookup_elem(&pg_open_paths, k);
	if (mask && (*mask & eligible))
		return 1;
	return !pg__path_canonical(k->path, (__u32)n - 1);
}

#endif /* PEREGRINE_BPF_OPEN_FILTER_H */
