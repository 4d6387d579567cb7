#include <doctest/doctest.h>

#include <fstream>

#include "responder/guardrails.h"
#include "responder/journal.h"
#include "tests/responder/alert_fixture.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::responder;
using peregrine::testing::response_alert;

TEST_CASE("guardrails: deny lists win, allow lists admit only what they name") {
  Guardrails g;
  g.namespaces.deny = {"kube-*"};
  g.processes.allow = {"sleep", "bash"};
  auto a = response_alert({{"k8s.ns.name", std::string("prod")}, {"proc.name", std::string("sleep")}});
  CHECK_FALSE(list_refusal(g, a));
  a.output_fields["k8s.ns.name"] = std::string("kube-system");
  CHECK(list_refusal(g, a) == std::optional<std::string>("namespace kube-system is denied"));
  a.output_fields["k8s.ns.name"] = std::string("prod");
  a.output_fields["proc.name"] = std::string("sshd");
  CHECK(list_refusal(g, a) == std::optional<std::string>("process sshd is not on the allow list"));
  a.output_fields.erase("proc.name");
  CHECK(list_refusal(g, a) == std::optional<std::string>("process is unknown is not on the allow list"));
  g.containers.deny = {"abc*"};
  a.output_fields["proc.name"] = std::string("bash");
  a.output_fields["container.name"] = std::string("abcdef");
  CHECK(list_refusal(g, a)->find("container abcdef is denied") == 0);
}

TEST_CASE("guardrails: token bucket refuses past its rate and refills with time") {
  TokenBucket b(RateLimit{2, std::chrono::milliseconds(1000)});
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(b.take(t0));
  CHECK(b.take(t0));
  CHECK_FALSE(b.take(t0));
  CHECK_FALSE(b.take(t0 + std::chrono::milliseconds(100)));  // 0.2 token
  CHECK(b.take(t0 + std::chrono::milliseconds(600)));         // 1.2 tokens since t0
  TokenBucket unlimited(RateLimit{0, std::chrono::milliseconds(1000)});
  for (int i = 0; i < 100; ++i) CHECK(unlimited.take(t0));
}

TEST_CASE("guardrails: kill switch by config, by flag and by file") {
  peregrine::testing::TempDir dir;
  const std::string file = (dir / "STOP").string();
  KillSwitch k(true, file);
  CHECK_FALSE(k.engaged());
  { std::ofstream(file) << "x"; }
  CHECK(k.engaged()->find("kill switch file") == 0);
  std::filesystem::remove(file);
  k.set(true);
  CHECK(k.engaged());
  k.set(false);
  CHECK_FALSE(k.engaged());
  CHECK(KillSwitch(false, "").engaged());
}

TEST_CASE("journal: a recorded uuid is still known after reopening") {
  peregrine::testing::TempDir dir;
  const std::string path = (dir / "sub/journal").string();
  {
    Journal j(path, 100, std::chrono::hours(24));
    auto r = j.record("u-1", 1000);
    REQUIRE(r.ok());
    CHECK(*r);
    auto again = j.record("u-1", 1001);
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
    REQUIRE(j.record("u-2", 1002).ok());
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  {
    // Entries from epoch 1 s are older than a day: forgotten at open.
    Journal old(path, 100, std::chrono::hours(24));
    CHECK_FALSE(old.seen("u-1"));
  }
  {
    Journal j(path, 100, std::chrono::hours(24));
    REQUIRE(j.record("u-3", now).ok());
  }
  Journal j(path, 100, std::chrono::hours(24));
  CHECK(j.seen("u-3"));
  CHECK_FALSE(*j.record("u-3", now));
}

TEST_CASE("journal: bounded to max_entries, torn last line ignored, file compacted") {
  peregrine::testing::TempDir dir;
  const std::string path = (dir / "journal").string();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  {
    Journal j(path, 3, std::chrono::hours(24));
    for (int i = 0; i < 10; ++i) REQUIRE(j.record("u" + std::to_string(i), now).ok());
    CHECK(j.size() == 3);
    CHECK(j.seen("u9"));
    CHECK_FALSE(j.seen("u6"));
  }
  { std::ofstream(path, std::ios::app) << "torn-uuid " << now; }  // no newline: never acknowledged
  Journal j(path, 3, std::chrono::hours(24));
  CHECK(j.seen("u9"));
  CHECK(j.seen("u7"));
  CHECK_FALSE(j.seen("torn-uuid"));
  std::ifstream in(path);
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  CHECK(lines == 3);
  CHECK_FALSE(j.record("", now).ok());
  CHECK_FALSE(j.record("a b", now).ok());
}
