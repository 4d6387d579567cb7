// The syslog output through the real router to a real rsyslog 8.2302 (tests/receivers): RFC 5424 messages land
// in messages.log with the right PRI (facility * 8 + severity), TIMESTAMP, HOSTNAME, APP-NAME, MSGID, structured
// data and MSG, over TCP (octet counting), UDP and TLS verified with the receiver's CA; a wrong server name fails
// the handshake and is retried, never delivered.
#include <doctest/doctest.h>

#include <map>

#include "tests/integration/router_rig.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::vector<json> received(const Receiver& rsyslog) {
  std::vector<json> out;
  for (const auto& line : read_lines(rsyslog.dir() / "messages.log")) out.push_back(json::parse(line));
  return out;
}

std::string syslog_output(const std::string& name, const std::string& protocol, int port, const std::string& extra) {
  return "    - type: syslog\n"
         "      name: " + name + "\n"
         "      protocol: " + protocol + "\n"
         "      port: " + std::to_string(port) + "\n"
         "      delivery: {linger_ms: 0, initial_backoff_ms: 50, max_backoff_ms: 500}\n" + extra;
}

std::map<std::string, json> by_input_and_uuid(const std::vector<json>& messages) {
  std::map<std::string, json> out;
  for (const auto& m : messages) {
    const std::string sd = m["structured_data"];
    const size_t at = sd.find("uuid=\"");
    out[m["input"].get<std::string>() + " " + (at == std::string::npos ? "" : sd.substr(at + 6, 36))] = m;
  }
  return out;
}

}  // namespace

