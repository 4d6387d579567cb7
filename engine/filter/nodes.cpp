#include "engine/filter/nodes.h"

#include <unordered_map>
#include <unordered_set>

namespace peregrine::engine {

NodePtr FilterNodePool::intern(const std::string& key, NodePtr fresh) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = by_key_.try_emplace(key);
  if (!inserted) {
    ++hits_;
    return it->second;
  }
  it->second = std::make_shared<MemoNode>(std::move(fresh), static_cast<uint32_t>(by_key_.size() - 1));
  return it->second;
}

namespace {

// Nodes are created non-const and shared as pointers to const; this load-time pass is the only writer.
Node& writable(const NodePtr& n) { return const_cast<Node&>(*n); }

}  // namespace

void drop_unshared_memos(const std::vector<NodePtr*>& roots) {
  // Edges into each node, counting every distinct node's children once (a shared node is one object).
  std::unordered_map<const Node*, size_t> edges_in;
  std::unordered_set<const Node*> seen;
  std::vector<NodePtr> stack;
  for (const NodePtr* r : roots) {
    if (!*r) continue;
    ++edges_in[r->get()];
    stack.push_back(*r);
  }
  std::vector<NodePtr> order;  // every distinct node once
  while (!stack.empty()) {
    NodePtr n = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(n.get()).second) continue;
    order.push_back(n);
    writable(n).for_each_edge([&](NodePtr& c) {
      ++edges_in[c.get()];
      stack.push_back(c);
    });
  }
  auto unwrap = [&](NodePtr& edge) {
    while (edge && edge->memo_id() >= 0 && edges_in[edge.get()] == 1) {
      edge = static_cast<const MemoNode&>(*edge).inner();
    }
  };
  for (NodePtr* r : roots) unwrap(*r);
  for (const NodePtr& n : order) writable(n).for_each_edge(unwrap);
}

size_t FilterNodePool::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

size_t FilterNodePool::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace peregrine::engine
