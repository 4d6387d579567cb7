// SPDX-License-Identifier: GPL-2.0
/* syscall_exit: the one syscall dispatcher.
 *
 * Why this hook: tp_btf/sys_exit fires once per syscall return on every thread, with the saved user registers
 * (the syscall's arguments, which x86_64 preserves across the call) and the return value. Reporting only at
 * exit halves the kernel cost compared with enter+exit pairs, and the result is known.
 * When it fires: after every syscall of every task, so the first thing done is an O(1) array lookup
 * (`pg_wanted[nr]`) that rejects unwanted syscalls; user space fills that array from the engine's selection
 * plus the state set (clone, close, dup, set*id, ...).
 * What it captures: the parameters described by the event type's recipe (`pg_recipes[type]`, filled by user
 * space from the same table as common/event_types.h): return value, numeric arguments, user strings, socket
 * tuples read from the kernel's struct sock, capability sets.
 * Not here: successful execve/execveat (sched_process_exec), successful clone/fork (sched_process_fork),
 * process exit (sched_process_exit).
 */
#include "pg_common.bpf.h"
#include "open_filter.bpf.h"
#include "fd_bits.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void syscall_exit__sock_from_sk(struct sock *sk, struct pg_sock_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->l4proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
	t->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == PG_AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(t->laddr, &l, 4);
		__builtin_memcpy(t->raddr, &r, 4);
	} else if (t->family == PG_AF_INET6) {
		BPF_CORE_READ_INTO(&t->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t->raddr, sk, __sk_common.skc_v6_daddr);
	}
	t->connected = t->rport != 0;
}

/* Socket tuple of `fd`, followed (for AF_UNIX or unconnected sockets) by the raw user sockaddr. */
static __always_inline __u32 syscall_exit__put_sock(struct pg_buf *b, __u32 off, __u32 slot, long fd,
						     __u64 uaddr, __u64 ulen)
{
	if (off > PG_MAX_EVENT_SIZE || slot >= PG_MAX_SLOTS)
		return off;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = pg__fd_file(task, fd);
	if (!f)
		return off;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & PG_S_IFMT) != PG_S_IFSOCK)
		return off;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return off;
	struct pg_sock_tuple *t = (void *)&b->data[off & PG_PAYLOAD_MASK];
	__builtin_memset(t, 0, sizeof(*t));
	syscall_exit__sock_from_sk(sk, t);
	__u32 n = sizeof(*t);
	if (uaddr && (t->family == PG_AF_UNIX || !t->connected)) {
		if (ulen > 112)
			ulen = 112;
		void *dst = &b->data[(off + n) & PG_PAYLOAD_MASK];
		if (ulen > 0 && bpf_probe_read_user(dst, ulen & 127, (void *)uaddr) == 0)
			n += (__u32)ulen;
	}
	b->hdr.param_len[slot] = (__u16)n;
	return off + n;
}

/* Fill one parameter slot. A global function: verified once, whatever the recipe. */
__noinline int syscall_exit__fill_slot(struct pg_buf *b, __u32 off, __u32 slot, __u32 spec)
{
	/* spec = kind | arg << 8 | arg2 << 16 (BPF functions take at most five arguments) */
	__u32 kind = spec & 0xff, arg = (spec >> 8) & 0xff, arg2 = (spec >> 16) & 0xff;
	if (!b || slot >= 8 || arg >= 6 || arg2 >= 6)
		return off;
	asm volatile("%[s] &= 7" : [s] "+r"(slot));  /* keep the bound visible to the verifier */
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 a = b->args[arg];
	switch (kind) {
	case PG_P_RES:
		return pg__put_u64(b, off, slot, (__u64)b->hdr.res);
	case PG_P_ARG:
		return pg__put_u64(b, off, slot, a);
	case PG_P_ARG_STR:
		return pg__put_str(b, off, slot, (const void *)a, 1);
	case PG_P_SOCK_ARG_FD:
		return syscall_exit__put_sock(b, off, slot, (long)a, arg2 ? b->args[arg2] : 0,
					      arg2 < 5 ? b->args[arg2 + 1] : 0);
	case PG_P_SOCK_RES_FD:
		return syscall_exit__put_sock(b, off, slot, b->hdr.res, 0, 0);
	case PG_P_SOCKADDR: {
		__u64 len = b->args[arg2];
		return pg__put_bytes(b, off, slot, (const void *)a, len > 112 ? 112 : (__u32)len, 1);
	}
	case PG_P_USER_U64: {
		__u64 v = 0;
		if (!a || bpf_probe_read_user(&v, sizeof(v), (const void *)a))
			return off;
		return pg__put_u64(b, off, slot, v);
	}
	case PG_P_DATA: {
		long res = b->hdr.res;
		if (res <= 0)
			return off;
		return pg__put_bytes(b, off, slot, (const void *)a, res > PG_MAX_DATA ? PG_MAX_DATA : (__u32)res, 1);
	}
	case PG_P_CAP: {
		const struct cred *cred = BPF_CORE_READ(task, cred);
		kernel_cap_t cap;
		if (arg == 0)
			cap = BPF_CORE_READ(cred, cap_inheritable);
		else if (arg == 1)
			cap = BPF_CORE_READ(cred, cap_permitted);
		else
			cap = BPF_CORE_READ(cred, cap_effective);
		__u64 v = 0;
		__builtin_memcpy(&v, &cap, sizeof(v));
		return pg__put_u64(b, off, slot, v);
	}
	case PG_P_PRCTL_STR:
		if (b->args[0] != PG_PR_SET_NAME)
			return off;
		return pg__put_str(b, off, slot, (const void *)a, 1);
	case PG_P_FD_DEV:
	case PG_P_FD_INO: {
		struct file *f = pg__fd_file(task, b->hdr.res);
		if (!f)
			return off;
		struct inode *ino = BPF_CORE_READ(f, f_inode);
		__u64 v = kind == PG_P_FD_INO ? BPF_CORE_READ(ino, i_ino) : BPF_CORE_READ(ino, i_sb, s_dev);
		return pg__put_u64(b, off, slot, v);
	}
	default:
		return off;
	}
}

