// The real peregrine-router with authenticated intakes: CURVE on the alert link (an engine key outside
// router.alerts_curve.allowed_client_keys delivers nothing and is counted on /metrics; the allowed key delivers),
// the plaintext rule at startup, and the bearer token on the HTTP intake.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/transport/alerts.h"
#include "common/transport/curve_keys.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine;
using namespace std::chrono_literals;
using peregrine::testing::TempDir;

namespace {

const std::string kBinary = std::string(PEREGRINE_BINARY_DIR) + "/router/peregrine-router";
const std::string kRefused = R"(peregrine_router_link_auth_refused_total{link="alerts"})";

struct Router {
  std::filesystem::path ready_path;
  testing::Child child;
  nlohmann::json ready;
  Router(const TempDir& t, const std::string& yaml)
      : ready_path(t / "router.ready"),
        child(kBinary, {"--config", write(t, yaml), "--ready-file", ready_path.string()}, t / "router") {}
  static std::string write(const TempDir& t, const std::string& yaml) {
    std::ofstream(t / "router.yaml") << yaml;
    return (t / "router.yaml").string();
  }
  const nlohmann::json& info() {
    if (ready.is_null()) ready = testing::wait_ready(child, ready_path);
    return ready;
  }
};

std::string router_yaml(const TempDir& t, const std::string& alerts_endpoint, const std::string& extra) {
  return "router:\n"
         "  alerts_endpoint: " + alerts_endpoint + "\n"
         "  http: {listen: \"127.0.0.1:0\"}\n"
         "  queue: {dir: \"" + (t / "queue").string() + "\"}\n" + extra;
}

transport::AlertSender sender_with(zmq::context_t& ctx, const std::string& endpoint, const TempDir& t,
                                   const std::string& name) {
  transport::AlertSenderOptions o;
  o.ack_timeout = 200ms;
  o.curve = transport::CurveClientKeys{transport::read_key_file((t / (name + ".pub")).string(), false),
                                       transport::read_key_file((t / (name + ".key")).string(), true),
                                       transport::read_key_file((t / "router.pub").string(), false)};
  return transport::AlertSender(ctx, endpoint, o);
}

// A CA in `t` named `ca`, and `name`.crt/.key signed by it (EC P-256, SAN 127.0.0.1). "" or what failed.
std::string openssl(const std::vector<std::string>& args) {
  auto r = testing::run_command("/usr/bin/openssl", args);
  return r.rc == 0 ? "" : "openssl " + args[0] + " failed: " + r.err;
}

std::string make_ca(const TempDir& t, const std::string& ca) {
  return openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                  (t / (ca + ".key")).string(), "-out", (t / (ca + ".crt")).string(), "-days", "2", "-subj",
                  "/CN=" + ca});
}

std::string make_cert(const TempDir& t, const std::string& ca, const std::string& name) {
  std::ofstream(t / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
  const auto p = [&](const std::string& ext) { return (t / (name + ext)).string(); };
  if (auto e = openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                        p(".key"), "-out", p(".csr"), "-subj", "/CN=" + name});
      !e.empty())
    return e;
  return openssl({"x509", "-req", "-in", p(".csr"), "-CA", (t / (ca + ".crt")).string(), "-CAkey",
                  (t / (ca + ".key")).string(), "-CAcreateserial", "-out", p(".crt"), "-days", "2", "-extfile",
                  (t / "san.ext").string()});
}

}  // namespace

TEST_CASE("peregrine-router with CURVE - the wrong engine key delivers nothing and is counted, the right one delivers") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  for (const char* n : {"router", "engine-good", "engine-bad"})
    transport::write_keypair(t.path().string(), n, transport::generate_keypair(), false);
  Router router(t, router_yaml(t, "tcp://127.0.0.1:0",
                               "  http_input: {enabled: false}\n"
                               "  alerts_curve:\n"
                               "    secret_key_file: " + (t / "router.key").string() + "\n"
                               "    allowed_client_keys: [" + (t / "engine-good.pub").string() + "]\n"));
  const std::string endpoint = router.info().at("alerts_endpoint").get<std::string>();
  const int admin = router.info().at("admin_port").get<int>();
  CHECK(testing::scrape(admin, kRefused) == 0);

  zmq::context_t ctx;
  auto bad = sender_with(ctx, endpoint, t, "engine-bad");
  auto alert = nlohmann::json::parse(test::kFalcoExampleJson);
  REQUIRE(bad.submit({"11111111-1111-4111-8111-111111111111", alert.dump()}));
  REQUIRE(testing::wait_until([&] { return testing::scrape(admin, kRefused) > 0; }, 15s));

  auto good = sender_with(ctx, endpoint, t, "engine-good");
  REQUIRE(good.submit({"22222222-2222-4222-8222-222222222222", alert.dump()}));
  REQUIRE(good.flush(15s));
  CHECK(testing::scrape(admin, R"(peregrine_router_link_auth_accepted_total{link="alerts"})") >= 1);
  // Exactly the good engine's alert was queued; the refused one is still waiting in its engine.
  CHECK(testing::scrape(admin, "peregrine_router_intake_accepted_total") == 1);
  CHECK(bad.acked() == 0);
  CHECK(bad.unacked() == 1);
  CHECK(router.child.stop(SIGTERM, 15s) == 0);
  CHECK(router.child.stderr_text().find("key not allowed") != std::string::npos);
}