TEST_CASE("syslog: rsyslog receives RFC 5424 messages over TCP and UDP with PRI, TIMESTAMP, header fields and SD") {
  if (auto why = Receiver::unavailable("rsyslog"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver rsyslog("rsyslog", dir / "rsyslog", {"--no-tls"});
  RouterRig router(dir, syslog_output("tcp", "tcp", rsyslog.port("tcp"), "      facility: local3\n"
                                                                         "      sd_fields: [proc.name, proc.pid]\n") +
                            syslog_output("udp", "udp", rsyslog.port("udp"),
                                          "      facility: user\n      format: text\n      app_name: falco\n"
                                          "      msgid: ALERT\n      text: \"{{priority}}: {{output}}\"\n"));
  std::vector<json> alerts;
  const std::vector<std::pair<std::string, int>> priorities{{"Critical", 2}, {"Warning", 4}, {"Notice", 5}};
  for (int i = 0; i < 3; ++i)
    alerts.push_back(falco_alert(test_uuid("syslog", i), "Terminal shell in container",
                                 "2026-01-15T10:00:0" + std::to_string(i) + ".123456789Z", priorities[i].first));
  REQUIRE(router.post(alerts) == 200);
  std::vector<json> got;
  REQUIRE_MESSAGE(wait_until([&] { return (got = received(rsyslog)).size() == 6; }, 20s), router.log());
  const auto msgs = by_input_and_uuid(got);
  for (int i = 0; i < 3; ++i) {
    const std::string uuid = alerts[i]["uuid"];
    const int severity = priorities[i].second;
    REQUIRE(msgs.count("tcp " + uuid));
    REQUIRE(msgs.count("udp " + uuid));
    const json& tcp = msgs.at("tcp " + uuid);
    const json& udp = msgs.at("udp " + uuid);
    INFO(tcp.dump() << "\n" << udp.dump());
    CHECK(tcp["pri"] == std::to_string(19 * 8 + severity));
    CHECK(tcp["facility"] == "19");
    CHECK(tcp["severity"] == std::to_string(severity));
    CHECK(udp["pri"] == std::to_string(1 * 8 + severity));
    CHECK(tcp["version"] == "1");
    CHECK(tcp["timestamp"] == "2026-01-15T10:00:0" + std::to_string(i) + ".123456Z");
    CHECK(udp["timestamp"] == tcp["timestamp"]);
    CHECK(tcp["hostname"] == "it-host");
    CHECK(tcp["app_name"] == "peregrine");
    CHECK(udp["app_name"] == "falco");
    CHECK(tcp["procid"] == "-");
    CHECK(tcp["msgid"] == "Terminal_shell_in_container");
    CHECK(udp["msgid"] == "ALERT");
    CHECK(tcp["structured_data"] == "[peregrine@32473 rule=\"Terminal shell in container\" priority=\"" +
                                        priorities[i].first + "\" source=\"syscall\" uuid=\"" + uuid +
                                        "\" proc.name=\"bash\" proc.pid=\"4242\"]");
    const json doc = json::parse(tcp["msg"].get<std::string>());
    CHECK(doc["uuid"] == uuid);
    CHECK(doc["output_fields"]["proc.pid"] == 4242);
    CHECK(udp["msg"] == priorities[i].first + ": " + alerts[i]["output"].get<std::string>());
  }
  CHECK(router.counter("peregrine_router_output_delivered_total", "tcp") == 3);
  CHECK(router.counter("peregrine_router_output_delivered_total", "udp") == 3);
}

TEST_CASE("syslog: a long MSG over UDP is cut to max_message_bytes and marked, the header and SD intact") {
  if (auto why = Receiver::unavailable("rsyslog"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver rsyslog("rsyslog", dir / "rsyslog", {"--no-tls"});
  RouterRig router(dir, syslog_output("udp", "udp", rsyslog.port("udp"),
                                      "      format: text\n      max_message_bytes: 600\n"));
  json a = falco_alert(test_uuid("long", 1));
  a["output"] = std::string(5000, 'L');
  REQUIRE(router.post({a}) == 200);
  std::vector<json> got;
  REQUIRE_MESSAGE(wait_until([&] { return (got = received(rsyslog)).size() == 1; }, 20s), router.log());
  const std::string raw = got[0]["raw"], msg = got[0]["msg"];
  CHECK(raw.size() <= 600);
  CHECK(raw.size() >= 590);
  CHECK(msg.size() > 300);
  CHECK(msg.find_first_not_of('L') == msg.size() - std::string("...(truncated)").size());
  CHECK(msg.substr(msg.size() - 14) == "...(truncated)");
  CHECK(got[0]["structured_data"].get<std::string>().find(a["uuid"].get<std::string>()) != std::string::npos);
}

TEST_CASE("syslog: over TLS verified with rsyslog's CA, and a wrong server name never delivers") {
  if (auto why = Receiver::unavailable("rsyslog"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver rsyslog("rsyslog", dir / "rsyslog");
  const std::string ca = rsyslog.value("ca");
  RouterRig router(dir, syslog_output("tls", "tls", rsyslog.port("tls"), "      tls: {ca_file: " + ca + "}\n") +
                            syslog_output("wrong", "tls", rsyslog.port("tls"),
                                          "      tls: {ca_file: " + ca + ", server_name: other.example}\n"));
  std::vector<json> alerts;
  for (int i = 0; i < 5; ++i) alerts.push_back(falco_alert(test_uuid("tls", i)));
  REQUIRE(router.post(alerts) == 200);
  std::vector<json> got;
  REQUIRE_MESSAGE(wait_until([&] { return (got = received(rsyslog)).size() == 5; }, 20s), router.log());
  for (const auto& m : got) {
    CHECK(m["input"] == "tls");
    CHECK(m["pri"] == std::to_string(16 * 8 + 4));
    CHECK(json::parse(m["msg"].get<std::string>())["rule"] == "Test rule");
  }
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_retried_total", "wrong") >= 1; }, 10s));
  CHECK(router.counter("peregrine_router_output_delivered_total", "wrong") == 0);
  CHECK(router.counter("peregrine_router_output_delivered_total", "tls") == 5);
  CHECK_MESSAGE(router.log().find("certificate verify failed") != std::string::npos, router.log());
  CHECK(received(rsyslog).size() == 5);
}
