#include "engine/rules/reader.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/config/yaml_stream.h"
#include "engine/rules/exceptions.h"

namespace peregrine::engine {
namespace {

const std::set<std::string> kListKeys = {"list", "items", "append", "override"};
const std::set<std::string> kMacroKeys = {"macro", "condition", "append", "override"};
const std::set<std::string> kRuleKeys = {"rule", "condition", "output", "desc", "priority", "source", "enabled",
                                         "tags", "exceptions", "capture", "capture_duration", "warn_evttypes",
                                         "skip-if-unknown-filter", "override", "append"};
const std::set<std::string> kRuleAppendable = {"condition", "output", "desc", "tags", "exceptions"};
const std::set<std::string> kRuleReplaceable = {"condition", "output", "desc", "priority", "capture",
                                                "capture_duration", "tags", "exceptions", "enabled",
                                                "warn_evttypes", "skip-if-unknown-filter"};

/// Falco's list-name pattern [^()"'[:space:]=,]+ (checked by hand: std::regex recurses per character).
bool valid_list_name(const std::string& n) {
  if (n.empty()) return false;
  for (unsigned char c : n) {
    if (std::isspace(c) || std::string_view("()\"'=,").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

/// Falco's macro-name pattern [a-zA-Z]+[a-zA-Z0-9_]*.
bool valid_macro_name(const std::string& n) {
  if (n.empty() || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  for (unsigned char c : n) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

/// The item's own lines: from its first line to the line before the next unindented line.
std::string snippet_for(const std::vector<std::string_view>& lines, int first_line0) {
  if (first_line0 < 0 || static_cast<size_t>(first_line0) >= lines.size()) return {};
  size_t end = first_line0 + 1;
  while (end < lines.size() && (lines[end].empty() || lines[end][0] == ' ' || lines[end][0] == '\t')) ++end;
  while (end > static_cast<size_t>(first_line0) + 1 &&
         lines[end - 1].find_first_not_of(" \t\r") == std::string_view::npos) {
    --end;
  }
  constexpr size_t kMaxSnippetLines = 30;
  end = std::min(end, first_line0 + kMaxSnippetLines);
  std::string out;
  for (size_t i = first_line0; i < end; ++i) out.append(lines[i]).append("\n");
  return out;
}

std::vector<std::string_view> split_lines(const std::string& s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      if (start < s.size()) out.emplace_back(s.data() + start, s.size() - start);
      break;
    }
    out.emplace_back(s.data() + start, nl - start);
    start = nl + 1;
  }
  return out;
}

SourcePosition pos_of(const YAML::Node& n, const std::string& file) {
  const auto m = n.Mark();
  return {file, m.line + 1, m.column + 1};
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// A key's scalar value. `required` keys may not be empty.
std::optional<std::string> get_string(const YAML::Node& item, const char* key, const ItemContext& ctx,
                                      bool required = false) {
  const auto n = item[key];
  if (!n) {
    if (required) throw LoadError(LoadCode::kErrYamlValidate, std::string("Item has no mapping for key '") + key + "'", ctx);
    return std::nullopt;
  }
  if (n.IsNull()) {
    throw LoadError(LoadCode::kErrYamlValidate, std::string("Mapping for key '") + key + "' is empty", ctx);
  }
  if (!n.IsScalar()) {
    throw LoadError(LoadCode::kErrYamlValidate, std::string("Value for key '") + key + "' must be a scalar", ctx);
  }
  if (required && n.Scalar().empty()) {
    throw LoadError(LoadCode::kErrYamlValidate, std::string("Mapping for key '") + key + "' is empty", ctx);
  }
  charge_decoded_bytes(n.Scalar().size(), ctx);
  return n.Scalar();
}

std::optional<bool> get_bool(const YAML::Node& item, const char* key, const ItemContext& ctx) {
  const auto n = item[key];
  if (!n) return std::nullopt;
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    throw LoadError(LoadCode::kErrYamlValidate, std::string("Can't decode YAML boolean for key '") + key + "'", ctx);
  }
  return v;
}

std::optional<Priority> parse_priority_text(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::pair<const char*, Priority> kNames[] = {
      {"emergency", Priority::kEmergency}, {"alert", Priority::kAlert},   {"critical", Priority::kCritical},
      {"error", Priority::kError},         {"warning", Priority::kWarning}, {"notice", Priority::kNotice},
      {"informational", Priority::kInformational}, {"info", Priority::kInformational}, {"debug", Priority::kDebug}};
  for (const auto& [n, p] : kNames) {
    if (s == n) return p;
  }
  return std::nullopt;
}

void warn_unknown_keys(const YAML::Node& item, const std::set<std::string>& known, const ItemContext& ctx,
                       LoadResult& res) {
  for (const auto& kv : item) {
    const std::string k = kv.first.Scalar();
    if (!known.count(k)) {
      res.add(make_diagnostic(LoadCode::kUnknownKey, "Unknown key '" + k + "'. The key will be ignored.", ctx));
    }
  }
}

/// `override: {key: append|replace}` against the allowed sets, paired with the keys present in the item.
std::map<std::string, OverrideMode> decode_overrides(const YAML::Node& item, const std::set<std::string>& appendable,
                                                     const std::set<std::string>& replaceable,
                                                     const ItemContext& ctx) {
  std::map<std::string, OverrideMode> out;
  const auto ov = item["override"];
  if (!ov) return out;
  if (!ov.IsMap()) throw LoadError(LoadCode::kErrYamlValidate, "Key 'override' must be a map", ctx);
  if (item["append"]) {
    throw LoadError(LoadCode::kErrYamlValidate,
                    "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. "
                    "'condition: append') under 'override' instead.",
                    ctx);
  }
  for (const auto& kv : ov) {
    const std::string k = kv.first.Scalar();
    const std::string v = kv.second.IsScalar() ? kv.second.Scalar() : "";
    if (v == "append") {
      if (!appendable.count(k)) {
        throw LoadError(LoadCode::kErrYamlValidate, "Key '" + k + "' cannot be appended to, use 'replace' instead", ctx);
      }
      out[k] = OverrideMode::kAppend;
    } else if (v == "replace") {
      if (!replaceable.count(k)) throw LoadError(LoadCode::kErrYamlValidate, "Key '" + k + "' cannot be replaced", ctx);
      out[k] = OverrideMode::kReplace;
    } else {
      throw LoadError(LoadCode::kErrYamlValidate,
                      "Invalid override value for key '" + k + "': must be 'append' or 'replace'", ctx);
    }
    if (!item[k]) {
      throw LoadError(LoadCode::kErrYamlValidate,
                      "An 'override' entry for key '" + k + "' is defined but the key itself is missing", ctx);
    }
  }
  std::set<std::string> overridable = appendable;
  overridable.insert(replaceable.begin(), replaceable.end());
  for (const auto& kv : item) {
    const std::string k = kv.first.Scalar();
    if (overridable.count(k) && !out.count(k)) {
      throw LoadError(LoadCode::kErrYamlValidate,
                      "Unexpected key '" + k + "': no corresponding entry under 'override' is defined.", ctx);
    }
  }
  return out;
}

class ItemReader {
 public:
  ItemReader(const std::string& file, const std::vector<std::string_view>& lines, Collector& col, LoadResult& res)
      : file_(file), lines_(lines), col_(col), res_(res) {}

  void read_item(const YAML::Node& item) {
    ItemContext ctx;
    ctx.pos = pos_of(item, file_);
    ctx.snippet = snippet_for(lines_, ctx.pos.line - 1);
    if (!item.IsMap()) {
      ctx.item_type = "rules content item";
      throw LoadError(LoadCode::kErrYamlValidate,
                      "Unexpected element type. Each element should be a yaml associative array.", ctx);
    }
    if (item["required_engine_version"]) return read_engine_version(item, ctx);
    if (item["required_plugin_versions"]) return read_plugin_versions(item, ctx);
    if (item["list"]) return read_list(item, ctx);
    if (item["macro"]) return read_macro(item, ctx);
    if (item["rule"]) return read_rule(item, ctx);
    ctx.item_type = "unknown";
    res_.add(make_diagnostic(LoadCode::kUnknownItem, "Unknown top level item", ctx));
  }

 private:
  void read_engine_version(const YAML::Node& item, ItemContext& ctx) {
    ctx.item_type = "required_engine_version";
    std::string v = *get_string(item, "required_engine_version", ctx, true);
    ctx.name = v;
    Semver want;
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
      if (v.size() > 9) {
        throw LoadError(LoadCode::kErrYamlValidate, "Engine version '" + v + "' is out of range", ctx);
      }
      want = Semver{0, std::stoi(v), 0};
    } else if (auto s = parse_semver(v)) {
      want = *s;
    } else {
      throw LoadError(LoadCode::kErrYamlValidate,
                      "Unable to parse engine version '" + v + "' as a semver string. Expected \"x.y.z\" semver format.",
                      ctx);
    }
    if (!semver_compatible(kEngineVersion, want)) {
      throw LoadError(LoadCode::kErrValidate,
                      "Rules require engine version " + want.str() + ", but engine version is " + kEngineVersion.str(),
                      ctx);
    }
  }

  void read_plugin_versions(const YAML::Node& item, ItemContext& ctx) {
    ctx.item_type = "required_plugin_versions";
    const auto seq = item["required_plugin_versions"];
    if (!seq.IsSequence()) {
      throw LoadError(LoadCode::kErrYamlValidate, "Value of required_plugin_versions must be a sequence", ctx);
    }
    std::set<std::string> seen;
    for (const auto& r : seq) {
      PluginRequirement req;
      req.ctx = ctx;
      req.name = *get_string(r, "name", ctx, true);
      req.version = *get_string(r, "version", ctx, true);
      if (!parse_semver(req.version)) {
        throw LoadError(LoadCode::kErrYamlValidate, "Plugin version string " + req.version + " is not valid", ctx);
      }
      if (!seen.insert(req.name).second) {
        throw LoadError(LoadCode::kErrYamlValidate, "Plugin '" + req.name + "' is required more than once", ctx);
      }
      if (const auto alts = r["alternatives"]) {
        for (const auto& a : alts) {
          std::string n = *get_string(a, "name", ctx, true), ver = *get_string(a, "version", ctx, true);
          if (!parse_semver(ver)) {
            throw LoadError(LoadCode::kErrYamlValidate, "Plugin version string " + ver + " is not valid", ctx);
          }
          req.alternatives.emplace_back(n, ver);
        }
      }
      col_.add_plugin_requirement(std::move(req));
    }
  }

  void read_list(const YAML::Node& item, ItemContext& ctx) {
    ctx.item_type = "list";
    ListInfo info;
    info.name = *get_string(item, "list", ctx, true);
    ctx.name = info.name;
    if (!valid_list_name(info.name)) {
      res_.add(make_diagnostic(LoadCode::kInvalidListName,
                               "List has an invalid name. List names should match a regular expression: "
                               "[^()\"'[:space:]=,]+",
                               ctx));
    }
    warn_unknown_keys(item, kListKeys, ctx, res_);
    const auto items = item["items"];
    if (!items) throw LoadError(LoadCode::kErrYamlValidate, "Item has no mapping for key 'items'", ctx);
    if (!items.IsSequence()) throw LoadError(LoadCode::kErrYamlValidate, "Value for key 'items' must be a sequence", ctx);
    for (const auto& i : items) {
      if (!i.IsScalar()) throw LoadError(LoadCode::kErrYamlValidate, "List items must be scalars", ctx);
      charge_decoded_bytes(i.Scalar().size(), ctx);
      info.items.push_back(i.Scalar());
    }
    info.ctx = ctx;
    auto ov = decode_overrides(item, {"items"}, {"items"}, ctx);
    bool append = legacy_append(item, ctx);
    if (append || (ov.count("items") && ov["items"] == OverrideMode::kAppend)) {
      col_.append_list(info);
    } else {
      col_.define_list(std::move(info));
    }
  }

  void read_macro(const YAML::Node& item, ItemContext& ctx) {
    ctx.item_type = "macro";
    MacroInfo info;
    info.name = *get_string(item, "macro", ctx, true);
    ctx.name = info.name;
    if (!valid_macro_name(info.name)) {
      res_.add(make_diagnostic(LoadCode::kInvalidMacroName,
                               "Macro has an invalid name. Macro names should match a regular expression: "
                               "[a-zA-Z]+[a-zA-Z0-9_]*",
                               ctx));
    }
    warn_unknown_keys(item, kMacroKeys, ctx, res_);
    info.condition = *get_string(item, "condition", ctx, true);
    ctx.condition_pos = pos_of(item["condition"], file_);
    info.ctx = ctx;
    auto ov = decode_overrides(item, {"condition"}, {"condition"}, ctx);
    bool append = legacy_append(item, ctx);
    if (append || (ov.count("condition") && ov["condition"] == OverrideMode::kAppend)) {
      col_.append_macro(info);
    } else {
      col_.define_macro(std::move(info));
    }
  }

  bool legacy_append(const YAML::Node& item, const ItemContext& ctx) {
    auto a = get_bool(item, "append", ctx);
    if (a && *a) {
      res_.add(make_diagnostic(LoadCode::kDeprecatedItem,
                               "The 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') "
                               "under 'override' instead.",
                               ctx));
    }
    return a.value_or(false);
  }

  void read_rule(const YAML::Node& item, ItemContext& ctx) {
    ctx.item_type = "rule";
    RuleUpdate u;
    u.name = *get_string(item, "rule", ctx, true);
    ctx.name = u.name;
    warn_unknown_keys(item, kRuleKeys, ctx, res_);
    if (item["condition"]) ctx.condition_pos = pos_of(item["condition"], file_);
    u.overrides = decode_overrides(item, kRuleAppendable, kRuleReplaceable, ctx);
    u.legacy_append = legacy_append(item, ctx);
    u.condition = get_string(item, "condition", ctx);
    u.output = get_string(item, "output", ctx);
    if (u.output) u.output = trim(*u.output);
    u.desc = get_string(item, "desc", ctx);
    u.source = get_string(item, "source", ctx);
    if (auto p = get_string(item, "priority", ctx)) {
      u.priority = parse_priority_text(*p);
      if (!u.priority) throw LoadError(LoadCode::kErrYamlValidate, "Invalid priority", ctx);
    }
    u.enabled = get_bool(item, "enabled", ctx);
    u.capture = get_bool(item, "capture", ctx);
    u.warn_evttypes = get_bool(item, "warn_evttypes", ctx);
    u.skip_if_unknown_filter = get_bool(item, "skip-if-unknown-filter", ctx);
    if (auto d = get_string(item, "capture_duration", ctx)) {
      try {
        u.capture_duration = std::stoull(*d);
      } catch (const std::exception&) {
        throw LoadError(LoadCode::kErrYamlValidate, "Can't decode YAML scalar value for key 'capture_duration'", ctx);
      }
    }
    if (const auto t = item["tags"]) {
      if (!t.IsSequence()) throw LoadError(LoadCode::kErrYamlValidate, "Value for key 'tags' must be a sequence", ctx);
      std::set<std::string> tags;
      for (const auto& e : t) {
        if (!e.IsScalar()) throw LoadError(LoadCode::kErrYamlValidate, "Tags must be scalars", ctx);
        charge_decoded_bytes(e.Scalar().size(), ctx);
        tags.insert(e.Scalar());
      }
      u.tags = std::move(tags);
    }
    if (const auto ex = item["exceptions"]) u.exceptions = decode_exceptions(ex, ctx, res_);
    if (u.legacy_append && !u.condition && !u.exceptions) {
      throw LoadError(LoadCode::kErrYamlValidate, "Appended rule must have exceptions or condition property", ctx);
    }
    u.ctx = ctx;
    col_.apply_rule(std::move(u), res_);
  }

  const std::string& file_;
  const std::vector<std::string_view>& lines_;
  Collector& col_;
  LoadResult& res_;
};

}  // namespace

std::string Semver::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<Semver> parse_semver(std::string_view s) {
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int p = 0; p < 3; ++p) {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 9) {
      parts[p] = parts[p] * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start) return std::nullopt;
    if (p < 2) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return Semver{parts[0], parts[1], parts[2]};
}

bool semver_compatible(const Semver& have, const Semver& want) {
  if (have.major != want.major) return false;
  return std::tie(have.minor, have.patch) >= std::tie(want.minor, want.patch);
}

bool read_rules_content(const std::string& content, const std::string& file_name, Collector& col, LoadResult& res) {
  const auto lines = split_lines(content);
  std::vector<YAML::Node> docs;
  try {
    docs = config::load_yaml_documents(content);
  } catch (const YAML::Exception& e) {
    LoadDiagnostic d;
    d.code = LoadCode::kErrYamlParse;
    d.message = e.msg;
    d.item_pos = {file_name, e.mark.line + 1, e.mark.column + 1};
    d.item_type = "rules content";
    d.snippet = snippet_for(lines, e.mark.line);
    res.add(std::move(d));
    return false;
  }
  ItemReader reader(file_name, lines, col, res);
  reset_decoded_budget();
  try {
    for (const auto& doc : docs) {
      if (doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        ItemContext ctx;
        ctx.pos = pos_of(doc, file_name);
        ctx.item_type = "rules content";
        throw LoadError(LoadCode::kErrYamlValidate, "Rules content is not yaml array of objects", ctx);
      }
      for (const auto& item : doc) {
        if (item.IsNull()) continue;
        reader.read_item(item);
      }
    }
  } catch (const LoadError& e) {
    res.add(make_diagnostic(e.code(), e.what(), e.ctx()));
    return false;
  } catch (const YAML::Exception& e) {
    LoadDiagnostic d;
    d.code = LoadCode::kErrYamlValidate;
    d.message = e.msg;
    d.item_pos = {file_name, e.mark.line + 1, e.mark.column + 1};
    d.item_type = "rules content";
    res.add(std::move(d));
    return false;
  } catch (const std::exception& e) {
    // Anything else is a loader defect; it must still come back as data, never escape.
    LoadDiagnostic d;
    d.code = LoadCode::kErrYamlValidate;
    d.message = std::string("internal error while reading: ") + e.what();
    d.item_pos = {file_name, 0, 0};
    d.item_type = "rules content";
    res.add(std::move(d));
    return false;
  }
  return true;
}

void check_plugin_requirements(const Collector& col, LoadResult& res) {
  for (const auto& req : col.plugin_requirements()) {
    std::vector<std::pair<std::string, std::string>> options{{req.name, req.version}};
    options.insert(options.end(), req.alternatives.begin(), req.alternatives.end());
    bool ok = false;
    std::string names;
    for (const auto& [name, version] : options) {
      names += (names.empty() ? "" : ", ") + name + " (" + version + ")";
      auto want = parse_semver(version);
      for (const auto& b : kBuiltinPlugins) {
        ok = ok || (b.name == name && want && semver_compatible(b.version, *want));
      }
    }
    if (!ok) {
      res.add(make_diagnostic(LoadCode::kErrValidate,
                              "Plugin requirement not satisfied, must load one of: " + names, req.ctx));
    }
  }
}

}  // namespace peregrine::engine
