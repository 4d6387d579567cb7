// Condition compiler: AST → tree of typed nodes with every constant prepared at load time.
#include "engine/filter/compiler.h"

#include <algorithm>
#include <bitset>
#include <charconv>
#include <unordered_set>

#include "engine/filter/evttypes.h"
#include "engine/filter/nodes.h"
#include "engine/filter/or_merge.h"
#include "engine/filter/operands.h"
#include "engine/filter/predicates.h"
#include "engine/filter/str_checks.h"

namespace peregrine::engine {
namespace {

constexpr std::string_view kUnknownFieldPrefix = "filter_check called with nonexistent field ";

// `evt.type = X`, `!= X`, `in (...)`: one bit per event type, decided at compile time from the type names.
// evt.type renders event_spec(type).name, so this is the same comparison without extracting or comparing strings
// (the upstream macros test evt.type on nearly every rule, so it is the most common check there is).
class EvtTypeNode final : public Node {
 public:
  explicit EvtTypeNode(std::bitset<static_cast<size_t>(EventType::kCount)> set) : set_(set) {}
  bool eval(EvalContext& ctx) const override {
    const auto t = static_cast<size_t>(ctx.event().type);
    return t < set_.size() && set_[t];
  }

 private:
  std::bitset<static_cast<size_t>(EventType::kCount)> set_;
};

using ExPtr = std::shared_ptr<const Extractor>;

class ExistsNode final : public Node {
 public:
  explicit ExistsNode(ExPtr ex) : ex_(std::move(ex)) {}
  bool eval(EvalContext& ctx) const override { return ex_->get(ctx).present; }

 private:
  ExPtr ex_;
};

enum class Modifier : uint8_t { kNone, kOneOf, kAnyOf, kAllOf };
enum class ListMode : uint8_t { kScalar, kAll, kAny };  // kAll: `in` on a list field; kAny: intersects / any-field

bool apply_modifier(Modifier m, size_t matches, size_t total) {
  switch (m) {
    case Modifier::kOneOf: return matches == 1;
    case Modifier::kAnyOf: return matches >= 1;
    case Modifier::kAllOf: return matches == total;
    case Modifier::kNone: return matches == 1;
  }
  return false;
}

class StrCheck final : public Node {
 public:
  StrCheck(ExPtr ex, std::vector<StrPredicate> preds, Modifier mod, ListMode mode)
      : ex_(std::move(ex)), preds_(std::move(preds)), mod_(mod), mode_(mode) {}
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    switch (mode_) {
      case ListMode::kScalar: return test(v.str);
      case ListMode::kAll:
        for (auto e : v.list)
          if (!test(e)) return false;
        return true;
      case ListMode::kAny:
        for (auto e : v.list)
          if (test(e)) return true;
        return false;
    }
    return false;
  }

 private:
  bool test(std::string_view s) const {
    if (mod_ == Modifier::kNone) return preds_[0].test(s);
    size_t n = 0;
    for (const auto& p : preds_) n += p.test(s) ? 1 : 0;
    return apply_modifier(mod_, n, preds_.size());
  }
  ExPtr ex_;
  std::vector<StrPredicate> preds_;
  Modifier mod_;
  ListMode mode_;
};

enum class NumOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn };

