#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <thread>
#include <fstream>
#include <string>
#include <vector>

#include "router/queue/crc32c.h"
#include "router/queue/durable_queue.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine::router;
using peregrine::testing::TempDir;
namespace fs = std::filesystem;

namespace {

QueueOptions small_options(const fs::path& dir) {
  QueueOptions o;
  o.dir = dir;
  o.segment_bytes = 4096;
  o.max_bytes = 64 * 1024;
  o.fsync = peregrine::config::FsyncMode::kBatch;
  return o;
}

std::unique_ptr<DurableQueue> must_open(const QueueOptions& o) {
  auto q = DurableQueue::open(o);
  REQUIRE_MESSAGE(q.ok(), (q.ok() ? "" : q.error().message));
  return std::move(q).value();
}

std::vector<std::string> payloads(int n, const std::string& prefix, size_t pad = 0) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i) + std::string(pad, 'x'));
  return v;
}

std::vector<fs::path> segment_files(const fs::path& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".seg") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("crc32c matches the published check value") {
  const std::string s = "123456789";
  CHECK(crc32c(0, s.data(), s.size()) == 0xE3069283u);
}

TEST_CASE("crc32c: the hardware path equals the table path at every length and alignment, chained too") {
  std::string data(4096 + 7, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + 7) & 0xff);
  for (size_t off = 0; off < 8; ++off)
    for (size_t len = 0; len + off <= data.size(); len += (len < 64 ? 1 : 97))
      REQUIRE(crc32c(0, data.data() + off, len) == crc32c_portable(0, data.data() + off, len));
  const uint32_t a = crc32c(0, data.data(), 100);
  CHECK(crc32c(a, data.data() + 100, 900) == crc32c_portable(0, data.data(), 1000));
}

TEST_CASE("append then read returns records in order with consecutive seqs") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  auto p = payloads(5, "alert-");
  auto first = q->append(p);
  REQUIRE(first.ok());
  CHECK(*first == 0);
  auto second = q->append(payloads(2, "more-"));
  REQUIRE(second.ok());
  CHECK(*second == 5);
  auto recs = q->read(0, 100, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 7);
  CHECK((*recs)[0].payload == "alert-0");
  CHECK((*recs)[6].payload == "more-1");
  CHECK((*recs)[6].seq == 6);
  auto tail = q->read(3, 2, 1 << 20);
  REQUIRE(tail.ok());
  REQUIRE(tail->size() == 2);
  CHECK((*tail)[0].seq == 3);
  CHECK((*tail)[1].seq == 4);
  auto none = q->read(7, 10, 1 << 20);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("records survive reopen and span segments") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    for (int i = 0; i < 20; ++i) REQUIRE(q->append(payloads(3, "b" + std::to_string(i) + "-", 100)).ok());
  }
  CHECK(segment_files(t.path()).size() > 1);
  auto q = must_open(small_options(t.path()));
  CHECK(q->next_seq() == 60);
  auto recs = q->read(0, 1000, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 60);
  for (size_t i = 0; i < recs->size(); ++i) CHECK((*recs)[i].seq == i);
  CHECK((*recs)[59].payload.rfind("b19-2", 0) == 0);
}

TEST_CASE("read honours max_bytes but always returns at least one record") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  REQUIRE(q->append(payloads(10, "r", 200)).ok());
  auto one = q->read(0, 10, 1);
  REQUIRE(one.ok());
  CHECK(one->size() == 1);
  auto some = q->read(0, 10, 500);
  REQUIRE(some.ok());
  CHECK(some->size() >= 2);
  CHECK(some->size() < 10);
}

TEST_CASE("cursors persist and a new cursor starts at the end") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    REQUIRE(q->append(payloads(4, "x")).ok());
    auto c = q->register_cursor("file#audit");
    REQUIRE(c.ok());
    CHECK(*c == 4);  // only future records
    REQUIRE(q->append(payloads(3, "y")).ok());
    REQUIRE(q->commit_cursor("file#audit", 6).ok());
  }
  auto q = must_open(small_options(t.path()));
  auto c = q->register_cursor("file#audit");
  REQUIRE(c.ok());
  CHECK(*c == 6);
  auto rest = q->read(*c, 10, 1 << 20);
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 1);
  CHECK(rest->front().payload == "y2");
}

