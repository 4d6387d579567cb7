// Internal helpers shared by the field families: a table-driven extractor and value setters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/fields/eval_context.h"
#include "engine/fields/field.h"
#include "engine/fields/registry.h"

namespace peregrine::engine::fields {

/// Compile-time resolved argument of a field.
struct FieldArg {
  bool has = false;
  int64_t index = -1;     // kFieldArgIndex
  std::string key;        // kFieldArgKey / dot suffix
  std::array<int8_t, static_cast<size_t>(EventType::kCount)> param_index{};  // evt.arg.NAME per event type
  const Extractor* self = nullptr;  // the extractor holding this argument (compared with ExtractSlot::owner)
};

using ExtractFn = void (*)(const Event& evt, const FieldArg& arg, ExtractSlot& slot);

/// One row of a family table.
struct FieldDef {
  std::string_view name;
  FieldType type;
  uint32_t flags;
  std::string_view description;
  ExtractFn fn;
  /// Optional compile-time hook: completes `arg` (e.g. evt.arg.NAME → per-type parameter index) and returns
  /// the value type, which may depend on the argument (evt.rawarg.NAME).
  Result<FieldType> (*resolve)(FieldArg& arg) = nullptr;
};

class SimpleExtractor final : public Extractor {
 public:
  SimpleExtractor(FieldType type, bool is_list, ExtractFn fn, FieldArg arg, bool any = false)
      : Extractor(type, is_list), fn_(fn), arg_(std::move(arg)), any_(any) {
    arg_.self = this;
  }
  void extract(EvalContext& ctx, ExtractSlot& slot) const override { fn_(ctx.event(), arg_, slot); }
  bool match_any() const override { return any_; }

 private:
  ExtractFn fn_;
  FieldArg arg_;
  bool any_;
};

/// Registers every row of `defs` with the generic factory (arguments validated per flags).
void register_table(FieldRegistry& reg, std::span<const FieldDef> defs, EventSource source);

/// Parses the argument per the field's flags; errors like Falco ("proc.aname: wrong argument 'x'").
Result<FieldArg> parse_field_arg(const FieldInfo& info, const FieldRequest& req);

inline void set_str(ExtractSlot& s, std::string_view v) {
  s.value.present = true;
  s.value.str = v;
}
inline void set_buf(ExtractSlot& s) {
  s.value.present = true;
  s.value.str = s.buf;
}
inline void set_num(ExtractSlot& s, uint64_t v) {
  s.value.present = true;
  s.value.num = v;
}
inline void set_int(ExtractSlot& s, int64_t v) { set_num(s, static_cast<uint64_t>(v)); }
inline void set_bool(ExtractSlot& s, bool v) { set_num(s, v ? 1 : 0); }
/// Publishes slot.views as the list value.
inline void set_list(ExtractSlot& s) {
  s.value.present = true;
  s.value.list = std::span<const std::string_view>(s.views.data(), s.views.size());
}

/// Joins `parts` with `sep` into out (cleared first).
void join_into(std::string& out, const std::vector<std::string>& parts, char sep);

// Text renderings (engine/fields/render.cpp).
std::string_view errno_name(int64_t err);              // "ENOENT"; "" when unknown
void render_errno_result(int64_t res, std::string& out);  // "SUCCESS" / "ENOENT" / "-12345"
void render_caps(uint64_t caps, std::string& out);     // "CAP_CHOWN CAP_KILL"
std::string_view l4proto_name(uint8_t proto);
void render_ip(const IpAddr& ip, std::string& out);

}  // namespace peregrine::engine::fields
