#include "engine/rules/lists.h"

#include <map>
#include <string_view>

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

bool substitute_list(std::string& cond, const ListInfo& list) {
  if (list.name.empty()) return false;
  bool used = false;
  size_t start = cond.find(list.name);
  while (start != std::string::npos) {
    size_t end = start + list.name.size();
    bool bounded = (start == 0 || is_delim(cond[start - 1])) && (end >= cond.size() || is_delim(cond[end]));
    if (!bounded) {
      start = cond.find(list.name, start + 1);
      continue;
    }
    while (start > 0 && is_blank(cond[start - 1])) --start;
    while (end < cond.size() && is_blank(cond[end])) ++end;
    std::string sub;
    for (const auto& v : list.items) {
      if (!sub.empty()) sub += ", ";
      sub += v;
    }
    if (sub.empty()) {
      if (start > 0 && cond[start - 1] == ',') {
        --start;
      } else if (end < cond.size() && cond[end] == ',') {
        ++end;
      }
    }
    std::string next;
    next.reserve(cond.size() + sub.size() + 2);
    if (start > 0) next.append(cond, 0, start).append(" ");
    next.append(sub).append(" ");
    if (end < cond.size()) next.append(cond, end, std::string::npos);
    // Resume after the substituted text (Falco's arithmetic, including its one-character skip when the name
    // was at the very start) so that items equal to the list name are not expanded again.
    size_t resume = start + sub.size() + 2;
    cond = std::move(next);
    used = true;
    start = cond.find(list.name, resume);
  }
  return used;
}

std::string substitute_lists(std::string cond, const std::vector<ListInfo>& resolved,
                             std::vector<ListInfo>& originals) {
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (substitute_list(cond, resolved[i])) originals[i].used = true;
  }
  return cond;
}

}  // namespace peregrine::engine
