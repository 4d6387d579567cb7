// Per-event evaluation state: the event plus a lazily filled cache of extracted field values.
//
// Every extractor owns a slot id (from ExtractorPool); the first get() for an event extracts into the slot,
// later ones return the cached value. reset() only bumps a generation counter, so moving to the next event is
// O(1) and allocation-free; slot buffers keep their capacity.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/event.h"
#include "engine/fields/field.h"

namespace peregrine::engine {

class EvalContext {
 public:
  EvalContext() = default;
  explicit EvalContext(const Event& evt) { reset(evt); }

  /// Moves to a new event; previously extracted values become invalid.
  void reset(const Event& evt) {
    evt_ = &evt;
    ++generation_;
  }
  const Event& event() const { return *evt_; }
  uint64_t generation() const { return generation_; }

  /// The slot for `id`; grows the table the first time an id is seen (warm-up only).
  ExtractSlot& slot(uint32_t id) {
    if (id >= slots_.size()) grow(id);
    return *slots_[id];
  }

  /// A shared sub-condition's result for the current event (engine/filter/nodes.h): true and `v` set when kept.
  bool memo_get(uint32_t id, bool& v) const {
    if (id >= memo_.size() || memo_[id].generation != generation_) return false;
    v = memo_[id].value;
    return true;
  }
  void memo_put(uint32_t id, bool v) {
    if (id >= memo_.size()) [[unlikely]] grow_memo(id);  // warm-up only: the table keeps its size
    memo_[id] = Memo{generation_, v};
  }

 private:
  void grow(uint32_t id);
  void grow_memo(uint32_t id);  // out of line: keeps the memo checks small enough to inline cheaply
  struct Memo {
    uint64_t generation = 0;  // generations start at 1 (reset), so a fresh entry never matches
    bool value = false;
  };

  const Event* evt_ = nullptr;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<ExtractSlot>> slots_;  // pointers: slots stay put while the table grows
  std::vector<Memo> memo_;
};

inline const ExtractedValue& Extractor::get(EvalContext& ctx) const {
  ExtractSlot& s = ctx.slot(slot_id_);
  if (s.generation != ctx.generation() || s.owner != this) {
    s.value.reset();
    s.clear_lists();
    extract(ctx, s);
    s.generation = ctx.generation();
    s.owner = this;
  }
  return s.value;
}

}  // namespace peregrine::engine
