// Which syscall feeds which event type, and how the kernel side fills each parameter slot.
//
// Why a table in user space: the BPF dispatcher is generic. For each event type it reads a "recipe" (per slot:
// return value, argument register, user string, socket tuple, ...) from a map that this table fills at load
// time. Adding a syscall is one row here plus its EventSpec in common/event_types.h, no BPF change. The row's
// slot order is the EventSpec parameter order, so the decoder needs no per-syscall code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bpf/event_layout.h"
#include "common/event_types.h"

namespace peregrine::sensor {

struct SyscallRow {
  EventType type;
  int nr;                  // x86_64 syscall number, -1 for events without a syscall (procexit)
  pg_recipe recipe;
  bool state;              // part of the state set: always traced, whatever the engine selects
};

/// Every syscall event type the sensor supports (one row per EventType with a syscall).
std::span<const SyscallRow> syscall_rows();

/// The row for a type, or nullptr if the sensor cannot produce it.
const SyscallRow* syscall_row(EventType t);

/// All event types the sensor can produce (syscall rows plus procexit), for "select all".
std::vector<EventType> supported_event_types();

/// True for the state set (clone*, fork, vfork, execve*, procexit, close, dup*, set*id, chdir, fchdir, chroot,
/// prctl, capset, socket, bind, getsockopt, setsid, setpgid, memfd_create).
bool is_state_type(EventType t);

}  // namespace peregrine::sensor
