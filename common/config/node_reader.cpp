#include "common/config/node_reader.h"

#include "common/secrets.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

namespace peregrine::config {
namespace {

std::string format_error(const std::string& file, int line, int column, const std::string& message) {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// The root reader has an empty section name.
std::string shown(const std::string& section) { return section.empty() ? "<top level>" : section; }

std::optional<int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string message)
    : std::runtime_error(format_error(file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

ConfigError error_at(const std::string& file, const YAML::Node& node, const std::string& message) {
  if (!node.IsDefined()) return ConfigError(file, 0, 0, message);
  YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return ConfigError(file, 0, 0, message);
  return ConfigError(file, m.line + 1, m.column + 1, message);
}

std::string expand_env(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) throw std::invalid_argument("unterminated '${' in value");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string name(inner);
    std::optional<std::string> def;
    if (size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      name = std::string(inner.substr(0, sep));
      def = std::string(inner.substr(sep + 2));
    }
    if (name.empty()) throw std::invalid_argument("empty variable name in '${}'");
    for (char c : name) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) throw std::invalid_argument("invalid environment variable name in '${...}'");
    }
    const char* v = std::getenv(name.c_str());
    if (v != nullptr && (*v != '\0' || !def)) {
      out += v;
    } else if (def) {
      out += *def;
    } else {
      throw std::invalid_argument("environment variable '" + name + "' is not set and has no default");
    }
    i = close + 1;
  }
  return out;
}

NodeReader::NodeReader(const YAML::Node& node, std::string file, std::string section)
    : node_(node), file_(std::move(file)), section_(std::move(section)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw error_at(file_, node_, "section '" + shown(section_) + "' must be a map");
  }
}

YAML::Node NodeReader::find(const std::string& key) {
  used_.insert(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool NodeReader::has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return true;
  }
  return false;
}

void NodeReader::fail(const std::string& key, const std::string& message) const {
  auto position = [&]() -> YAML::Node {
    if (node_.IsMap()) {
      for (const auto& kv : node_) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second.IsNull() ? kv.first : kv.second;
      }
    }
    return node_;
  };
  throw error_at(file_, position(), "key '" + key + "' in section '" + shown(section_) + "': " + message);
}

std::optional<std::string> NodeReader::scalar(const std::string& key, const char* what) {
  YAML::Node n = find(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) fail(key, std::string("must be ") + what);
  try {
    return expand_env(n.Scalar());
  } catch (const std::invalid_argument& e) {
    fail(key, e.what());
  }
}

std::string NodeReader::str(const std::string& key, const std::string& def) {
  auto v = scalar(key, "a string");
  return v ? *v : def;
}

std::string NodeReader::required_str(const std::string& key) {
  auto v = scalar(key, "a string");
  if (!v) fail(key, "missing required key");
  return *v;
}

std::optional<std::string> NodeReader::optional_str(const std::string& key) { return scalar(key, "a string"); }

int64_t NodeReader::integer(const std::string& key, int64_t def, int64_t min, int64_t max) {
  auto v = scalar(key, "an integer");
  if (!v) return def;
  auto n = parse_int(*v);
  if (!n) fail(key, "must be an integer");
  if (*n < min || *n > max) {
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return *n;
}

std::string NodeReader::secret(const std::string& key, const std::string& def) {
  std::string v = str(key, def);
  secrets::add(v);
  return v;
}

double NodeReader::number(const std::string& key, double def, double min, double max) {
  auto v = scalar(key, "a number");
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || errno != 0 || !std::isfinite(d)) fail(key, "must be a number");
  if (d < min || d > max) fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return d;
}

bool NodeReader::boolean(const std::string& key, bool def) {
  auto v = scalar(key, "a boolean");
  if (!v) return def;
  static const std::map<std::string, bool> kWords = {
      {"true", true},  {"True", true},   {"TRUE", true},   {"yes", true}, {"on", true},
      {"false", false}, {"False", false}, {"FALSE", false}, {"no", false}, {"off", false}};
  auto it = kWords.find(*v);
  if (it == kWords.end()) fail(key, "must be true or false");
  return it->second;
}

