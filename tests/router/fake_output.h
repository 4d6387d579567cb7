// A scripted Output for delivery tests: records what it was sent and fails according to a script.
#pragma once

#include <condition_variable>
#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "outputs/json_lines.h"
#include "outputs/output.h"
#include "tests/support/wait.h"

namespace peregrine::test {

class FakeOutput final : public outputs::Output {
 public:
  explicit FakeOutput(std::string name = "fake", outputs::DeliveryOptions delivery = fast_delivery()) {
    common_.type = "fake";
    common_.name = std::move(name);
    common_.delivery = delivery;
  }

  static outputs::DeliveryOptions fast_delivery() {
    outputs::DeliveryOptions d;
    d.initial_backoff = std::chrono::milliseconds(1);
    d.max_backoff = std::chrono::milliseconds(5);
    return d;
  }

  outputs::OutputCommon& mutable_common() { return common_; }
  const outputs::OutputCommon& common() const override { return common_; }

  /// One payload per batch (or, with keys(), one per alert and key, like SMS per recipient); the body is the
  /// uuids (or "uuid@key"), one per line. omit() and set_aside() make it misbehave / set alerts aside.
  Result<outputs::Formatted> format(std::span<const Alert> batch) const override {
    std::lock_guard lk(mu_);
    outputs::Formatted f;
    outputs::Payload p;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (omitted_.count(batch[i].uuid)) continue;  // a buggy output: neither sent nor set aside
      if (auto it = aside_.find(batch[i].uuid); it != aside_.end()) {
        f.set_aside.push_back({i, it->second});
        continue;
      }
      if (keys_.empty()) {
        p.body += batch[i].uuid + "\n";
        p.items.push_back(i);
        continue;
      }
      for (const auto& k : keys_) {
        outputs::Payload one;
        one.body = batch[i].uuid + "@" + k + "\n";
        one.items = {i};
        one.key = k;
        f.payloads.push_back(std::move(one));
      }
    }
    if (!p.items.empty()) f.payloads.push_back(std::move(p));
    return f;
  }
  void omit(const std::string& uuid) {
    std::lock_guard lk(mu_);
    omitted_.insert(uuid);
  }
  void set_aside(const std::string& uuid, const std::string& reason) {
    std::lock_guard lk(mu_);
    aside_[uuid] = reason;
  }
  void keys(std::vector<std::string> k) {
    std::lock_guard lk(mu_);
    keys_ = std::move(k);
  }
  /// The next send of a payload with this key fails with `f`.
  void fail_key_once(const std::string& key, outputs::SendFailure f) {
    std::lock_guard lk(mu_);
    key_failures_[key] = std::move(f);
  }
  /// concurrency() answer; sends block while hold(true) until hold(false).
  void set_concurrency(size_t n) { concurrency_ = n; }
  size_t concurrency() const override { return concurrency_; }
  void hold(bool h) {
    std::lock_guard lk(mu_);
    hold_ = h;
    cv_.notify_all();
  }
  size_t max_in_flight() const {
    std::lock_guard lk(mu_);
    return max_in_flight_;
  }

  /// Next send() calls fail with these, in order; then sends succeed.
  void script(std::vector<outputs::SendFailure> failures) {
    std::lock_guard lk(mu_);
    for (auto& f : failures) script_.push_back(std::move(f));
  }
  /// Fails only the item carrying this uuid, once, with `f`.
  void fail_item_once(const std::string& uuid, outputs::SendFailure f) {
    std::lock_guard lk(mu_);
    item_failures_.emplace_back(uuid, std::move(f));
  }

  outputs::SendResult send(const outputs::Payload& p) override {
    std::unique_lock lk(mu_);
    ++sends_;
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    cv_.notify_all();
    cv_.wait(lk, [&] { return !hold_; });
    --in_flight_;
    outputs::SendResult r;
    if (auto it = key_failures_.find(p.key); it != key_failures_.end()) {
      r.failure = it->second;
      key_failures_.erase(it);
      cv_.notify_all();
      return r;
    }
    if (!script_.empty()) {
      r.failure = script_.front();
      script_.pop_front();
      cv_.notify_all();
      return r;
    }
    size_t idx = 0;
    size_t start = 0;
    while (start < p.body.size()) {
      const size_t nl = p.body.find('\n', start);
      const std::string uuid = p.body.substr(start, nl - start);
      bool failed = false;
      for (auto it = item_failures_.begin(); it != item_failures_.end(); ++it) {
        if (it->first == uuid) {
          r.item_failures.emplace_back(p.items[idx], it->second);
          item_failures_.erase(it);
          failed = true;
          break;
        }
      }
      if (!failed) delivered_.push_back(uuid);
      start = nl + 1;
      ++idx;
    }
    cv_.notify_all();
    return r;
  }

  outputs::SendResult flush() override { return {}; }

  std::vector<std::string> delivered() const {
    std::lock_guard lk(mu_);
    return delivered_;
  }
  size_t sends() const {
    std::lock_guard lk(mu_);
    return sends_;
  }
  /// Waits until at least `n` uuids were delivered or the deadline passes.
  bool wait_delivered(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return delivered_.size() >= n; });
  }
  bool wait_sends(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return sends_ >= n; });
  }

 private:
  outputs::OutputCommon common_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<outputs::SendFailure> script_;
  std::vector<std::pair<std::string, outputs::SendFailure>> item_failures_;
  std::vector<std::string> delivered_;
  size_t sends_ = 0;
  std::set<std::string> omitted_;
  std::map<std::string, std::string> aside_;
  std::vector<std::string> keys_;
  std::map<std::string, outputs::SendFailure> key_failures_;
  std::atomic<size_t> concurrency_{1};
  bool hold_ = false;
  size_t in_flight_ = 0, max_in_flight_ = 0;
};

inline outputs::SendFailure http_failure(int status) {
  return outputs::SendFailure{outputs::SendFailure::Kind::kHttpStatus, status, std::nullopt, "status"};
}

}  // namespace peregrine::test
