// Secrets given through ${ENV} never appear in the router's logs, metrics or dead letters, even when a
// destination echoes them back in its error answer.
#include <doctest/doctest.h>

#include "common/base64.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http_server.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

TEST_CASE("secrets from the environment are not in logs, metrics or dead letters, even when echoed back") {
  const std::string password = "pw-Xq9-not-for-logs", token = "tok-Zr7-not-for-logs";
  TestHttpServer fake;  // refuses everything and quotes the request's credentials in its answer
  fake.handle("POST", ".*", [](const SeenRequest& req, httplib::Response& res) {
    res.status = 401;
    res.set_content("unauthorized: Authorization=" + req.header("Authorization"), "text/plain");
  });
  fake.start();
  TempDir dir;
  RouterRig router(dir,
                   "    - type: opensearch\n"
                   "      name: os\n"
                   "      url: " + fake.url() + "\n"
                   "      auth: {username: elastic, password: \"${PG_TEST_OS_PASSWORD}\"}\n"
                   "      template: {install: false}\n"
                   "      delivery: {linger_ms: 0}\n"
                   "    - type: loki\n"
                   "      name: loki\n"
                   "      url: " + fake.url() + "\n"
                   "      auth: {bearer_token: \"${PG_TEST_LOKI_TOKEN}\"}\n"
                   "      delivery: {linger_ms: 0}\n",
                   "queue", "  log: {level: debug}\n",
                   {{"PG_TEST_OS_PASSWORD", password}, {"PG_TEST_LOKI_TOKEN", token}});
  REQUIRE(router.post({falco_alert(test_uuid("secret", 1))}) == 200);
  REQUIRE(wait_until([&] { return router.dead_letters().size() == 2; }, 20s));
  const auto basic = peregrine::base64_encode("elastic:" + password);
  // The destination did echo them: the test would see a leak.
  bool echoed = false;
  for (const auto& r : fake.requests()) echoed |= r.header("Authorization").find(token) != std::string::npos;
  REQUIRE(echoed);
  std::string dead;
  for (const auto& d : router.dead_letters()) dead += d.dump() + "\n";
  CHECK(dead.find("Authorization=Basic ***") != std::string::npos);  // the echoes are there, redacted
  CHECK(dead.find("Authorization=Bearer ***") != std::string::npos);
  for (const auto& [what, text] : std::vector<std::pair<std::string, std::string>>{
           {"dead letters", dead}, {"metrics", router.metrics()}, {"log", router.log()}}) {
    INFO(what << ":\n" << text);
    CHECK(text.find(password) == std::string::npos);
    CHECK(text.find(token) == std::string::npos);
    CHECK(text.find(basic) == std::string::npos);
  }
  CHECK(router.log().find("***") != std::string::npos);  // the failure was logged, redacted
}
