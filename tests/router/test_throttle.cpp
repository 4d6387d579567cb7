// Storm control: which alerts of a key go out per window, the summary (count, first and last time), state
// saved and restored, the cap on keys; and through a delivery worker: throttled alerts are set aside and
// counted, the summary is delivered when the window ends, a restarted worker does not re-send the storm.
#include <doctest/doctest.h>

#include <fstream>

#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/delivery/delivery_worker.h"
#include "router/delivery/throttle.h"
#include "router/intake/intake_pipeline.h"
#include "router/intake/test_alert.h"
#include "router/queue/durable_queue.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/router/fake_output.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;
using peregrine::test::FakeOutput;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kSec = 1'000'000'000ull;
const uint64_t t0 = 1'800'000'000ull * kSec;

outputs::ThrottleConfig throttle_config(uint32_t max, std::chrono::milliseconds window, std::vector<std::string> key = {"rule"}) {
  outputs::ThrottleConfig c;
  c.enabled = true;
  c.key = std::move(key);
  c.max = max;
  c.window = window;
  return c;
}

Alert at(const std::string& uuid, uint64_t t, const std::string& rule = "R", const std::string& host = "h") {
  Alert a = test::small_alert(uuid, Priority::kCritical, rule);
  a.time_ns = t;
  a.hostname = host;
  return a;
}

}  // namespace

TEST_CASE("throttle: the first max alerts of a key pass, the rest are counted, one summary at the window's end") {
  Throttle th(throttle_config(2, 60s, {"rule", "hostname"}), "slack");
  CHECK(th.admit(at("a1", t0), t0));
  CHECK(th.admit(at("a2", t0 + 1), t0 + 1));
  CHECK_FALSE(th.admit(at("a3", t0 + 2 * kSec), t0 + 2 * kSec));
  CHECK_FALSE(th.admit(at("a4", t0 + 9 * kSec), t0 + 9 * kSec));
  CHECK(th.admit(at("b1", t0 + 9 * kSec, "R", "other-host"), t0 + 9 * kSec));  // another key
  CHECK(th.admit(at("c1", t0 + 9 * kSec, "Other rule"), t0 + 9 * kSec));
  CHECK(th.due(t0 + 59 * kSec).empty());
  REQUIRE(th.next_due() == t0 + 60 * kSec);
  auto s = th.due(t0 + 60 * kSec);
  REQUIRE(s.size() == 1);  // the other keys' windows end without anything suppressed: no summary
  CHECK(s[0].rule == "R");
  CHECK(s[0].hostname == "h");
  CHECK(s[0].priority == Priority::kCritical);
  CHECK(s[0].time_ns == t0 + 9 * kSec);
  CHECK(s[0].output.rfind("Throttled: 2 more alert(s) like this from ", 0) == 0);
  CHECK(s[0].output.find("(rule=R, hostname=h; at most 2 per 1m). First suppressed: out a3") != std::string::npos);
  CHECK(std::get<int64_t>(s[0].output_fields.at("peregrine.throttle.suppressed")) == 2);
  CHECK(std::get<std::string>(s[0].output_fields.at("peregrine.throttle.first")) == format_rfc3339_ns(t0 + 2 * kSec));
  CHECK(std::get<std::string>(s[0].output_fields.at("peregrine.throttle.last")) == format_rfc3339_ns(t0 + 9 * kSec));
  CHECK(std::find(s[0].tags.begin(), s[0].tags.end(), "peregrine_throttle_summary") != s[0].tags.end());
  CHECK(s[0].uuid.size() == 36);
  CHECK(th.keys() == 2);  // the other keys' windows started 9 s later
  CHECK(th.admit(at("a5", t0 + 61 * kSec), t0 + 61 * kSec));  // a new window
}

