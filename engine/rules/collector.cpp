#include "engine/rules/collector.h"

#include <algorithm>

namespace peregrine::engine {
namespace {

std::string join_text(const std::string& prev, const std::string& add) {
  // Falco appends with one space and no parentheses: `a or b` + `and c` stays `a or b and c`.
  return prev + " " + add;
}

bool has_mode(const RuleUpdate& u, const std::string& key, OverrideMode m) {
  auto it = u.overrides.find(key);
  return it != u.overrides.end() && it->second == m;
}

void append_exceptions(RuleInfo& rule, const std::vector<ExceptionInfo>& add, const ItemContext& ctx,
                       LoadResult& res) {
  for (const auto& ex : add) {
    auto it = std::find_if(rule.exceptions.begin(), rule.exceptions.end(),
                           [&](const ExceptionInfo& e) { return e.name == ex.name; });
    if (it == rule.exceptions.end()) {
      if (ex.fields.empty()) {
        throw LoadError(LoadCode::kErrValidate,
                        "Rule exception new item " + ex.name + ": must have fields property with a list of fields",
                        ctx);
      }
      if (!ex.has_values) {
        throw LoadError(LoadCode::kErrValidate,
                        "Rule exception new item " + ex.name + ": must have values property with a list of values",
                        ctx);
      }
      rule.exceptions.push_back(ex);
      continue;
    }
    if (!ex.fields.empty() && ex.fields != it->fields) {
      throw LoadError(LoadCode::kErrValidate,
                      "Can not append exception fields to existing exception, only values", ctx);
    }
    if (!ex.has_values || ex.values.empty()) {
      res.add(make_diagnostic(LoadCode::kAppendNoValues, "Overriding/appending exception with no values", ctx));
      continue;
    }
    it->values.insert(it->values.end(), ex.values.begin(), ex.values.end());
    it->has_values = true;
  }
}

thread_local size_t t_decoded_budget = kMaxDecodedBytes;

}  // namespace

void reset_decoded_budget() { t_decoded_budget = kMaxDecodedBytes; }

void charge_decoded_bytes(size_t n, const ItemContext& ctx) {
  if (n + 1 > t_decoded_budget) {
    throw LoadError(LoadCode::kErrYamlValidate,
                    "Rules content expands to more than " + std::to_string(kMaxDecodedBytes) +
                        " bytes of values (YAML aliases?)",
                    ctx);
  }
  t_decoded_budget -= n + 1;
}

LoadDiagnostic make_diagnostic(LoadCode code, std::string message, const ItemContext& ctx) {
  LoadDiagnostic d;
  d.code = code;
  d.message = std::move(message);
  d.item_pos = ctx.pos;
  d.item_type = ctx.item_type;
  d.item_name = ctx.name;
  d.snippet = ctx.snippet;
  d.condition_pos = ctx.condition_pos;
  return d;
}

Collector::Collector(std::vector<std::string> known_sources) : known_sources_(std::move(known_sources)) {}

bool Collector::source_known(const std::string& s) const {
  return std::find(known_sources_.begin(), known_sources_.end(), s) != known_sources_.end();
}

void Collector::define_list(ListInfo info) {
  auto it = list_index_.find(info.name);
  if (it != list_index_.end()) {
    info.index = lists_[it->second].index;
    lists_[it->second] = std::move(info);
    return;
  }
  info.index = lists_.size();
  list_index_[info.name] = lists_.size();
  lists_.push_back(std::move(info));
}

void Collector::append_list(const ListInfo& info) {
  auto it = list_index_.find(info.name);
  if (it == list_index_.end()) {
    throw LoadError(LoadCode::kErrValidate,
                    "List uses 'append' or 'override.items: append' but no list by that name already exists",
                    info.ctx);
  }
  auto& prev = lists_[it->second].items;
  prev.insert(prev.end(), info.items.begin(), info.items.end());
}

void Collector::define_macro(MacroInfo info) {
  info.visibility = macros_.size();
  auto it = macro_index_.find(info.name);
  if (it != macro_index_.end()) {
    info.index = macros_[it->second].index;
    macros_[it->second] = std::move(info);
    return;
  }
  info.index = macros_.size();
  macro_index_[info.name] = macros_.size();
  macros_.push_back(std::move(info));
}

void Collector::append_macro(const MacroInfo& info) {
  auto it = macro_index_.find(info.name);
  if (it == macro_index_.end()) {
    throw LoadError(LoadCode::kErrValidate,
                    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                    info.ctx);
  }
  auto& prev = macros_[it->second];
  prev.condition = join_text(prev.condition, info.condition);
  prev.visibility = macros_.size();
}

RuleInfo* Collector::find_rule(const std::string& name) {
  auto it = rule_index_.find(name);
  return it == rule_index_.end() ? nullptr : &rules_[it->second];
}

void Collector::apply_rule(RuleUpdate u, LoadResult& res) {
  if (u.source && !source_known(*u.source)) {
    res.add(make_diagnostic(LoadCode::kUnknownSource, "Unknown source " + *u.source + ", skipping", u.ctx));
    return;
  }
  if (u.legacy_append) {
    append_rule(u, true, res);
    return;
  }
  if (!u.overrides.empty()) {
    bool any_append = false, any_replace = false;
    for (const auto& [k, m] : u.overrides) {
      any_append = any_append || m == OverrideMode::kAppend;
      any_replace = any_replace || m == OverrideMode::kReplace;
    }
    if (any_append) append_rule(u, false, res);
    if (any_replace) replace_rule(u);
    return;
  }
  bool has_body = u.condition || u.output || u.desc || u.priority;
  if (!has_body && u.enabled) {
    RuleInfo* prev = find_rule(u.name);
    if (prev == nullptr) {
      throw LoadError(LoadCode::kErrValidate,
                      "Rule has 'enabled' key but no other keys, and no rule by that name already exists", u.ctx);
    }
    res.add(make_diagnostic(LoadCode::kDeprecatedItem,
                            "The standalone 'enabled' key usage is deprecated. The correct approach requires also a "
                            "'override' entry, e.g. 'override: { enabled: replace }'",
                            u.ctx));
    prev->enabled = *u.enabled;
    return;
  }
  define_rule(u);
}

void Collector::define_rule(RuleUpdate& u) {
  const std::pair<const char*, bool> required[] = {
      {"condition", u.condition.has_value()}, {"output", u.output.has_value()},
      {"desc", u.desc.has_value()}, {"priority", u.priority.has_value()}};
  for (const auto& [key, present] : required) {
    if (!present) {
      throw LoadError(LoadCode::kErrYamlValidate, std::string("Item has no mapping for key '") + key + "'", u.ctx);
    }
  }
  RuleInfo r;
  r.name = u.name;
  r.condition = *u.condition;
  r.output = *u.output;
  r.desc = *u.desc;
  r.priority = *u.priority;
  if (u.source) r.source = *u.source;
  if (u.enabled) r.enabled = *u.enabled;
  if (u.tags) r.tags = *u.tags;
  if (u.exceptions) r.exceptions = *u.exceptions;
  if (u.capture) r.capture = *u.capture;
  if (u.capture_duration) r.capture_duration = *u.capture_duration;
  if (u.warn_evttypes) r.warn_evttypes = *u.warn_evttypes;
  if (u.skip_if_unknown_filter) r.skip_if_unknown_filter = *u.skip_if_unknown_filter;
  r.ctx = u.ctx;
  if (RuleInfo* prev = find_rule(u.name)) {
    if (u.source && *u.source != prev->source) {
      throw LoadError(LoadCode::kErrValidate, "Rule has been re-defined with a different source", u.ctx);
    }
    r.index = prev->index;
    *prev = std::move(r);
    return;
  }
  r.index = rules_.size();
  rule_index_[r.name] = rules_.size();
  rules_.push_back(std::move(r));
}

void Collector::append_rule(RuleUpdate& u, bool legacy, LoadResult& res) {
  RuleInfo* prev = find_rule(u.name);
  if (prev == nullptr) {
    throw LoadError(LoadCode::kErrValidate,
                    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists", u.ctx);
  }
  if (u.source && *u.source != prev->source) {
    throw LoadError(LoadCode::kErrValidate, "Rule has been re-defined with a different source", u.ctx);
  }
  auto wants = [&](const char* key) { return legacy || has_mode(u, key, OverrideMode::kAppend); };
  if (wants("condition") && u.condition) {
    prev->condition = join_text(prev->condition, *u.condition);
    prev->ctx.condition_pos = u.ctx.condition_pos;
  }
  if (!legacy && wants("output") && u.output) prev->output = join_text(prev->output, *u.output);
  if (!legacy && wants("desc") && u.desc) prev->desc = join_text(prev->desc, *u.desc);
  if (!legacy && wants("tags") && u.tags) prev->tags.insert(u.tags->begin(), u.tags->end());
  if (wants("exceptions") && u.exceptions) append_exceptions(*prev, *u.exceptions, u.ctx, res);
}

void Collector::replace_rule(RuleUpdate& u) {
  RuleInfo* prev = find_rule(u.name);
  if (prev == nullptr) {
    throw LoadError(LoadCode::kErrValidate,
                    "Rule uses 'override.<key>: replace' but no rule by that name already exists", u.ctx);
  }
  auto rep = [&](const char* key) { return has_mode(u, key, OverrideMode::kReplace); };
  if (rep("condition") && u.condition) {
    prev->condition = *u.condition;
    prev->ctx.condition_pos = u.ctx.condition_pos;
  }
  if (rep("output") && u.output) prev->output = *u.output;
  if (rep("desc") && u.desc) prev->desc = *u.desc;
  if (rep("priority") && u.priority) prev->priority = *u.priority;
  if (rep("tags") && u.tags) prev->tags = *u.tags;
  if (rep("exceptions") && u.exceptions) prev->exceptions = *u.exceptions;
  if (rep("enabled") && u.enabled) prev->enabled = *u.enabled;
  if (rep("capture") && u.capture) prev->capture = *u.capture;
  if (rep("capture_duration") && u.capture_duration) prev->capture_duration = *u.capture_duration;
  if (rep("warn_evttypes") && u.warn_evttypes) prev->warn_evttypes = *u.warn_evttypes;
  if (rep("skip-if-unknown-filter") && u.skip_if_unknown_filter) {
    prev->skip_if_unknown_filter = *u.skip_if_unknown_filter;
  }
}

}  // namespace peregrine::engine
