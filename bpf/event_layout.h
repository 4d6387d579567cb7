/* Kernel <-> user event layout of the Peregrine sensor.
 *
 * Included by the BPF programs (C, with vmlinux.h) and by the user-space sensor (C++, with <linux/types.h>).
 * Every struct here is made of fixed-size fields with explicit padding so both compilers agree on the layout;
 * sensor/event_layout_check.cpp pins sizes and offsets with static_assert.
 *
 * One ring-buffer record = struct pg_event_header, then the parameter payload: the parameters of
 * the event type (peregrine::EventType, common/event_types.h) packed back to back in slot order, each
 * `param_len[i]` bytes long (PG_PARAM_ABSENT = could not be read). Numeric parameters are 8 bytes (u64/s64,
 * little endian); strings and paths carry no terminating NUL; socket tuples are struct pg_sock_tuple.
 * Exec events put struct pg_exec_info in slot PG_SLOT_EXEC_INFO and the cgroup path in PG_SLOT_CGROUP.
 */
#ifndef PEREGRINE_BPF_EVENT_LAYOUT_H
#define PEREGRINE_BPF_EVENT_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PG_LAYOUT_VERSION 1

#define PG_MAX_SLOTS 10          /* 8 event parameters + 2 extension slots */
#define PG_SLOT_EXEC_INFO 8      /* exec events: struct pg_exec_info */
#define PG_SLOT_CGROUP 9         /* exec / fork events: cgroup v2 path of the task */
#define PG_PARAM_ABSENT 0xffff

#define PG_SYSCALL_TABLE_SIZE 512  /* x86_64 syscall numbers we index (wanted map size) */
#define PG_EVENT_TYPE_MAX 128      /* EventType values we index (recipe map size) */

#define PG_MAX_STR 4096          /* one user/kernel string read */
#define PG_MAX_ARGS_BYTES 4096   /* argv bytes captured at exec */
#define PG_MAX_ENV_BYTES 4096    /* environment bytes captured at exec (less when the record has no room) */
#define PG_MAX_DATA 128          /* I/O data snapshot (sendto/recvfrom ...) */
#define PG_PAYLOAD_MASK 0x3fff   /* payload offsets are masked to 16 KiB for the verifier */
#define PG_SCRATCH_SIZE 24576    /* header + masked offset + one max read always fits */
#define PG_MAX_EVENT_SIZE 16384  /* larger events are dropped and counted as oversize */

/* How one parameter slot is filled (struct pg_recipe). Written by user space from the C++ event table. */
enum pg_param_kind {
	PG_P_NONE = 0,        /* leave absent */
	PG_P_RES = 1,         /* syscall return value */
	PG_P_ARG = 2,         /* syscall argument register `arg` as a number */
	PG_P_ARG_STR = 3,     /* user string at pointer argument `arg` */
	PG_P_SOCK_ARG_FD = 4, /* socket tuple of the fd in argument `arg` (user sockaddr in `arg2` as fallback) */
	PG_P_SOCK_RES_FD = 5, /* socket tuple of the fd returned by the syscall (accept) */
	PG_P_SOCKADDR = 6,    /* raw user sockaddr at pointer argument `arg`, length in argument `arg2` */
	PG_P_USER_U64 = 7,    /* u64 read at user pointer argument `arg` (clone3 flags) */
	PG_P_DATA = 8,        /* user buffer at argument `arg`, min(res, PG_MAX_DATA) bytes */
	PG_P_CAP = 9,         /* capability set `arg` of the current task (0 inh, 1 perm, 2 eff) */
	PG_P_PRCTL_STR = 10,  /* user string at argument `arg` when option (arg0) is PR_SET_NAME */
	PG_P_FD_DEV = 11,     /* dev of the file behind the fd returned by the syscall */
	PG_P_FD_INO = 12,     /* inode number of the file behind the fd returned by the syscall */
};

struct pg_recipe {
	__u8 kind[8];
	__u8 arg[8];
	__u8 arg2[8];
	__u8 nparams;
	__u8 category;  /* enum pg_drop_category for ring-full accounting */
	__u8 flags;     /* PG_RF_* */
	__u8 pad[5];
};

#define PG_RF_ONLY_FAILURE 0x1  /* success is reported by a sched_* hook (exec, fork) */
#define PG_RF_TOCTOU 0x2        /* slot 1..2 path may come from the syscall-entry stash */
#define PG_RF_NEW_FD 0x4        /* a result >= 0 is a new fd user space will remember (close filter) */

/* EventType values the BPF side needs by number: the sched_* hooks emit these, the open filter judges the open
 * family (checked against common/event_types.h in sensor/event_layout_check.cpp). */
#define PG_TYPE_OPEN 1
#define PG_TYPE_OPENAT 2
#define PG_TYPE_OPENAT2 3
#define PG_TYPE_CREAT 4
#define PG_TYPE_CLOSE 12
#define PG_TYPE_EXECVE 5
#define PG_TYPE_EXECVEAT 6
#define PG_TYPE_CLONE 7
#define PG_TYPE_CLONE3 8
#define PG_TYPE_FORK 9
#define PG_TYPE_VFORK 10
#define PG_TYPE_PROCEXIT 11

