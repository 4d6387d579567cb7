#include "engine/rules/rule_compiler.h"

#include "engine/filter/nodes.h"

#include "engine/filter/open_prefilter.h"

#include <map>

#include "engine/filter/macros.h"
#include "engine/filter/parser.h"
#include "engine/rules/exceptions.h"
#include "engine/rules/lists.h"
#include "engine/rules/proc_env.h"

namespace peregrine::engine {
namespace {

/// Thrown to stop compilation at the first error with a fully formed diagnostic.
struct CompileStop {
  LoadDiagnostic diag;
};

/// Expanded conditions larger than this many AST nodes are rejected: macros that use other macros several
/// times grow exponentially when substituted.
constexpr uint64_t kMaxExpandedNodes = 50'000;
/// And all rules together may not expand to more than this many nodes.
constexpr uint64_t kMaxTotalExpandedNodes = 300'000;

/// Nodes of `a` other than macro references, and how often each macro name is referenced.
void count_nodes(const Ast& a, uint64_t& nodes, std::map<std::string, uint64_t>& refs) {
  if (a.kind == AstKind::kIdentifier) {
    ++refs[a.text];
    return;
  }
  ++nodes;
  for (const auto& c : a.children) count_nodes(*c, nodes, refs);
}

EventTypeSet syscall_types() {
  EventTypeSet s = all_event_types();
  s.reset(static_cast<size_t>(EventType::kK8sAudit));
  return s;
}

class RuleCompiler {
 public:
  RuleCompiler(Collector& col, const FieldRegistry& registry, ExtractorPool& pool, LoadResult& res)
      : col_(col), registry_(registry), pool_(pool), res_(res) {}

  void run(std::vector<std::unique_ptr<CompiledRule>>& out) {
    try {
      lists_ = resolve_list_items(col_.lists());
      compile_macros();
      const size_t first = out.size();
      for (const auto& rule : col_.rules()) {
        auto compiled = compile_rule(rule);
        if (compiled) out.push_back(std::move(compiled));
      }
      unshare_single_use(out, first);
    } catch (const CompileStop& stop) {
      res_.add(stop.diag);
      return;
    } catch (const LoadError& e) {
      res_.add(make_diagnostic(e.code(), e.what(), e.ctx()));
      return;
    } catch (const std::exception& e) {
      // A defect below us must still come back as data, never escape the loader.
      LoadDiagnostic d;
      d.code = LoadCode::kErrCompileCondition;
      d.message = std::string("internal error while compiling: ") + e.what();
      d.item_type = "rules content";
      res_.add(std::move(d));
      return;
    }
    for (const auto& m : col_.macros()) {
      if (!m.used) {
        res_.add(make_diagnostic(LoadCode::kUnusedMacro, "Macro not referred to by any other rule/macro", m.ctx));
      }
    }
    for (const auto& l : col_.lists()) {
      if (!l.used) {
        res_.add(make_diagnostic(LoadCode::kUnusedList, "List not referred to by any other rule/macro", l.ctx));
      }
    }
  }

 private:
  [[noreturn]] void fail_in_condition(LoadCode code, const std::string& msg, const ItemContext& ctx,
                                      const std::string& text, size_t offset) {
    CompileStop stop{make_diagnostic(code, msg, ctx)};
    stop.diag.condition = text;
    auto [l, c] = line_column(text, offset);
    stop.diag.condition_line = l;
    stop.diag.condition_column = c;
    throw stop;
  }

  AstPtr parse(const std::string& text, const ItemContext& ctx) {
    ParseError detail;
    auto r = parse_condition(text, kDefaultMaxDepth, &detail);
    if (!r) fail_in_condition(LoadCode::kErrCompileCondition, detail.message, ctx, text, detail.offset);
    return std::move(r).value();
  }

  void substitute(std::string& text, const ItemContext& ctx) {
    if (!substitute_lists(text, lists_, col_.lists())) {
      throw LoadError(LoadCode::kErrCompileCondition,
                      "Condition longer than " + std::to_string(kMaxConditionBytes) + " bytes after list substitution",
                      ctx);
    }
  }

  void compile_macros() {
    auto& macros = col_.macros();
    macro_asts_.clear();
    for (auto& m : macros) {
      std::string text = m.condition;
      substitute(text, m.ctx);
      AstPtr ast = parse(text, m.ctx);
      macro_refs_.push_back(referenced_identifiers(*ast));
      MacroSize sz;
      count_nodes(*ast, sz.nodes, sz.refs);
      macro_sizes_.push_back(std::move(sz));
      macro_asts_.push_back(std::move(ast));
      by_name_[m.name] = macro_asts_.size() - 1;
    }
    for (size_t i = 0; i < macros.size(); ++i) {
      check_references(macro_refs_[i], macros[i].visibility, macros[i].ctx);
    }
  }