/* Use the path captured at syscall entry when it belongs to this syscall (TOCTOU-safe copy). */
static __always_inline __u32 syscall_exit__put_stashed(struct pg_buf *b, __u32 off, __u32 slot, __u32 nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pg_enter_stash *st = bpf_task_storage_get(&pg_stash, task, 0, 0);
	if (!st || st->nr != nr)
		return 0xffffffff;
	__u32 ret = 0xffffffff;
	if (st->len < sizeof(st->path) && off <= PG_MAX_EVENT_SIZE && slot < PG_MAX_SLOTS) {
		__u32 len = st->len;
		bpf_probe_read_kernel(&b->data[off & PG_PAYLOAD_MASK], len & 255, st->path);
		b->hdr.param_len[slot] = (__u16)(len & 255);
		b->hdr.flags |= PG_EVT_FROM_ENTER;
		ret = off + (len & 255);
	}
	st->nr = PG_STASH_EMPTY;
	return ret;
}

/* The open filter's verdict for this open (1 = report); a dropped open consumes its entry-time stash and is
 * counted. A global function: verified once on its own, so it adds one branch to the dispatcher. */
__noinline int syscall_exit__open_wanted(__u32 type, __u32 nr, __u64 a0, __u64 a1, __u64 a2)
{
	__u32 zero = 0;
	struct pg_settings *s = bpf_map_lookup_elem(&pg_settings, &zero);
	if (!s || !s->open_filter_active)
		return 1;  /* no filter: nothing to look up */
	struct task_struct *task = bpf_get_current_task_btf();
	struct pg_enter_stash *st = s->enter_hook ? bpf_task_storage_get(&pg_stash, task, 0, 0) : NULL;
	const char *stash_path = (st && st->nr == nr && st->len < sizeof(st->path)) ? st->path : NULL;
	const int path_in_arg0 = type == PG_TYPE_OPEN || type == PG_TYPE_CREAT;
	if (pg__open_wanted(s, (__u16)type, a1, a2, (const void *)(path_in_arg0 ? a0 : a1), stash_path))
		return 1;
	if (st)
		st->nr = PG_STASH_EMPTY;
	struct pg_counters *c = pg__counters();
	if (c)
		c->filtered++;
	return 0;
}

/* The close filter's verdict (1 = report), counted when dropped. Global: verified once. */
__noinline int syscall_exit__close_wanted(__u64 fd, __s64 ret)
{
	__u32 zero = 0;
	struct pg_settings *s = bpf_map_lookup_elem(&pg_settings, &zero);
	if (!s || !s->close_filter_active)
		return 1;
	struct task_struct *task = bpf_get_current_task_btf();
	if (pg__close_wanted(task->group_leader, (long)(int)fd, ret))
		return 1;
	struct pg_counters *c = pg__counters();
	if (c)
		c->filtered_close++;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit__dispatch, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	if (nr < 0 || nr >= PG_SYSCALL_TABLE_SIZE)
		return 0;
	__u32 key = (__u32)nr;
	__u16 *type = bpf_map_lookup_elem(&pg_wanted, &key);
	if (!type || *type == 0)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (pg__ignored(pid_tgid))
		return 0;
	__u32 tkey = *type;
	struct pg_recipe *r = bpf_map_lookup_elem(&pg_recipes, &tkey);
	if (!r)
		return 0;
	if ((r->flags & PG_RF_ONLY_FAILURE) && ret >= 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (tkey >= PG_TYPE_OPEN && tkey <= PG_TYPE_CREAT &&
	    !syscall_exit__open_wanted(tkey, key, regs->di, regs->si, regs->dx))
		return 0;
	if (tkey == PG_TYPE_CLOSE && !syscall_exit__close_wanted(regs->di, ret))
		return 0;
	struct pg_buf *b = pg__begin((__u16)tkey, ret, task);
	if (!b)
		return 0;
	b->args[0] = regs->di;
	b->args[1] = regs->si;
	b->args[2] = regs->dx;
	b->args[3] = regs->r10;
	b->args[4] = regs->r8;
	b->args[5] = regs->r9;

	__u32 off = 0;
	__u32 n = r->nparams < 8 ? r->nparams : 8;
	int stash_used = !(r->flags & PG_RF_TOCTOU);
	for (__u32 i = 0; i < 8; i++) {
		if (i >= n)
			break;
		__u32 kind = r->kind[i];
		if (kind == PG_P_ARG_STR && !stash_used) {
			stash_used = 1;
			__u32 o = syscall_exit__put_stashed(b, off, i, key);
			if (o != 0xffffffff) {
				off = o;
				continue;
			}
		}
		off = syscall_exit__fill_slot(b, off, i, kind | (__u32)r->arg[i] << 8 | (__u32)r->arg2[i] << 16);
	}
	const int sent = pg__submit(b, off, pg__category_of((__u16)tkey, r->category));
	if ((r->flags & PG_RF_NEW_FD) && ret >= 0)
		pg__fd_bit_set(task->group_leader, ret);  /* even when dropped: an extra close report is harmless */
	else if (tkey == PG_TYPE_CLOSE && ret == 0 && !sent)
		pg__fd_bit_set(task->group_leader, (long)(int)b->args[0]);  /* user space kept the entry */
	return 0;
}