TEST_CASE("segments are reclaimed only when every cursor has passed them") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  REQUIRE(q->register_cursor("a").ok());
  REQUIRE(q->register_cursor("b").ok());
  int hook_calls = 0;
  q->set_before_reclaim([&] { ++hook_calls; });
  for (int i = 0; i < 30; ++i) REQUIRE(q->append(payloads(2, "p", 200)).ok());
  const size_t before = segment_files(t.path()).size();
  REQUIRE(before > 2);
  const auto bytes_before = q->stats().bytes_on_disk;

  REQUIRE(q->commit_cursor("a", q->next_seq()).ok());
  CHECK(segment_files(t.path()).size() == before);  // b still at 0
  CHECK(hook_calls == 0);

  REQUIRE(q->commit_cursor("b", 30).ok());
  const size_t after = segment_files(t.path()).size();
  CHECK(after < before);
  CHECK(hook_calls == 1);
  CHECK(q->stats().bytes_on_disk < bytes_before);
  CHECK(q->stats().reclaimed_segments == before - after);
  // Everything from b's cursor on is still readable.
  auto recs = q->read(30, 1000, 1 << 20);
  REQUIRE(recs.ok());
  CHECK(recs->size() == 30);
  CHECK(recs->front().seq == 30);
}

TEST_CASE("a truncated tail record is ignored, counted and overwritten by the next append") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    REQUIRE(q->append(payloads(3, "ok")).ok());
  }
  auto segs = segment_files(t.path());
  REQUIRE(segs.size() == 1);
  const auto good_size = fs::file_size(segs[0]);
  {
    // Simulate a crash mid-append: a header promising 100 bytes followed by only 5.
    std::ofstream out(segs[0], std::ios::binary | std::ios::app);
    const char partial[] = {100, 0, 0, 0, 1, 2, 3, 4, 3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'};
    out.write(partial, sizeof partial);
  }
  auto q = must_open(small_options(t.path()));
  CHECK(q->stats().truncated_tail == 1);
  CHECK(q->next_seq() == 3);
  CHECK(fs::file_size(segs[0]) == good_size);
  REQUIRE(q->append(payloads(1, "after")).ok());
  auto recs = q->read(0, 10, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 4);
  CHECK((*recs)[3].payload == "after0");
}

TEST_CASE("a corrupt crc ends recovery at the last good record") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    REQUIRE(q->append(payloads(3, "rec")).ok());
  }
  auto seg = segment_files(t.path()).at(0);
  {
    // Flip one payload byte of the third record (each frame is 16 + 4 bytes).
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(2 * 20 + DurableQueue::kHeaderBytes + 1);
    f.put('Z');
  }
  auto q = must_open(small_options(t.path()));
  CHECK(q->stats().truncated_tail == 1);
  CHECK(q->next_seq() == 2);
  auto recs = q->read(0, 10, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 2);
  CHECK((*recs)[1].payload == "rec1");
}

TEST_CASE("corruption inside an older segment is counted and the reader skips to the next segment") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    for (int i = 0; i < 20; ++i) REQUIRE(q->append(payloads(2, "s", 300)).ok());
  }
  auto segs = segment_files(t.path());
  REQUIRE(segs.size() >= 2);
  {
    std::fstream f(segs[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(DurableQueue::kHeaderBytes + 2);  // first record's payload
    f.put('!');
  }
  auto q = must_open(small_options(t.path()));
  CHECK(q->stats().corrupt_records == 1);
  CHECK(q->next_seq() == 40);
  auto recs = q->read(0, 1000, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(!recs->empty());
  CHECK(recs->front().seq > 0);  // the damaged segment contributes nothing
  CHECK(recs->back().seq == 39);
}

TEST_CASE("disk budget: appends beyond max_bytes are rejected with a clear error and counted") {
  TempDir t;
  auto o = small_options(t.path());
  o.max_bytes = 8192;
  auto q = must_open(o);
  REQUIRE(q->register_cursor("out").ok());
  int accepted = 0;
  peregrine::Result<uint64_t> r = uint64_t{0};
  for (int i = 0; i < 100; ++i) {
    r = q->append(payloads(1, "big", 500));
    if (!r) break;
    ++accepted;
  }
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("queue full") != std::string::npos);
  CHECK(q->stats().rejected_full == 1);
  CHECK(accepted > 0);
  // Everything accepted is still there.
  auto recs = q->read(0, 1000, 1 << 20);
  REQUIRE(recs.ok());
  CHECK(recs->size() == static_cast<size_t>(accepted));
  // Delivering frees space again.
  REQUIRE(q->commit_cursor("out", q->next_seq()).ok());
  CHECK(q->append(payloads(1, "again", 500)).ok());
}

TEST_CASE("wait_for_records returns as soon as a record arrives or at the deadline") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  auto now = std::chrono::steady_clock::now();
  CHECK_FALSE(q->wait_for_records(0, now + std::chrono::milliseconds(20)));
  std::thread writer([&] { (void)q->append(payloads(1, "w")); });
  CHECK(q->wait_for_records(0, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  writer.join();
}

TEST_CASE("a new cursor is persisted at registration, so a restart does not skip what arrived before delivery") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    REQUIRE(q->append(payloads(2, "before")).ok());
    REQUIRE(*q->register_cursor("late") == 2);
    REQUIRE(q->append(payloads(3, "pending")).ok());
    // crash here: nothing delivered, no commit
  }
  auto q = must_open(small_options(t.path()));
  auto c = q->register_cursor("late");
  REQUIRE(c.ok());
  CHECK(*c == 2);
  auto recs = q->read(*c, 10, 1 << 20);
  REQUIRE(recs.ok());
  CHECK(recs->size() == 3);
}