  /// Rejects undefined (or not yet visible) macros and reference loops; marks every reachable macro used.
  void check_references(const std::vector<std::string>& refs, size_t visibility, const ItemContext& ctx) {
    std::vector<uint8_t> state(macro_asts_.size(), 0);  // 0 new, 1 on the current path, 2 done
    visit(refs, visibility, ctx, state);
  }

  void visit(const std::vector<std::string>& refs, size_t visibility, const ItemContext& ctx,
             std::vector<uint8_t>& state) {
    for (const auto& name : refs) {
      auto it = by_name_.find(name);
      if (it == by_name_.end() || it->second >= visibility) {
        throw LoadError(LoadCode::kErrValidate, "Undefined macro '" + name + "' used in filter.", ctx);
      }
      size_t i = it->second;
      if (state[i] == 1) throw LoadError(LoadCode::kErrValidate, "reference loop in macro '" + name + "'", ctx);
      col_.macros()[i].used = true;
      if (state[i] == 2) continue;
      state[i] = 1;
      visit(macro_refs_[i], visibility, ctx, state);
      state[i] = 2;
    }
  }

  /// Nodes of `ast` once every macro is substituted (saturating at kMaxExpandedNodes + 1). Call after
  /// check_references(): references are defined and acyclic.
  uint64_t expanded_size(uint64_t nodes, const std::map<std::string, uint64_t>& refs) {
    uint64_t total = nodes;
    for (const auto& [name, count] : refs) {
      auto it = by_name_.find(name);
      if (it == by_name_.end()) continue;
      const uint64_t each = macro_expanded(it->second);
      if (each > 0 && count > (kMaxExpandedNodes + 1) / each) return kMaxExpandedNodes + 1;
      total += count * each;
      if (total > kMaxExpandedNodes) return kMaxExpandedNodes + 1;
    }
    return total;
  }

  uint64_t macro_expanded(size_t i) {
    auto& sz = macro_sizes_[i];
    if (sz.expanded == 0) sz.expanded = expanded_size(sz.nodes, sz.refs);
    return sz.expanded;
  }

  void check_exception_fields(const RuleInfo& rule) {
    for (const auto& ex : rule.exceptions) {
      for (const auto& f : ex.fields) {
        std::string suffix;
        auto open = f.find('[');
        std::string name = open == std::string::npos ? f : f.substr(0, open);
        if (registry_.resolve(name, &suffix) == nullptr) {
          throw LoadError(LoadCode::kErrValidate,
                          "Rule exception item " + ex.name + ": field name " + f + " is not a supported filter field",
                          rule.ctx);
        }
      }
    }
  }

  bool skippable(const RuleInfo& rule, const CompileFailure& f, const std::string& msg) {
    if (!rule.skip_if_unknown_filter) return false;
    if (f.code != kErrUnknownField && msg.find("unknown event type") == std::string::npos) return false;
    res_.add(make_diagnostic(LoadCode::kUnknownFilter, msg, rule.ctx));
    return true;
  }

  void add_compile_warnings(const std::vector<Diagnostic>& warnings, const RuleInfo& rule, const std::string& text) {
    for (const auto& w : warnings) {
      auto code = load_code_from_name(w.code).value_or(LoadCode::kCompileCondition);
      // Falco warns about `<NA>` comparisons only for ka.* / jevt.* fields, which exist only for k8s_audit
      // rules; the filter compiler warns for every field, so syscall rules drop the warning here.
      if (code == LoadCode::kUnsafeNaCheck && rule.source != kSourceK8sAudit) continue;
      LoadDiagnostic d = make_diagnostic(code, w.message, rule.ctx);
      d.condition = text;
      auto [l, c] = line_column(text, w.offset);
      d.condition_line = l;
      d.condition_column = c;
      res_.add(std::move(d));
    }
  }

