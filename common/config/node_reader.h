// Strict, position-aware reading of one YAML map: every config section and every output uses it.
//
// Each getter marks its key as used; finish() then rejects any key nobody asked for, with
// "FILE:LINE:COL: unknown key 'foo' in section 'engine'". Scalars go through ${VAR} / ${VAR:-default}
// substitution before conversion. Error messages name the key but never echo a string value (it may be a
// secret), except for enumerations where the accepted values are listed.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace peregrine::config {

/// A load-time configuration error. what() is "FILE:LINE:COL: message" (or "FILE: message" without position).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }        // 1-based, 0 = unknown
  int column() const { return column_; }    // 1-based, 0 = unknown
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

/// Builds a ConfigError positioned at `node` (yaml-cpp marks are 0-based; messages are 1-based).
ConfigError error_at(const std::string& file, const YAML::Node& node, const std::string& message);

/// Expands ${VAR} and ${VAR:-default} (default used when VAR is unset or empty). A "$" not followed by
/// "{" is literal. Throws std::invalid_argument naming the variable when it is unset without a default,
/// or on an unterminated "${".
std::string expand_env(std::string_view text);

class NodeReader {
 public:
  /// `node` must be a map or null/absent (all defaults). `section` names it in messages ("engine", "router.queue").
  NodeReader(const YAML::Node& node, std::string file, std::string section);

  bool has(const std::string& key) const;
  std::string str(const std::string& key, const std::string& def);
  /// Missing key → error "missing required key".
  std::string required_str(const std::string& key);
  std::optional<std::string> optional_str(const std::string& key);
  /// Like str(), for a credential (password, token, key, a webhook URL that is its own credential): the value
  /// is registered with secrets::add so that no log line or dead letter ever prints it.
  std::string secret(const std::string& key, const std::string& def = "");
  int64_t integer(const std::string& key, int64_t def, int64_t min, int64_t max);
  double number(const std::string& key, double def, double min, double max);
  bool boolean(const std::string& key, bool def);
  /// A size in bytes: an integer or a string with a unit (KiB, MiB, GiB, KB, MB, GB, B).
  int64_t bytes(const std::string& key, int64_t def, int64_t min, int64_t max);
  /// A duration with a unit: 500ms, 30s, 5m, 1h, 1d.
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds def,
                                     std::chrono::milliseconds min, std::chrono::milliseconds max);
  /// One of `allowed` (exact match); the message lists them.
  std::string choice(const std::string& key, const std::string& def, std::initializer_list<std::string_view> allowed);
  /// A sequence of scalars (or a single scalar, taken as a one-element list). Missing = `def`.
  std::vector<std::string> strings(const std::string& key, const std::vector<std::string>& def = {});
  /// A string → string map (e.g. HTTP headers). Missing = empty.
  std::vector<std::pair<std::string, std::string>> string_map(const std::string& key);
  /// The raw node under `key` (marked used); null node if missing.
  YAML::Node child(const std::string& key);
  /// A reader for the nested map under `key`; its section is "<section>.<key>". Missing = empty map.
  NodeReader sub(const std::string& key);
  /// Marks keys as consumed by someone else (e.g. "type" and "name" of an output).
  void ignore(std::initializer_list<std::string_view> keys);
  /// Throws on the first unknown or duplicated key.
  void finish() const;

  /// An error positioned at `key` (its value if present, else the section).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  const std::string& file() const { return file_; }
  const std::string& section() const { return section_; }
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node find(const std::string& key);
  std::optional<std::string> scalar(const std::string& key, const char* what);
  YAML::Node node_;
  std::string file_;
  std::string section_;
  std::set<std::string> used_;
};

}  // namespace peregrine::config
