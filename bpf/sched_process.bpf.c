// SPDX-License-Identifier: GPL-2.0
/* sched_process: process lifecycle (exec, fork, exit).
 *
 * Why these hooks: the process table in user space must see every successful exec, every new task and
 * every exit, whatever syscall caused it. The sched_process_* tracepoints fire exactly once per lifecycle
 * change, in the context where the new state is visible, which the syscall-exit hook cannot guarantee
 * (a successful execve "returns" in a new image; a fork returns twice).
 * When they fire:
 *  - sched_process_exec: after a successful execve/execveat, in the new image (argv is on the new stack).
 *  - sched_process_fork: in the parent, after the child task exists (processes and threads).
 *  - sched_process_exit: in the exiting thread, after its mm is released.
 * What they capture: exec -> argv, filename, the process record (struct pg_exec_info: start time, caps,
 * loginuid, tty, sid/pgid, namespaced ids, exe inode and memfd/overlay upper/lower-layer flags) and the cgroup v2 path;
 * fork -> the child's ids and clone flags; exit -> exit status and whether the whole process is gone.
 * These events are always emitted (the state set), whatever the engine selected.
 */
#include "pg_common.bpf.h"
#include "fd_bits.bpf.h"

#define PG_OVERLAYFS_MAGIC 0x794c7630
#define PG_CGROUP_DEPTH 8
#define PG_SB_RDONLY 1           /* super_block.s_flags */
#define PG_MNT_READONLY 0x40     /* vfsmount.mnt_flags */
#define PG_S_IMMUTABLE 8         /* inode.i_flags */
#define PG_CAP_DAC_OVERRIDE 1

struct kernfs_node___old {
	struct kernfs_node *parent;
};

static __always_inline struct kernfs_node *sched_process__kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *old = (void *)kn;
	return BPF_CORE_READ(old, parent);
}

static __always_inline __u32 sched_process__put_cgroup(struct pg_buf *b, __u32 off, struct task_struct *p)
{
	struct kernfs_node *kn = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn);
	const char *names[PG_CGROUP_DEPTH] = {};
	int depth = 0;
	for (int i = 0; i < PG_CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		struct kernfs_node *parent = sched_process__kn_parent(kn);
		if (!parent)
			break;  /* the root's own name is not part of the path */
		names[i] = BPF_CORE_READ(kn, name);
		depth = i + 1;
		kn = parent;
	}
	if (off > PG_MAX_EVENT_SIZE)
		return off;
	__u32 start = off;
	for (int i = PG_CGROUP_DEPTH - 1; i >= 0; i--) {
		if (i >= depth || off > PG_MAX_EVENT_SIZE)
			continue;
		b->data[off & PG_PAYLOAD_MASK] = '/';
		off++;
		long n = bpf_probe_read_kernel_str(&b->data[off & PG_PAYLOAD_MASK], 256, names[i]);
		if (n > 1)
			off += (__u32)(n - 1);
	}
	if (off == start) {
		b->data[off & PG_PAYLOAD_MASK] = '/';
		off++;
	}
	b->hdr.param_len[PG_SLOT_CGROUP] = (__u16)(off - start);
	return off;
}

static __always_inline __u32 sched_process__pid_nr(struct pid *pid, int virt)
{
	if (!pid)
		return 0;
	unsigned int level = virt ? BPF_CORE_READ(pid, level) : 0;
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	return (__u32)up.nr;
}

/* Falco's exe_writable: could the process's filesystem identity write its own executable? Read-only
 * superblock or mount and immutable inodes say no; the owner says yes (it may chmod the file); otherwise the
 * group or other write bit (the file's group against fsgid only: supplementary groups and ACLs are beyond a
 * BPF program), or CAP_DAC_OVERRIDE in the effective set. */
static __always_inline int sched_process__exe_writable(struct task_struct *p, struct file *exe, struct inode *ino)
{
	if (BPF_CORE_READ(ino, i_sb, s_flags) & PG_SB_RDONLY)
		return 0;
	if (BPF_CORE_READ(exe, f_path.mnt, mnt_flags) & PG_MNT_READONLY)
		return 0;
	if (BPF_CORE_READ(ino, i_flags) & PG_S_IMMUTABLE)
		return 0;
	const struct cred *cred = BPF_CORE_READ(p, cred);
	__u32 fsuid = BPF_CORE_READ(cred, fsuid.val), fsgid = BPF_CORE_READ(cred, fsgid.val);
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	if (fsuid == BPF_CORE_READ(ino, i_uid.val))
		return 1;
	if (fsgid == BPF_CORE_READ(ino, i_gid.val) ? (mode & 00020) : (mode & 00002))
		return 1;
	kernel_cap_t eff = BPF_CORE_READ(cred, cap_effective);
	__u64 caps = 0;
	__builtin_memcpy(&caps, &eff, sizeof(caps));
	return (caps >> PG_CAP_DAC_OVERRIDE) & 1;
}