class NumCheck final : public Node {
 public:
  NumCheck(ExPtr ex, NumOp op, bool is_signed, std::vector<uint64_t> values, Modifier mod)
      : ex_(std::move(ex)), op_(op), signed_(is_signed), values_(std::move(values)), mod_(mod) {
    if (op_ == NumOp::kIn) set_.insert(values_.begin(), values_.end());
  }
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    if (v.either) return test(v.num) || test(v.num2);
    return test(v.num);
  }

 private:
  bool cmp(uint64_t a, uint64_t b) const {
    if (signed_) {
      int64_t x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
      switch (op_) {
        case NumOp::kLt: return x < y;
        case NumOp::kLe: return x <= y;
        case NumOp::kGt: return x > y;
        case NumOp::kGe: return x >= y;
        default: break;
      }
    }
    switch (op_) {
      case NumOp::kEq: case NumOp::kIn: return a == b;
      case NumOp::kNe: return a != b;
      case NumOp::kLt: return a < b;
      case NumOp::kLe: return a <= b;
      case NumOp::kGt: return a > b;
      case NumOp::kGe: return a >= b;
    }
    return false;
  }
  // The common shape (`fd.num >= 0`, `evt.res = 0`: one constant, no modifier) compares inline; sets and
  // modifiers go out of line.
  bool test(uint64_t x) const {
    if (op_ != NumOp::kIn && mod_ == Modifier::kNone) return cmp(x, values_[0]);
    return test_set_or_modifier(x);
  }
  [[gnu::noinline]] bool test_set_or_modifier(uint64_t x) const {
    if (op_ == NumOp::kIn) return set_.count(x) != 0;
    size_t n = 0;
    for (uint64_t c : values_) n += cmp(x, c) ? 1 : 0;
    return apply_modifier(mod_, n, values_.size());
  }
  ExPtr ex_;
  NumOp op_;
  bool signed_;
  std::vector<uint64_t> values_;
  std::unordered_set<uint64_t> set_;
  Modifier mod_;
};

class IpCheck final : public Node {
 public:
  IpCheck(ExPtr ex, bool negate, std::vector<IpNet> nets) : ex_(std::move(ex)), negate_(negate), nets_(std::move(nets)) {}
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    if (v.either) return test(v.ip) || test(v.ip2);
    return test(v.ip);
  }

 private:
  bool test(const IpAddr& ip) const {
    bool in = false;
    for (const auto& n : nets_) in = in || ip_in_net(ip, n);
    return in != negate_;
  }
  ExPtr ex_;
  bool negate_;
  std::vector<IpNet> nets_;
};

// Field-to-field (val()) or transformer RHS: both sides are extracted per event.
class ValCheck final : public Node {
 public:
  ValCheck(ExPtr l, ExPtr r, StrOp sop, NumOp nop, bool numeric, bool is_signed)
      : l_(std::move(l)), r_(std::move(r)), sop_(sop), nop_(nop), numeric_(numeric), signed_(is_signed) {}
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& a = l_->get(ctx);
    if (!a.present) return false;
    const ExtractedValue& b = r_->get(ctx);
    if (!b.present) return false;
    if (numeric_) return num(a.num, b.num);
    if (r_->is_list()) {  // in / intersects against a list-valued RHS
      if (l_->is_list()) {
        bool all = true, any = false;
        for (auto x : a.list) {
          bool hit = contains(b.list, x);
          all = all && hit;
          any = any || hit;
        }
        return sop_ == StrOp::kIn && !intersects_ ? all : any;
      }
      return contains(b.list, a.str);
    }
    if (l_->is_list()) {
      for (auto x : a.list)
        if (compare_strings(sop_, x, b.str)) return true;
      return false;
    }
    return compare_strings(sop_, a.str, b.str);
  }
  void set_intersects(bool v) { intersects_ = v; }

 private:
  static bool contains(std::span<const std::string_view> list, std::string_view x) {
    for (auto e : list)
      if (e == x) return true;
    return false;
  }
  bool num(uint64_t a, uint64_t b) const {
    if (signed_ && nop_ != NumOp::kEq && nop_ != NumOp::kNe && nop_ != NumOp::kIn) {
      int64_t x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
      switch (nop_) {
        case NumOp::kLt: return x < y;
        case NumOp::kLe: return x <= y;
        case NumOp::kGt: return x > y;
        case NumOp::kGe: return x >= y;
        default: return false;
      }
    }
    switch (nop_) {
      case NumOp::kEq: case NumOp::kIn: return a == b;
      case NumOp::kNe: return a != b;
      case NumOp::kLt: return a < b;
      case NumOp::kLe: return a <= b;
      case NumOp::kGt: return a > b;
      case NumOp::kGe: return a >= b;
    }
    return false;
  }
  ExPtr l_, r_;
  StrOp sop_;
  NumOp nop_;
  bool numeric_, signed_;
  bool intersects_ = false;
};

