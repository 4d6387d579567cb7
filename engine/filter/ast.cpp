#include "engine/filter/ast.h"

namespace peregrine::engine {

AstPtr Ast::clone() const {
  auto c = std::make_unique<Ast>();
  c->kind = kind;
  c->offset = offset;
  c->text = text;
  c->arg = arg;
  c->has_arg = has_arg;
  c->modifier = modifier;
  c->children.reserve(children.size());
  for (const auto& ch : children) c->children.push_back(ch->clone());
  return c;
}

namespace {

bool is_bare_char(char c) {
  return !(c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r' || c == '\b' || c == '\f' || c == '\v' || c == '[' || c == ']' || c == '\\');
}

void append_arg(const Ast& a, std::string& out) {
  if (!a.has_arg) return;
  out += '[';
  bool bare = !a.arg.empty();
  for (char c : a.arg) bare = bare && is_bare_char(c);
  out += bare ? a.arg : quote_value(a.arg);
  out += ']';
}

void print(const Ast& a, std::string& out);

bool is_number_text(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// Transformer arguments: literals must be quoted (bare strings are not arguments) unless they are numbers.
void print_arg(const Ast& a, std::string& out) {
  if (a.kind == AstKind::kValue) {
    std::string q = quote_value(a.text);
    if (q == a.text && !is_number_text(a.text)) q = "\"" + a.text + "\"";
    out += q;
    return;
  }
  if (a.kind == AstKind::kList) {
    out += '(';
    for (size_t i = 0; i < a.children.size(); ++i) {
      if (i) out += ", ";
      print_arg(*a.children[i], out);
    }
    out += ')';
    return;
  }
  print(a, out);
}

void print(const Ast& a, std::string& out) {
  switch (a.kind) {
    case AstKind::kAnd:
    case AstKind::kOr: {
      out += '(';
      for (size_t i = 0; i < a.children.size(); ++i) {
        if (i) out += a.kind == AstKind::kAnd ? " and " : " or ";
        print(*a.children[i], out);
      }
      out += ')';
      return;
    }
    case AstKind::kNot:
      // "not not x" would re-parse as x: keep a nested not explicit.
      if (a.children[0]->kind == AstKind::kNot) {
        out += "not (";
        print(*a.children[0], out);
        out += ')';
      } else {
        out += "not ";
        print(*a.children[0], out);
      }
      return;
    case AstKind::kCheck:
      print(*a.children[0], out);
      out += ' ';
      out += a.text;
      if (!a.modifier.empty()) {
        out += ' ';
        out += a.modifier;
      }
      if (a.children.size() > 1) {
        out += ' ';
        print(*a.children[1], out);
      }
      return;
    case AstKind::kIdentifier:
      out += a.text;
      return;
    case AstKind::kField:
      out += a.text;
      append_arg(a, out);
      return;
    case AstKind::kTransformer:
      out += a.text;
      out += '(';
      for (size_t i = 0; i < a.children.size(); ++i) {
        if (i) out += ", ";
        print_arg(*a.children[i], out);
      }
      out += ')';
      append_arg(a, out);
      return;
    case AstKind::kValue:
      out += quote_value(a.text);
      return;
    case AstKind::kList:
      out += '(';
      for (size_t i = 0; i < a.children.size(); ++i) {
        if (i) out += ", ";
        print(*a.children[i], out);
      }
      out += ')';
      return;
  }
}

}  // namespace

std::string quote_value(std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) bare = bare && is_bare_char(c) && static_cast<unsigned char>(c) >= 0x20;
  if (bare) return std::string(s);
  std::string out = "\"";
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      // A quoted string ends at the first delimiter not preceded by a backslash (libs lexer), so a trailing
      // backslash cannot be written as "\\": use the hex escape instead.
      case '\\': out += i + 1 == s.size() ? "\\x5c" : "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string Ast::to_string() const {
  std::string out;
  print(*this, out);
  return out;
}

bool operator==(const Ast& a, const Ast& b) {
  if (a.kind != b.kind || a.text != b.text || a.has_arg != b.has_arg || a.arg != b.arg ||
      a.modifier != b.modifier || a.children.size() != b.children.size())
    return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (!(*a.children[i] == *b.children[i])) return false;
  return true;
}

namespace {
AstPtr node(AstKind k, size_t offset) {
  auto a = std::make_unique<Ast>();
  a->kind = k;
  a->offset = offset;
  return a;
}
}  // namespace

AstPtr make_and(std::vector<AstPtr> children, size_t offset) {
  auto a = node(AstKind::kAnd, offset);
  a->children = std::move(children);
  return a;
}
AstPtr make_or(std::vector<AstPtr> children, size_t offset) {
  auto a = node(AstKind::kOr, offset);
  a->children = std::move(children);
  return a;
}
AstPtr make_not(AstPtr child, size_t offset) {
  auto a = node(AstKind::kNot, offset);
  a->children.push_back(std::move(child));
  return a;
}
AstPtr make_identifier(std::string name, size_t offset) {
  auto a = node(AstKind::kIdentifier, offset);
  a->text = std::move(name);
  return a;
}
AstPtr make_field(std::string name, size_t offset) {
  auto a = node(AstKind::kField, offset);
  a->text = std::move(name);
  return a;
}
AstPtr make_field(std::string name, std::string arg, size_t offset) {
  auto a = make_field(std::move(name), offset);
  a->arg = std::move(arg);
  a->has_arg = true;
  return a;
}
AstPtr make_value(std::string text, size_t offset) {
  auto a = node(AstKind::kValue, offset);
  a->text = std::move(text);
  return a;
}
AstPtr make_list(std::vector<std::string> values, size_t offset) {
  auto a = node(AstKind::kList, offset);
  for (auto& v : values) a->children.push_back(make_value(std::move(v), offset));
  return a;
}
AstPtr make_check(AstPtr lhs, std::string op, AstPtr rhs, size_t offset, std::string modifier) {
  auto a = node(AstKind::kCheck, offset);
  a->text = std::move(op);
  a->modifier = std::move(modifier);
  a->children.push_back(std::move(lhs));
  if (rhs) a->children.push_back(std::move(rhs));
  return a;
}

}  // namespace peregrine::engine
