#include "engine/rules/rule_engine.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "engine/filter/nodes.h"
#include "engine/rules/reader.h"
#include "engine/rules/rules_paths.h"

namespace peregrine::engine {
namespace {

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

/// Falco's output prefix "%evt.time: " renders HH:MM:SS.nnnnnnnnn; we use UTC so alerts do not depend on the
/// machine's time zone. With time_format_iso_8601 Falco uses libsinsp's ts_to_iso_8601 (strftime "%FT%T", the
/// nanoseconds, then "%z" of a UTC time, which is always "+0000").
void append_time_prefix(uint64_t ts_ns, std::string& out, bool iso8601) {
  time_t secs = static_cast<time_t>(ts_ns / 1000000000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // Written digit by digit: this runs for every alert, and snprintf cost more than the rest of the prefix.
  char buf[48];
  char* p = buf;
  auto put = [&p](uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += width;
  };
  if (iso8601) {
    const int year = tm.tm_year + 1900;
    put(static_cast<uint64_t>(year < 0 ? 0 : year), year > 9999 ? 5 : 4);
    *p++ = '-';
    put(static_cast<uint64_t>(tm.tm_mon + 1), 2);
    *p++ = '-';
    put(static_cast<uint64_t>(tm.tm_mday), 2);
    *p++ = 'T';
  }
  put(static_cast<uint64_t>(tm.tm_hour), 2);
  *p++ = ':';
  put(static_cast<uint64_t>(tm.tm_min), 2);
  *p++ = ':';
  put(static_cast<uint64_t>(tm.tm_sec), 2);
  *p++ = '.';
  put(ts_ns % 1000000000ull, 9);
  out.append(buf, static_cast<size_t>(p - buf));
  if (iso8601) out.append("+0000");
}

bool wildcard_match(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

RuleEngine::RuleEngine() : RuleEngine(builtin_fields()) {}

RuleEngine::RuleEngine(const FieldRegistry& registry)
    : registry_(registry), pool_(std::make_unique<ExtractorPool>()), hostname_(local_hostname()) {}

RuleEngine::~RuleEngine() = default;

LoadResult RuleEngine::load_files(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> files;
  LoadResult read_errors;
  auto read_error = [&](const std::string& path, std::string message) {
    LoadDiagnostic d;
    d.code = LoadCode::kErrFileRead;
    d.message = "Could not read file " + message;
    d.item_pos = {path, 0, 0};
    d.item_type = "rules content";
    read_errors.files.push_back(path);
    read_errors.add(std::move(d));
  };
  for (const auto& entry : paths) {
    auto expanded = expand_rules_paths({entry});  // a directory stands for its *.yaml/*.yml files, in name order
    if (!expanded) {
      read_error(entry, expanded.error().message);
      continue;
    }
    for (const auto& p : *expanded) {
      std::ifstream in(p, std::ios::binary);
      if (!in) {  // gone or unreadable since it was listed
        read_error(p, p);
        continue;
      }
      std::ostringstream ss;
      ss << in.rdbuf();  // (an empty file sets failbit here: it is still an empty rules file)
      files.emplace_back(p, ss.str());
    }
  }
  if (!read_errors.successful()) return read_errors;
  return load(files);
}

LoadResult RuleEngine::load_string(const std::string& content, const std::string& name) {
  return load({{name, content}});
}

LoadResult RuleEngine::load_contents(const std::vector<std::pair<std::string, std::string>>& files) {
  return load(files);
}

LoadResult RuleEngine::load(const std::vector<std::pair<std::string, std::string>>& files) {
  LoadResult res;
  Collector col({kSourceSyscall, kSourceK8sAudit});
  for (const auto& [name, content] : files) {
    res.files.push_back(name);
    read_rules_content(content, name, col, res);
  }
  // A fresh extractor pool per load: the pool interns every distinct field text, so reusing it across
  // reloads would grow without bound. The old rules (and their extractors) are replaced below.
  auto pool = std::make_unique<ExtractorPool>();
  std::vector<std::unique_ptr<CompiledRule>> compiled;
  if (res.successful()) check_plugin_requirements(col, res);
  if (res.successful()) compile_rules(col, registry_, *pool, res, compiled);
  if (!res.successful()) compiled.clear();
  rules_ = std::move(compiled);
  pool_ = std::move(pool);
  enabled_.assign(rules_.size(), 0);
  matches_.assign(rules_.size(), 0);
  for (size_t i = 0; i < rules_.size(); ++i) enabled_[i] = rules_[i]->defined_enabled ? 1 : 0;
  (void)apply_append_output();  // the specs compiled in set_append_output; the registry has not changed
  rebuild_index();
  return res;
}

Result<void> RuleEngine::set_append_output(std::vector<AppendOutputSpec> specs) {
  for (const auto& spec : specs) {
    auto c = compile_append_output(spec, registry_, nullptr);
    if (!c) return c.error();
  }
  append_specs_ = std::move(specs);
  return apply_append_output();
}

Result<void> RuleEngine::apply_append_output() {
  for (auto& r : rules_) {
    r->appends.clear();
    r->needs_proc_env = r->reads_proc_env;
  }
  for (const auto& spec : append_specs_) {
    auto c = compile_append_output(spec, registry_, pool_.get());
    if (!c) return c.error();
    for (auto& r : rules_) {
      if (!append_output_matches(spec, r->source, r->tags, r->name)) continue;
      r->appends.push_back(*c);
      r->needs_proc_env = r->needs_proc_env || (*c)->needs_proc_env;
    }
  }
  return {};
}

void RuleEngine::set_min_priority(Priority p) {
  min_priority_ = p;
  rebuild_index();
}

void RuleEngine::rebuild_index() {
  for (auto& v : by_type_) v.clear();
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!enabled_[i] || rules_[i]->priority > min_priority_) continue;
    const auto& set = rules_[i]->evttypes;
    for (size_t t = 0; t < by_type_.size(); ++t) {
      if (set.test(t)) {
        const Filter& f = *rules_[i]->filter;
        by_type_[t].push_back(Candidate{f.root_node(), &f, rules_[i]->guard, static_cast<uint32_t>(i)});
      }
    }
  }
}

template <typename Pred>
size_t RuleEngine::set_enabled_where(Pred pred, bool enabled) {
  size_t n = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (pred(*rules_[i])) {
      enabled_[i] = enabled ? 1 : 0;
      ++n;
    }
  }
  if (n > 0) rebuild_index();
  return n;
}

size_t RuleEngine::enable_rules(std::string_view pattern, bool enabled) {
  if (pattern.find('*') != std::string_view::npos) {
    return set_enabled_where([&](const CompiledRule& r) { return wildcard_match(pattern, r.name); }, enabled);
  }
  return set_enabled_where([&](const CompiledRule& r) { return r.name == pattern; }, enabled);
}

size_t RuleEngine::enable_rules_by_substring(std::string_view substring, bool enabled) {
  return set_enabled_where([&](const CompiledRule& r) { return r.name.find(substring) != std::string::npos; },
                           enabled);
}

size_t RuleEngine::enable_rules_by_tag(std::string_view tag, bool enabled) {
  return set_enabled_where(
      [&](const CompiledRule& r) {
        for (const auto& t : r.tags) {
          if (t == tag) return true;
        }
        return false;
      },
      enabled);
}

bool RuleEngine::is_enabled(std::string_view name) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i]->name == name) return enabled_[i] && rules_[i]->priority <= min_priority_;
  }
  return false;
}

