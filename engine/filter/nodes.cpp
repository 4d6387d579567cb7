#include "engine/filter/nodes.h"

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

size_t FilterNodePool::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

size_t FilterNodePool::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace peregrine::engine
