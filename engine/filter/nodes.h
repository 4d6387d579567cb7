// The evaluable nodes a compiled condition is made of (the boolean structure; checks are in compiler.cpp), and
// the pool that shares identical sub-conditions between the rules of one load.
//
// Sharing: the upstream rules repeat the same macros (open_write, open_read, spawned_process, container, the
// shell_binaries test, ...) in dozens of rules that all run on the same event type. The compiler interns every
// sub-condition by its canonical text; each distinct one is compiled once and wrapped in a MemoNode that keeps
// its result for the current event in the EvalContext, so it is evaluated at most once per event however many
// rules contain it. Conditions are pure functions of the event, so a kept result is always the one a fresh
// evaluation would give.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/fields/eval_context.h"

namespace peregrine::engine {

class Node {
 public:
  virtual ~Node() = default;
  virtual bool eval(EvalContext& ctx) const = 0;
  /// The memo slot of the first shared sub-condition that must hold for this one to hold (an And's first
  /// memoised operand; through a memo, its inner node's), for rule guards (Filter::guard_memo_id); -1 if none.
  virtual int32_t required_memo_id() const { return -1; }
  /// This node's memo slot (MemoNode), or -1.
  virtual int32_t memo_id() const { return -1; }
  /// Calls `f` on every child edge (load time only, before the filter is evaluated: drop_unshared_memos
  /// rewrites edges through it). Leaves have none.
  using EdgeFn = std::function<void(std::shared_ptr<const Node>&)>;
  virtual void for_each_edge(const EdgeFn&) {}
};
using NodePtr = std::shared_ptr<const Node>;

class AndNode final : public Node {
 public:
  explicit AndNode(std::vector<NodePtr> c) : c_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override {
    for (const auto& n : c_)
      if (!n->eval(ctx)) return false;
    return true;
  }
  int32_t required_memo_id() const override {
    for (const auto& n : c_)
      if (n->memo_id() >= 0) return n->memo_id();
    return -1;
  }
  void for_each_edge(const EdgeFn& f) override {
    for (auto& n : c_) f(n);
  }

 private:
  std::vector<NodePtr> c_;
};

class OrNode final : public Node {
 public:
  explicit OrNode(std::vector<NodePtr> c) : c_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override {
    for (const auto& n : c_)
      if (n->eval(ctx)) return true;
    return false;
  }
  void for_each_edge(const EdgeFn& f) override {
    for (auto& n : c_) f(n);
  }

 private:
  std::vector<NodePtr> c_;
};

class NotNode final : public Node {
 public:
  explicit NotNode(NodePtr c) : c_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override { return !c_->eval(ctx); }
  void for_each_edge(const EdgeFn& f) override { f(c_); }

 private:
  NodePtr c_;
};

class ConstNode final : public Node {
 public:
  explicit ConstNode(bool v) : v_(v) {}
  bool eval(EvalContext&) const override { return v_; }

 private:
  bool v_;
};

/// A shared sub-condition: evaluated once per event, its result kept in the context's memo slot `id`.
class MemoNode final : public Node {
 public:
  MemoNode(NodePtr inner, uint32_t id) : inner_(std::move(inner)), id_(id) {}
  bool eval(EvalContext& ctx) const override {
    bool v = false;
    if (ctx.memo_get(id_, v)) return v;
    v = inner_->eval(ctx);
    ctx.memo_put(id_, v);
    return v;
  }
  int32_t required_memo_id() const override { return inner_->required_memo_id(); }
  int32_t memo_id() const override { return static_cast<int32_t>(id_); }
  void for_each_edge(const EdgeFn& f) override { f(inner_); }
  const NodePtr& inner() const { return inner_; }

 private:
  NodePtr inner_;
  uint32_t id_;
};

/// After every rule of a load is compiled: a MemoNode reached through only one edge (a sub-condition that no
/// other rule or macro use shares) can never be asked twice for one event, so its memo look-up and store are pure
/// cost; the edge is pointed at its inner node instead. `roots` are the rules' root edges (rewritten in place).
/// Guards (required_memo_id) must be computed after this.
void drop_unshared_memos(const std::vector<NodePtr*>& roots);

/// Interns compiled sub-conditions by canonical key (see the header comment). One pool per set of filters that
/// is evaluated with one EvalContext (the rules of one load): memo slot ids are unique within a pool.
class FilterNodePool {
 public:
  /// The pooled node for `key`, or `fresh` wrapped in a MemoNode and stored under it.
  NodePtr intern(const std::string& key, NodePtr fresh);
  /// Distinct sub-conditions held (= memo slots used).
  size_t size() const;
  /// How many times a sub-condition was found already compiled.
  size_t hits() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, NodePtr> by_key_;
  size_t hits_ = 0;
};

}  // namespace peregrine::engine