class CompiledFilter final : public Filter {
 public:
  explicit CompiledFilter(NodePtr root) : root_(std::move(root)) { refresh_guard(); }
  bool eval(EvalContext& ctx) const override { return root_->eval(ctx); }
  int32_t guard_memo_id() const override { return guard_; }
  NodePtr* root_edge() override { return &root_; }
  const Node* root_node() const override { return root_.get(); }
  void refresh_guard() override { guard_ = root_->required_memo_id(); }  // the root's first shared conjunct

 private:
  NodePtr root_;
  int32_t guard_ = -1;
};

struct CompileFail {
  std::string code;
  std::string message;
  size_t offset;
  std::string field;
};

bool num_op_from_text(std::string_view op, NumOp* out) {
  if (op == "=" || op == "==") *out = NumOp::kEq;
  else if (op == "!=") *out = NumOp::kNe;
  else if (op == "<") *out = NumOp::kLt;
  else if (op == "<=") *out = NumOp::kLe;
  else if (op == ">") *out = NumOp::kGt;
  else if (op == ">=") *out = NumOp::kGe;
  else if (op == "in" || op == "intersects") *out = NumOp::kIn;
  else return false;
  return true;
}

Result<uint64_t> parse_number(std::string_view s, bool is_signed) {
  std::string_view t = s;
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size())
    return make_error("'" + std::string(s) + "' is not a valid number");
  if (neg) {
    if (!is_signed) return make_error("'" + std::string(s) + "' is negative but the field is unsigned");
    return static_cast<uint64_t>(-static_cast<int64_t>(v));
  }
  return v;
}

class Compiler {
 public:
  Compiler(const FieldRegistry& reg, const CompileOptions& opts, std::vector<Diagnostic>* warnings)
      : reg_(reg), opts_(opts), pool_(opts.pool ? *opts.pool : default_extractor_pool()), warnings_(warnings) {}

  NodePtr compile(const Ast& a) {
    NodePtr n = compile_node(a);
    // EvtTypeNode and ConstNode cost less than a memo look-up; everything else is shared when a pool is given.
    if (!opts_.nodes || !(a.kind == AstKind::kAnd || a.kind == AstKind::kOr || a.kind == AstKind::kNot))
      return n;
    // The key names what else decides the compiled form: the rule's source and the unknown-field policy. The
    // subtree was compiled anyway, so a shared node changes neither the warnings nor the errors a rule gets.
    std::string key = opts_.source == EventSource::kK8sAudit ? "k|" : "s|";
    key += opts_.skip_unknown_fields ? "u|" : "-|";
    key += a.to_string();
    return opts_.nodes->intern(key, std::move(n));
  }

 private:
  NodePtr compile_node(const Ast& a) {
    switch (a.kind) {
      case AstKind::kAnd:
      case AstKind::kOr: {
        std::vector<NodePtr> c;
        for (const auto& ch : a.children) c.push_back(compile(*ch));
        if (a.kind == AstKind::kAnd) return std::make_unique<AndNode>(std::move(c));
        merge_or_checks(c);
        if (c.size() == 1) return c.front();
        return std::make_unique<OrNode>(std::move(c));
      }
      case AstKind::kNot:
        return std::make_unique<NotNode>(compile(*a.children[0]));
      case AstKind::kIdentifier:
        fail("Undefined macro '" + a.text + "' used in filter.", a.offset);
      case AstKind::kCheck:
        return compile_check(a);
      default:
        fail("unexpected expression '" + a.to_string() + "'", a.offset);
    }
  }