/* Sensor-wide switches (array map `pg_settings`, one slot). */
#define PG_MAX_IGNORED_TIDS 8
struct pg_settings {
	__u32 ignore_tgid;      /* never report this process (the sensor itself); 0 = none */
	__u32 enter_hook;       /* 1 = syscall-entry stash of open* paths is active */
	__u32 ignore_tids[PG_MAX_IGNORED_TIDS];  /* the sensor's own threads when it shares a process (tests) */
	/* The open filter (common/open_filter.h): one bit per term. 0 = report every open. */
	__u8 open_filter_active;
	__u8 open_terms_all;       /* every term */
	__u8 open_terms_read;      /* terms that also accept opens not for writing */
	__u8 open_terms_any_path;  /* terms without a path constraint */
	__u8 close_filter_active;  /* 1 = report only closes of fds user space knows (bpf/fd_bits.bpf.h) */
	__u8 pad[3];
	__u32 cpus_per_ring;       /* ring of a CPU = cpu / cpus_per_ring in `pg_rings`; 0 = ring 0 for all */
};

/* Key of the open filter's path trie (LPM_TRIE `pg_open_paths`): prefixlen in bits, then the path. A prefix
 * entry is the path's bytes; an exact entry ends with its NUL. The value is the mask of terms whose paths
 * include this entry or a shorter prefix of it (user space folds those in, so one lookup answers). */
#define PG_PATH_KEY_BYTES 256
struct pg_path_key {
	__u32 prefixlen;
	__u8 path[PG_PATH_KEY_BYTES];
};

/* Per-CPU counters (array map `pg_counters`, one slot). */
enum pg_drop_category {
	PG_CAT_OTHER = 0,
	PG_CAT_PROC = 1,     /* clone / fork / exec / exit: losing these corrupts the process table */
	PG_CAT_FILE = 2,     /* open* and path syscalls */
	PG_CAT_NET = 3,      /* socket syscalls */
	PG_CAT_CLOSE = 4,    /* close / dup: losing these corrupts the fd table */
	PG_CAT_COUNT = 5,
};

struct pg_counters {
	__u64 events;                      /* events attempted (drops included) */
	__u64 drops_ring_full[PG_CAT_COUNT];
	__u64 drops_oversize;
	__u64 drops_scratch;               /* scratch buffer unavailable */
	__u64 filtered;                    /* opens dropped by the open filter (no rule could match them) */
	__u64 filtered_close;              /* closes of fds user space never learnt about (not drops) */
};

/* Socket endpoint pair read from the kernel's struct sock (or a user sockaddr). */
struct pg_sock_tuple {
	__u16 family;      /* AF_INET, AF_INET6, AF_UNIX, ... */
	__u8 l4proto;      /* IPPROTO_TCP / UDP / ..., 0 unknown */
	__u8 connected;
	__u16 lport;       /* host byte order */
	__u16 rport;
	__u8 laddr[16];    /* IPv4 in the first 4 bytes (network order) */
	__u8 raddr[16];
};

/* Process record captured at successful exec (sched_process_exec). */
struct pg_exec_info {
	__u64 start_boot_ns;   /* task start time, boot clock */
	__u64 cap_inheritable;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 exe_ino;
	__u64 exe_ctime_ns;    /* epoch ns */
	__u64 exe_mtime_ns;
	__u32 loginuid;
	__u32 tty;             /* tty_nr as in /proc/<pid>/stat (new_encode_dev); 0 = none */
	__u32 sid;
	__u32 pgid;
	__u32 vtid;
	__u32 vpid;
	__u32 vpgid;
	__u32 flags;           /* PG_EXE_* */
};

#define PG_EXE_FROM_MEMFD 0x1
#define PG_EXE_UPPER_LAYER 0x2
#define PG_EXE_WRITABLE 0x4
#define PG_EXE_LOWER_LAYER 0x8   /* on overlayfs, not copied up: the image's lower layer */

/* Header of every ring-buffer record. */
struct pg_event_header {
	__u64 ts_boot_ns;      /* bpf_ktime_get_boot_ns(); user space adds the boot epoch */
	__s64 res;             /* syscall return value (procexit: exit code) */
	__u32 len;             /* total record length, header included */
	__u16 type;            /* peregrine::EventType */
	__u16 cpu;
	__u32 tid;             /* host thread id */
	__u32 pid;             /* host thread-group id */
	__u32 ppid;            /* host tgid of the real parent */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 flags;           /* PG_EVT_* */
	char comm[16];
	__u16 param_len[PG_MAX_SLOTS];
	__u8 pad[8];
};

#define PG_EVT_THREAD 0x1       /* fork event created a thread (CLONE_THREAD) */
#define PG_EVT_GROUP_DEAD 0x2   /* procexit: the last thread of the process exited */
#define PG_EVT_FROM_ENTER 0x4   /* a path / address was captured at syscall entry (TOCTOU-safe) */

#endif /* PEREGRINE_BPF_EVENT_LAYOUT_H */
