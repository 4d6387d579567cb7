// Multi-core evaluation: events split by process across worker threads are each evaluated exactly once, alerts
// of one process keep their order, a rules swap takes effect at one point of the stream on every worker, and a
// malformed batch is counted once with the records before it still evaluated.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/codec.h"
#include "common/event_json.h"
#include "common/metrics.h"
#include "engine/runtime/workers.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

std::string shadow_rule(const std::string& name) {
  return "- rule: " + name + "\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n"
         "  output: o %proc.pid %evt.num\n  priority: NOTICE\n";
}

Event shadow_open(uint32_t pid, uint64_t num) {
  Event e;
  const auto r = event_from_json_line(
      R"({"type":"openat","ts":1,"res":3,"args":{"name":"/etc/shadow","flags":"O_RDONLY"},)"
      R"("proc":{"name":"cat","pid":)" + std::to_string(pid) +
          R"(},"fd":{"num":3,"type":"f","name":"/etc/shadow"}})",
      e);
  REQUIRE(r.ok());
  e.num = num;
  return e;
}

std::vector<std::shared_ptr<RuleEngine>> rule_sets(size_t n, const std::string& rule_name) {
  std::vector<std::shared_ptr<RuleEngine>> sets;
  for (size_t i = 0; i < n; ++i) {
    auto r = std::make_shared<RuleEngine>();
    r->set_hostname("h");
    REQUIRE(r->load_string(shadow_rule(rule_name), "rules.yaml").successful());
    sets.push_back(std::move(r));
  }
  return sets;
}

uint64_t as_number(const FieldValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<uint64_t>(*i);
  FAIL("output field is not a number");
  return 0;
}

// What the sink saw: per process, the evt.num of each alert in arrival order, and the rule that raised it.
struct Seen {
  std::mutex mu;
  std::map<uint32_t, std::vector<uint64_t>> nums_by_pid;
  std::map<uint64_t, std::string> rule_by_num;
  size_t total = 0;
  AlertSink sink() {
    return [this](const Alert& a, std::string&&) {
      std::lock_guard lock(mu);
      const auto pid = static_cast<uint32_t>(as_number(a.output_fields.at("proc.pid")));
      const auto num = as_number(a.output_fields.at("evt.num"));
      nums_by_pid[pid].push_back(num);
      rule_by_num[num] = a.rule;
      ++total;
      return true;
    };
  }
};

// A batch of `count` events from pids 100..100+pids-1 in turn, numbered from `first_num`.
SharedBatch make_batch(uint64_t first_num, size_t count, uint32_t pids) {
  wire::BatchEncoder enc;
  for (size_t i = 0; i < count; ++i)
    enc.add(shadow_open(100 + static_cast<uint32_t>(i % pids), first_num + i));
  auto bytes = std::make_shared<std::vector<uint8_t>>(enc.bytes().begin(), enc.bytes().end());
  const std::span<const uint8_t> view(*bytes);
  return SharedBatch{std::move(bytes), view};
}

}  // namespace

TEST_CASE("workers evaluate every event once and keep each process's alerts in order") {
  metrics::Registry reg;
  Seen seen;
  EvalWorkers workers(rule_sets(2, "R"), seen.sink(), reg, 4);  // small queues: the dispatcher must wait
  constexpr size_t kBatches = 50, kPerBatch = 40;
  for (size_t b = 0; b < kBatches; ++b) REQUIRE(workers.dispatch(make_batch(b * kPerBatch, kPerBatch, 7)).ok());
  REQUIRE(workers.drain(kTimeout));

  CHECK(workers.events() == kBatches * kPerBatch);
  CHECK(workers.alerts() == kBatches * kPerBatch);
  CHECK(seen.total == kBatches * kPerBatch);
  CHECK(seen.rule_by_num.size() == kBatches * kPerBatch);  // no event twice
  REQUIRE(seen.nums_by_pid.size() == 7);
  std::set<size_t> used_workers;
  for (const auto& [pid, nums] : seen.nums_by_pid) {
    used_workers.insert(EvalWorkers::partition(pid, 2));
    for (size_t i = 1; i < nums.size(); ++i) REQUIRE(nums[i - 1] < nums[i]);  // the sensor's order, per process
  }
  CHECK(used_workers.size() == 2);  // the seven processes did not all land on one thread
}

