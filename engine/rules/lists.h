// List substitution as text, before a condition is parsed (Falco's resolve_list).
//
// A list name bounded by the start/end of the text or by one of ` \t\n\r(),=` is replaced by its items joined
// with ", " (blanks around the name are swallowed and one space is put on each side). An empty list also eats
// one adjacent comma. Quotes are NOT respected: a name inside a string literal is replaced too, as in Falco.
// Undefined list names are left alone, so `x in (foo)` compares with the literal "foo".
#pragma once

#include <string>
#include <vector>

#include "engine/rules/rule_items.h"

namespace peregrine::engine {

/// Lists with more items than this after expansion are rejected (LOAD_ERR_VALIDATE).
inline constexpr size_t kMaxListItems = 100'000;

/// Expands items that name an earlier list (marking that list used) and quotes items containing a space.
/// Returns the lists in definition order with their final items. Throws LoadError above kMaxListItems.
std::vector<ListInfo> resolve_list_items(std::vector<ListInfo>& lists);

/// Replaces every bounded occurrence of `list.name` in `cond`. Returns true if anything was replaced.
bool substitute_list(std::string& cond, const ListInfo& list);

/// Substituted conditions longer than this are rejected: textual substitution of lists whose items name later
/// lists can grow exponentially.
inline constexpr size_t kMaxConditionBytes = 1u << 20;

/// Applies every list in order; marks `used` on the originals (same index order as `resolved`). Returns false
/// (leaving `cond` partly substituted) if the text grows beyond kMaxConditionBytes.
bool substitute_lists(std::string& cond, const std::vector<ListInfo>& resolved, std::vector<ListInfo>& originals);

}  // namespace peregrine::engine
