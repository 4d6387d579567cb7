#include "router/dedup/dedup_window.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/fd_util.h"
#include "router/queue/durable_queue.h"

namespace peregrine::router {

DedupWindow::DedupWindow(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  set_.reserve(std::min<size_t>(capacity_, 1u << 20));  // no rehash storms while the window fills
}

bool DedupWindow::contains(const std::string& uuid) const {
  std::lock_guard lk(mu_);
  return set_.count(uuid) != 0;
}

void DedupWindow::insert(const std::string& uuid) {
  std::lock_guard lk(mu_);
  insert_locked(uuid);
}

void DedupWindow::insert_locked(const std::string& uuid) {
  if (uuid.empty() || set_.count(uuid) != 0) return;
  order_.push_back(uuid);
  set_.insert(order_.back());
  while (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
}

size_t DedupWindow::size() const {
  std::lock_guard lk(mu_);
  return order_.size();
}

Result<void> DedupWindow::save(const std::filesystem::path& file) const {
  std::lock_guard save_lk(save_mu_);
  std::string body;
  {
    std::lock_guard lk(mu_);
    body.reserve(order_.size() * 37);
    for (const auto& u : order_) {
      body += u;
      body.push_back('\n');
    }
  }
  const std::string tmp = file.string() + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd.valid()) return errno_error("create", tmp);
    if (auto r = write_all(fd.get(), body, tmp); !r) return r;
    if (::fdatasync(fd.get()) != 0) return errno_error("fdatasync", tmp);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) return errno_error("rename", tmp);
  return fsync_dir(file.parent_path().string());
}

Result<size_t> DedupWindow::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return size_t{0};
  std::string line;
  size_t n = 0;
  std::lock_guard lk(mu_);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    insert_locked(line);
    ++n;
  }
  return n;
}

Result<size_t> rebuild_dedup(DedupWindow& window, const DurableQueue& queue, const std::filesystem::path& snapshot) {
  if (auto r = window.load(snapshot); !r) return r.error();
  size_t scanned = 0;
  uint64_t from = queue.stats().first_seq;
  for (;;) {
    auto recs = queue.read(from, 1024, 4u << 20);
    if (!recs) return recs.error();
    if (recs->empty()) break;
    for (const auto& rec : *recs) {
      auto j = nlohmann::json::parse(rec.payload, nullptr, false);
      if (j.is_object() && j.contains("uuid") && j["uuid"].is_string()) window.insert(j["uuid"].get<std::string>());
      ++scanned;
    }
    from = recs->back().seq + 1;
  }
  return scanned;
}

}  // namespace peregrine::router