TEST_CASE("buckets moved between workers mid-stream keep every process's order and evaluate each event once") {
  metrics::Registry reg;
  Seen seen;
  EvalWorkers workers(rule_sets(3, "R"), seen.sink(), reg, 2);
  constexpr size_t kPerBatch = 40;
  size_t batch = 0;
  // Move from the even split to a small share for the receiving thread, to none but one bucket, and back,
  // each time with batches still queued on the other workers.
  for (size_t buckets : {size_t{40}, size_t{1}, size_t{200}, size_t{85}}) {
    for (size_t i = 0; i < 25; ++i, ++batch) REQUIRE(workers.dispatch(make_batch(batch * kPerBatch, kPerBatch, 23)).ok());
    REQUIRE(workers.move_buckets(buckets, kTimeout));
    CHECK(workers.dispatcher_buckets() == buckets);
    CHECK(reg.gauge("peregrine_engine_dispatcher_share", "").value() ==
          doctest::Approx(static_cast<double>(buckets) / EvalWorkers::kBuckets));
  }
  REQUIRE(workers.drain(kTimeout));
  CHECK(seen.total == batch * kPerBatch);
  CHECK(seen.rule_by_num.size() == batch * kPerBatch);  // no event twice, none lost
  REQUIRE(seen.nums_by_pid.size() == 23);
  for (const auto& [pid, nums] : seen.nums_by_pid)
    for (size_t i = 1; i < nums.size(); ++i) REQUIRE(nums[i - 1] < nums[i]);
}

TEST_CASE("buckets move only after the other workers have evaluated what they hold") {
  metrics::Registry reg;
  Seen seen;
  // The other workers' alerts wait at a gate, so their queued events stay unevaluated while it is closed.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  const auto receiving = std::this_thread::get_id();
  AlertSink inner = seen.sink();
  AlertSink gated = [&](const Alert& a, std::string&& json) {
    if (std::this_thread::get_id() != receiving) {
      std::unique_lock lock(gate_mu);
      gate_cv.wait(lock, [&] { return open; });
    }
    return inner(a, std::move(json));
  };
  EvalWorkers workers(rule_sets(2, "R"), gated, reg, 64);
  auto open_gate = [&] {
    {
      std::lock_guard lock(gate_mu);
      open = true;
    }
    gate_cv.notify_all();
  };
  struct OnExit {  // destroyed before `workers`: a failed REQUIRE does not leave worker 1 waiting at the gate
    std::function<void()> f;
    ~OnExit() { f(); }
  } reopen{open_gate};
  for (size_t b = 0; b < 4; ++b) REQUIRE(workers.dispatch(make_batch(b * 40, 40, 9)).ok());
  const size_t before = workers.dispatcher_buckets();
  CHECK_FALSE(workers.move_buckets(10, std::chrono::milliseconds(100)));  // worker 1 still holds events
  CHECK(workers.dispatcher_buckets() == before);
  open_gate();
  REQUIRE(workers.move_buckets(10, kTimeout));
  CHECK(workers.dispatcher_buckets() == 10);
  for (size_t b = 4; b < 8; ++b) REQUIRE(workers.dispatch(make_batch(b * 40, 40, 9)).ok());
  REQUIRE(workers.drain(kTimeout));
  CHECK(seen.total == 8 * 40);
  for (const auto& [pid, nums] : seen.nums_by_pid)
    for (size_t i = 1; i < nums.size(); ++i) REQUIRE(nums[i - 1] < nums[i]);
}

