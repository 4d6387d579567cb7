// Flag tables: Falco-style rendering and parsing in both directions.
#include <doctest/doctest.h>

#include <random>

#include "common/flags.h"

using namespace peregrine;
using flags::Table;

TEST_CASE("open flags render like Falco: access mode first, O_RDONLY when no access bits") {
  CHECK(flags::to_text(Table::kOpenFlags, 0) == "O_RDONLY");
  CHECK(flags::to_text(Table::kOpenFlags, 01 | 0100 | 01000) == "O_WRONLY|O_CREAT|O_TRUNC");
  CHECK(flags::to_text(Table::kOpenFlags, 02 | 02000000) == "O_RDWR|O_CLOEXEC");
  CHECK(flags::to_text(Table::kOpenFlags, 04010000) == "O_RDONLY|O_SYNC");         // O_SYNC includes O_DSYNC
  CHECK(flags::to_text(Table::kOpenFlags, 010000) == "O_RDONLY|O_DSYNC");
  CHECK(flags::to_text(Table::kOpenFlags, 020200000 | 2) == "O_RDWR|O_TMPFILE");
  CHECK(flags::to_text(Table::kOpenFlags, 0200000) == "O_RDONLY|O_DIRECTORY");
  CHECK(flags::to_text(Table::kOpenFlags, 3) == "0x3");
  CHECK(flags::to_text(Table::kOpenFlags, 0x100000000ull) == "O_RDONLY|0x100000000");
}

TEST_CASE("open flags parse from text, numbers and mixtures") {
  CHECK(*flags::from_text(Table::kOpenFlags, "O_WRONLY|O_CREAT|O_TRUNC") == (01 | 0100 | 01000));
  CHECK(*flags::from_text(Table::kOpenFlags, " O_RDONLY ") == 0);
  CHECK(*flags::from_text(Table::kOpenFlags, "O_RDWR | 0x80000") == (2 | 0x80000));
  CHECK(*flags::from_text(Table::kOpenFlags, "65") == 65);
  CHECK(*flags::from_text(Table::kOpenFlags, "0101") == 0101);
  auto bad = flags::from_text(Table::kOpenFlags, "O_WRONLY|O_BOGUS");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("O_BOGUS") != std::string::npos);
  CHECK_FALSE(flags::from_text(Table::kOpenFlags, "").ok());
  CHECK_FALSE(flags::from_text(Table::kOpenFlags, "O_RDONLY||O_CREAT").ok());
  CHECK_FALSE(flags::from_text(Table::kOpenFlags, "0x").ok());
  CHECK_FALSE(flags::from_text(Table::kOpenFlags, "99999999999999999999999").ok());
}

TEST_CASE("enum-valued tables: domains, socket types, ptrace requests, bpf commands") {
  CHECK(flags::to_text(Table::kSockDomain, 17) == "AF_PACKET");
  CHECK(flags::to_text(Table::kSockDomain, 10) == "AF_INET6");
  CHECK(flags::to_text(Table::kSockDomain, 200) == "0xc8");
  CHECK(*flags::from_text(Table::kSockDomain, "AF_INET") == 2);
  CHECK_FALSE(flags::from_text(Table::kSockDomain, "AF_INET|AF_UNIX").ok());
  CHECK(flags::to_text(Table::kSockType, 3) == "SOCK_RAW");
  CHECK(flags::to_text(Table::kSockType, 1 | 02000000 | 04000) == "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC");
  CHECK(*flags::from_text(Table::kSockType, "SOCK_DGRAM|SOCK_CLOEXEC") == (2 | 02000000));
  CHECK(flags::to_text(Table::kPtraceReq, 16) == "PTRACE_ATTACH");
  CHECK(flags::to_text(Table::kPtraceReq, 0) == "PTRACE_TRACEME");
  CHECK(flags::to_text(Table::kPtraceReq, 0x4206) == "PTRACE_SEIZE");
  CHECK(*flags::from_text(Table::kPtraceReq, "PTRACE_POKETEXT") == 4);
  CHECK(flags::to_text(Table::kBpfCmd, 5) == "BPF_PROG_LOAD");
  CHECK(*flags::from_text(Table::kBpfCmd, "BPF_MAP_CREATE") == 0);
}

