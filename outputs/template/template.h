// One template mechanism for every text-producing output (Slack text, Teams card text, SMS, webhook bodies,
// syslog MSG, Sidekick's templated fields). Mustache-like syntax:
//
//   {{rule}} {{priority}} {{output}} {{hostname}} {{time}} {{source}} {{tags}} {{uuid}}   the alert's keys
//   {{proc.name}} {{container.id}} {{proc.aname[2]}} {{k8s.ns.name}}   output fields by their Falco names
//   {{{output}}} or {{& output}}     the value without the target's escaping
//   {{#container.id}}...{{/container.id}}   rendered when the value is present, non-empty and not <NA>
//   {{^container.id}}...{{/container.id}}   rendered otherwise
//   {{! a comment }}
//
// A missing field renders as <NA>, as Falco renders it. `tags` is comma-joined; `time` is RFC 3339 with ns;
// `priority_lower` / `priority_upper` are the priority's name in lower / upper case. Each output chooses the
// escaping of its target (JSON string content, Slack mrkdwn, URL components, GSM-7 SMS text, or none).
//
// Why not a library: Falco's field names overlap as dotted paths (container.image beside
// container.image.repository) and carry brackets, which Mustache's dotted-name traversal cannot address; the
// escaping is per template (Debian's mstch has one global, thread-unsafe escape function); missing values
// must read <NA>; and a bad template must fail at load with file:line:col. The engine is ~250 lines.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/config/node_reader.h"

namespace peregrine::outputs {

enum class Escape {
  kNone,   // as is
  kJson,   // the content of a JSON string: " \ and control characters escaped, invalid UTF-8 as U+FFFD
  kSlack,  // Slack mrkdwn / Teams markdown-safe text: & < > as &amp; &lt; &gt;
  kUrl,    // one URL component, percent-encoded
  kGsm7,   // SMS text: characters outside the GSM 03.38 alphabet transliterated (é→e, “→") or '?'
};

class Template {
 public:
  /// Parses `text`. Throws config::ConfigError at `where` (the key's value: file:line:col) on a syntax error
  /// (unclosed tag, unbalanced section, malformed field name).
  static Template parse(const std::string& text, Escape escape, const std::string& file, int line, int column);
  /// A template without position (tests, built-in defaults). Throws std::invalid_argument on a syntax error.
  static Template parse(const std::string& text, Escape escape = Escape::kNone);

  std::string render(const Alert& a) const;
  void render(const Alert& a, std::string& out) const;
  /// Every variable the template reads (alert keys and field names), in order of first use.
  std::vector<std::string> variables() const;
  const std::string& source() const { return source_; }

  struct Node;  // parsed form (template.cpp)

 private:
  std::string source_;
  Escape escape_ = Escape::kNone;
  std::shared_ptr<const std::vector<Node>> nodes_;
};

/// The value of a template variable for `a`, or nullopt when the alert has no such value (renders <NA>).
std::optional<std::string> template_value(const Alert& a, std::string_view name);

/// `s` escaped for `escape` (the same function templates use).
std::string escape_text(std::string_view s, Escape escape);

/// Reads the template under `key` of an output's mapping (its position goes into errors); `def` when absent.
Template read_template(config::NodeReader& node, const std::string& key, const std::string& def, Escape escape);

}  // namespace peregrine::outputs
