// Symbolic names for syscall argument values, in both directions.
//
// The engine renders `evt.arg.flags`, `evt.arg.request`, `evt.arg.domain`, ... the way Falco prints them
// ("O_WRONLY|O_CREAT|O_TRUNC", "PTRACE_ATTACH", "AF_PACKET", mode "0644"), and the JSON event form lets people
// who write fixtures use the same text. Numeric values are the Linux x86_64 kernel ABI values that the sensor
// copies from syscall arguments (not Falco's PPM_* re-encodings).
//
// Text grammar accepted by from_text():
//   text  = item { "|" item }        (blanks around items are ignored)
//   item  = NAME | number            (NAME from the table; number decimal, 0x hex, or 0-prefixed octal)
// Rendering is lossless: bits or values that have no name are appended as hex ("CLONE_VM|0x11"), so
// from_text(to_text(v)) == v for every v.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/event_types.h"
#include "common/result.h"

namespace peregrine::flags {

enum class Table : uint8_t {
  kOpenFlags,   // open(2) flags; access mode rendered first, O_RDONLY when no access bits
  kSockDomain,  // AF_* (value)
  kSockType,    // SOCK_* type (value) plus SOCK_NONBLOCK / SOCK_CLOEXEC bits
  kPtraceReq,   // PTRACE_* (value)
  kCloneFlags,  // CLONE_* bits; the low byte (exit signal) is shown as hex when set
  kBpfCmd,      // BPF_* command (value)
  kNsType,      // CLONE_NEW* bits for setns/unshare (and the unshare-able CLONE_FILES/FS/SYSVSEM)
  kExeFlags,    // EXE_* facts about an exec'd file; Falco's own PPM_EXE_* bits (no kernel ABI exists for them)
};

/// The table that renders a parameter kind symbolically, or nullopt for plain numbers/strings.
std::optional<Table> table_for(ParamKind kind);

/// Falco-style text for `value`.
std::string to_text(Table table, uint64_t value);
/// The same, written into `out` (replacing its content): reuses out's capacity, for per-event rendering.
void to_text(Table table, uint64_t value, std::string& out);

/// The name of `value` in an enum table (kSockDomain, kPtraceReq, kBpfCmd); empty when it has none. The engine's
/// Falco renderings (engine/fields/falco_tables.cpp) take their enum names from here.
std::string_view name_of(Table table, uint64_t value);

/// Inverse of to_text; also accepts plain numbers. Errors name the unknown item.
Result<uint64_t> from_text(Table table, std::string_view text);

/// File mode as Falco prints it: octal with a leading zero ("0644", "0" for 0).
std::string mode_to_text(uint64_t mode);
/// Octal text ("0644" or "644"), or "0x"-prefixed hex.
Result<uint64_t> mode_from_text(std::string_view text);

/// "ENOENT" for -2 etc.; empty when res >= 0 or the errno has no name here.
std::string_view errno_name(int64_t res);

/// Parses a number in decimal, 0x hex, or 0-prefixed octal (the forms to_text emits for unnamed values).
std::optional<uint64_t> parse_number(std::string_view text);

}  // namespace peregrine::flags
