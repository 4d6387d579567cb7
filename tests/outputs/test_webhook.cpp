// Webhook output without a network (bar one local server for the signed request): the Falco JSON body, body
// templates and their escaping, batches as arrays, the HMAC-SHA256 signature for a fixed secret and time, and
// the config keys.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/secrets.h"
#include "outputs/webhook/webhook_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/http_server.h"

using namespace peregrine;
using namespace peregrine::outputs;
using nlohmann::json;

namespace {

std::unique_ptr<Output> build(const std::string& keys, const std::string& url = "https://hooks.example/falco?token=q") {
  return test::build_output("webhook", "      url: \"" + url + "\"\n" + keys);
}

std::string error_of(const std::string& keys) { return test::output_error("webhook", keys); }

const char* kFalcoJson =
    R"J({"hostname":"node-1","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","k8s.ns.name":null,"user.name":"root"},"priority":"Error","rule":"Write below binary dir","source":"syscall","tags":["filesystem","mitre_persistence"],"time":"2019-05-17T15:31:56.746609046Z","uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"})J";

}  // namespace

TEST_CASE("webhook: golden default body - the Falco JSON alert, one request per alert") {
  auto out = build("");
  auto f = out->format(std::vector<Alert>{test::sample_alert(), test::small_alert("u2")});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 2);
  const auto& p = f->payloads[0];
  CHECK(p.body == kFalcoJson);
  CHECK(p.method == "POST");
  CHECK(p.content_type == "application/json");
  CHECK(p.url == "https://hooks.example/falco?token=q");
  CHECK(p.target == "https://hooks.example/falco");  // the query is never logged
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(p.headers.empty());  // signed in send(), not here
  CHECK(f->payloads[1].items == std::vector<size_t>{1});
  CHECK(f->payloads[1].body == alert_json_text(test::small_alert("u2")));
}

TEST_CASE("webhook: golden signature for a fixed secret and timestamp, and the signed payload") {
  // python3: hmac.new(b'0123456789abcdef-secret', b'1767261600.{"a":1}', hashlib.sha256).hexdigest()
  CHECK(webhook_signature("0123456789abcdef-secret", 1767261600, R"J({"a":1})J") ==
        "sha256=144bf3055ac31a137001be01d876e4351aa492c0504ea3ea01614b7dd9f97e70");
  WebhookConfig c;
  c.hmac_secret = "0123456789abcdef-secret";
  Payload p;
  p.body = R"J({"a":1})J";
  const Payload s = signed_payload(c, p, 1767261600);
  CHECK(s.headers == std::vector<std::pair<std::string, std::string>>{
                         {"X-Peregrine-Timestamp", "1767261600"},
                         {"X-Peregrine-Signature", "sha256=144bf3055ac31a137001be01d876e4351aa492c0504ea3ea01614b7dd9f97e70"}});
  CHECK(signed_payload(WebhookConfig{}, p, 1).headers.empty());  // no secret, no signature
}

TEST_CASE("webhook: send() signs with the current time and the configured header names") {
  peregrine::testing::TestHttpServer srv;
  srv.handle("PUT", "/in", {});
  srv.start();
  auto out = build("      method: put\n      hmac_secret: this-is-a-long-hmac-key\n      timestamp_header: X-Ts\n"
                   "      signature_header: X-Sig\n",
                   srv.url("/in"));
  auto f = out->format(std::vector<Alert>{test::sample_alert()});
  const auto before = std::time(nullptr);
  REQUIRE(out->send(f->payloads[0]).ok());
  const auto after = std::time(nullptr);
  const auto seen = srv.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].body == kFalcoJson);
  const int64_t ts = std::stoll(seen[0].header("X-Ts"));
  CHECK(ts >= before);
  CHECK(ts <= after);
  CHECK(seen[0].header("X-Sig") == webhook_signature("this-is-a-long-hmac-key", ts, kFalcoJson));
  CHECK(secrets::redact("key this-is-a-long-hmac-key") == "key ***");
}

TEST_CASE("webhook: body templates - JSON escaping for a JSON content type, as is otherwise") {
  auto j = build("      body: '{\"text\": \"{{rule}}: {{output}}\", \"pod\": \"{{k8s.pod.name}}\"}'\n");
  Alert a = test::small_alert("u1", Priority::kCritical, "Quote \" and \\ and\nnewline");
  auto f = j->format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  CHECK(f->payloads[0].body == R"J({"text": "Quote \" and \\ and\nnewline: out u1", "pod": "<NA>"})J");
  CHECK(json::parse(f->payloads[0].body)["text"] == "Quote \" and \\ and\nnewline: out u1");

  auto text = build("      content_type: text/plain; charset=utf-8\n      body: \"{{priority}} {{rule}}\"\n      method: PATCH\n");
  auto g = text->format(std::vector<Alert>{a});
  CHECK(g->payloads[0].body == "Critical Quote \" and \\ and\nnewline");
  CHECK(g->payloads[0].content_type == "text/plain; charset=utf-8");
  CHECK(g->payloads[0].method == "PATCH");
  // +json types are JSON too.
  auto vnd = build("      content_type: application/vnd.falco+json\n      body: '\"{{rule}}\"'\n");
  CHECK(vnd->format(std::vector<Alert>{a})->payloads[0].body == R"J("Quote \" and \\ and\nnewline")J");
}

TEST_CASE("webhook: batch: true sends one JSON array of the Falco alerts per batch") {
  auto out = build("      batch: true\n");
  std::vector<Alert> batch{test::sample_alert(), test::small_alert("u2"), test::small_alert("u3")};
  auto f = out->format(batch);
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  CHECK(f->payloads[0].items == std::vector<size_t>{0, 1, 2});
  CHECK(f->payloads[0].body == std::string("[") + kFalcoJson + "," + alert_json_text(batch[1]) + "," +
                                   alert_json_text(batch[2]) + "]");
  CHECK(json::parse(f->payloads[0].body).size() == 3);
  CHECK(out->format(std::vector<Alert>{})->payloads.empty());
}

TEST_CASE("webhook: config keys and errors with file:line:col") {
  auto out = build("      headers: {X-Api-Key: webhook-header-key}\n      tls: {insecure_skip_verify: true}\n");
  CHECK(out->common().delivery.batch_max_alerts == 100);
  CHECK(secrets::redact("webhook-header-key") == "***");
  CHECK(error_of("      method: POST\n").find("key 'url'") != std::string::npos);
  CHECK(error_of("      url: http://h/x\n      method: GET\n").find("webhook.yaml:6:15") != std::string::npos);
  CHECK(error_of("      url: http://h/x\n      batch: true\n      body: \"{{rule}}\"\n").find("no body template") !=
        std::string::npos);
  CHECK(error_of("      url: http://h/x\n      batch: true\n      content_type: text/plain\n").find("must be JSON") !=
        std::string::npos);
  CHECK(error_of("      url: http://h/x\n      hmac_secret: short\n").find("webhook.yaml:6:20") != std::string::npos);
  CHECK(error_of("      url: http://h/x\n      signature_header: \"X Sig\"\n").find("invalid header name") !=
        std::string::npos);
  CHECK(error_of("      url: http://h/x\n      body: \"{{/rule}}\"\n").find("webhook.yaml:6:") != std::string::npos);
  CHECK(error_of("      url: http://h/x\n      tls: {cert_file: /nonexistent.pem, key_file: /nonexistent.key}\n")
            .find("cannot read") != std::string::npos);
  CHECK(error_of("      url: http://h/x\n      sign: true\n").find("unknown key 'sign'") != std::string::npos);
}
