// Compile-time check of the kernel <-> user event layout (bpf/event_layout.h). clang (BPF) and g++ must agree
// on every size and offset; a change on one side that the other does not follow fails the build here.
#include <cstddef>

#include "bpf/event_layout.h"
#include "common/event_types.h"
#include "common/open_filter.h"

namespace peregrine::sensor {

static_assert(sizeof(pg_event_header) == 104);
static_assert(offsetof(pg_event_header, ts_boot_ns) == 0);
static_assert(offsetof(pg_event_header, res) == 8);
static_assert(offsetof(pg_event_header, len) == 16);
static_assert(offsetof(pg_event_header, type) == 20);
static_assert(offsetof(pg_event_header, cpu) == 22);
static_assert(offsetof(pg_event_header, tid) == 24);
static_assert(offsetof(pg_event_header, pid) == 28);
static_assert(offsetof(pg_event_header, ppid) == 32);
static_assert(offsetof(pg_event_header, uid) == 36);
static_assert(offsetof(pg_event_header, egid) == 48);
static_assert(offsetof(pg_event_header, flags) == 52);
static_assert(offsetof(pg_event_header, comm) == 56);
static_assert(offsetof(pg_event_header, param_len) == 72);
static_assert(sizeof(pg_event_header::param_len) == 2 * PG_MAX_SLOTS);

static_assert(sizeof(pg_sock_tuple) == 40);
static_assert(offsetof(pg_sock_tuple, lport) == 4);
static_assert(offsetof(pg_sock_tuple, laddr) == 8);
static_assert(offsetof(pg_sock_tuple, raddr) == 24);

static_assert(sizeof(pg_exec_info) == 88);
static_assert(offsetof(pg_exec_info, exe_ino) == 32);
static_assert(offsetof(pg_exec_info, loginuid) == 56);
static_assert(offsetof(pg_exec_info, flags) == 84);

static_assert(sizeof(pg_recipe) == 32);
static_assert(offsetof(pg_recipe, nparams) == 24);
static_assert(sizeof(pg_counters) == 8 * (5 + PG_CAT_COUNT));
static_assert(sizeof(pg_settings) == 20 + 4 * PG_MAX_IGNORED_TIDS);
static_assert(offsetof(pg_settings, open_filter_active) == 8 + 4 * PG_MAX_IGNORED_TIDS);
static_assert(sizeof(pg_path_key) == 4 + PG_PATH_KEY_BYTES);
static_assert(kOpenFilterMaxTerms <= 8, "one bit per term in a __u8 mask");
static_assert(kOpenFilterMaxJudged + 2 == PG_PATH_KEY_BYTES, "paths the kernel judges fit the key with their NUL");

// The event types the BPF side knows by number.
static_assert(PG_TYPE_OPEN == static_cast<int>(EventType::kOpen));
static_assert(PG_TYPE_OPENAT == static_cast<int>(EventType::kOpenat));
static_assert(PG_TYPE_OPENAT2 == static_cast<int>(EventType::kOpenat2));
static_assert(PG_TYPE_CREAT == static_cast<int>(EventType::kCreat));
static_assert(PG_TYPE_CLOSE == static_cast<int>(EventType::kClose));
static_assert(PG_TYPE_EXECVE == static_cast<int>(EventType::kExecve));
static_assert(PG_TYPE_EXECVEAT == static_cast<int>(EventType::kExecveat));
static_assert(PG_TYPE_CLONE == static_cast<int>(EventType::kClone));
static_assert(PG_TYPE_CLONE3 == static_cast<int>(EventType::kClone3));
static_assert(PG_TYPE_FORK == static_cast<int>(EventType::kFork));
static_assert(PG_TYPE_VFORK == static_cast<int>(EventType::kVfork));
static_assert(PG_TYPE_PROCEXIT == static_cast<int>(EventType::kProcexit));
static_assert(static_cast<int>(EventType::kCount) <= PG_EVENT_TYPE_MAX);
static_assert(kMaxParams == 8 && PG_SLOT_EXEC_INFO == 8, "slots 0..7 are the EventSpec parameters");

}  // namespace peregrine::sensor