TEST_CASE("throttle: state survives save and load, summaries included, and a window that ended keeps its summary") {
  Throttle th(throttle_config(1, 10s), "sms");
  CHECK(th.admit(at("x1", t0), t0));
  CHECK_FALSE(th.admit(at("x2", t0 + 1), t0 + 1));
  const std::string saved = th.save();
  Throttle back(throttle_config(1, 10s), "sms");
  REQUIRE(back.load(saved).ok());
  CHECK_FALSE(back.admit(at("x3", t0 + 2), t0 + 2));  // the storm stays suppressed after a restart
  // A new alert after the end opens a new window; the old window's summary is still due.
  CHECK(back.admit(at("x4", t0 + 11 * kSec), t0 + 11 * kSec));
  auto s = back.due(t0 + 11 * kSec);
  REQUIRE(s.size() == 1);
  CHECK(std::get<int64_t>(s[0].output_fields.at("peregrine.throttle.suppressed")) == 2);
  const Throttle fresh(throttle_config(1, 10s), "sms");
  CHECK(s[0].uuid == fresh.summary(Throttle::Window{"R", t0, 1, 2, t0 + 1, t0 + 2, at("x2", t0 + 1)}).uuid);
  CHECK_FALSE(back.load("{}").ok());
}

TEST_CASE("throttle: past max_keys the oldest window ends early and its summary goes out") {
  auto c = throttle_config(1, 60s);
  c.max_keys = 2;
  Throttle th(c, "o");
  CHECK(th.admit(at("a", t0, "A"), t0));
  CHECK_FALSE(th.admit(at("a2", t0, "A"), t0));
  CHECK(th.admit(at("b", t0, "B"), t0));
  CHECK(th.admit(at("c", t0, "C"), t0));  // pushes A out
  CHECK(th.keys() == 2);
  auto s = th.due(t0 + 1);
  REQUIRE(s.size() == 1);
  CHECK(s[0].rule == "A");
}

TEST_CASE("throttle through a delivery worker: set aside as throttled, summary delivered, no storm after restart") {
  testing::TempDir tmp;
  QueueOptions qo;
  qo.dir = tmp / "queue";
  auto q = DurableQueue::open(qo);
  REQUIRE(q.ok());
  DedupWindow window(10000);
  DeadLetterFile dead(tmp / "dead.jsonl");
  IntakePipeline intake(**q, window, &dead);
  metrics::Registry reg;
  auto delivery = FakeOutput::fast_delivery();
  auto make = [&] {
    auto out = std::make_unique<FakeOutput>("slack", delivery);
    out->mutable_common().throttle = throttle_config(2, 5s);
    return out;
  };
  std::vector<Alert> storm;
  for (int i = 0; i < 50; ++i) storm.push_back(test::small_alert("s" + std::to_string(i)));
  {
    auto out = make();
    DeliveryWorker w(*out, **q, dead, reg);
    REQUIRE(w.start().ok());
    REQUIRE(intake.accept(storm).ok());
    REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
    CHECK(out->delivered() == std::vector<std::string>{"s0", "s1"});
    CHECK(w.metrics().set_aside_count("throttled") == 48);
    w.stop(std::chrono::steady_clock::now() + 1s);
    w.join();
  }
  // Restarted while the window is still open: the rest of the storm stays quiet, the summary still comes.
  auto out = make();
  DeliveryWorker w(*out, **q, dead, reg);
  REQUIRE(w.start().ok());
  REQUIRE(intake.accept({test::small_alert("late")}).ok());
  REQUIRE(out->wait_delivered(1, 20s));
  const auto got = out->delivered();
  REQUIRE(got.size() == 1);
  CHECK(got[0] != "late");  // the summary (its own uuid), not the late alert
  CHECK(testing::wait_until([&] {
    return reg.render().find("peregrine_router_output_throttle_summaries_total{output=\"slack\"} 1") != std::string::npos;
  }));
  CHECK(w.metrics().set_aside_count("throttled") == 49);
  // A test alert passes whatever the throttle says.
  REQUIRE(intake.accept({make_test_alert("h"), make_test_alert("h")}).ok());
  REQUIRE(out->wait_delivered(3, 10s));
  w.stop(std::chrono::steady_clock::now() + 1s);
  w.join();
}
