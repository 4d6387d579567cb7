// The http_sms output against a real Kannel 1.4.5 (bearerbox + smsbox + fakesmsc, tests/receivers): texts
// reach the fake SMSC cut to max_segments with the marker, UCS-2 texts arrive as UCS-2 over GET and POST, each
// recipient gets its message, and a wrong password is dead-lettered with Kannel's own reason.
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>

#include "outputs/template/gsm7.h"
#include "tests/integration/router_rig.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// One message as the fake SMSC printed it, concatenated parts joined.
struct Sms {
  std::string from, to, text;
  bool ucs2 = false;
  int parts = 1;
};

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size()) out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)), i += 2;
    else out += s[i];
  }
  return out;
}

std::string utf16be_to_utf8(const std::string& b) {
  std::string out;
  for (size_t i = 0; i + 1 < b.size(); i += 2) {
    char32_t u = (static_cast<unsigned char>(b[i]) << 8) | static_cast<unsigned char>(b[i + 1]);
    if (u >= 0xD800 && u < 0xDC00 && i + 3 < b.size()) {
      const char32_t lo = (static_cast<unsigned char>(b[i + 2]) << 8) | static_cast<unsigned char>(b[i + 3]);
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    }
    peregrine::outputs::append_utf8(out, u);
  }
  return out;
}

// fakesmsc prints "Got message N: <FROM TO text BODY>", "<FROM TO ucs-2 %XX..>" (UTF-16BE, URL-encoded), or for
// each part of a concatenated message "<FROM TO udh %05%00%03<ref><total><seq> data %XX..>". Data of UCS-2 parts
// is UTF-16BE, which for the test texts (Latin and Cyrillic) always holds a byte below 0x09; GSM-7 parts are UTF-8.
std::vector<Sms> fakesmsc_messages(const std::filesystem::path& file) {
  static const std::regex line(R"(Got message \d+: <(\S+) (\S+) (text|ucs-2|udh) (.*)>$)");
  std::vector<Sms> out;
  std::map<std::pair<std::string, int>, std::map<int, std::string>> pending;
  for (const auto& l : read_lines(file)) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    Sms s{m[1], m[2], "", false, 1};
    const std::string kind = m[3], rest = m[4];
    if (kind == "text") s.text = rest;
    if (kind == "ucs-2") s.ucs2 = true, s.text = utf16be_to_utf8(url_decode(rest));
    if (kind != "udh") {
      out.push_back(s);
      continue;
    }
    const size_t sp = rest.find(" data ");
    const std::string udh = url_decode(rest.substr(0, sp));
    if (sp == std::string::npos || udh.size() < 6) continue;
    auto& parts = pending[{s.to, static_cast<unsigned char>(udh[3])}];
    parts[static_cast<unsigned char>(udh[5])] = url_decode(rest.substr(sp + 6));
    if (parts.size() != static_cast<unsigned char>(udh[4])) continue;
    std::string bytes;
    for (const auto& [seq, data] : parts) bytes += data;
    s.ucs2 = std::any_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) < 0x09; });
    s.text = s.ucs2 ? utf16be_to_utf8(bytes) : bytes;
    s.parts = static_cast<int>(parts.size());
    out.push_back(s);
  }
  return out;
}

std::string sms_output(const std::string& name, const Receiver& kannel, const std::string& extra) {
  return "    - type: http_sms\n"
         "      name: " + name + "\n"
         "      url: http://127.0.0.1:" + std::to_string(kannel.port("sendsms")) + "\n"
         "      username: tester\n"
         "      from: Falco\n"
         "      delivery: {linger_ms: 0, initial_backoff_ms: 50, max_backoff_ms: 500}\n" + extra;
}

}  // namespace