TEST_CASE("clone and namespace flags") {
  CHECK(flags::to_text(Table::kCloneFlags, 0x10000000 | 0x20000000) == "CLONE_NEWUSER|CLONE_NEWPID");
  CHECK(flags::to_text(Table::kCloneFlags, 0x1200000 | 17) == "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11");
  CHECK(flags::to_text(Table::kCloneFlags, 0) == "0");
  CHECK(flags::to_text(Table::kNsType, 0x40000000) == "CLONE_NEWNET");
  CHECK(*flags::from_text(Table::kNsType, "CLONE_NEWNS|CLONE_NEWTIME") == (0x20000 | 0x80));
}

TEST_CASE("exec flags: Falco's EXE_* names for the PPM_EXE_* bits, joined by '|', 0 when none") {
  CHECK(flags::to_text(Table::kExeFlags, 0) == "0");
  CHECK(flags::to_text(Table::kExeFlags, 1) == "EXE_WRITABLE");
  CHECK(flags::to_text(Table::kExeFlags, 1 | 8) == "EXE_WRITABLE|EXE_LOWER_LAYER");
  CHECK(flags::to_text(Table::kExeFlags, 2 | 4) == "EXE_UPPER_LAYER|EXE_FROM_MEMFD");
  CHECK(*flags::from_text(Table::kExeFlags, "EXE_FROM_MEMFD|EXE_WRITABLE") == 5);
  std::string out = "stale text that must go";
  flags::to_text(Table::kExeFlags, 15, out);
  CHECK(out == "EXE_WRITABLE|EXE_UPPER_LAYER|EXE_FROM_MEMFD|EXE_LOWER_LAYER");
  flags::to_text(Table::kOpenFlags, 01 | 0100, out);  // the in-place form matches the returning one
  CHECK(out == flags::to_text(Table::kOpenFlags, 01 | 0100));
}

TEST_CASE("from_text inverts to_text for every table over many values") {
  std::mt19937_64 rng(42);
  for (Table t : {Table::kOpenFlags, Table::kSockDomain, Table::kSockType, Table::kPtraceReq, Table::kCloneFlags,
                  Table::kBpfCmd, Table::kNsType, Table::kExeFlags}) {
    for (int i = 0; i < 2000; ++i) {
      const uint64_t v = i < 64 ? static_cast<uint64_t>(i) : (i % 2 ? rng() : rng() & 0xffffffffu);
      const std::string text = flags::to_text(t, v);
      CAPTURE(text);
      auto back = flags::from_text(t, text);
      REQUIRE(back.ok());
      CHECK(*back == v);
    }
  }
}

TEST_CASE("mode renders octal with a leading zero and parses back") {
  CHECK(flags::mode_to_text(0644) == "0644");
  CHECK(flags::mode_to_text(04755) == "04755");
  CHECK(flags::mode_to_text(0) == "0");
  CHECK(*flags::mode_from_text("0644") == 0644);
  CHECK(*flags::mode_from_text("755") == 0755);
  CHECK(*flags::mode_from_text("0x1ff") == 0777);
  CHECK_FALSE(flags::mode_from_text("0689").ok());
  CHECK_FALSE(flags::mode_from_text("rwx").ok());
  CHECK_FALSE(flags::mode_from_text("").ok());
}

TEST_CASE("parameter kinds map to tables, and errno names") {
  CHECK(flags::table_for(ParamKind::kOpenFlags) == Table::kOpenFlags);
  CHECK(flags::table_for(ParamKind::kPtraceReq) == Table::kPtraceReq);
  CHECK(flags::table_for(ParamKind::kNsType) == Table::kNsType);
  CHECK_FALSE(flags::table_for(ParamKind::kPath).has_value());
  CHECK_FALSE(flags::table_for(ParamKind::kMode).has_value());
  CHECK(flags::errno_name(-2) == "ENOENT");
  CHECK(flags::errno_name(-13) == "EACCES");
  CHECK(flags::errno_name(0).empty());
  CHECK(flags::errno_name(3).empty());
  CHECK(flags::errno_name(-100000).empty());
  CHECK(flags::errno_name(INT64_MIN).empty());
}
