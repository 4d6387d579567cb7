#include "outputs/template/template.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

#include "common/json_writer.h"
#include "outputs/http/url.h"
#include "outputs/route.h"
#include "outputs/template/gsm7.h"

namespace peregrine::outputs {

struct Template::Node {
  enum class Kind { kText, kVar, kRaw, kSection, kInverted };
  Kind kind = Kind::kText;
  std::string text;  // literal text, or the variable / section name
  std::vector<Node> children;
};

namespace {

using Node = Template::Node;
constexpr const char* kMissing = "<NA>";

bool valid_name(const std::string& n) {
  static const std::regex field(R"([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+(\[[^\]\r\n]+\])?)");
  static const char* kKeys[] = {"rule", "priority", "output", "hostname", "time", "source", "tags", "uuid",
                                "priority_lower", "priority_upper"};
  for (const char* k : kKeys)
    if (n == k) return true;
  return std::regex_match(n, field);
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A syntax error at byte `pos` of the template: "line L, column C of the template: what".
struct SyntaxError {
  size_t pos;
  std::string what;
};

std::vector<Node> parse_nodes(const std::string& t, size_t& pos, const std::string& closing) {
  std::vector<Node> out;
  while (pos < t.size()) {
    const size_t open = t.find("{{", pos);
    if (open == std::string::npos) {
      out.push_back(Node{Node::Kind::kText, t.substr(pos), {}});
      pos = t.size();
      break;
    }
    if (open > pos) out.push_back(Node{Node::Kind::kText, t.substr(pos, open - pos), {}});
    const bool triple = t.compare(open, 3, "{{{") == 0;
    const size_t close = t.find(triple ? "}}}" : "}}", open + (triple ? 3 : 2));
    if (close == std::string::npos) throw SyntaxError{open, "'{{' without its '}}'"};
    std::string tag = trim(t.substr(open + (triple ? 3 : 2), close - open - (triple ? 3 : 2)));
    pos = close + (triple ? 3 : 2);
    if (triple) {
      if (!valid_name(tag)) throw SyntaxError{open, "unknown variable '" + tag + "'"};
      out.push_back(Node{Node::Kind::kRaw, tag, {}});
      continue;
    }
    if (tag.empty()) throw SyntaxError{open, "empty tag"};
    const char sigil = tag[0];
    if (sigil == '!') continue;
    if (sigil == '/') {
      const std::string name = trim(tag.substr(1));
      if (name != closing) {
        throw SyntaxError{open, closing.empty() ? "'{{/" + name + "}}' closes no open section"
                                                : "'{{/" + name + "}}' where '{{/" + closing + "}}' was expected"};
      }
      return out;
    }
    if (sigil == '#' || sigil == '^' || sigil == '&') {
      const std::string name = trim(tag.substr(1));
      if (!valid_name(name)) throw SyntaxError{open, "unknown variable '" + name + "'"};
      if (sigil == '&') {
        out.push_back(Node{Node::Kind::kRaw, name, {}});
        continue;
      }
      Node n{sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted, name, {}};
      n.children = parse_nodes(t, pos, name);
      out.push_back(std::move(n));
      continue;
    }
    if (!valid_name(tag)) throw SyntaxError{open, "unknown variable '" + tag + "'"};
    out.push_back(Node{Node::Kind::kVar, tag, {}});
  }
  if (!closing.empty()) throw SyntaxError{t.size(), "section '" + closing + "' is not closed ('{{/" + closing + "}}')"};
  return out;
}

bool truthy(const std::optional<std::string>& v) { return v && !v->empty() && *v != kMissing; }

void render_nodes(const std::vector<Node>& nodes, const Alert& a, Escape e, std::string& out) {
  for (const auto& n : nodes) {
    switch (n.kind) {
      case Node::Kind::kText: out += n.text; break;
      case Node::Kind::kVar: out += escape_text(template_value(a, n.text).value_or(kMissing), e); break;
      case Node::Kind::kRaw: out += template_value(a, n.text).value_or(kMissing); break;
      case Node::Kind::kSection:
        if (truthy(template_value(a, n.text))) render_nodes(n.children, a, e, out);
        break;
      case Node::Kind::kInverted:
        if (!truthy(template_value(a, n.text))) render_nodes(n.children, a, e, out);
        break;
    }
  }
}

void collect(const std::vector<Node>& nodes, std::vector<std::string>& out) {
  for (const auto& n : nodes) {
    if (n.kind != Node::Kind::kText && std::find(out.begin(), out.end(), n.text) == out.end()) out.push_back(n.text);
    collect(n.children, out);
  }
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Template Template::parse(const std::string& text, Escape escape, const std::string& file, int line, int column) {
  Template t;
  t.source_ = text;
  t.escape_ = escape;
  try {
    size_t pos = 0;
    t.nodes_ = std::make_shared<const std::vector<Node>>(parse_nodes(text, pos, ""));
  } catch (const SyntaxError& e) {
    // Position inside the value: line and column counted from the value's own start.
    int l = line, c = column;
    for (size_t i = 0; i < e.pos && i < text.size(); ++i) {
      if (text[i] == '\n') ++l, c = 1;
      else ++c;
    }
    throw config::ConfigError(file, l, c, "template: " + e.what);
  }
  return t;
}

Template Template::parse(const std::string& text, Escape escape) {
  try {
    return parse(text, escape, "<template>", 1, 1);
  } catch (const config::ConfigError& e) {
    throw std::invalid_argument(e.what());
  }
}

std::string Template::render(const Alert& a) const {
  std::string out;
  render(a, out);
  return out;
}

void Template::render(const Alert& a, std::string& out) const {
  if (nodes_) render_nodes(*nodes_, a, escape_, out);
}

std::vector<std::string> Template::variables() const {
  std::vector<std::string> out;
  if (nodes_) collect(*nodes_, out);
  return out;
}

std::optional<std::string> template_value(const Alert& a, std::string_view name) {
  if (name == "rule") return a.rule;
  if (name == "priority") return std::string(priority_name(a.priority));
  if (name == "priority_lower") return lower(std::string(priority_name(a.priority)));
  if (name == "priority_upper") return upper(std::string(priority_name(a.priority)));
  if (name == "output") return a.output;
  if (name == "hostname") return a.hostname;
  if (name == "time") return format_rfc3339_ns(a.time_ns);
  if (name == "source") return a.source;
  if (name == "uuid") return a.uuid;
  if (name == "tags") {
    std::string s;
    for (const auto& t : a.tags) s += (s.empty() ? "" : ",") + t;
    return s;
  }
  return field_text(a, std::string(name));
}

std::string escape_text(std::string_view s, Escape escape) {
  switch (escape) {
    case Escape::kNone: return std::string(s);
    case Escape::kJson: {
      std::string out;
      JsonWriter::escape(out, s);
      return out;
    }
    case Escape::kSlack: {
      std::string out;
      for (char c : JsonWriter::clean_utf8(s)) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out += c;
      }
      return out;
    }
    case Escape::kUrl: return url_encode(s);
    case Escape::kGsm7: return gsm7_transliterate(s);
  }
  return std::string(s);
}

Template read_template(config::NodeReader& node, const std::string& key, const std::string& def, Escape escape) {
  YAML::Node v = node.child(key);
  if (!v.IsDefined() || v.IsNull()) return Template::parse(def, escape, node.file(), 0, 0);
  if (!v.IsScalar()) node.fail(key, "expected a template (a string)");
  return Template::parse(v.Scalar(), escape, node.file(), v.Mark().line + 1, v.Mark().column + 1);
}

}  // namespace peregrine::outputs
