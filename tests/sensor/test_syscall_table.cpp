#include <doctest/doctest.h>

#include <set>

#include "sensor/syscall_table.h"

using namespace peregrine;
using namespace peregrine::sensor;

TEST_CASE("every recipe matches its EventSpec: slot count and kinds") {
  for (const auto& row : syscall_rows()) {
    const auto& spec = event_spec(row.type);
    CAPTURE(spec.name);
    CHECK(row.recipe.nparams == spec.nparams);
    for (uint8_t i = 0; i < row.recipe.nparams; ++i) {
      CAPTURE(i);
      const auto kind = spec.params[i].kind;
      const bool text = kind == ParamKind::kPath || kind == ParamKind::kStr;
      switch (row.recipe.kind[i]) {
        case PG_P_ARG_STR:
        case PG_P_PRCTL_STR:
          CHECK(text);
          break;
        case PG_P_SOCK_ARG_FD:
        case PG_P_SOCK_RES_FD:
        case PG_P_SOCKADDR:
          CHECK(kind == ParamKind::kSockAddr);
          break;
        case PG_P_DATA:
          CHECK(kind == ParamKind::kBytes);
          break;
        case PG_P_NONE:
          break;
        default:  // numbers
          CHECK_FALSE(text);
          CHECK(kind != ParamKind::kSockAddr);
          CHECK(kind != ParamKind::kBytes);
      }
      CHECK(row.recipe.arg[i] < 6);
      CHECK(row.recipe.arg2[i] < 6);
    }
  }
}

TEST_CASE("syscall numbers and types are unique and fit the BPF tables") {
  std::set<int> nrs;
  std::set<EventType> types;
  for (const auto& row : syscall_rows()) {
    CHECK(row.nr >= 0);
    CHECK(row.nr < PG_SYSCALL_TABLE_SIZE);
    CHECK(nrs.insert(row.nr).second);
    CHECK(types.insert(row.type).second);
    CHECK(static_cast<int>(row.type) < PG_EVENT_TYPE_MAX);
  }
}

TEST_CASE("every evt.type of the upstream syscall rules is supported") {
  const char* names[] = {"accept", "accept4", "bpf", "chmod", "connect", "creat", "dup", "dup2", "dup3", "execve",
                         "execveat", "fchmod", "fchmodat", "finit_module", "init_module", "link", "linkat", "listen",
                         "mkdir", "mkdirat", "open", "openat", "openat2", "ptrace", "recvfrom", "recvmsg", "rename",
                         "renameat", "renameat2", "rmdir", "sendmsg", "sendto", "setns", "setuid", "socket",
                         "symlink", "symlinkat", "unlink", "unlinkat", "unshare", "userfaultfd"};
  CHECK(std::size(names) == 41);
  for (const char* n : names) {
    CAPTURE(n);
    auto t = event_type_from_name(n);
    REQUIRE(t.has_value());
    CHECK(syscall_row(*t) != nullptr);
  }
}

TEST_CASE("the state set is always traced") {
  const char* state[] = {"clone", "clone3", "fork", "vfork", "execve", "execveat", "procexit", "close", "dup", "dup2",
                         "dup3", "setuid", "setgid", "setresuid", "setresgid", "chdir", "fchdir", "chroot", "prctl",
                         "capset", "socket", "bind", "getsockopt", "setsid", "setpgid", "memfd_create"};
  for (const char* n : state) {
    CAPTURE(n);
    auto t = event_type_from_name(n);
    REQUIRE(t.has_value());
    CHECK(is_state_type(*t));
  }
  CHECK_FALSE(is_state_type(EventType::kOpenat));
  CHECK_FALSE(is_state_type(EventType::kConnect));
  auto all = supported_event_types();
  CHECK(all.size() == syscall_rows().size() + 1);
}

TEST_CASE("exec and clone success come from sched hooks: sys_exit reports failures only") {
  for (auto t : {EventType::kExecve, EventType::kExecveat, EventType::kClone, EventType::kClone3, EventType::kFork,
                 EventType::kVfork}) {
    REQUIRE(syscall_row(t) != nullptr);
    CHECK((syscall_row(t)->recipe.flags & PG_RF_ONLY_FAILURE) != 0);
  }
  CHECK((syscall_row(EventType::kOpenat)->recipe.flags & PG_RF_TOCTOU) != 0);
}

TEST_CASE("exec slots written by the BPF exec hook (bpf/sched_process.bpf.c) match the EventSpec") {
  CHECK(param_index(EventType::kExecve, "args") == 2);
  CHECK(param_index(EventType::kExecve, "filename") == 3);
  CHECK(param_index(EventType::kExecve, "env") == 4);
  CHECK(param_index(EventType::kExecveat, "dirfd") == 1);
  CHECK(param_index(EventType::kExecveat, "flags") == 3);
  CHECK(param_index(EventType::kExecveat, "args") == 5);
  CHECK(param_index(EventType::kExecveat, "filename") == 6);
  CHECK(param_index(EventType::kExecveat, "env") == 7);
}
