#include "sensor/proc_table.h"

#include <algorithm>

#include "sensor/container_id.h"

namespace peregrine::sensor {

ProcEntry* ProcTable::find(uint32_t pid) {
  auto it = map_.find(pid);
  return it == map_.end() ? nullptr : &it->second;
}

bool ProcTable::make_room() {
  while (map_.size() >= max_ && !exited_order_.empty()) {
    uint32_t victim = exited_order_.front();
    exited_order_.pop_front();
    auto it = map_.find(victim);
    if (it != map_.end() && it->second.exited) {  // may have been reused by a new process since
      map_.erase(it);
      ++evicted_;
    }
  }
  if (map_.size() >= max_) {
    ++refused_;
    return false;
  }
  return true;
}

ProcEntry* ProcTable::upsert(ProcEntry e) {
  auto it = map_.find(e.pid);
  if (it != map_.end()) {
    it->second = std::move(e);
    it->second.fds.set_max(max_fds_);
    return &it->second;
  }
  if (!make_room()) return nullptr;
  uint32_t pid = e.pid;
  auto [ins, _] = map_.emplace(pid, std::move(e));
  ins->second.fds.set_max(max_fds_);
  return &ins->second;
}

ProcEntry* ProcTable::get_or_create(uint32_t pid) {
  if (auto* p = find(pid)) return p;
  ProcEntry e;
  e.pid = pid;
  e.fds = FdTable(max_fds_);
  return upsert(std::move(e));
}

ProcEntry* ProcTable::on_fork(uint32_t child, uint32_t parent_pid, uint32_t ppid) {
  ProcEntry e;
  if (const auto* parent = find(parent_pid)) {
    e = *parent;  // fork copies the fd table and the exec image
  } else {
    e.fds = FdTable(max_fds_);
  }
  e.pid = child;
  e.ppid = ppid;
  e.exited = false;
  return upsert(std::move(e));
}

void ProcTable::on_exit(uint32_t pid) {
  auto it = map_.find(pid);
  if (it == map_.end() || it->second.exited) return;
  it->second.exited = true;
  it->second.fds = FdTable(max_fds_);  // an exited process holds no fds; free the memory now
  exited_order_.push_back(pid);
}

std::vector<std::string> ProcTable::container_ids() const {
  std::vector<std::string> ids;
  for (const auto& [pid, e] : map_)
    if (!e.exited && e.container_id != kHostContainerId) ids.push_back(e.container_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void ProcTable::ancestors(uint32_t pid, size_t max, std::vector<AncestorInfo>& out) {
  // Assign into existing elements so a reused Event keeps its string capacity (no allocation when steady).
  size_t n = 0;
  const ProcEntry* cur = find(pid);
  uint32_t seen_last = pid;
  while (cur != nullptr && n < max) {
    uint32_t ppid = cur->ppid;
    if (ppid == 0 || ppid == seen_last) break;
    const ProcEntry* parent = find(ppid);
    if (parent == nullptr) break;
    if (out.size() <= n) out.emplace_back();
    AncestorInfo& a = out[n++];
    a.pid = parent->pid;
    a.comm = parent->comm;
    a.exe = parent->exe;
    a.exepath = parent->exepath;
    a.args = parent->args;
    seen_last = ppid;
    if (ppid == 1) break;
    cur = parent;
  }
  out.resize(n);
}

}  // namespace peregrine::sensor