static __always_inline void sched_process__exe_info(struct task_struct *p, struct pg_exec_info *x)
{
	struct file *exe = BPF_CORE_READ(p, mm, exe_file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	x->exe_ino = BPF_CORE_READ(ino, i_ino);
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		x->exe_ctime_ns = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull + BPF_CORE_READ(ino, i_ctime_nsec);
		x->exe_mtime_ns = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ull + BPF_CORE_READ(ino, i_mtime_nsec);
	}
	char prefix[6] = {};
	bpf_probe_read_kernel(prefix, sizeof(prefix), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	if (prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' && prefix[4] == 'd' &&
	    prefix[5] == ':')
		x->flags |= PG_EXE_FROM_MEMFD;
	if (ino && sched_process__exe_writable(p, exe, ino))
		x->flags |= PG_EXE_WRITABLE;
	if (BPF_CORE_READ(ino, i_sb, s_magic) == PG_OVERLAYFS_MAGIC) {
		struct ovl_inode *oi = container_of(ino, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(oi, __upperdentry))
			x->flags |= PG_EXE_UPPER_LAYER;
		else
			x->flags |= PG_EXE_LOWER_LAYER;
	}
}

static __always_inline void sched_process__exec_info(struct task_struct *p, struct pg_exec_info *x)
{
	__builtin_memset(x, 0, sizeof(*x));
	const struct cred *cred = BPF_CORE_READ(p, cred);
	kernel_cap_t c;
	c = BPF_CORE_READ(cred, cap_inheritable);
	__builtin_memcpy(&x->cap_inheritable, &c, sizeof(__u64));
	c = BPF_CORE_READ(cred, cap_permitted);
	__builtin_memcpy(&x->cap_permitted, &c, sizeof(__u64));
	c = BPF_CORE_READ(cred, cap_effective);
	__builtin_memcpy(&x->cap_effective, &c, sizeof(__u64));
	x->start_boot_ns = BPF_CORE_READ(p, start_boottime);
	x->loginuid = BPF_CORE_READ(p, loginuid.val);
	struct signal_struct *sig = BPF_CORE_READ(p, signal);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		/* Falco's proc.tty: new_encode_dev(MKDEV(major, minor_start) + index), the tty_nr of /proc/<pid>/stat
		 * (34816 = /dev/pts/0), not the kernel-internal dev_t (major << 20 | minor). */
		__u32 major = BPF_CORE_READ(tty, driver, major) & 0xfff;
		__u32 minor = (BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index)) & 0xfffff;
		x->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	x->sid = sched_process__pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), 0);
	x->pgid = sched_process__pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]), 0);
	x->vpgid = sched_process__pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]), 1);
	x->vtid = sched_process__pid_nr(BPF_CORE_READ(p, thread_pid), 1);
	x->vpid = sched_process__pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_TGID]), 1);
	sched_process__exe_info(p, x);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process__exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (BPF_CORE_READ(p, flags) & PG_PF_KTHREAD)
		return 0;
	if (pg__ignored(bpf_get_current_pid_tgid()))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	int at = BPF_CORE_READ(regs, orig_ax) == PG_NR_EXECVEAT;
	struct pg_buf *b = pg__begin(at ? PG_TYPE_EXECVEAT : PG_TYPE_EXECVE, 0, p);
	if (!b)
		return 0;
	__u32 off = pg__put_u64(b, 0, 0, 0);
	if (at) {
		off = pg__put_u64(b, off, 1, BPF_CORE_READ(regs, di));
		off = pg__put_u64(b, off, 3, BPF_CORE_READ(regs, r8));
	}
	/* argv as one NUL-separated blob; user space splits exe (argv[0]) from args. */
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	if (end > start)
		off = pg__put_bytes(b, off, at ? 5 : 2, (const void *)start,
				    end - start > PG_MAX_ARGS_BYTES ? PG_MAX_ARGS_BYTES : (__u32)(end - start), 1);
	off = pg__put_str(b, off, at ? 6 : 3, BPF_CORE_READ(bprm, filename), 0);
	/* The environment (NUL-separated), in the room left after the slots that follow it (exec info and the
	 * cgroup path, at most PG_CGROUP_DEPTH names of 255 bytes plus their '/'), so it never makes the record
	 * oversize; user space leaves out a variable cut short. Payloads go in slot order, hence here. */
	unsigned long env_start = BPF_CORE_READ(mm, env_start), env_end = BPF_CORE_READ(mm, env_end);
	__u32 used = sizeof(struct pg_event_header) + off + sizeof(struct pg_exec_info) + PG_CGROUP_DEPTH * 256;
	if (env_end > env_start && used < PG_MAX_EVENT_SIZE - 1) {
		__u64 len = env_end - env_start;
		__u32 room = PG_MAX_EVENT_SIZE - 1 - used;
		if (len > PG_MAX_ENV_BYTES)
			len = PG_MAX_ENV_BYTES;
		if (len > room)
			len = room;
		/* clang drops pg__put_bytes' mask of off as redundant after the room check; the verifier needs one. */
		asm volatile("%[o] &= 0x3fff" : [o] "+r"(off));  /* == PG_PAYLOAD_MASK */
		off = pg__put_bytes(b, off, at ? 7 : 4, (const void *)env_start, (__u32)len, 1);
	}
	if (off <= PG_MAX_EVENT_SIZE) {
		struct pg_exec_info *x = (void *)&b->data[off & PG_PAYLOAD_MASK];
		sched_process__exec_info(p, x);
		b->hdr.param_len[PG_SLOT_EXEC_INFO] = sizeof(*x);
		off += sizeof(*x);
	}
	off = sched_process__put_cgroup(b, off, p);
	pg__submit(b, off, PG_CAT_PROC);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process__fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(parent, flags) & PG_PF_KTHREAD)
		return 0;
	if (pg__ignored(bpf_get_current_pid_tgid()))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(parent);
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u16 type = PG_TYPE_CLONE;
	if (nr == PG_NR_CLONE3)
		type = PG_TYPE_CLONE3;
	else if (nr == PG_NR_FORK)
		type = PG_TYPE_FORK;
	else if (nr == PG_NR_VFORK)
		type = PG_TYPE_VFORK;
	struct pg_buf *b = pg__begin(type, 0, child);
	if (!b)
		return 0;
	if (b->hdr.tid != b->hdr.pid)
		b->hdr.flags |= PG_EVT_THREAD;
	__u32 off = pg__put_u64(b, 0, 0, 0);
	if (type == PG_TYPE_CLONE) {
		off = pg__put_u64(b, off, 1, BPF_CORE_READ(regs, di));
	} else if (type == PG_TYPE_CLONE3) {
		__u64 flags = 0;
		if (bpf_probe_read_user(&flags, sizeof(flags), (const void *)BPF_CORE_READ(regs, di)) == 0)
			off = pg__put_u64(b, off, 1, flags);
	}
	/* The child inherits its parent's fd bitmap only when user space will copy the parent's fd table too; a
	 * dropped fork leaves it without one (every bit set), so none of the fds user space finds later in
	 * /proc can have its close filtered. */
	if (pg__submit(b, off, PG_CAT_PROC) && child->pid == child->tgid)
		pg__fd_bits_fork(parent->group_leader, child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process__exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, flags) & PG_PF_KTHREAD)
		return 0;
	if (pg__ignored(bpf_get_current_pid_tgid()))
		return 0;
	int code = BPF_CORE_READ(p, exit_code);
	struct pg_buf *b = pg__begin(PG_TYPE_PROCEXIT, code, p);
	if (!b)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) == 0) {
		b->hdr.flags |= PG_EVT_GROUP_DEAD;
	}
	__u32 off = pg__put_u64(b, 0, 0, (__u64)code);
	off = pg__put_u64(b, off, 1, (__u64)((code >> 8) & 0xff));
	off = pg__put_u64(b, off, 2, (__u64)(code & 0x7f));
	off = pg__put_u64(b, off, 3, (code & 0x80) ? 1 : 0);
	pg__submit(b, off, PG_CAT_PROC);
	return 0;
}
