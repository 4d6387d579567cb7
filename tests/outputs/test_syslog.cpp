// syslog output without a network: golden RFC 5424 messages (UDP) and octet-counted frames (TCP), PRI from
// facility and severity, SD-PARAM escaping and SD-NAMEs, header fields, truncation of MSG only, and the keys.
#include <doctest/doctest.h>

#include <fstream>

#include "outputs/syslog/syslog_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

const std::string kGoldenHead =
    "<131>1 2019-05-17T15:31:56.746609Z node-1 peregrine - Write_below_binary_dir [peregrine@32473 "
    "rule=\"Write below binary dir\" priority=\"Error\" source=\"syscall\" "
    "uuid=\"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f\"] ";
const std::string kGoldenJson =
    R"J({"hostname":"node-1","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","k8s.ns.name":null,"user.name":"root"},"priority":"Error","rule":"Write below binary dir","source":"syscall","tags":["filesystem","mitre_persistence"],"time":"2019-05-17T15:31:56.746609046Z","uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"})J";

std::string body_of(const Output& out, const Alert& a) {
  auto f = out.format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  return f->payloads[0].body;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("syslog: golden UDP datagram - RFC 5424 header, SD element and the Falco JSON alert as MSG") {
  auto out = test::build_output("syslog", "      protocol: udp\n");
  const std::string body = body_of(*out, test::sample_alert());
  CHECK(body == kGoldenHead + kGoldenJson);
  CHECK(body.size() == 650);
  auto f = out->format(std::vector<Alert>{test::sample_alert()});
  CHECK(f->payloads[0].target == "udp://127.0.0.1:514");
  CHECK(f->payloads[0].items == std::vector<size_t>{0});
  CHECK(out->common().delivery.batch_max_alerts == 100);
}

TEST_CASE("syslog: golden TCP frame - octet counting, LEN SP MSG") {
  auto out = test::build_output("syslog", "      protocol: tcp\n      host: logs.example\n      port: 1514\n");
  CHECK(body_of(*out, test::sample_alert()) == "650 " + kGoldenHead + kGoldenJson);
  CHECK(octet_counted("<14>1 - - - - - x") == "17 <14>1 - - - - - x");
  CHECK(octet_counted("é") == "2 é");  // octets, not characters
}

TEST_CASE("syslog: format text with a template, facility, app_name, msgid, sd_id, enterprise_id, sd_fields, BOM") {
  auto out = test::build_output("syslog",
                                "      protocol: tcp\n      facility: auth\n      app_name: falco\n"
                                "      hostname: \"{{container.id}}\"\n      msgid: ALERT\n      format: text\n"
                                "      text: \"{{priority}} {{output}}\"\n      utf8_bom: true\n"
                                "      sd_id: falco\n      enterprise_id: 1.3.6\n"
                                "      sd_fields: [user.name, fd.name, k8s.ns.name, \"proc.aname[2]\"]\n");
  const std::string msg = "<35>1 2019-05-17T15:31:56.746609Z <NA> falco - ALERT [falco@1.3.6 rule=\"Write below "
                          "binary dir\" priority=\"Error\" source=\"syscall\" uuid=\"6f1c2d4e-8a9b-4c3d-9e8f-"
                          "0a1b2c3d4e5f\" user.name=\"root\" fd.name=\"/bin/hack\"] \xEF\xBB\xBF"
                          "Error 16:31:56.746609046: Error File below a known binary directory opened for writing "
                          "(user=root file=/bin/hack)";
  CHECK(body_of(*out, test::sample_alert()) == std::to_string(msg.size()) + " " + msg);
}

TEST_CASE("syslog: PRI = facility * 8 + severity, severity from the Falco priority") {
  CHECK(syslog_severity(Priority::kEmergency) == 0);
  CHECK(syslog_severity(Priority::kAlert) == 1);
  CHECK(syslog_severity(Priority::kCritical) == 2);
  CHECK(syslog_severity(Priority::kError) == 3);
  CHECK(syslog_severity(Priority::kWarning) == 4);
  CHECK(syslog_severity(Priority::kNotice) == 5);
  CHECK(syslog_severity(Priority::kInformational) == 6);
  CHECK(syslog_severity(Priority::kDebug) == 7);
  CHECK(syslog_facility("kern") == 0);
  CHECK(syslog_facility("authpriv") == 10);
  CHECK(syslog_facility("local0") == 16);
  CHECK(syslog_facility("local7") == 23);
  CHECK(syslog_facility("17") == 17);
  CHECK(syslog_facility("24") == -1);
  CHECK(syslog_facility("local8") == -1);
  SyslogConfig c;
  for (int facility = 0; facility < 24; ++facility) {
    c.facility = facility;
    for (int p = 0; p < 8; ++p) {
      Alert a = test::small_alert("u");
      a.priority = static_cast<Priority>(p);
      const std::string want = "<" + std::to_string(facility * 8 + p) + ">1 ";
      CHECK(syslog_message(c, a).rfind(want, 0) == 0);
    }
  }
  c.facility = 23;
  Alert debug = test::small_alert("u", Priority::kDebug);
  CHECK(syslog_message(c, debug).rfind("<191>1 2023-11-14T22:13:20.000000Z h peregrine - R ", 0) == 0);
}

TEST_CASE("syslog: SD-PARAM values escape quote, backslash and bracket, and SD-NAMEs and header fields are ASCII") {
  CHECK(sd_escape(R"(a"b\c]d[e)") == R"(a\"b\\c\]d[e)");
  CHECK(sd_escape("bad \xff") == "bad \xEF\xBF\xBD");
  CHECK(sd_name("proc.aname[2]") == "proc.aname[2_");
  CHECK(sd_name("a b=c\"d") == "a_b_c_d");
  CHECK(sd_name(std::string(40, 'n')) == std::string(32, 'n'));
  CHECK(header_field("Write below etc", 32) == "Write_below_etc");
  CHECK(header_field(std::string(40, 'r'), 32) == std::string(32, 'r'));
  CHECK(header_field("", 32) == "-");
  CHECK(header_field("é", 32) == "__");
  Alert a = test::small_alert("u1");
  a.rule = R"(Rule "x" [y] \z)";
  SyslogConfig c;
  CHECK(syslog_message(c, a).find(R"(rule="Rule \"x\" [y\] \\z")") != std::string::npos);
  CHECK(syslog_message(c, a).find(R"( - Rule_"x"_[y]_\z [)") != std::string::npos);
}

TEST_CASE("syslog: TIMESTAMP is the alert's time with microseconds, cut not rounded") {
  CHECK(syslog_timestamp(1'700'000'000'000'000'001ull) == "2023-11-14T22:13:20.000000Z");
  CHECK(syslog_timestamp(1'700'000'000'999'999'999ull) == "2023-11-14T22:13:20.999999Z");
  CHECK(syslog_timestamp(1'558'107'116'746'609'046ull) == "2019-05-17T15:31:56.746609Z");
}

TEST_CASE("syslog: MSG is truncated visibly at a character boundary, the header and SD never") {
  auto out = test::build_output("syslog", "      format: text\n      max_message_bytes: 480\n");
  Alert a = test::sample_alert();
  a.output = repeat("é", 1000);
  const std::string body = body_of(*out, a);
  CHECK(body == kGoldenHead + repeat("é", 131) + "...(truncated)");  // 203 + 262 + 14 = 479 bytes
  CHECK(body.size() <= 480);

  auto tiny = test::build_output("syslog", "      sd_fields: [proc.cmdline]\n      max_message_bytes: 480\n");
  Alert big = test::small_alert("u2");
  big.output_fields["proc.cmdline"] = std::string(600, 'c');
  auto f = tiny->format(std::vector<Alert>{big, test::small_alert("u3")});
  REQUIRE(f.ok());
  REQUIRE(f->set_aside.size() == 1);
  CHECK(f->set_aside[0].item == 0);
  CHECK(f->set_aside[0].reason == "too_large");
  REQUIRE(f->payloads.size() == 1);
  CHECK(f->payloads[0].items == std::vector<size_t>{1});
}

TEST_CASE("syslog: protocol defaults - ports 514 and 6514, 2048 bytes on UDP and 8192 on TCP/TLS") {
  auto udp = test::build_output("syslog", "");
  const auto& u = dynamic_cast<SyslogOutput&>(*udp).config();
  CHECK(u.port == 514);
  CHECK(u.max_message_bytes == 2048);
  CHECK(u.facility == 16);
  auto tls = test::build_output("syslog", "      protocol: tls\n      tls: {insecure_skip_verify: true}\n");
  const auto& t = dynamic_cast<SyslogOutput&>(*tls).config();
  CHECK(t.port == 6514);
  CHECK(t.max_message_bytes == 8192);
  CHECK(t.timeout == std::chrono::milliseconds(5000));
}

TEST_CASE("syslog: config errors name the key with file:line:col") {
  auto err = [](const std::string& keys) { return test::output_error("syslog", keys); };
  CHECK(err("      facility: local9\n").find("syslog.yaml:5:17: key 'facility'") != std::string::npos);
  CHECK(err("      facility: 24\n").find("syslog.yaml:5:17:") != std::string::npos);
  CHECK(err("      protocol: sctp\n").find("syslog.yaml:5:17:") != std::string::npos);
  CHECK(err("      app_name: my app\n").find("key 'app_name'") != std::string::npos);
  CHECK(err("      port: 70000\n").find("syslog.yaml:5:13:") != std::string::npos);
  CHECK(err("      tls: {ca_file: /etc/hostname}\n").find("only with protocol: tls") != std::string::npos);
  CHECK(err("      sd_id: me@home\n").find("syslog.yaml:5:14: key 'sd_id'") != std::string::npos);
  CHECK(err("      enterprise_id: acme\n").find("key 'enterprise_id'") != std::string::npos);
  CHECK(err("      sd_id: abcdefghijklmnopqrstuvwxyz0\n").find("at most 32") != std::string::npos);
  CHECK(err("      text: \"{{output}}\"\n").find("only with format: text") != std::string::npos);
  CHECK(err("      sd_fields: [\"not a field\"]\n").find("key 'sd_fields'") != std::string::npos);
  CHECK(err("      sd_fields: [rule]\n").find("gives the parameter name 'rule' twice") != std::string::npos);
  CHECK(err("      msgid: \"{{rule\"\n").find("syslog.yaml:5:") != std::string::npos);
  CHECK(err("      max_message_bytes: 100\n").find("key 'max_message_bytes'") != std::string::npos);
  CHECK(err("      protocol: tls\n      tls: {ca_file: /nonexistent/ca.pem}\n").find("cannot read") !=
        std::string::npos);
  CHECK(err("      protocol: tls\n      tls: {cert_file: /etc/hostname}\n").find("go together") != std::string::npos);
  CHECK(err("      colour: red\n").find("unknown key 'colour'") != std::string::npos);
}

TEST_CASE("syslog: a CA file OpenSSL cannot use is a config error at the tls key") {
  peregrine::testing::TempDir dir;
  const auto ca = dir / "not-a-ca.pem";
  std::ofstream(ca) << "this is not PEM\n";
  const std::string e =
      test::output_error("syslog", "      protocol: tls\n      tls: {ca_file: " + ca.string() + "}\n");
  CHECK_MESSAGE(e.find("syslog.yaml:6:12: key 'tls'") != std::string::npos, e);
  CHECK_MESSAGE(e.find("cannot load CA certificates") != std::string::npos, e);
}