  std::unique_ptr<CompiledRule> compile_rule(const RuleInfo& rule) {
    if (rule.exceptions.size() > 0) check_exception_fields(rule);
    std::string text = build_exception_condition(rule.condition, rule.exceptions, rule.ctx);
    substitute(text, rule.ctx);
    AstPtr ast = parse(text, rule.ctx);
    check_references(referenced_identifiers(*ast), macro_asts_.size(), rule.ctx);
    {
      uint64_t nodes = 0;
      std::map<std::string, uint64_t> refs;
      count_nodes(*ast, nodes, refs);
      const uint64_t size = expanded_size(nodes, refs);
      if (size > kMaxExpandedNodes) {
        throw LoadError(LoadCode::kErrCompileCondition,
                        "Condition has more than " + std::to_string(kMaxExpandedNodes) +
                            " nodes after macro expansion",
                        rule.ctx);
      }
      total_nodes_ += size;
      if (total_nodes_ > kMaxTotalExpandedNodes) {
        throw LoadError(LoadCode::kErrCompileCondition,
                        "Rules have more than " + std::to_string(kMaxTotalExpandedNodes) +
                            " condition nodes in total after macro expansion",
                        rule.ctx);
      }
    }
    auto lookup = [this](std::string_view name) -> const Ast* {
      auto it = by_name_.find(std::string(name));
      return it == by_name_.end() ? nullptr : macro_asts_[it->second].get();
    };
    if (auto r = substitute_macros(ast, lookup); !r) {
      throw LoadError(LoadCode::kErrValidate, r.error().message, rule.ctx);
    }
    CompileOptions opts;
    opts.pool = &pool_;
    opts.nodes = &nodes_;
    opts.source = rule.source == kSourceK8sAudit ? EventSource::kK8sAudit : EventSource::kSyscall;
    std::vector<Diagnostic> warnings;
    CompileFailure failure;
    auto filter = compile_filter(*ast, registry_, &warnings, opts, &failure);
    if (!filter) {
      if (skippable(rule, failure, filter.error().message)) return nullptr;
      // Offsets of nodes that came from a macro point into the macro's text, not the rule's: for unknown
      // fields, locate the field in the rule text instead, and give no position if it is not there.
      if (!failure.field.empty() && text.compare(failure.offset, failure.field.size(), failure.field) != 0) {
        const size_t at = text.find(failure.field);
        if (at == std::string::npos) {
          throw LoadError(LoadCode::kErrCompileCondition, filter.error().message, rule.ctx);
        }
        failure.offset = at;
      }
      fail_in_condition(LoadCode::kErrCompileCondition, filter.error().message, rule.ctx, text, failure.offset);
    }
    auto output = compile_output(rule.output, registry_, &pool_);
    if (!output) {
      CompileFailure none;
      none.code = is_unknown_field_error(output.error()) ? std::string(kErrUnknownField) : std::string(kErrCompile);
      if (skippable(rule, none, output.error().message)) return nullptr;
      throw LoadError(LoadCode::kErrCompileOutput, output.error().message, rule.ctx);
    }
    add_compile_warnings(warnings, rule, text);

    auto c = std::make_unique<CompiledRule>();
    c->name = rule.name;
    c->desc = rule.desc;
    c->source = rule.source;
    c->priority = rule.priority;
    c->tags.assign(rule.tags.begin(), rule.tags.end());
    c->defined_enabled = rule.enabled;
    c->condition = text;
    c->filter = std::move(filter).value();
    c->guard = c->filter->guard_memo_id();
    c->output = std::move(output).value();
    c->index = rule.index;
    c->reads_proc_env = ast_reads_proc_env(*ast) || output_reads_proc_env(c->output);
    c->needs_proc_env = c->reads_proc_env;
    if (rule.source == kSourceK8sAudit) {
      c->evttypes.set(static_cast<size_t>(EventType::kK8sAudit));
    } else {
      static const EventTypeSet kSyscalls = syscall_types();
      c->evttypes = event_types(*ast) & kSyscalls;
      c->open_filter = open_prefilter(*ast);
      // Falco warns above 100 of its ~380 event codes; our table has ~60 types, so "more than half of them"
      // keeps the intent: unrestricted rules and `evt.type != x` style rules warn, real sets never do.
      if (c->evttypes.count() > kSyscalls.count() / 2 && rule.warn_evttypes) {
        res_.add(make_diagnostic(LoadCode::kNoEvttype,
                                 "Rule matches too many evt.type values. This has a significant performance penalty.",
                                 rule.ctx));
      }
    }
    return c;
  }

  Collector& col_;
  const FieldRegistry& registry_;
  ExtractorPool& pool_;
  /// Memo slots only where a sub-condition is really shared (drop_unshared_memos), then the rules' guards.
  static void unshare_single_use(std::vector<std::unique_ptr<CompiledRule>>& out, size_t first) {
    std::vector<NodePtr*> roots;
    for (size_t i = first; i < out.size(); ++i)
      if (auto* r = out[i]->filter->root_edge()) roots.push_back(r);
    drop_unshared_memos(roots);
    for (size_t i = first; i < out.size(); ++i) {
      out[i]->filter->refresh_guard();
      out[i]->guard = out[i]->filter->guard_memo_id();
    }
  }

  FilterNodePool nodes_;  // sub-conditions shared by this load's rules (engine/filter/nodes.h)
  LoadResult& res_;
  std::vector<ListInfo> lists_;
  std::vector<AstPtr> macro_asts_;
  std::vector<std::vector<std::string>> macro_refs_;
  struct MacroSize {
    uint64_t nodes = 0;
    std::map<std::string, uint64_t> refs;
    uint64_t expanded = 0;  // 0 = not computed yet (a macro has at least one node)
  };
  std::vector<MacroSize> macro_sizes_;
  uint64_t total_nodes_ = 0;
  std::map<std::string, size_t> by_name_;
};

}  // namespace

std::pair<int, int> line_column(const std::string& text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

void compile_rules(Collector& col, const FieldRegistry& registry, ExtractorPool& pool, LoadResult& res,
                   std::vector<std::unique_ptr<CompiledRule>>& out) {
  RuleCompiler(col, registry, pool, res).run(out);
}

}  // namespace peregrine::engine
