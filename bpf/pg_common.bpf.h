/* Maps and helpers shared by every Peregrine BPF program.
 *
 * Each hook family is its own .bpf.c compiled separately; `bpftool gen object` links them into one object.
 * Maps are declared __weak here so that every unit sees the same definition and the linker keeps one copy.
 * Helpers are static inline: each program gets its own copy, which is what the verifier wants anyway.
 */
#ifndef PEREGRINE_BPF_PG_COMMON_H
#define PEREGRINE_BPF_PG_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "event_layout.h"

#define PG_AF_UNIX 1
#define PG_AF_INET 2
#define PG_AF_INET6 10
#define PG_S_IFMT 00170000
#define PG_S_IFSOCK 0140000
#define PG_PF_KTHREAD 0x00200000
#define PG_PR_SET_NAME 15

/* x86_64 syscall numbers the sched hooks need to tell execve from execveat and clone from clone3. */
#define PG_NR_CLONE 56
#define PG_NR_FORK 57
#define PG_NR_VFORK 58
#define PG_NR_EXECVEAT 322
#define PG_NR_CLONE3 435

/* Ring buffers: one per group of `cpus_per_ring` CPUs (config cpus_per_buffer; 0 = one ring for all). User
 * space sets the number of rings and creates each ring (ring_buffer_mib) before filling this map; the inner
 * definition is the template the kernel checks them against. */
struct pg_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);  /* template only: the kernel does not compare sizes of inner maps */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct pg_ring);
} pg_rings SEC(".maps") __weak;

/* syscall nr -> EventType (0 = not wanted). The O(1) first check of the dispatcher. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PG_SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u16);
} pg_wanted SEC(".maps") __weak;

/* EventType -> how to fill its parameter slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PG_EVENT_TYPE_MAX);
	__type(key, __u32);
	__type(value, struct pg_recipe);
} pg_recipes SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_counters);
} pg_counters SEC(".maps") __weak;

struct pg_buf {
	__u64 args[6];                 /* syscall arguments, copied from pt_regs (not sent) */
	struct pg_event_header hdr;    /* the record starts here */
	__u8 data[PG_SCRATCH_SIZE - sizeof(struct pg_event_header)];
};

/* Per-CPU scratch where a variable-size event is built before bpf_ringbuf_output. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_buf);
} pg_scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_settings);
} pg_settings SEC(".maps") __weak;

/* Path captured at syscall entry, per task (see syscall_enter.bpf.c). Task-local storage instead of a hash
 * keyed by tid: the lookup is a pointer walk from the task, with no hashing, locking or deletion. */
struct pg_enter_stash {
	__u32 nr;       /* syscall the path belongs to; PG_STASH_EMPTY once consumed */
	__u32 len;
	char path[256];
};
#define PG_STASH_EMPTY 0xffffffff

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pg_enter_stash);
} pg_stash SEC(".maps") __weak;

static __always_inline struct pg_counters *pg__counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&pg_counters, &zero);
}

/* True when the current thread belongs to the sensor (or is excluded). Array lookups only: no hashing. */
static __always_inline int pg__ignored(__u64 pid_tgid)
{
	__u32 zero = 0, tid = (__u32)pid_tgid;
	struct pg_settings *s = bpf_map_lookup_elem(&pg_settings, &zero);
	if (!s)
		return 0;
	if (s->ignore_tgid && s->ignore_tgid == (__u32)(pid_tgid >> 32))
		return 1;
	for (int i = 0; i < PG_MAX_IGNORED_TIDS; i++)
		if (s->ignore_tids[i] == tid)
			return 1;
	return 0;
}

static __always_inline unsigned long pg__arg(struct pt_regs *regs, __u32 i)
{
	switch (i) {
	case 0: return BPF_CORE_READ(regs, di);
	case 1: return BPF_CORE_READ(regs, si);
	case 2: return BPF_CORE_READ(regs, dx);
	case 3: return BPF_CORE_READ(regs, r10);
	case 4: return BPF_CORE_READ(regs, r8);
	default: return BPF_CORE_READ(regs, r9);
	}
}

static __always_inline struct pg_buf *pg__begin(__u16 type, long res, struct task_struct *task)
{
	__u32 zero = 0;
	struct pg_buf *b = bpf_map_lookup_elem(&pg_scratch, &zero);
	if (!b) {
		struct pg_counters *c = pg__counters();
		if (c)
			c->drops_scratch++;
		return NULL;
	}
	/* Direct loads through the BTF task pointer (no helper call per field): this runs for every event. */
	const struct cred *cred = task->cred;
	b->hdr.ts_boot_ns = bpf_ktime_get_boot_ns();
	b->hdr.res = res;
	b->hdr.type = type;
	b->hdr.cpu = (__u16)bpf_get_smp_processor_id();
	b->hdr.tid = task->pid;
	b->hdr.pid = task->tgid;
	b->hdr.ppid = task->real_parent->tgid;
	b->hdr.uid = cred->uid.val;
	b->hdr.gid = cred->gid.val;
	b->hdr.euid = cred->euid.val;
	b->hdr.egid = cred->egid.val;
	b->hdr.flags = 0;
	__builtin_memcpy(b->hdr.comm, task->comm, sizeof(b->hdr.comm));
#pragma unroll
	for (int i = 0; i < PG_MAX_SLOTS; i++)
		b->hdr.param_len[i] = PG_PARAM_ABSENT;
	return b;
}