  [[noreturn]] void fail(std::string msg, size_t offset, std::string code = std::string(kErrCompile),
                         std::string field = {}) {
    throw CompileFail{std::move(code), std::move(msg), offset, std::move(field)};
  }
  void warn(std::string code, std::string msg, size_t offset) {
    if (warnings_) warnings_->push_back(Diagnostic{std::move(code), std::move(msg), offset});
  }

  // Builds an operand; returns nullptr when the field is unknown and skip_unknown_fields is set.
  ExPtr operand(const Ast& node, OperandInfo* info) {
    auto ex = build_operand(node, reg_, pool_, opts_.source, info);
    if (ex) {
      for (const FieldInfo* f : info->fields) {
        if (f->has(kFieldDeprecated)) {
          std::string msg = "field '" + f->name + "' is deprecated";
          if (f->name == "evt.dir")
            msg += ": due to the drop of enter events, 'evt.dir = <' always evaluates to true, and "
                   "'evt.dir = >' always evaluates to false";
          warn("LOAD_DEPRECATED_ITEM", msg, node.offset);
        }
      }
      return ex.value();
    }
    const std::string& m = ex.error().message;
    if (m.rfind(kUnknownFieldPrefix, 0) == 0) {
      std::string field = m.substr(kUnknownFieldPrefix.size());
      if (opts_.skip_unknown_fields) {
        warn("LOAD_UNKNOWN_FILTER", m + " (check compiled as never true)", node.offset);
        return nullptr;
      }
      fail(m, node.offset, std::string(kErrUnknownField), field);
    }
    fail(m, node.offset);
  }

  NodePtr compile_check(const Ast& a);
  NodePtr compile_val(const Ast& a, ExPtr lhs, const OperandInfo& linfo);
  NodePtr compile_values(const Ast& a, ExPtr lhs, const OperandInfo& linfo, std::vector<std::string> values);

  const FieldRegistry& reg_;
  const CompileOptions& opts_;
  ExtractorPool& pool_;
  std::vector<Diagnostic>* warnings_;
};

NodePtr Compiler::compile_check(const Ast& a) {
  const Ast& lnode = *a.children[0];
  OperandInfo linfo;
  ExPtr lhs = operand(lnode, &linfo);
  if (!lhs) return std::make_unique<ConstNode>(false);
  const std::string& op = a.text;
  if (op == "exists") return std::make_unique<ExistsNode>(lhs);
  if (a.children.size() < 2) fail("operator '" + op + "' requires a value", a.offset);
  const Ast& rhs = *a.children[1];
  if (rhs.kind == AstKind::kTransformer) return compile_val(a, lhs, linfo);
  std::vector<std::string> values;
  if (rhs.kind == AstKind::kValue) {
    values.push_back(rhs.text);
  } else {
    for (const auto& v : rhs.children) {
      if (v->kind != AstKind::kValue) fail("list values must be strings", v->offset);
      values.push_back(v->text);
    }
  }
  return compile_values(a, lhs, linfo, std::move(values));
}

