// An alert storm through the real router: one rule firing 10,000 times within 10 s. The Slack output is
// throttled ({key: [rule], window: 20s, max: 3}) and must send at most 3 messages plus one summary whose count
// is right; the file output beside it is not throttled and must receive all 10,000.
#include <doctest/doctest.h>

#include <cstdio>
#include <set>

#include "tests/integration/fake_chat.h"
#include "tests/integration/router_rig.h"
#include "tests/support/files.h"
#include "tests/support/http.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int kStorm = 10000;
constexpr int kMax = 3;

// Alert i happens i milliseconds after 10:00:00, so the summary's first and last times are known.
std::string time_of(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2026-01-15T10:%02d:%02d.%03d000000Z", i / 60000, (i / 1000) % 60, i % 1000);
  return buf;
}

}  // namespace

TEST_CASE("storm: 10,000 alerts of one rule - Slack gets 3 messages and one summary counting 9,997, the file all") {
  SlackFake slack;
  TempDir dir;
  const auto file = dir / "alerts.jsonl";
  RouterRig router(dir,
                   "    - type: slack\n"
                   "      name: slack\n"
                   "      webhook_url: ${PG_TEST_SLACK_URL}\n"
                   "      throttle: {key: [rule], window: 20s, max: " + std::to_string(kMax) + "}\n"
                   "    - type: file\n"
                   "      name: file\n"
                   "      path: " + file.string() + "\n",
                   "queue", "", {{"PG_TEST_SLACK_URL", slack.url()}});

  const auto start = std::chrono::steady_clock::now();
  for (int first = 0; first < kStorm; first += 500) {
    std::vector<json> batch;
    for (int i = first; i < first + 500; ++i) {
      batch.push_back(falco_alert(test_uuid("storm", i), "Write below etc", time_of(i), "Error"));
    }
    REQUIRE(router.post(batch) == 200);
  }
  const auto posted = std::chrono::steady_clock::now() - start;
  MESSAGE("10,000 alerts posted in " << std::chrono::duration_cast<std::chrono::milliseconds>(posted).count() << " ms");
  // The window (20 s) must hold the whole storm for "max + one summary" to be the right answer.
  REQUIRE(posted < 10s);

  // The file output receives every alert, exactly once.
  REQUIRE_MESSAGE(wait_until([&] { return read_lines(file).size() >= kStorm; }, 60s), router.log());
  std::set<std::string> uuids;
  for (const auto& line : read_lines(file)) uuids.insert(json::parse(line)["uuid"].get<std::string>());
  CHECK(uuids.size() == kStorm);

  // Slack: the first 3 alerts while the window is open, then the summary when it ends.
  auto has_summary = [&] {
    for (const auto& b : slack.bodies()) {
      if (b.value("text", "").find("Throttled") != std::string::npos) return true;
    }
    return false;
  };
  REQUIRE_MESSAGE(wait_until(has_summary, 40s), router.log());
  const auto suppressed = "peregrine_router_output_set_aside_total{output=\"slack\",reason=\"throttled\"}";
  CHECK(metric_value(router.metrics(), suppressed) == kStorm - kMax);
  CHECK(router.counter("peregrine_router_output_delivered_total", "slack") == kMax + 1);
  CHECK(router.counter("peregrine_router_output_delivered_total", "file") == kStorm);
  const auto got = slack.bodies();
  REQUIRE(got.size() == kMax + 1);  // the summary came last, after exactly max messages
  CHECK(slack.rejections().empty());
  for (int i = 0; i < kMax; ++i) {
    CHECK(got[i]["text"].get<std::string>().find("Throttled") == std::string::npos);
  }
  const std::string summary = got[kMax]["text"];
  MESSAGE("summary: " << summary.substr(0, 200));
  CHECK(summary.rfind("Throttled: 9997 more alert(s) like this from " + time_of(kMax).substr(0, 23), 0) == 0);
  CHECK(summary.find(" to " + time_of(kStorm - 1).substr(0, 23)) != std::string::npos);
  CHECK(summary.find("rule=Write below etc; at most 3 per 20s") != std::string::npos);
  CHECK(got[kMax]["blocks"][0]["text"]["text"] == "Write below etc");
  CHECK(router.dead_letters().empty());
}
