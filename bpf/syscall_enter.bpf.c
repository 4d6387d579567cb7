// SPDX-License-Identifier: GPL-2.0
/* syscall_enter: TOCTOU-safe copy of path arguments.
 *
 * Why this hook: a path passed to open, openat, openat2 or creat lives in user memory; another thread of the same process can
 * rewrite it between the kernel's own copy (at entry) and our read at sys_exit. Copying it at entry closes
 * that window. Nothing else needs the entry side: every other argument is read at exit from the saved
 * registers, and sockets are read from the kernel's struct sock.
 * When it fires: on every syscall entry, so it is attached only when the sensor's enter hook is enabled,
 * and it first does the same O(1) wanted lookup as the exit dispatcher, then keeps only syscalls whose
 * recipe carries PG_RF_TOCTOU.
 * What it captures: the first user-string argument (up to 255 bytes) into the task's `pg_stash` storage; the exit
 * side consumes it (marks it empty).
 */
#include "pg_common.bpf.h"

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter__stash, struct pt_regs *regs, long id)
{
	if (id < 0 || id >= PG_SYSCALL_TABLE_SIZE)
		return 0;
	__u32 key = (__u32)id;
	__u16 *type = bpf_map_lookup_elem(&pg_wanted, &key);
	if (!type || *type == 0)
		return 0;
	__u32 tkey = *type;
	struct pg_recipe *r = bpf_map_lookup_elem(&pg_recipes, &tkey);
	if (!r || !(r->flags & PG_RF_TOCTOU))
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (pg__ignored(pid_tgid))
		return 0;
	/* The first string slot of the recipe names the argument register to copy. */
	__u32 arg = 6;
	for (int i = 0; i < 8; i++) {
		if (r->kind[i] == PG_P_ARG_STR) {
			arg = r->arg[i];
			break;
		}
	}
	if (arg >= 6)
		return 0;
	const void *p = (const void *)pg__arg(regs, arg);
	if (!p)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct pg_enter_stash *st = bpf_task_storage_get(&pg_stash, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	long n = bpf_probe_read_user_str(st->path, sizeof(st->path), p);
	if (n <= 0) {
		st->nr = PG_STASH_EMPTY;
		return 0;
	}
	st->len = (__u32)(n - 1);
	st->nr = key;
	return 0;
}