NodePtr Compiler::compile_val(const Ast& a, ExPtr lhs, const OperandInfo& linfo) {
  const Ast& rhs = *a.children[1];
  const std::string& op = a.text;
  if (!a.modifier.empty()) fail("modifiers cannot be combined with a field on the right-hand side", a.offset);
  if (linfo.field && (linfo.field->name == "evt.type" || linfo.field->name == "syscall.type"))
    fail("'" + linfo.field->name + "' cannot be compared with a field or transformer", rhs.offset);
  if (op == "pmatch" || op == "regex" || op == "bcontains" || op == "bstartswith")
    fail("operator '" + op + "' does not support a field or transformer on the right-hand side", rhs.offset);
  OperandInfo rinfo;
  ExPtr r;
  const Ast& rfield = rhs.text == "val" ? *rhs.children[0] : rhs;
  r = operand(rfield, &rinfo);
  if (!r) return std::make_unique<ConstNode>(false);
  if (const FieldInfo* f = rinfo.field; f && f->has(kFieldNoRhs) && rhs.text == "val") {
    // proc.aname[N] names one value and is fine; proc.aname (any ancestor), fd.ip, evt.arg ... are not.
    if (!f->has(kFieldAnyWithoutArg) || !rfield.has_arg)
      fail("field '" + f->name + "' cannot be used in a field-to-field comparison (val())", rhs.offset);
  }
  FieldType lt = lhs->type(), rt = r->type();
  if (lt == FieldType::kIpAddr || lt == FieldType::kIpNet || rt == FieldType::kIpAddr || rt == FieldType::kIpNet)
    fail("IP address fields do not support field-to-field comparison", rhs.offset);
  bool lnum = is_numeric_type(lt) || lt == FieldType::kBool, rnum = is_numeric_type(rt) || rt == FieldType::kBool;
  if (lnum != rnum) fail("type mismatch between '" + a.children[0]->to_string() + "' and '" + rhs.to_string() + "'",
                         rhs.offset);
  StrOp sop = StrOp::kEq;
  NumOp nop = NumOp::kEq;
  if (lnum) {
    if (!num_op_from_text(op, &nop))
      fail("'" + op + "' operator not supported for numeric filters", a.offset);
  } else if (!str_op_from_text(op, &sop)) {
    fail("operator '" + op + "' not supported", a.offset);
  }
  auto n = std::make_unique<ValCheck>(lhs, r, sop, nop, lnum, lt == FieldType::kInt64);
  n->set_intersects(op == "intersects");
  return n;
}

