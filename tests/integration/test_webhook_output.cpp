// The webhook output through the real router: signed requests that a receiver verifies on its own (OpenSSL's
// HMAC here, and the Python receiver of docs/router.md), a templated body with PUT, batches as
// JSON arrays, and mutual TLS against a receiver that requires a client certificate.
#include <doctest/doctest.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

#include "tests/integration/router_rig.h"
#include "tests/support/http_server.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kSecret = "webhook-hmac-key-3f9a1c77e0";

// The receiver's side, written without the router's code: hex HMAC-SHA256 of "<timestamp>.<body>".
std::string expected_signature(const std::string& timestamp, const std::string& body) {
  const std::string message = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  char hex[2 * EVP_MAX_MD_SIZE + 1] = {};
  for (unsigned int i = 0; i < len; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return std::string("sha256=") + hex;
}

// The verification example of the docs, run as written (python3 is part of the base system).
const char* kPythonReceiver = R"PY(
import hashlib, hmac, sys, time
secret, timestamp, signature, body = sys.argv[1].encode(), sys.argv[2], sys.argv[3], open(sys.argv[4], 'rb').read()
expected = 'sha256=' + hmac.new(secret, timestamp.encode() + b'.' + body, hashlib.sha256).hexdigest()
fresh = abs(time.time() - int(timestamp)) <= 300
print('valid' if hmac.compare_digest(expected, signature) and fresh else 'INVALID')
)PY";

}  // namespace

TEST_CASE("webhook: signed requests - the receiver recomputes the HMAC of timestamp.body and checks the time") {
  TestHttpServer receiver;
  receiver.handle("POST", "/falco", {});
  receiver.start();
  TempDir dir;
  RouterRig router(dir,
                   "    - type: webhook\n"
                   "      name: hook\n"
                   "      url: " + receiver.url("/falco") + "\n"
                   "      hmac_secret: ${PG_TEST_HMAC}\n",
                   "queue", "", {{"PG_TEST_HMAC", kSecret}});
  const auto a = falco_alert(test_uuid("signed", 1)), b = falco_alert(test_uuid("signed", 2));
  REQUIRE(router.post({a, b}) == 200);
  REQUIRE_MESSAGE(receiver.wait_requests(2, 20s), router.log());
  const auto seen = receiver.requests();
  for (size_t i = 0; i < 2; ++i) {
    const auto& req = seen[i];
    const std::string ts = req.header("X-Peregrine-Timestamp"), sig = req.header("X-Peregrine-Signature");
    REQUIRE_FALSE(ts.empty());
    CHECK(std::llabs(std::stoll(ts) - static_cast<long long>(std::time(nullptr))) < 60);
    const std::string want = expected_signature(ts, req.body);
    CHECK(sig.size() == want.size());
    CHECK(CRYPTO_memcmp(sig.data(), want.data(), want.size()) == 0);
    CHECK(req.header("Content-Type") == "application/json");
    CHECK(json::parse(req.body)["uuid"] == (i == 0 ? a : b)["uuid"]);
    write_file(dir / "body", req.body);
    auto py = run_command("python3", {"-c", kPythonReceiver, kSecret, ts, sig, (dir / "body").string()});
    CHECK_MESSAGE(py.out == "valid\n", py.out << py.err);
    auto forged = run_command("python3", {"-c", kPythonReceiver, kSecret, std::to_string(std::stoll(ts) + 1), sig,
                                          (dir / "body").string()});
    CHECK(forged.out == "INVALID\n");  // another timestamp (a replayed signature) does not verify
  }
  CHECK(router.log().find(kSecret) == std::string::npos);
}

TEST_CASE("webhook: a templated body with PUT, and batch: true as one JSON array") {
  TestHttpServer receiver;
  receiver.handle("PUT", "/text", {});
  receiver.handle("POST", "/batch", {});
  receiver.start();
  TempDir dir;
  RouterRig router(dir,
                   "    - type: webhook\n"
                   "      name: text\n"
                   "      url: " + receiver.url("/text") + "\n"
                   "      method: PUT\n"
                   "      content_type: text/plain\n"
                   "      body: \"{{priority_upper}} {{rule}} on {{hostname}} ({{proc.name}})\"\n"
                   "    - type: webhook\n"
                   "      name: batch\n"
                   "      url: " + receiver.url("/batch") + "\n"
                   "      batch: true\n");
  std::vector<json> alerts;
  for (int i = 0; i < 3; ++i) alerts.push_back(falco_alert(test_uuid("tpl", i), "Rule " + std::to_string(i)));
  REQUIRE(router.post(alerts) == 200);
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "batch") == 3; }, 20s));
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "text") == 3; }, 20s));
  std::vector<std::string> texts;
  size_t batched = 0, batch_requests = 0;
  for (const auto& r : receiver.requests()) {
    if (r.path == "/text") {
      CHECK(r.method == "PUT");
      CHECK(r.header("Content-Type") == "text/plain");
      texts.push_back(r.body);
    } else {
      const auto arr = json::parse(r.body);
      REQUIRE(arr.is_array());
      for (const auto& x : arr) CHECK(x["uuid"] == alerts[batched++]["uuid"]);
      ++batch_requests;
    }
  }
  CHECK(texts == std::vector<std::string>{"WARNING Rule 0 on it-host (bash)", "WARNING Rule 1 on it-host (bash)",
                                          "WARNING Rule 2 on it-host (bash)"});
  CHECK(batched == 3);
  MESSAGE(batch_requests << " batch request(s) for 3 alerts posted together");
}

TEST_CASE("webhook: mutual TLS - the client certificate opens a receiver that requires one") {
  TempDir dir;
  const auto pki = make_test_pki(dir / "pki");
  TestHttpServer mtls(pki.server_cert, pki.server_key, pki.ca_cert);
  mtls.handle("POST", "/secure", {});
  mtls.start();
  const std::string url = "https://127.0.0.1:" + std::to_string(mtls.port()) + "/secure";
  RouterRig router(dir,
                   "    - type: webhook\n"
                   "      name: mtls\n"
                   "      url: " + url + "\n"
                   "      tls: {ca_file: " + pki.ca_cert.string() + ", cert_file: " + pki.client_cert.string() +
                       ", key_file: " + pki.client_key.string() + "}\n"
                   "    - type: webhook\n"
                   "      name: nocert\n"
                   "      url: " + url + "\n"
                   "      tls: {ca_file: " + pki.ca_cert.string() + "}\n"
                   "      delivery: {max_attempts: 2, initial_backoff_ms: 10}\n");
  const auto a = falco_alert(test_uuid("mtls", 1));
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "mtls") == 1; }, 20s),
                  router.log());
  REQUIRE(wait_until([&] { return router.dead_letters().size() == 1; }, 20s));
  CHECK(router.dead_letters()[0]["output"] == "nocert");
  CHECK(router.dead_letters()[0]["reason"].get<std::string>().rfind("retries exhausted after 2 attempts", 0) == 0);
  REQUIRE(mtls.count() == 1);  // the handshake without a certificate never reached the handler
  CHECK(json::parse(mtls.requests()[0].body)["uuid"] == a["uuid"]);
}