uint64_t RuleEngine::matches(std::string_view rule_name) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i]->name == rule_name) return matches_[i];
  }
  return 0;
}

EventTypeSet RuleEngine::needed_event_types() const {
  EventTypeSet s;
  for (size_t t = 0; t < by_type_.size(); ++t) {
    if (!by_type_[t].empty()) s.set(t);
  }
  return s;
}

OpenFilter RuleEngine::open_filter() const {
  OpenFilter f{false, {}};
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (enabled_[i] == 0 || rules_[i]->priority > min_priority_) continue;  // never evaluated (rebuild_index)
    f.terms.insert(f.terms.end(), rules_[i]->open_filter.terms.begin(), rules_[i]->open_filter.terms.end());
    if (rules_[i]->open_filter.pass_all) f.pass_all = true;
  }
  normalize_open_filter(f);
  return f;
}

bool RuleEngine::needs_proc_env() const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    // Like is_enabled(): a rule below the minimum priority is never evaluated, so it needs nothing.
    if (enabled_[i] != 0 && rules_[i]->priority <= min_priority_ && rules_[i]->needs_proc_env) return true;
  }
  return false;
}

namespace {

// An event that is not in cache (one decoded a while ago) costs its first rules one memory wait per line they
// read, one after the other. Asking for the lines most rules read up front lets the waits overlap; for an event
// in cache (the daemon decodes and evaluates at once) these are a few cheap instructions.
void prefetch_event(const Event& e) {
  __builtin_prefetch(&e.fd.name);
  __builtin_prefetch(e.fd.name.data());
  __builtin_prefetch(e.params.data());
  __builtin_prefetch(&e.proc.exepath);
  __builtin_prefetch(e.proc.ancestors.data());
  __builtin_prefetch(&e.container.id);
}

}  // namespace

