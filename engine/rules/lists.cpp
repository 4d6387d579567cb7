#include "engine/rules/lists.h"

#include <map>
#include <string_view>

#include "engine/rules/collector.h"
#include "engine/rules/exceptions.h"

namespace peregrine::engine {
namespace {

constexpr std::string_view kBlanks = " \t\n\r";
constexpr std::string_view kDelims = " \t\n\r(),=";

bool is_blank(char c) { return kBlanks.find(c) != std::string_view::npos; }
bool is_delim(char c) { return kDelims.find(c) != std::string_view::npos; }

}  // namespace

std::vector<ListInfo> resolve_list_items(std::vector<ListInfo>& lists) {
  std::vector<ListInfo> out;
  std::map<std::string, size_t> by_name;
  for (auto& list : lists) {
    ListInfo r = list;
    r.items.clear();
    for (const auto& item : list.items) {
      auto it = by_name.find(item);
      if (it != by_name.end()) {
        const auto& ref = out[it->second].items;
        if (r.items.size() + ref.size() > kMaxListItems) {
          // Lists made of earlier lists can double at every level; refuse before exhausting memory.
          throw LoadError(LoadCode::kErrValidate,
                          "List has more than " + std::to_string(kMaxListItems) + " items after expansion",
                          list.ctx);
        }
        r.items.insert(r.items.end(), ref.begin(), ref.end());
        lists[it->second].used = true;
      } else {
        r.items.push_back(item);
      }
    }
    for (auto& item : r.items) quote_item(item);
    by_name[r.name] = out.size();
    out.push_back(std::move(r));
  }
  return out;
}

// Falco rewrites the whole string at every occurrence (quadratic). This does the same edits in one pass: the
// text being rewritten is always `out + cond[pos..]`, edits only touch the end of `out`, and the search resumes
// where Falco's would (including its one-character skip when a name was replaced at the very start).
bool substitute_list(std::string& cond, const ListInfo& list) {
  const std::string& name = list.name;
  if (name.empty()) return false;
  std::string sub;
  for (const auto& v : list.items) {
    if (!sub.empty()) sub += ", ";
    sub += v;
  }
  std::string out;
  size_t pos = 0, skip = 0;
  bool used = false;
  for (size_t found = cond.find(name, pos + skip); found != std::string::npos; found = cond.find(name, pos + skip)) {
    size_t end = found + name.size();
    const bool at_start = found == pos && out.empty();
    const char prev = found > pos ? cond[found - 1] : (out.empty() ? '\0' : out.back());
    if (!((at_start || is_delim(prev)) && (end >= cond.size() || is_delim(cond[end])))) {
      skip = found - pos + 1;
      continue;
    }
    out.append(cond, pos, found - pos);
    while (!out.empty() && is_blank(out.back())) out.pop_back();
    while (end < cond.size() && is_blank(cond[end])) ++end;
    if (sub.empty()) {
      if (!out.empty() && out.back() == ',') {
        out.pop_back();
      } else if (end < cond.size() && cond[end] == ',') {
        ++end;
      }
    }
    const bool replaced_at_start = out.empty();
    if (!replaced_at_start) out += ' ';
    out.append(sub).append(" ");
    pos = end;
    skip = replaced_at_start ? 1 : 0;
    used = true;
    if (out.size() > kMaxConditionBytes) break;  // the caller rejects the condition
  }
  if (!used) return false;
  out.append(cond, pos, std::string::npos);
  cond = std::move(out);
  return true;
}

bool substitute_lists(std::string& cond, const std::vector<ListInfo>& resolved, std::vector<ListInfo>& originals) {
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (substitute_list(cond, resolved[i])) originals[i].used = true;
    if (cond.size() > kMaxConditionBytes) return false;  // before the next list multiplies it again
  }
  return true;
}

}  // namespace peregrine::engine
