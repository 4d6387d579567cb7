// Recursive-descent parser for the grammar in parser.h. Internally it throws ParseFailure (load time only)
// and parse_condition() turns that into a Result with the byte offset.
#include "engine/filter/parser.h"

#include <array>

namespace peregrine::engine {
namespace {

struct ParseFailure {
  std::string message;
  size_t offset;
};

constexpr std::array<std::string_view, 8> kTransformers = {"tolower", "toupper", "b64",  "basename",
                                                           "len",     "join",    "concat", "getopt"};
constexpr std::array<std::string_view, 4> kNumOps = {"<=", "<", ">=", ">"};
constexpr std::array<std::string_view, 3> kSymStrOps = {"==", "=", "!="};
constexpr std::array<std::string_view, 9> kWordStrOps = {"glob",       "iglob",       "contains", "icontains",
                                                         "bcontains",  "startswith",  "bstartswith",
                                                         "endswith",   "regex"};
constexpr std::array<std::string_view, 3> kListOps = {"intersects", "in", "pmatch"};
constexpr std::array<std::string_view, 3> kModifiers = {"oneof", "anyof", "allof"};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

class Parser {
 public:
  Parser(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  AstPtr parse() {
    if (s_.empty()) fail("filter input string is empty");
    AstPtr res = parse_or();
    if (pos_ != s_.size()) fail("unexpected token after '" + last_ + "', expecting 'or', 'and'");
    return res;
  }

 private:
  struct DepthGuard {
    DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ >= p_.max_depth_) p_.fail("exceeded max depth limit of " + std::to_string(p_.max_depth_));
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  [[noreturn]] void fail(std::string msg) { throw ParseFailure{std::move(msg), pos_}; }
  char peek(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }

  bool lex_blank() {
    bool found = false;
    while (pos_ < s_.size() && is_blank(s_[pos_])) {
      ++pos_;
      found = true;
    }
    return found;
  }
  bool lex_str(std::string_view t) {
    if (s_.substr(pos_, t.size()) != t) return false;
    pos_ += t.size();
    last_ = std::string(t);
    return true;
  }
  // A word followed by a non-identifier character.
  bool lex_word(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w || is_ident_char(peek(w.size()))) return false;
    pos_ += w.size();
    last_ = std::string(w);
    return true;
  }
  size_t scan_identifier(size_t p) const {
    if (p >= s_.size() || !is_alpha(s_[p])) return 0;
    size_t q = p;
    while (q < s_.size() && is_ident_char(s_[q])) ++q;
    return q - p;
  }
  bool lex_identifier() {
    size_t n = scan_identifier(pos_);
    if (!n) return false;
    last_ = std::string(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool lex_field_name() {
    size_t p = pos_, n = scan_identifier(p);
    if (!n) return false;
    p += n;
    int dots = 0;
    while (p < s_.size() && s_[p] == '.') {
      size_t m = scan_identifier(p + 1);
      if (!m) break;
      p += 1 + m;
      ++dots;
    }
    if (!dots) return false;
    last_ = std::string(s_.substr(pos_, p - pos_));
    pos_ = p;
    return true;
  }
  bool lex_transformer_open(std::string* name) {
    for (auto t : kTransformers) {
      if (s_.substr(pos_, t.size()) == t && peek(t.size()) == '(') {
        pos_ += t.size() + 1;
        *name = std::string(t);
        last_ = *name + "(";
        return true;
      }
    }
    return false;
  }
  bool lex_number() {
    size_t p = pos_;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X') && is_hex(peek(2))) {
      p += 2;
      while (p < s_.size() && is_hex(s_[p])) ++p;
    } else {
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      size_t d = p;
      while (p < s_.size() && is_digit(s_[p])) ++p;
      if (p == d) return false;
      if (p < s_.size() && s_[p] == '.') ++p;
      while (p < s_.size() && is_digit(s_[p])) ++p;
      if (p + 2 < s_.size() && (s_[p] == 'e' || s_[p] == 'E') && (s_[p + 1] == '+' || s_[p + 1] == '-') &&
          is_digit(s_[p + 2])) {
        p += 2;
        while (p < s_.size() && is_digit(s_[p])) ++p;
      }
    }
    last_ = std::string(s_.substr(pos_, p - pos_));
    pos_ = p;
    return true;
  }
  bool lex_bare_str() {
    size_t p = pos_;
    while (p < s_.size()) {
      char c = s_[p];
      if (c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' || is_blank(c) || c == '\f' ||
          c == '\v')
        break;
      ++p;
    }
    if (p == pos_) return false;
    last_ = std::string(s_.substr(pos_, p - pos_));
    pos_ = p;
    return true;
  }
  bool lex_field_arg_bare() {
    size_t p = pos_;
    while (p < s_.size()) {
      char c = s_[p];
      if (c == '[' || c == ']' || c == '"' || c == '\'' || is_blank(c) || c == '\f' || c == '\v') break;
      ++p;
    }
    if (p == pos_) return false;
    last_ = std::string(s_.substr(pos_, p - pos_));
    pos_ = p;
    return true;
  }
  // Quoted string: ends at the first delimiter not preceded by a backslash (as libs does).
  bool lex_quoted(std::string* out) {
    char delim = peek();
    if (delim != '"' && delim != '\'') return false;
    size_t p = pos_ + 1;
    char prev = delim;
    while (p < s_.size()) {
      if (s_[p] == delim && prev != '\\') {
        auto r = unescape_quoted(s_.substr(pos_ + 1, p - pos_ - 1), delim);
        if (!r) fail(r.error().message);
        *out = std::move(r.value());
        last_ = std::string(s_.substr(pos_, p + 1 - pos_));
        pos_ = p + 1;
        return true;
      }
      prev = s_[p];
      ++p;
    }
    return false;
  }

  AstPtr parse_or() {
    DepthGuard g(*this);
    size_t start = pos_;
    std::vector<AstPtr> children;
    lex_blank();
    children.push_back(parse_and());
    lex_blank();
    while (lex_word_or_paren("or")) {
      if (!lex_blank()) {
        if (lex_str("(")) {
          children.push_back(parse_embedded_remainder());
        } else {
          fail("expected blank or '(' after 'or'");
        }
      } else {
        children.push_back(parse_and());
      }
      lex_blank();
    }
    return children.size() > 1 ? make_or(std::move(children), start) : std::move(children[0]);
  }

  AstPtr parse_and() {
    DepthGuard g(*this);
    size_t start = pos_;
    std::vector<AstPtr> children;
    lex_blank();
    children.push_back(parse_not());
    lex_blank();
    while (lex_word_or_paren("and")) {
      if (!lex_blank()) {
        if (lex_str("(")) {
          children.push_back(parse_embedded_remainder());
        } else {
          fail("expected blank or '(' after 'and'");
        }
      } else {
        children.push_back(parse_not());
      }
      lex_blank();
    }
    return children.size() > 1 ? make_and(std::move(children), start) : std::move(children[0]);
  }

  // "and"/"or" as a keyword: the literal text (libs matches the bare prefix; the caller then demands a blank
  // or '(' after it, so "andx" is an error just like in libs).
  bool lex_word_or_paren(std::string_view w) { return lex_str(w); }

  AstPtr parse_not() {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    bool is_not = false;
    for (;;) {
      if (s_.substr(pos_, 3) == "not" && is_blank(peek(3))) {
        pos_ += 3;
        lex_blank();
        last_ = "not";
        is_not = !is_not;
      } else {
        break;
      }
    }
    AstPtr child;
    if (lex_str("not(")) {
      is_not = !is_not;
      child = parse_embedded_remainder();
    } else {
      child = parse_check();
    }
    return is_not ? make_not(std::move(child), start) : std::move(child);
  }

  AstPtr parse_embedded_remainder() {
    DepthGuard g(*this);
    lex_blank();
    AstPtr child = parse_or();
    lex_blank();
    if (!lex_str(")")) fail("expected a ')' token");
    return child;
  }

  AstPtr parse_check() {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    if (lex_str("(")) return parse_embedded_remainder();
    if (lex_field_name()) {
      AstPtr lhs = parse_field_remainder(last_, start);
      return parse_cond(std::move(lhs), start);
    }
    std::string tr;
    if (lex_transformer_open(&tr)) {
      AstPtr lhs = parse_transformer_remainder(tr, start);
      return parse_cond(std::move(lhs), start);
    }
    if (lex_identifier()) return make_identifier(last_, start);
    fail("expected a '(' token, a field check, or an identifier");
  }

  AstPtr parse_field_remainder(const std::string& name, size_t start) {
    AstPtr f = make_field(name, start);
    if (lex_str("[")) {
      std::string q;
      if (lex_quoted(&q)) {
        f->arg = q;
      } else if (lex_field_arg_bare()) {
        f->arg = last_;
      } else {
        fail("expected a valid field argument: a quoted string or a bare string");
      }
      f->has_arg = true;
      if (!lex_str("]")) fail("expected a ']' token");
      last_ = name + "[" + f->arg + "]";
    }
    return f;
  }

  // After "name(": Arg (',' Arg)* ')' ['[' arg ']'].
  AstPtr parse_transformer_remainder(const std::string& name, size_t start) {
    DepthGuard g(*this);
    auto t = std::make_unique<Ast>();
    t->kind = AstKind::kTransformer;
    t->text = name;
    t->offset = start;
    lex_blank();
    if (peek() == ')') fail("expected a field or a nested valid transformer in '" + name + "'");
    t->children.push_back(parse_transformer_arg());
    lex_blank();
    while (lex_str(",")) {
      lex_blank();
      t->children.push_back(parse_transformer_arg());
      lex_blank();
    }
    if (!lex_str(")")) fail("expected a ')' token closing the transformer");
    if (lex_str("[")) {
      std::string q;
      if (lex_quoted(&q)) {
        t->arg = q;
      } else if (lex_field_arg_bare()) {
        t->arg = last_;
      } else {
        fail("expected a valid field argument: a quoted string or a bare string");
      }
      t->has_arg = true;
      if (!lex_str("]")) fail("expected a ']' token");
    }
    last_ = ")";
    return t;
  }

  AstPtr parse_transformer_arg() {
    DepthGuard g(*this);
    size_t start = pos_;
    std::string tr;
    if (lex_transformer_open(&tr)) return parse_transformer_remainder(tr, start);
    if (lex_field_name()) return parse_field_remainder(last_, start);
    std::string q;
    if (lex_quoted(&q)) return make_value(q, start);
    if (lex_number()) return make_value(last_, start);
    if (lex_str("(")) {
      auto l = std::make_unique<Ast>();
      l->kind = AstKind::kList;
      l->offset = start;
      lex_blank();
      if (!lex_str(")")) {
        l->children.push_back(parse_transformer_arg());
        lex_blank();
        while (lex_str(",")) {
          lex_blank();
          l->children.push_back(parse_transformer_arg());
          lex_blank();
        }
        if (!lex_str(")")) fail("expected a ')' token");
      }
      return l;
    }
    fail("expected a field, a nested transformer, a quoted string, a number or a list as transformer argument");
  }

  AstPtr parse_cond(AstPtr lhs, size_t start) {
    DepthGuard g(*this);
    lex_blank();
    if (lex_str("exists")) return make_check(std::move(lhs), "exists", nullptr, start);
    for (auto op : kNumOps) {
      if (lex_str(op)) return make_check(std::move(lhs), std::string(op), parse_num_value(), start);
    }
    std::string op;
    for (auto o : kSymStrOps) {
      if (lex_str(o)) {
        op = std::string(o);
        break;
      }
    }
    if (op.empty()) {
      for (auto o : kWordStrOps) {
        if (s_.substr(pos_, o.size()) == o && is_blank(peek(o.size()))) {
          pos_ += o.size();
          last_ = op = std::string(o);
          break;
        }
      }
    }
    if (!op.empty()) {
      std::string modifier;
      if (AstPtr list = try_parse_modifier(&modifier)) {
        return make_check(std::move(lhs), op, std::move(list), start, modifier);
      }
      return make_check(std::move(lhs), op, parse_str_value(false), start);
    }
    for (auto o : kListOps) {
      if (lex_str(o)) return make_check(std::move(lhs), std::string(o), parse_list_value(), start);
    }
    fail("expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', "
         "'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', "
         "'intersects', 'in', 'pmatch'");
  }

  // oneof/anyof/allof count as a modifier only when '(' or an identifier other than and/or/not follows.
  AstPtr try_parse_modifier(std::string* modifier) {
    size_t save = pos_;
    std::string save_last = last_;
    lex_blank();
    for (auto m : kModifiers) {
      if (!lex_word(m)) continue;
      bool blank = lex_blank();
      if (peek() == '(') {
        *modifier = std::string(m);
        return parse_list_value();
      }
      size_t n = scan_identifier(pos_);
      if (blank && n) {
        std::string_view id = s_.substr(pos_, n);
        if (id != "and" && id != "or" && id != "not") {
          *modifier = std::string(m);
          return parse_list_value();
        }
      }
      break;
    }
    pos_ = save;
    last_ = save_last;
    return nullptr;
  }

  AstPtr try_parse_transformer_or_val() {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    if (lex_str("val(")) {
      lex_blank();
      size_t fpos = pos_;
      if (!lex_field_name()) fail("expected a field within 'val' transformer");
      auto t = std::make_unique<Ast>();
      t->kind = AstKind::kTransformer;
      t->text = "val";
      t->offset = start;
      t->children.push_back(parse_field_remainder(last_, fpos));
      lex_blank();
      if (!lex_str(")")) fail("expected a ')' token closing the transformer");
      return t;
    }
    std::string tr;
    if (lex_transformer_open(&tr)) return parse_transformer_remainder(tr, start);
    return nullptr;
  }

  AstPtr parse_num_value() {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    if (AstPtr t = try_parse_transformer_or_val()) return t;
    if (lex_number()) return make_value(last_, start);
    fail("expected a number value or a field with a valid transformer");
  }

  AstPtr parse_str_value(bool no_transformer) {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    if (!no_transformer) {
      if (AstPtr t = try_parse_transformer_or_val()) return t;
    }
    std::string q;
    if (lex_quoted(&q)) return make_value(q, start);
    if (lex_bare_str()) return make_value(last_, start);
    if (no_transformer) fail("expected a string value");
    fail("expected a string value or a field with a valid transformer");
  }

  AstPtr parse_list_value() {
    DepthGuard g(*this);
    lex_blank();
    size_t start = pos_;
    if (lex_str("(")) {
      auto l = std::make_unique<Ast>();
      l->kind = AstKind::kList;
      l->offset = start;
      lex_blank();
      if (!lex_str(")")) {
        l->children.push_back(parse_str_value(true));
        lex_blank();
        while (lex_str(",")) {
          l->children.push_back(parse_str_value(true));
          lex_blank();
        }
        if (!lex_str(")")) fail("expected a ')' token");
      }
      last_ = ")";
      return l;
    }
    if (AstPtr t = try_parse_transformer_or_val()) return t;
    if (lex_identifier()) return make_value(last_, start);
    fail("expected a list, an identifier, or a field with a valid transformer");
  }

  std::string_view s_;
  size_t max_depth_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  std::string last_;
};

}  // namespace

Result<std::string> unescape_quoted(std::string_view body, char delim) {
  std::string res;
  res.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      res += c;
      continue;
    }
    if (++i >= body.size()) return make_error("unsupported string escape sequence: \\");
    char e = body[i];
    switch (e) {
      case 'b': res += '\b'; break;
      case 'f': res += '\f'; break;
      case 'n': res += '\n'; break;
      case 'r': res += '\r'; break;
      case 't': res += '\t'; break;
      case ' ':   // legacy: "\ " is read as a single backslash (upstream rules relied on it)
      case '\\': res += '\\'; break;
      case '/': res += '/'; break;
      case '"':
        if (delim != '"') return make_error("invalid \\\" escape in '-quoted string");
        res += '"';
        break;
      case '\'':
        if (delim != '\'') return make_error("invalid \\' escape in \"-quoted string");
        res += '\'';
        break;
      case 'x': {
        if (i + 2 >= body.size() || !is_hex(body[i + 1]) || !is_hex(body[i + 2]))
          return make_error("invalid \\x escape: two hex digits expected");
        auto hv = [](char h) { return is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10; };
        res += static_cast<char>(hv(body[i + 1]) * 16 + hv(body[i + 2]));
        i += 2;
        break;
      }
      default:
        return make_error(std::string("unsupported string escape sequence: \\") + e);
    }
  }
  return res;
}

bool is_transformer_name(std::string_view name) {
  for (auto t : kTransformers)
    if (t == name) return true;
  return false;
}

Result<AstPtr> parse_condition(std::string_view text, size_t max_depth, ParseError* detail) {
  try {
    Parser p(text, max_depth);
    return p.parse();
  } catch (const ParseFailure& f) {
    if (detail) *detail = ParseError{f.message, f.offset};
    return make_error(f.message + " at pos " + std::to_string(f.offset));
  }
}

}  // namespace peregrine::engine