void RuleEngine::process(const Event& evt, std::vector<Alert>& out) {
  ++events_processed_;
  const auto t = static_cast<size_t>(evt.type);
  if (t >= by_type_.size()) return;
  const auto& candidates = by_type_[t];
  if (candidates.empty()) return;
  prefetch_event(evt);
  ctx_.reset(evt);
  for (const Candidate& c : candidates) {
    // A shared conjunct another rule already found false for this event decides without walking the filter.
    bool known = false;
    if (c.guard >= 0 && ctx_.memo_get(static_cast<uint32_t>(c.guard), known) && !known) continue;
    if (!(c.root != nullptr ? c.root->eval(ctx_) : c.filter->eval(ctx_))) continue;
    ++matches_[c.rule];
    out.emplace_back();
    build_alert(*rules_[c.rule], evt, out.back());
    if (matching_ == RuleMatching::kFirst) return;
  }
}

void RuleEngine::build_alert(const CompiledRule& rule, const Event& evt, Alert& a) {
  const config::FalcoOutputOptions& opt = output_options_;
  a.uuid = make_uuid();
  a.time_ns = evt.ts_ns;
  a.rule = rule.name;
  a.priority = rule.priority;
  a.source = rule.source;
  a.tags.clear();
  if (opt.json_include_tags_property) a.tags = rule.tags;
  a.hostname = hostname_;
  a.output_fields.clear();
  // Without output_fields the typed values are not collected at all: only the text is rendered.
  auto* fields = opt.json_include_output_fields_property ? &a.output_fields : nullptr;
  rule.output.render(ctx_, text_buf_, fields);
  for (const auto& app : rule.appends) {
    if (app->has_output) {
      app->extra_output.render(ctx_, extra_buf_, fields);
      text_buf_.append(" ").append(extra_buf_);
    }
    if (fields == nullptr) continue;
    app->extra_fields.render(ctx_, extra_buf_, fields);
    for (const auto& [k, v] : app->static_fields) a.output_fields[k] = v;
  }
  a.output.clear();
  if (opt.json_include_output_property) {
    append_time_prefix(evt.ts_ns, a.output, opt.time_format_iso_8601);
    a.output.append(": ").append(priority_name(rule.priority)).append(" ").append(text_buf_);
  }
  a.message.reset();
  if (opt.json_include_message_property) a.message = text_buf_;
  if (fields == nullptr) return;
  // The prefix's field, as Falco's output_fields carry it: evt.time (ns) or evt.time.iso8601 (its text).
  if (opt.time_format_iso_8601) {
    std::string iso;
    append_time_prefix(evt.ts_ns, iso, true);
    a.output_fields["evt.time.iso8601"] = std::move(iso);
  } else {
    a.output_fields["evt.time"] = evt.ts_ns;
  }
}

}  // namespace peregrine::engine