/* Every put returns the new payload offset; an offset past PG_MAX_EVENT_SIZE makes the event oversize. */
static __always_inline __u32 pg__put_u64(struct pg_buf *b, __u32 off, __u32 slot, __u64 v)
{
	if (off > PG_MAX_EVENT_SIZE || slot >= PG_MAX_SLOTS)
		return off;
	__builtin_memcpy(&b->data[off & PG_PAYLOAD_MASK], &v, sizeof(v));
	b->hdr.param_len[slot] = sizeof(v);
	return off + sizeof(v);
}

static __always_inline __u32 pg__put_str(struct pg_buf *b, __u32 off, __u32 slot, const void *p, int user)
{
	if (!p || off > PG_MAX_EVENT_SIZE || slot >= PG_MAX_SLOTS)
		return off;
	void *dst = &b->data[off & PG_PAYLOAD_MASK];
	long n = user ? bpf_probe_read_user_str(dst, PG_MAX_STR, p) : bpf_probe_read_kernel_str(dst, PG_MAX_STR, p);
	if (n <= 0)
		return off;
	b->hdr.param_len[slot] = (__u16)(n - 1);  /* drop the NUL */
	return off + (__u32)(n - 1);
}

static __always_inline __u32 pg__put_bytes(struct pg_buf *b, __u32 off, __u32 slot, const void *p, __u32 len,
					   int user)
{
	if (!p || off > PG_MAX_EVENT_SIZE || slot >= PG_MAX_SLOTS)
		return off;
	if (len > PG_MAX_STR)
		len = PG_MAX_STR;
	void *dst = &b->data[off & PG_PAYLOAD_MASK];
	long err = user ? bpf_probe_read_user(dst, len & (PG_MAX_STR * 2 - 1), p)
			: bpf_probe_read_kernel(dst, len & (PG_MAX_STR * 2 - 1), p);
	if (err)
		return off;
	b->hdr.param_len[slot] = (__u16)len;
	return off + len;
}

static __always_inline __u8 pg__category_of(__u16 type, __u8 recipe_category)
{
	if (type >= PG_TYPE_EXECVE && type <= PG_TYPE_PROCEXIT)
		return PG_CAT_PROC;
	return recipe_category < PG_CAT_COUNT ? recipe_category : PG_CAT_OTHER;
}

/* The ring of the current CPU's group. */
static __always_inline void *pg__ring(void)
{
	__u32 zero = 0, idx = 0;
	struct pg_settings *s = bpf_map_lookup_elem(&pg_settings, &zero);
	if (s && s->cpus_per_ring)
		idx = bpf_get_smp_processor_id() / s->cpus_per_ring;
	void *rb = bpf_map_lookup_elem(&pg_rings, &idx);
	return rb ? rb : bpf_map_lookup_elem(&pg_rings, &zero);
}

/* Copy the built event into the ring; 1 when it is there, 0 when it was dropped (and counted). */
static __always_inline int pg__submit(struct pg_buf *b, __u32 off, __u8 category)
{
	struct pg_counters *c = pg__counters();
	if (c)
		c->events++;
	__u64 size = sizeof(struct pg_event_header) + (__u64)off;
	if (size >= PG_MAX_EVENT_SIZE) {
		if (c)
			c->drops_oversize++;
		return 0;
	}
	/* clang may drop a C-level mask it can prove redundant; the verifier still needs to see one. */
	asm volatile("%[s] &= 0x3fff" : [s] "+r"(size));  /* == PG_MAX_EVENT_SIZE - 1 */
	b->hdr.len = (__u32)size;
	/* No wakeup per event: a wakeup is an irq_work self-IPI (a VM exit under virtualisation), and the consumer
	 * polls with a short timeout anyway. Wake it once, when this record makes the ring cross half full. */
	void *rb = pg__ring();
	if (!rb) {
		if (c)
			c->drops_ring_full[category < PG_CAT_COUNT ? category : PG_CAT_OTHER]++;
		return 0;
	}
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	__u64 half = bpf_ringbuf_query(rb, BPF_RB_RING_SIZE) / 2;
	__u64 flags = (avail < half && avail + size >= half) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(rb, &b->hdr, size, flags) == 0)
		return 1;
	if (c) {
		if (category >= PG_CAT_COUNT)
			category = PG_CAT_OTHER;
		c->drops_ring_full[category]++;
	}
	return 0;
}

/* The struct file behind `fd` in `task`'s fd table, or NULL. */
static __always_inline struct file *pg__fd_file(struct task_struct *task, long fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#endif /* PEREGRINE_BPF_PG_COMMON_H */