TEST_CASE("the receiving thread's balanced share: its split plus its share equal another worker's share") {
  // No split cost: an even share.
  CHECK(EvalWorkers::balanced_dispatcher_buckets(0, 1000, 2) == 128);
  CHECK(EvalWorkers::balanced_dispatcher_buckets(0, 1000, 4) == 64);
  // Split 10% of an evaluation, 2 workers: s = 0.55, s0 = 0.45 of 256 buckets.
  CHECK(EvalWorkers::balanced_dispatcher_buckets(100, 1000, 2) == 115);
  // Split as costly as evaluating: worker 0 keeps one bucket (never zero, never above the even share).
  CHECK(EvalWorkers::balanced_dispatcher_buckets(1000, 1000, 2) == 1);
  CHECK(EvalWorkers::balanced_dispatcher_buckets(1000, 0, 2) == 128);  // nothing measured yet
  CHECK(EvalWorkers::balanced_dispatcher_buckets(100, 1000, 1) == 256);
}

TEST_CASE("a rules swap under a steady stream applies to every event dispatched after it and to none before") {
  metrics::Registry reg;
  Seen seen;
  EvalWorkers workers(rule_sets(2, "Old"), seen.sink(), reg, 2);
  constexpr size_t kPerBatch = 30, kBefore = 20, kAfter = 20;
  for (size_t b = 0; b < kBefore; ++b) REQUIRE(workers.dispatch(make_batch(b * kPerBatch, kPerBatch, 5)).ok());
  workers.swap_rules(rule_sets(2, "New"));
  for (size_t b = kBefore; b < kBefore + kAfter; ++b)
    REQUIRE(workers.dispatch(make_batch(b * kPerBatch, kPerBatch, 5)).ok());
  REQUIRE(workers.drain(kTimeout));

  REQUIRE(seen.rule_by_num.size() == (kBefore + kAfter) * kPerBatch);
  size_t old_count = 0, new_count = 0;
  for (const auto& [num, rule] : seen.rule_by_num) {
    const bool before = num < kBefore * kPerBatch;
    CHECK(rule == (before ? "Old" : "New"));
    ++(rule == "Old" ? old_count : new_count);
  }
  CHECK(old_count == kBefore * kPerBatch);
  CHECK(new_count == kAfter * kPerBatch);
  CHECK(workers.events() == (kBefore + kAfter) * kPerBatch);
}

TEST_CASE("a malformed record stops the split there: it is counted once and the records before it are evaluated") {
  metrics::Registry reg;
  Seen seen;
  EvalWorkers workers(rule_sets(2, "R"), seen.sink(), reg);
  auto batch = make_batch(0, 10, 3);
  auto bytes = std::make_shared<std::vector<uint8_t>>(batch.bytes.begin(), batch.bytes.end());
  // The 7th record's event type is set out of range (its first body byte after the 4-byte length prefix).
  auto dec = wire::BatchDecoder::open(*bytes);
  REQUIRE(dec.ok());
  std::span<const uint8_t> rec;
  uint32_t pid = 0;
  for (int i = 0; i < 7; ++i) REQUIRE(dec->next_record(rec, pid).ok());
  (*bytes)[static_cast<size_t>(rec.data() - bytes->data()) + 4] = 0xff;
  (*bytes)[static_cast<size_t>(rec.data() - bytes->data()) + 5] = 0xff;

  const std::span<const uint8_t> view(*bytes);
  auto r = workers.dispatch(SharedBatch{bytes, view});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("batch event #6") != std::string::npos);
  CHECK(r.error().message.find("unknown event type") != std::string::npos);
  REQUIRE(workers.drain(kTimeout));
  CHECK(seen.total == 6);
  CHECK(reg.counter("peregrine_engine_decode_errors_total", "").value() == 1);
}

TEST_CASE("the partition spreads consecutive pids over the workers and is stable") {
  std::map<size_t, int> per_worker;
  for (uint32_t pid = 1000; pid < 3000; ++pid) ++per_worker[EvalWorkers::partition(pid, 4)];
  REQUIRE(per_worker.size() == 4);
  for (const auto& [w, n] : per_worker) CHECK(n > 350);  // 500 each if even; well away from one worker's share
  CHECK(EvalWorkers::partition(4242, 4) == EvalWorkers::partition(4242, 4));
  CHECK(EvalWorkers::partition(4242, 1) == 0);
}
