#include "engine/filter/operands.h"

#include <charconv>

#include "engine/fields/eval_context.h"
#include "engine/fields/simple.h"
#include "engine/filter/format.h"

namespace peregrine::engine {

bool is_string_type(FieldType t) {
  return t == FieldType::kString || t == FieldType::kFlags || t == FieldType::kBytes;
}
bool is_numeric_type(FieldType t) {
  return t == FieldType::kInt64 || t == FieldType::kUint64 || t == FieldType::kPort ||
         t == FieldType::kRelTime || t == FieldType::kAbsTime;
}

namespace {

enum class Unary { kToLower, kToUpper, kBasename, kB64 };

bool b64_decode(std::string_view in, std::string& out) {
  out.clear();
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

void apply_unary(Unary op, std::string_view in, std::string& out) {
  switch (op) {
    case Unary::kToLower:
    case Unary::kToUpper:
      out.assign(in);
      for (char& c : out) {
        if (op == Unary::kToLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (op == Unary::kToUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      }
      return;
    case Unary::kBasename: {
      size_t slash = in.rfind('/');
      out.assign(slash == std::string_view::npos ? in : in.substr(slash + 1));
      return;
    }
    case Unary::kB64:
      if (!b64_decode(in, out)) out.clear();
      return;
  }
}

class UnaryTransformer final : public Extractor {
 public:
  UnaryTransformer(Unary op, std::shared_ptr<const Extractor> in)
      : Extractor(op == Unary::kB64 ? FieldType::kBytes : FieldType::kString, in->is_list()),
        op_(op), in_(std::move(in)) {}
  bool match_any() const override { return in_->match_any(); }
  void extract(EvalContext& ctx, ExtractSlot& s) const override {
    const ExtractedValue& v = in_->get(ctx);
    if (!v.present) return;
    if (in_->is_list()) {
      for (std::string_view e : v.list) {
        std::string& str = s.next_str();
        apply_unary(op_, e, str);
        s.views.push_back(str);
      }
      fields::set_list(s);
      return;
    }
    apply_unary(op_, v.str, s.buf);
    fields::set_buf(s);
  }

 private:
  Unary op_;
  std::shared_ptr<const Extractor> in_;
};

class LenTransformer final : public Extractor {
 public:
  explicit LenTransformer(std::shared_ptr<const Extractor> in) : Extractor(FieldType::kUint64, false), in_(std::move(in)) {}
  void extract(EvalContext& ctx, ExtractSlot& s) const override {
    const ExtractedValue& v = in_->get(ctx);
    if (!v.present) return;
    fields::set_num(s, in_->is_list() ? v.list.size() : v.str.size());
  }

 private:
  std::shared_ptr<const Extractor> in_;
};

// A piece of concat/join/getopt input: a literal or an extractor.
struct Piece {
  std::string literal;
  std::shared_ptr<const Extractor> ex;
};

// Appends the text of a piece; a list-valued extractor appends each element through `each`.
template <typename Each>
bool for_each_text(const Piece& p, EvalContext& ctx, std::string& tmp, Each each) {
  if (!p.ex) {
    each(std::string_view(p.literal));
    return true;
  }
  const ExtractedValue& v = p.ex->get(ctx);
  if (!v.present) return false;
  if (p.ex->is_list()) {
    for (auto e : v.list) each(e);
    return true;
  }
  if (is_string_type(p.ex->type())) {
    each(v.str);
    return true;
  }
  tmp.clear();
  render_value(*p.ex, v, tmp);
  each(std::string_view(tmp));
  return true;
}

class ConcatTransformer final : public Extractor {
 public:
  ConcatTransformer(std::vector<Piece> pieces, std::string sep, bool join)
      : Extractor(FieldType::kString, false), pieces_(std::move(pieces)), sep_(std::move(sep)), join_(join) {}
  void extract(EvalContext& ctx, ExtractSlot& s) const override {
    s.buf.clear();
    std::string& tmp = s.next_str();
    bool first = true;
    for (const auto& p : pieces_) {
      bool ok = for_each_text(p, ctx, tmp, [&](std::string_view t) {
        if (join_ && !first) s.buf += sep_;
        s.buf += t;
        first = false;
      });
      if (!ok && !join_) return;  // concat: a missing input makes the result missing
    }
    fields::set_buf(s);
  }

 private:
  std::vector<Piece> pieces_;
  std::string sep_;
  bool join_;
};

// getopt((args...), "optstring")[o]: the value of option -o (its argument, or "" for a flag).
class GetoptTransformer final : public Extractor {
 public:
  GetoptTransformer(std::vector<Piece> args, std::string optstring, char opt)
      : Extractor(FieldType::kString, false), args_(std::move(args)), optstring_(std::move(optstring)), opt_(opt) {}
  void extract(EvalContext& ctx, ExtractSlot& s) const override {
    s.views.clear();
    std::string& tmp = s.next_str();
    for (const auto& p : args_) {
      for_each_text(p, ctx, tmp, [&](std::string_view t) {
        // Space-separated values (proc.args) become several tokens.
        size_t i = 0;
        while (i < t.size()) {
          while (i < t.size() && t[i] == ' ') ++i;
          size_t j = t.find(' ', i);
          if (j == std::string_view::npos) j = t.size();
          if (j > i) {
            std::string& tok = s.next_str();
            tok.assign(t.substr(i, j - i));
            s.views.push_back(tok);
          }
          i = j;
        }
      });
    }
    for (size_t k = 0; k < s.views.size(); ++k) {
      std::string_view tok = s.views[k];
      if (tok == "--") break;
      if (tok.size() < 2 || tok[0] != '-' || tok[1] == '-') continue;
      for (size_t c = 1; c < tok.size(); ++c) {
        size_t pos = optstring_.find(tok[c]);
        if (pos == std::string::npos) break;
        bool takes_arg = pos + 1 < optstring_.size() && optstring_[pos + 1] == ':';
        if (takes_arg) {
          std::string_view val = c + 1 < tok.size() ? tok.substr(c + 1)
                                 : (k + 1 < s.views.size() ? s.views[++k] : std::string_view{});
          if (tok[c] == opt_) {
            s.buf.assign(val);
            fields::set_buf(s);
            s.views.clear();
            return;
          }
          break;
        }
        if (tok[c] == opt_) {
          s.buf.clear();
          fields::set_buf(s);
          s.views.clear();
          return;
        }
      }
    }
    s.views.clear();
  }

 private:
  std::vector<Piece> args_;
  std::string optstring_;
  char opt_;
};

Result<Piece> make_piece(const Ast& a, const FieldRegistry& reg, ExtractorPool& pool, EventSource src,
                         OperandInfo* info) {
  Piece p;
  if (a.kind == AstKind::kValue) {
    p.literal = a.text;
    return p;
  }
  auto ex = build_operand(a, reg, pool, src, info);
  if (!ex) return ex.error();
  p.ex = ex.value();
  return p;
}

Result<std::vector<Piece>> make_pieces(const Ast& list, const FieldRegistry& reg, ExtractorPool& pool,
                                       EventSource src, OperandInfo* info) {
  std::vector<Piece> out;
  if (list.kind != AstKind::kList) {
    auto p = make_piece(list, reg, pool, src, info);
    if (!p) return p.error();
    out.push_back(std::move(p.value()));
    return out;
  }
  for (const auto& c : list.children) {
    auto p = make_piece(*c, reg, pool, src, info);
    if (!p) return p.error();
    out.push_back(std::move(p.value()));
  }
  return out;
}

Result<std::unique_ptr<Extractor>> make_transformer(const Ast& node, const FieldRegistry& reg,
                                                    ExtractorPool& pool, EventSource src, OperandInfo* info) {
  const std::string& n = node.text;
  const auto& args = node.children;
  auto single_input = [&]() -> Result<std::shared_ptr<const Extractor>> {
    if (args.size() != 1 || (args[0]->kind != AstKind::kField && args[0]->kind != AstKind::kTransformer))
      return make_error("transformer '" + n + "' expects exactly one field or transformer argument");
    OperandInfo inner;
    auto ex = build_operand(*args[0], reg, pool, src, &inner);
    if (!ex) return ex;
    for (const FieldInfo* f : inner.fields) {
      if (f->has(kFieldNoTransformer))
        return make_error("field '" + f->name + "' does not support transformer '" + n + "'");
      if (info) info->fields.push_back(f);
    }
    return ex;
  };
  if (n == "tolower" || n == "toupper" || n == "basename" || n == "b64") {
    if (node.has_arg) return make_error("transformer '" + n + "' does not accept an argument");
    auto in = single_input();
    if (!in) return in.error();
    if (!is_string_type(in.value()->type()))
      return make_error("transformer '" + n + "' is not supported on " +
                        std::string(field_type_name(in.value()->type())) + " values");
    Unary u = n == "tolower" ? Unary::kToLower : n == "toupper" ? Unary::kToUpper
              : n == "basename" ? Unary::kBasename : Unary::kB64;
    return std::unique_ptr<Extractor>(std::make_unique<UnaryTransformer>(u, in.value()));
  }
  if (n == "len") {
    auto in = single_input();
    if (!in) return in.error();
    if (!is_string_type(in.value()->type()) && !in.value()->is_list())
      return make_error("transformer 'len' is not supported on " +
                        std::string(field_type_name(in.value()->type())) + " values");
    return std::unique_ptr<Extractor>(std::make_unique<LenTransformer>(in.value()));
  }
  if (n == "concat") {
    if (args.size() < 2) return make_error("transformer 'concat' expects at least two arguments");
    std::vector<Piece> pieces;
    for (const auto& a : args) {
      auto p = make_pieces(*a, reg, pool, src, info);
      if (!p) return p.error();
      for (auto& x : p.value()) pieces.push_back(std::move(x));
    }
    return std::unique_ptr<Extractor>(std::make_unique<ConcatTransformer>(std::move(pieces), "", false));
  }
  if (n == "join") {
    if (args.size() != 2 || args[0]->kind != AstKind::kValue)
      return make_error("transformer 'join' expects a separator string and a list: join(\",\", (a, b))");
    auto p = make_pieces(*args[1], reg, pool, src, info);
    if (!p) return p.error();
    return std::unique_ptr<Extractor>(std::make_unique<ConcatTransformer>(std::move(p.value()), args[0]->text, true));
  }
  if (n == "getopt") {
    if (args.size() != 2 || args[1]->kind != AstKind::kValue)
      return make_error("transformer 'getopt' expects a list of arguments and an option string");
    if (!node.has_arg || node.arg.size() != 1)
      return make_error("transformer 'getopt' requires a one-character option argument, e.g. getopt(...)[c]");
    auto p = make_pieces(*args[0], reg, pool, src, info);
    if (!p) return p.error();
    return std::unique_ptr<Extractor>(
        std::make_unique<GetoptTransformer>(std::move(p.value()), args[1]->text, node.arg[0]));
  }
  return make_error("unknown transformer '" + n + "'");
}

}  // namespace

Result<std::shared_ptr<const Extractor>> build_operand(const Ast& node, const FieldRegistry& registry,
                                                       ExtractorPool& pool, EventSource source,
                                                       OperandInfo* info) {
  if (node.kind == AstKind::kField) {
    const FieldInfo* fi = nullptr;
    std::string suffix;
    const FieldInfo* probe = registry.resolve(node.text, &suffix);
    // Fields of another source are unknown to this rule (Falco: the source's filter factory lacks them).
    bool generic = probe && probe->source == EventSource::kSyscall && node.text.rfind("evt.", 0) == 0;
    if (probe && probe->source != source && !generic)
      return make_error("filter_check called with nonexistent field " + node.text);
    auto ex = make_field_extractor(registry, pool, node.text, node.has_arg, node.arg, &fi);
    if (!ex) return ex.error();
    if (info) {
      if (!info->field) info->field = fi;
      info->fields.push_back(fi);
    }
    return ex;
  }
  if (node.kind == AstKind::kTransformer && node.text != "val") {
    std::string key = node.to_string();
    if (auto existing = pool.find(key)) {
      // Still collect the fields for diagnostics.
      OperandInfo scratch;
      auto again = make_transformer(node, registry, pool, source, info ? info : &scratch);
      if (!again) return again.error();
      if (info) info->field = nullptr;
      return existing;
    }
    auto t = make_transformer(node, registry, pool, source, info);
    if (!t) return t.error();
    if (info) info->field = nullptr;
    return pool.intern(key, std::move(t.value()));
  }
  return make_error("expected a field or a transformer");
}

}  // namespace peregrine::engine