TEST_CASE("peregrine-router refuses a non-loopback plaintext alert bind at startup, naming the key and the opt-in") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  Router refused(t, router_yaml(t, "tcp://0.0.0.0:0", "  http_input: {enabled: false}\n"));
  CHECK(refused.child.wait_exit(15s) == 2);
  const std::string text = refused.child.stderr_text();
  CHECK_MESSAGE(text.find("router.yaml:2:20:") != std::string::npos, text);
  CHECK_MESSAGE(text.find("allow_plaintext: true") != std::string::npos, text);
}

TEST_CASE("peregrine-router HTTP intake with a bearer token - none or wrong gets 401, the right one is accepted") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  const std::string token = "s3cret-intake-token-0123456789";
  std::ofstream(t / "token") << token << "\n";
  Router router(t, router_yaml(t, "tcp://127.0.0.1:0",
                               "  http_input: {listen: \"127.0.0.1:0\", bearer_token_file: \"" +
                                   (t / "token").string() + "\"}\n"));
  httplib::Client cli("127.0.0.1", router.info().at("intake_port").get<int>());
  const std::string body = std::string(test::kFalcoExampleJson);

  auto none = cli.Post("/", body, "application/json");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate") == R"(Bearer realm="peregrine-router")");
  CHECK(nlohmann::json::parse(none->body).at("field") == "Authorization");

  auto wrong = cli.Post("/", {{"Authorization", "Bearer " + token + "x"}}, body, "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(wrong->get_header_value("WWW-Authenticate").find("invalid_token") != std::string::npos);
  auto test_route = cli.Post("/test", "", "application/json");
  REQUIRE(test_route);
  CHECK(test_route->status == 401);

  auto right = cli.Post("/", {{"Authorization", "Bearer " + token}}, body, "application/json");
  REQUIRE(right);
  CHECK(right->status == 200);
  CHECK(nlohmann::json::parse(right->body).at("accepted") == 1);
  auto ping = cli.Get("/ping");  // probes stay open
  REQUIRE(ping);
  CHECK(ping->status == 200);
  const int admin = router.info().at("admin_port").get<int>();
  CHECK(testing::scrape(admin, "peregrine_router_http_intake_unauthorized_total") == 3);
  CHECK(testing::scrape(admin, "peregrine_router_intake_accepted_total") == 1);
  CHECK(router.child.stop(SIGTERM, 15s) == 0);
  CHECK(router.child.stderr_text().find(token) == std::string::npos);
}

TEST_CASE("peregrine-router HTTP intake over mTLS - only a client certificate from the configured CA gets through") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  if (!std::filesystem::exists("/usr/bin/openssl")) PEREGRINE_SKIP("/usr/bin/openssl is needed to make certificates");
  std::signal(SIGPIPE, SIG_IGN);  // a refused handshake closes the socket under the client's write
  TempDir t;
  for (const auto& e : {make_ca(t, "ca"), make_ca(t, "rogue-ca"), make_cert(t, "ca", "server"),
                        make_cert(t, "ca", "falco"), make_cert(t, "rogue-ca", "intruder")})
    REQUIRE_MESSAGE(e.empty(), e);
  const std::string token = "another-intake-token-0123456789";
  Router router(t, router_yaml(t, "tcp://127.0.0.1:0",
                               "  http_input:\n    listen: \"127.0.0.1:0\"\n    bearer_token: " + token +
                                   "\n    tls: {cert_file: " + (t / "server.crt").string() + ", key_file: " +
                                   (t / "server.key").string() + ", client_ca_file: " + (t / "ca.crt").string() +
                                   "}\n"));
  const int port = router.info().at("intake_port").get<int>();
  const std::string body = std::string(test::kFalcoExampleJson);
  const httplib::Headers auth{{"Authorization", "Bearer " + token}};
  auto client = [&](const std::string& name) {
    auto c = name.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", port, (t / (name + ".crt")).string(),
                                                                 (t / (name + ".key")).string());
    c->set_ca_cert_path((t / "ca.crt").string().c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5, 0);
    return c;
  };
  auto falco = client("falco")->Post("/", auth, body, "application/json");
  REQUIRE(falco);
  CHECK(falco->status == 200);
  CHECK_FALSE(client("")->Post("/", auth, body, "application/json"));          // no client certificate
  CHECK_FALSE(client("intruder")->Post("/", auth, body, "application/json"));  // signed by another CA
  httplib::Client plain("127.0.0.1", port);
  plain.set_connection_timeout(5, 0);
  auto p = plain.Post("/", auth, body, "application/json");
  CHECK((!p || p->status == 400));  // plain HTTP on the TLS port is not served
  auto no_token = client("falco")->Post("/", body, "application/json");  // mTLS does not replace the token
  REQUIRE(no_token);
  CHECK(no_token->status == 401);
  const int admin = router.info().at("admin_port").get<int>();
  CHECK(testing::scrape(admin, "peregrine_router_intake_accepted_total") == 1);
  CHECK(router.child.stop(SIGTERM, 15s) == 0);
}

TEST_CASE("peregrine-router stops at startup when the intake's TLS certificate cannot be loaded") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  Router router(t, router_yaml(t, "tcp://127.0.0.1:0",
                               "  http_input:\n    listen: \"127.0.0.1:0\"\n    tls: {cert_file: " +
                                   (t / "missing.crt").string() + ", key_file: " + (t / "missing.key").string() +
                                   "}\n"));
  CHECK(router.child.wait_exit(15s) == 2);
  CHECK_MESSAGE(router.child.stderr_text().find("tls: cannot load certificate " + (t / "missing.crt").string()) !=
                    std::string::npos,
                router.child.stderr_text());
}