NodePtr Compiler::compile_values(const Ast& a, ExPtr lhs, const OperandInfo& linfo,
                                 std::vector<std::string> values) {
  const std::string& op = a.text;
  const FieldType t = lhs->type();
  Modifier mod = a.modifier == "oneof" ? Modifier::kOneOf : a.modifier == "anyof" ? Modifier::kAnyOf
                 : a.modifier == "allof" ? Modifier::kAllOf : Modifier::kNone;
  const bool set_op = op == "in" || op == "intersects" || op == "pmatch";
  if (mod != Modifier::kNone && set_op) fail("modifiers cannot be used with '" + op + "'", a.offset);
  if (!set_op && mod == Modifier::kNone && values.size() != 1)
    fail("operator '" + op + "' expects a single value", a.offset);
  for (const auto& v : values) {
    if (v == "<NA>")
      warn("LOAD_UNSAFE_NA_CHECK", "comparing against '<NA>' is unsafe: missing values never match", a.offset);
    std::string sfx;
    if (v.find('.') != std::string::npos && reg_.resolve(v, &sfx))
      warn("LOAD_RHS_LOOKS_LIKE_FIELD",
           "value '" + v + "' looks like a field name; use val(" + v + ") to compare with the field", a.offset);
  }
  if (linfo.field && (linfo.field->name == "evt.type" || linfo.field->name == "syscall.type")) {
    for (const auto& v : values)
      if (!is_known_event_name(v)) fail("unknown event type " + v, a.children[1]->offset);
    if (linfo.field->name == "evt.type" && a.children[0]->kind == AstKind::kField && mod == Modifier::kNone &&
        (op == "=" || op == "!=" || op == "in")) {
      std::bitset<static_cast<size_t>(EventType::kCount)> set;
      for (const auto& spec : event_specs())
        set[static_cast<size_t>(spec.type)] =
            std::find(values.begin(), values.end(), spec.name) != values.end() ? op != "!=" : op == "!=";
      return std::make_unique<EvtTypeNode>(set);
    }
  }
  // List fields: only in / intersects / exists.
  if (lhs->is_list() && !lhs->match_any()) {
    if (op != "in" && op != "intersects")
      fail("'" + op + "' operator not supported for list fields", a.offset);
    auto p = StrPredicate::make(StrOp::kIn, values);
    if (!p) fail(p.error().message, a.offset);
    std::vector<StrPredicate> preds{std::move(p.value())};
    return std::make_unique<StrCheck>(lhs, std::move(preds), Modifier::kNone,
                                      op == "in" ? ListMode::kAll : ListMode::kAny);
  }
  if (is_string_type(t)) {
    StrOp sop;
    if (!str_op_from_text(op, &sop)) fail("operator '" + op + "' not supported", a.offset);
    std::vector<StrPredicate> preds;
    if (set_op || mod == Modifier::kNone) {
      auto p = StrPredicate::make(sop, values);
      if (!p) fail(p.error().message, a.children[1]->offset);
      preds.push_back(std::move(p.value()));
    } else {
      for (const auto& v : values) {
        auto p = StrPredicate::make(sop, {v});
        if (!p) fail(p.error().message, a.children[1]->offset);
        preds.push_back(std::move(p.value()));
      }
    }
    if (mod == Modifier::kNone && !lhs->match_any() && preds.size() == 1)
      if (auto fast = make_scalar_str_check(lhs, preds.front())) return fast;
    return std::make_unique<StrCheck>(lhs, std::move(preds), mod,
                                      lhs->match_any() ? ListMode::kAny : ListMode::kScalar);
  }
  const bool is_bool = t == FieldType::kBool;
  if (is_numeric_type(t) || is_bool) {
    NumOp nop;
    if (!num_op_from_text(op, &nop) || (is_bool && nop != NumOp::kEq && nop != NumOp::kNe && nop != NumOp::kIn))
      fail("'" + op + "' operator not supported for " + std::string(is_bool ? "boolean" : "numeric") + " filters",
           a.offset);
    std::vector<uint64_t> nums;
    for (const auto& v : values) {
      if (is_bool) {
        if (v != "true" && v != "false")
          fail("'" + v + "' is not a valid boolean value (true/false) for '" + a.children[0]->to_string() + "'",
               a.children[1]->offset);
        nums.push_back(v == "true" ? 1 : 0);
        continue;
      }
      auto n = parse_number(v, t == FieldType::kInt64);
      if (!n) fail(n.error().message + " for '" + a.children[0]->to_string() + "'", a.children[1]->offset);
      if (t == FieldType::kPort && n.value() > 65535) fail("'" + v + "' is not a valid port", a.children[1]->offset);
      nums.push_back(n.value());
    }
    return std::make_unique<NumCheck>(lhs, nop, t == FieldType::kInt64, std::move(nums), mod);
  }
  // IP address / network.
  if (op != "=" && op != "==" && op != "!=" && op != "in" && op != "intersects")
    fail("'" + op + "' operator not supported for IP address filters", a.offset);
  if (mod != Modifier::kNone) fail("modifiers are not supported for IP address filters", a.offset);
  std::vector<IpNet> nets;
  for (const auto& v : values) {
    auto n = parse_ip_or_cidr(v);
    if (!n) fail(n.error().message, a.children[1]->offset);
    if (t == FieldType::kIpAddr && v.find('/') != std::string::npos && op != "in" && op != "intersects" &&
        op != "=" && op != "==" && op != "!=")
      fail("CIDR values need an ipnet field", a.children[1]->offset);
    nets.push_back(n.value());
  }
  return std::make_unique<IpCheck>(lhs, op == "!=", std::move(nets));
}

}  // namespace

Result<std::unique_ptr<Filter>> compile_filter(const Ast& ast, const FieldRegistry& registry,
                                               std::vector<Diagnostic>* warnings, const CompileOptions& options,
                                               CompileFailure* failure) {
  try {
    Compiler c(registry, options, warnings);
    return std::unique_ptr<Filter>(std::make_unique<CompiledFilter>(c.compile(ast)));
  } catch (const CompileFail& f) {
    if (failure) *failure = CompileFailure{f.code, f.message, f.offset, f.field};
    return make_error(f.message);
  }
}

bool is_unknown_field_error(const Error& e) { return e.message.rfind(kUnknownFieldPrefix, 0) == 0; }

}  // namespace peregrine::engine
