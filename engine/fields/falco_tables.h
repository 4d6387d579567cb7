// Falco's name tables for flag parameters (libs driver/flags_table.c), in Falco's order and with Falco's PPM_*
// values, plus the conversions from the Linux x86_64 values the sensor sends to those PPM values. Enum names that
// common/flags.h already has (socket families, ptrace requests, bpf commands) are taken from there.
//
// Why Falco's own values and order: libsinsp prints a flags parameter as "<ppm value>(<names>)" in evt.args
// and the names alone in evt.arg.NAME, walking its table in order (so O_WRONLY|O_CREAT|O_TRUNC prints as
// "O_TRUNC|O_CREAT|O_WRONLY" and AF_UNIX as "AF_LOCAL"). Rules and outputs written against Falco see those
// strings; reproducing them needs the tables exactly as Falco has them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace peregrine::engine::fields::falco {

struct NameValue {
  std::string_view name;
  uint64_t value;  // Falco's PPM value
};

/// One of Falco's tables: `exact` for PT_ENUMFLAGS* (one name for the whole value), else PT_FLAGS*/PT_MODE.
struct NameTable {
  std::span<const NameValue> entries;
  bool exact = false;
  /// Linux value as the sensor sends it -> Falco's PPM value (identity where Falco keeps the kernel's values).
  uint64_t (*to_ppm)(uint64_t) = nullptr;
  /// For enums named by common/flags.h: the name of a Linux value (then `entries` is empty).
  std::string_view (*enum_name)(uint64_t) = nullptr;
};

enum class Table : uint8_t {
  kNone,
  kFileFlags,       // open/openat/openat2/creat flags
  kDupFlags,        // dup3 and userfaultfd flags: Falco's file_flags table, O_CLOEXEC/O_NONBLOCK only
  kCloneFlags,      // clone/clone3 flags, setns nstype, unshare flags
  kSocketFamilies,  // socket domain
  kPtraceRequests,
  kChmodMode,       // chmod/fchmod/fchmodat mode (PT_MODE)
  kUnlinkatFlags,
  kLinkatFlags,
  kRenameat2Flags,
  kOpenat2Resolve,
  kExecveatFlags,
  kMemfdFlags,
  kFinitModuleFlags,
  kBpfCommands,
  kPrctlOptions,
  kSockoptLevels,
  kSockoptOptions,
};

const NameTable& table(Table t);

/// Falco's resolved text for `linux_value` (converted with to_ppm) with libsinsp's walk over `t`: names joined by
/// '|'. Empty when nothing matches (then only the number is shown).
void names(const NameTable& t, uint64_t linux_value, std::string& out);

/// Signal name for PT_SIGTYPE ("SIGKILL"), empty when unknown.
std::string_view signal_name(uint64_t sig);

}  // namespace peregrine::engine::fields::falco
