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
    if (id >= memo_.size()) return false;
    const uint64_t m = memo_[id];
    if ((m >> 1) != generation_) return false;
    v = (m & 1) != 0;
    return true;
  }
  void memo_put(uint32_t id, bool v) {
    if (id >= memo_.size()) [[unlikely]] grow_memo(id);  // warm-up only: the table keeps its size
    memo_[id] = (generation_ << 1) | (v ? 1 : 0);
  }

 private:
  void grow(uint32_t id);
  void grow_memo(uint32_t id);  // out of line: keeps the memo checks small enough to inline cheaply

  const Event* evt_ = nullptr;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<ExtractSlot>> slots_;  // pointers: slots stay put while the table grows
  // One word per memo slot: the generation it was computed for (shifted left by one) and the result in bit 0.
  // Generations start at 1 (reset), so a fresh entry (0) never matches.
  std::vector<uint64_t> memo_;
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