TEST_CASE("fsync policies: batch syncs every append, interval only when due, none never") {
  TempDir t;
  auto o = small_options(t.path() / "batch");
  auto qb = must_open(o);
  for (int i = 0; i < 3; ++i) REQUIRE(qb->append(payloads(1, "b")).ok());
  CHECK(qb->stats().fsyncs == 3);

  o = small_options(t.path() / "interval");
  o.fsync = peregrine::config::FsyncMode::kInterval;
  o.fsync_interval = std::chrono::hours(1);
  auto qi = must_open(o);
  for (int i = 0; i < 3; ++i) REQUIRE(qi->append(payloads(1, "i")).ok());
  CHECK(qi->stats().fsyncs == 0);
  REQUIRE(qi->sync_if_due().ok());
  CHECK(qi->stats().fsyncs == 0);  // not due yet
  REQUIRE(qi->sync().ok());
  CHECK(qi->stats().fsyncs == 1);
  REQUIRE(qi->sync().ok());
  CHECK(qi->stats().fsyncs == 1);  // nothing new to sync

  o = small_options(t.path() / "none");
  o.fsync = peregrine::config::FsyncMode::kNone;
  auto qn = must_open(o);
  REQUIRE(qn->append(payloads(3, "n")).ok());
  REQUIRE(qn->sync_if_due().ok());
  CHECK(qn->stats().fsyncs == 0);
}

TEST_CASE("sequence numbers never go back below a persisted cursor, even if segments were deleted by hand") {
  TempDir t;
  {
    auto q = must_open(small_options(t.path()));
    REQUIRE(q->register_cursor("out").ok());
    REQUIRE(q->append(payloads(5, "x")).ok());
    REQUIRE(q->commit_cursor("out", 5).ok());
  }
  for (const auto& f : segment_files(t.path())) fs::remove(f);
  auto q = must_open(small_options(t.path()));
  CHECK(q->next_seq() == 5);
  REQUIRE(*q->register_cursor("out") == 5);
  REQUIRE(q->append(payloads(1, "new")).ok());
  auto recs = q->read(5, 10, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 1);
  CHECK(recs->front().payload == "new0");
}

TEST_CASE("open rejects nonsense options") {
  TempDir t;
  QueueOptions o = small_options(t.path());
  o.segment_bytes = 10;
  CHECK_FALSE(DurableQueue::open(o).ok());
  o = small_options(t.path());
  o.max_bytes = 100;
  CHECK_FALSE(DurableQueue::open(o).ok());
  o.dir.clear();
  CHECK_FALSE(DurableQueue::open(o).ok());
}

TEST_CASE("group commit: concurrent appends share fdatasyncs and every record is durable on return") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kPerThread; ++i) {
        auto first = q->append(payloads(1, "t" + std::to_string(th) + "-"));
        // On return the record must be covered by a completed fdatasync.
        if (!first || q->stats().fsyncs == 0) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(q->next_seq() == kThreads * kPerThread);
  auto recs = q->read(0, 1000, 1 << 20);
  REQUIRE(recs.ok());
  CHECK(recs->size() == kThreads * kPerThread);
  MESSAGE("fdatasyncs for " << kThreads * kPerThread << " concurrent appends: " << q->stats().fsyncs);
}

TEST_CASE("write then make_durable: records are readable before the sync and durable after") {
  TempDir t;
  auto q = must_open(small_options(t.path()));
  auto first = q->write(payloads(3, "w"));
  REQUIRE(first.ok());
  CHECK(q->stats().fsyncs == 0);
  CHECK(q->read(0, 10, 1 << 20)->size() == 3);
  REQUIRE(q->make_durable(*first + 3).ok());
  CHECK(q->stats().fsyncs == 1);
  REQUIRE(q->make_durable(*first + 3).ok());
  CHECK(q->stats().fsyncs == 1);  // already covered
  CHECK_FALSE(q->failed());
}
