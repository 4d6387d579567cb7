/* The open filter's path checks: the word-wise scan and the byte-wise walk. Shared by the BPF program
 * (bpf/open_filter.bpf.h), the hook-floor benchmark and the user-space test that compares them with the
 * reference (common/open_filter.h, open_path_canonical), so the code the kernel runs is the code the test pins.
 *
 * The question: does some '/' of the path have '/' or '.' right after it? If not, no component is empty, "."
 * or "..", and with a leading '/' and no trailing '/' the raw path is already what fd.name normalises to. If
 * so (a dotfile, a dot component, "//"), the byte-wise check decides. Eight bytes per step instead of one.
 */
#ifndef PEREGRINE_BPF_PATH_SCAN_H
#define PEREGRINE_BPF_PATH_SCAN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PG_PATH_SCAN_WORDS 32  /* 256 bytes: the open filter's path key */
#define PG_PATH_SCAN_BYTES (PG_PATH_SCAN_WORDS * 8)

/* Per byte of `x`: 0x80 where the byte equals `c`, and possibly a false 0x80 in a byte right above a matching
 * one (a borrow). A false mark can only send a path to the exact check; a matching byte is never missed. */
static inline __u64 pg__bytes_eq(__u64 x, __u8 c)
{
	const __u64 ones = 0x0101010101010101ULL;
	__u64 v = x ^ (ones * c);
	return (v - ones) & ~v & (ones << 7);
}

/* 1 when no '/' among bytes 0..len-1 of `w` (a NUL-terminated path of `len` bytes, len < 256, in a 256-byte
 * buffer) is followed by '/' or '.'. Bytes after the NUL are stale (bpf_probe_read_user_str does not clear
 * them) and are masked out. Little endian: byte j of a word is bits 8j..8j+7. */
static inline int pg__path_no_slash_pairs(const __u64 *w, __u32 len)
{
	__u32 nw = len / 8 + 1;  /* the words holding bytes 0..len, the NUL included */
	for (__u32 i = 0; i < PG_PATH_SCAN_WORDS; i++) {
		if (i >= nw)
			break;
		__u64 x = w[i];
		__u64 next = i + 1 < PG_PATH_SCAN_WORDS ? w[(i + 1) & (PG_PATH_SCAN_WORDS - 1)] : 0;
		__u64 y = (x >> 8) | (next << 56);  /* byte j of y = byte j + 1 of the path */
		__u64 hit = pg__bytes_eq(x, '/') & (pg__bytes_eq(y, '/') | pg__bytes_eq(y, '.'));
		if (i + 1 == nw)  /* the NUL's word: only pairs starting before the NUL count */
			hit &= (len % 8) ? ~0ULL >> (64 - 8 * (len % 8)) : 0;
		if (hit)
			return 0;
	}
	return 1;
}

/* The exact byte-wise walk, one step per byte after the leading '/' (a bpf_loop callback): it tracks the
 * current component and flags an empty, "." or ".." one before a '/'. The caller checks the last component
 * (c.comp, c.dots) after the walk. */
struct pg_canon_ctx {
	const __u8 *path;
	__u32 len;
	__u32 comp;  /* bytes in the current component */
	__u32 dots;  /* '.' bytes in it */
	int bad;
};

static inline long pg__canon_step(__u64 i, void *arg)
{
	struct pg_canon_ctx *c = (struct pg_canon_ctx *)arg;
	__u64 j = i + 1;  /* index 0 is the leading '/' */
	if (j >= c->len || j >= PG_PATH_SCAN_BYTES)
		return 1;
	__u8 ch = c->path[j & (PG_PATH_SCAN_BYTES - 1)];
	if (ch == '/') {
		if (c->comp == 0 || (c->comp == c->dots && c->dots <= 2)) {
			c->bad = 1;
			return 1;
		}
		c->comp = 0;
		c->dots = 0;
	} else {
		c->comp++;
		if (ch == '.')
			c->dots++;
	}
	return 0;
}

#endif /* PEREGRINE_BPF_PATH_SCAN_H */
