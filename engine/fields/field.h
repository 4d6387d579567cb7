// The field-extractor interface: what a field is (FieldInfo) and how its value is pulled out of an Event
// (Extractor). Interface only; each family (evt, proc, thread, fd, user, container, k8saudit) implements it
// in its own .cpp and registers explicitly in register_builtin_fields().
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.h"
#include "common/result.h"

namespace peregrine::engine {

/// Value type of a field, as Falco's PT_* types relevant to rules.
enum class FieldType : uint8_t {
  kString,    // text (PT_CHARBUF / PT_FSPATH)
  kInt64,
  kUint64,
  kBool,
  kIpAddr,    // one IPv4/IPv6 address
  kIpNet,     // an address compared against CIDR networks (fd.net ...)
  kPort,      // uint16 port
  kBytes,     // raw buffer (bcontains / bstartswith)
  kRelTime,   // duration in ns
  kAbsTime,   // epoch ns
  kFlags,     // flags rendered as text, compared as text
};

std::string_view field_type_name(FieldType t);

/// Capability flags (libs EPF_*).
enum FieldFlag : uint32_t {
  kFieldArgRequired = 1u << 0,   // proc.env needs no arg, proc.aname allows one, evt.arg requires one
  kFieldArgAllowed = 1u << 1,
  kFieldArgIndex = 1u << 2,      // argument is a number (proc.aname[2])
  kFieldArgKey = 1u << 3,        // argument is a key (proc.env[HOME], jevt.value[/ptr])
  kFieldNoRhs = 1u << 4,         // cannot be used inside val()
  kFieldNoTransformer = 1u << 5, // cannot be wrapped by a transformer
  kFieldIsList = 1u << 6,        // extracts several values: only in / intersects / exists
  kFieldDeprecated = 1u << 7,    // LOAD_DEPRECATED_ITEM warning
  kFieldDotSuffix = 1u << 8,     // "evt.arg.NAME": the text after the name is the argument
  kFieldAnyWithoutArg = 1u << 9, // proc.aname: without argument the check matches if any ancestor matches
};

/// An IPv4 (first 4 bytes) or IPv6 address.
struct IpAddr {
  uint8_t family = 0;  // 2 = AF_INET, 10 = AF_INET6
  std::array<uint8_t, 16> bytes{};
};

/// One extracted value. Views point into the Event or into the extractor's slot; both stay valid until the
/// EvalContext moves to another event.
struct ExtractedValue {
  bool present = false;
  std::string_view str;                   // kString, kBytes, kFlags
  uint64_t num = 0;                       // integers (int64 as two's complement), bool 0/1, port, times
  IpAddr ip;                              // kIpAddr, kIpNet
  std::span<const std::string_view> list; // kFieldIsList fields and list-producing transformers
  // fd.ip / fd.port / fd.net: "client or server" — a check matches if it matches either value.
  bool either = false;
  uint64_t num2 = 0;
  IpAddr ip2;

  /// Back to "no value" before an extraction. Cheaper than assigning a fresh value (this runs for every field
  /// extracted): the addresses' bytes and num2 are not cleared, because every extractor that reports an address
  /// assigns the whole IpAddr, and num2/ip2 are read only when `either` is set.
  void reset() {
    present = false;
    str = {};
    num = 0;
    ip.family = 0;
    list = {};
    either = false;
  }
};

/// Per-event scratch owned by the EvalContext for one extractor. Buffers keep their capacity across events,
/// so the steady state allocates nothing.
struct ExtractSlot {
  uint64_t generation = 0;       // EvalContext generation the value belongs to
  const void* owner = nullptr;   // extractor that filled it (slots are shared by id; the owner check is the guard)
  ExtractedValue value;
  std::string buf;
  std::deque<std::string> strs;  // list storage (entries reused; see nstrs); a deque so views stay valid as it grows
  size_t nstrs = 0;
  std::vector<std::string_view> views;
  /// What `buf` holds when an extractor left a reusable text there (evt.arg of a table-rendered parameter: the
  /// same number gives the same text): the writer's argument, the event type, the parameter and its number.
  /// Valid only while `owner` is still that extractor (another one may have used the slot since).
  struct TextKey {
    const void* writer = nullptr;
    EventType type = EventType::kUnknown;
    size_t idx = 0;
    uint64_t num = 0;
  } text_key;
  /// Appends an owned string to the list storage and returns a reference to it, reusing capacity.
  std::string& next_str() {
    if (nstrs == strs.size()) strs.emplace_back();
    std::string& s = strs[nstrs++];
    s.clear();
    return s;
  }
  void clear_lists() { nstrs = 0; views.clear(); }
};

class EvalContext;

/// Extracts one field (with its argument resolved at compile time) from the current event.
class Extractor {
 public:
  Extractor(FieldType type, bool is_list) : type_(type), is_list_(is_list) {}
  virtual ~Extractor() = default;
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  FieldType type() const { return type_; }
  bool is_list() const { return is_list_; }

  /// The value for ctx's current event, extracted at most once per event (cached in ctx's slot).
  const ExtractedValue& get(EvalContext& ctx) const;

  /// Fills slot.value (present=false when the event has no value). Never throws, allocates only to grow buffers.
  virtual void extract(EvalContext& ctx, ExtractSlot& slot) const = 0;

  /// True for "any element" fields (proc.aname without argument): every operator is applied per element of
  /// value.list and the check matches if any element matches.
  virtual bool match_any() const { return false; }

  /// Cache slot id; assigned by ExtractorPool.
  uint32_t slot_id() const { return slot_id_; }
  void set_slot_id(uint32_t id) { slot_id_ = id; }

 private:
  FieldType type_;
  bool is_list_;
  uint32_t slot_id_ = 0;
};

/// What the compiler asks a family factory for: field `info` with its argument.
struct FieldRequest {
  std::string_view name;   // as written, e.g. "evt.arg.flags"
  bool has_arg = false;
  std::string arg;         // [..] text, or the suffix for kFieldDotSuffix fields
};

struct FieldInfo;
/// Creates the extractor for a request; an Error for a bad argument ("... requires an argument").
using ExtractorFactory = Result<std::unique_ptr<Extractor>> (*)(const FieldInfo&, const FieldRequest&);

/// Static description of one field.
struct FieldInfo {
  std::string name;          // "proc.name"
  FieldType type = FieldType::kString;
  uint32_t flags = 0;        // FieldFlag bits
  std::string description;
  EventSource source = EventSource::kSyscall;
  int id = 0;                // family-private selector passed back to the factory
  ExtractorFactory factory = nullptr;

  bool has(FieldFlag f) const { return (flags & f) != 0; }
};

}  // namespace peregrine::engine