int64_t NodeReader::bytes(const std::string& key, int64_t def, int64_t min, int64_t max) {
  auto v = scalar(key, "a size");
  if (!v) return def;
  std::string s = *v;
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30}, {"KB", 1000}, {"MB", 1000000},
      {"GB", 1000000000}, {"B", 1}};
  int64_t mult = 1;
  for (const auto& [unit, m] : kUnits) {
    std::string_view u(unit);
    if (s.size() > u.size() && s.compare(s.size() - u.size(), u.size(), u) == 0) {
      s.resize(s.size() - u.size());
      while (!s.empty() && s.back() == ' ') s.pop_back();
      mult = m;
      break;
    }
  }
  auto n = parse_int(s);
  if (!n || *n < 0 || (mult > 1 && *n > INT64_MAX / mult)) fail(key, "must be a size such as 65536 or 64MiB");
  int64_t total = *n * mult;
  if (total < min || total > max) {
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " bytes");
  }
  return total;
}

std::chrono::milliseconds NodeReader::duration(const std::string& key, std::chrono::milliseconds def,
                                               std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto v = scalar(key, "a duration");
  if (!v) return def;
  std::string s = *v;
  // Longest suffix first: "ms" before "m" and "s".
  static const std::pair<const char*, int64_t> kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000},
                                                           {"d", 86'400'000}};
  int64_t mult = 0;
  for (const auto& [unit, m] : kUnits) {
    std::string_view u(unit);
    if (s.size() > u.size() && s.compare(s.size() - u.size(), u.size(), u) == 0 &&
        (u != "s" || s[s.size() - 2] != 'm')) {
      s.resize(s.size() - u.size());
      mult = m;
      break;
    }
  }
  auto n = parse_int(s);
  if (mult == 0 || !n || *n < 0 || *n > INT64_MAX / mult)
    fail(key, "must be a duration such as 500ms, 30s, 5m, 1h or 1d");
  const std::chrono::milliseconds d(*n * mult);
  if (d < min || d > max)
    fail(key, "must be between " + std::to_string(min.count()) + " ms and " + std::to_string(max.count()) + " ms");
  return d;
}

std::string NodeReader::choice(const std::string& key, const std::string& def,
                               std::initializer_list<std::string_view> allowed) {
  auto v = scalar(key, "a string");
  if (!v) return def;
  for (auto a : allowed) {
    if (*v == a) return *v;
  }
  fail(key, "'" + *v + "' is not one of: " + join(allowed));
}

std::vector<std::string> NodeReader::strings(const std::string& key, const std::vector<std::string>& def) {
  YAML::Node n = find(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  std::vector<std::string> out;
  auto expand = [&](const YAML::Node& item) {
    if (!item.IsScalar()) throw error_at(file_, item, "key '" + key + "' in section '" + shown(section_) + "': items must be strings");
    try {
      out.push_back(expand_env(item.Scalar()));
    } catch (const std::invalid_argument& e) {
      throw error_at(file_, item, "key '" + key + "' in section '" + shown(section_) + "': " + e.what());
    }
  };
  if (n.IsScalar()) {
    expand(n);
  } else if (n.IsSequence()) {
    for (const auto& item : n) expand(item);
  } else {
    fail(key, "must be a list of strings");
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> NodeReader::string_map(const std::string& key) {
  YAML::Node n = find(key);
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) fail(key, "must be a map of strings");
  for (const auto& kv : n) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
      throw error_at(file_, kv.first, "key '" + key + "' in section '" + shown(section_) + "': entries must be strings");
    }
    try {
      out.emplace_back(kv.first.Scalar(), expand_env(kv.second.Scalar()));
    } catch (const std::invalid_argument& e) {
      throw error_at(file_, kv.second, "key '" + key + "' in section '" + shown(section_) + "': " + e.what());
    }
  }
  return out;
}

YAML::Node NodeReader::child(const std::string& key) { return find(key); }

NodeReader NodeReader::sub(const std::string& key) {
  YAML::Node n = find(key);
  if (n.IsDefined() && !n.IsNull() && !n.IsMap()) fail(key, "must be a map");
  return NodeReader(n, file_, section_.empty() ? key : section_ + "." + key);
}

void NodeReader::ignore(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) used_.insert(std::string(k));
}

void NodeReader::finish() const {
  if (!node_.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) throw error_at(file_, kv.first, "keys in section '" + shown(section_) + "' must be strings");
    const std::string& k = kv.first.Scalar();
    if (!seen.insert(k).second) {
      throw error_at(file_, kv.first, "duplicate key '" + k + "' in section '" + shown(section_) + "'");
    }
    if (!used_.count(k)) throw error_at(file_, kv.first, "unknown key '" + k + "' in section '" + shown(section_) + "'");
  }
}

}  // namespace peregrine::config