TEST_CASE("http_sms: Kannel gets one SMS per recipient, a 600-character output cut to 2 segments with the marker") {
  if (auto why = Receiver::unavailable("kannel"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver kannel("kannel", dir / "kannel");
  RouterRig router(dir, sms_output("sms", kannel, "      password: foobar\n"
                                                  "      to: [\"+15550000001\", \"+15550000002\"]\n"
                                                  "      text: \"{{output}}\"\n      max_segments: 2\n"));
  json long_alert = falco_alert(test_uuid("sms", 1));
  std::string long_text;
  for (int i = 0; long_text.size() < 600; ++i) long_text += "word" + std::to_string(i) + " ";
  long_alert["output"] = long_text.substr(0, 600);
  json short_alert = falco_alert(test_uuid("sms", 2));
  short_alert["output"] = "Shell spawned in container nginx";
  REQUIRE(router.post({long_alert, short_alert}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "sms") == 2; }, 30s),
                  router.log());
  std::vector<Sms> got;
  REQUIRE(wait_until([&] { return (got = fakesmsc_messages(kannel.dir() / "fakesmsc.out")).size() == 4; }, 10s));
  std::multiset<std::string> to;
  for (const auto& s : got) {
    INFO(s.to << ": " << s.text);
    to.insert(s.to);
    CHECK(s.from == "Falco");
    CHECK_FALSE(s.ucs2);
    if (s.parts == 2) {
      CHECK(s.text == long_text.substr(0, 300) + " (cut)");  // 306 septets: 2 x 153
    } else {
      CHECK(s.parts == 1);
      CHECK(s.text == "Shell spawned in container nginx");
    }
  }
  CHECK(to == std::multiset<std::string>{"+15550000001", "+15550000001", "+15550000002", "+15550000002"});
  CHECK(router.dead_letters().empty());
}

TEST_CASE("http_sms: a text outside GSM-7 arrives at Kannel as UCS-2, over GET and over POST") {
  if (auto why = Receiver::unavailable("kannel"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver kannel("kannel", dir / "kannel");
  const std::string common = "      password: foobar\n      text: \"{{output}}\"\n";
  RouterRig router(dir, sms_output("get", kannel, common + "      to: [\"+15550000011\"]\n") +
                            sms_output("post", kannel, common + "      to: [\"+15550000022\"]\n      method: POST\n"));
  json a = falco_alert(test_uuid("ucs2", 1));
  a["output"] = "Тревога: оболочка в контейнере nginx";
  json b = falco_alert(test_uuid("ucs2", 2));
  b["output"] = "Alerte: accès refusé à /etc/shadow — 3 essais";  // è é à are GSM-7, the dash is not
  REQUIRE(router.post({a, b}) == 200);
  std::vector<Sms> got;
  REQUIRE_MESSAGE(wait_until([&] { return (got = fakesmsc_messages(kannel.dir() / "fakesmsc.out")).size() == 4; }, 30s),
                  router.log());
  std::map<std::string, std::set<std::string>> texts;
  for (const auto& s : got) {
    INFO(s.to << ": " << s.text);
    CHECK(s.ucs2);
    CHECK(s.parts == 1);
    texts[s.to].insert(s.text);
  }
  const std::set<std::string> want{a["output"], b["output"]};
  CHECK(texts["+15550000011"] == want);
  CHECK(texts["+15550000022"] == want);
}

TEST_CASE("http_sms: a wrong password is dead-lettered with Kannel's reason and not retried") {
  if (auto why = Receiver::unavailable("kannel"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver kannel("kannel", dir / "kannel");
  RouterRig router(dir, sms_output("sms", kannel, "      password: not-the-password\n      to: [\"+15550000001\"]\n"));
  const json alert = falco_alert(test_uuid("pw", 1));
  REQUIRE(router.post({alert}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_failed_total", "sms") == 1; }, 30s),
                  router.log());
  const auto dead = router.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["alert"]["uuid"] == alert["uuid"]);
  const std::string reason = dead[0]["reason"];
  CHECK_MESSAGE(reason.find("permanent failure: HTTP 403: Authorization failed for sendsms") != std::string::npos,
                reason);
  CHECK(reason.find("not-the-password") == std::string::npos);
  CHECK(router.counter("peregrine_router_output_retried_total", "sms") == 0);
  CHECK(router.counter("peregrine_router_output_delivered_total", "sms") == 0);
  CHECK(fakesmsc_messages(kannel.dir() / "fakesmsc.out").empty());
}
