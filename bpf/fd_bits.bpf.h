/* Which fds of a process user space knows: the close filter.
 *
 * close is in the state set only to keep user space's fd table right, so a close of an fd user space never
 * learnt about (its open was not selected, or dropped by the open filter) carries no state and is dropped
 * here. One bitmap per process (on the group leader's task, threads share it), for fds below PG_FD_BITS; bit n set = "user space may
 * have an entry for fd n, report its close".
 *  - A process seen for the first time gets every bit set (its fds were seeded from /proc, or are unknown):
 *    each fd's first close is reported, after which the bitmap is exact. Nothing is lost at start-up or when
 *    a process predates the sensor.
 *  - Every reported event that creates an fd (open*, creat, socket, accept*, dup*, memfd_create) sets its bit.
 *  - A reported successful close clears it; if its record is then dropped at the ring the bit is set again
 *    (user space still has the entry). fds >= PG_FD_BITS are always reported.
 *  - A fork that reached the ring copies the parent's bitmap to the new process (user space copies the fd
 *    table); a dropped fork leaves the child with every bit set. The task's storage goes with the task.
 */
#ifndef PEREGRINE_BPF_FD_BITS_H
#define PEREGRINE_BPF_FD_BITS_H

#include "pg_common.bpf.h"

#define PG_FD_BITS 1024

struct pg_fd_bits {
	__u64 w[PG_FD_BITS / 64];
};

/* On the thread-group leader's task (threads share the fd table): a task-local lookup, no hashing, and freed
 * with the task. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pg_fd_bits);
} pg_fd_bits SEC(".maps") __weak;

static const struct pg_fd_bits pg__fd_all_set = {.w = {[0 ... PG_FD_BITS / 64 - 1] = ~0ULL}};

/* The process's bitmap, created with every bit set when missing. */
static __always_inline struct pg_fd_bits *pg__fd_bits(struct task_struct *leader)
{
	return bpf_task_storage_get(&pg_fd_bits, leader, (void *)&pg__fd_all_set, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* Fork of a new process (`child` is its own leader): it starts with its parent's fds. */
static __always_inline void pg__fd_bits_fork(struct task_struct *parent_leader, struct task_struct *child)
{
	struct pg_fd_bits *bits = bpf_task_storage_get(&pg_fd_bits, parent_leader, 0, 0);
	if (bits)
		bpf_task_storage_get(&pg_fd_bits, child, bits, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void pg__fd_bit_set(struct task_struct *leader, long fd)
{
	if (fd < 0 || fd >= PG_FD_BITS)
		return;
	__u64 n = (__u64)fd;
	struct pg_fd_bits *bits = bpf_task_storage_get(&pg_fd_bits, leader, 0, 0);
	if (bits)  /* missing: every bit counts as set already */
		__sync_fetch_and_or(&bits->w[(n / 64) & (PG_FD_BITS / 64 - 1)], 1ULL << (n % 64));
}

/* 1 = report this close. Clears the bit of a successful close right away (the fd number is free from now on:
 * another thread may reuse it before this close is even reported); the caller sets it again if the record
 * does not reach the ring, since user space then still has the entry. */
static __always_inline int pg__close_wanted(struct task_struct *leader, long fd, long ret)
{
	if (fd < 0 || fd >= PG_FD_BITS)
		return 1;
	struct pg_fd_bits *bits = pg__fd_bits(leader);
	if (!bits)
		return 1;
	__u64 n = (__u64)fd;
	__u64 *w = &bits->w[(n / 64) & (PG_FD_BITS / 64 - 1)];
	__u64 bit = 1ULL << (n % 64);
	if (!(*w & bit))
		return 0;
	if (ret == 0)
		__sync_fetch_and_and(w, ~bit);
	return 1;
}

#endif /* PEREGRINE_BPF_FD_BITS_H */
