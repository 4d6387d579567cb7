// Alert model: priority names, RFC 3339 time, uuid, Falco JSON.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "common/alert.h"
#include "common/alert_text.h"

using namespace peregrine;

TEST_CASE("priority names match Falco and parse case-insensitively") {
  const char* names[] = {"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};
  for (int i = 0; i < 8; ++i) {
    const auto p = static_cast<Priority>(i);
    CHECK(priority_name(p) == names[i]);
    auto r = parse_priority(names[i]);
    REQUIRE(r.ok());
    CHECK(*r == p);
  }
  CHECK(*parse_priority("WARNING") == Priority::kWarning);
  CHECK(*parse_priority("critical") == Priority::kCritical);
  CHECK(*parse_priority("info") == Priority::kInformational);
  CHECK(*parse_priority("INFO") == Priority::kInformational);
  CHECK_FALSE(parse_priority("warn").ok());
  CHECK_FALSE(parse_priority("").ok());
  CHECK(parse_priority("bogus").error().message.find("bogus") != std::string::npos);
}

TEST_CASE("RFC 3339 formatting with nanoseconds") {
  CHECK(format_rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(format_rfc3339_ns(1'700'000'000'000'000'000ull) == "2023-11-14T22:13:20.000000000Z");
  CHECK(format_rfc3339_ns(1'558'107'116'746'609'046ull) == "2019-05-17T15:31:56.746609046Z");
  CHECK(format_rfc3339_ns(951'782'400'000'000'001ull) == "2000-02-29T00:00:00.000000001Z");
  CHECK(format_rfc3339_ns(UINT64_MAX) == "2554-07-21T23:34:33.709551615Z");
}

TEST_CASE("RFC 3339 parsing is strict and inverts formatting") {
  CHECK(*parse_rfc3339_ns("2019-05-17T15:31:56.746609046Z") == 1'558'107'116'746'609'046ull);
  CHECK(*parse_rfc3339_ns("2023-11-14T22:13:20Z") == 1'700'000'000'000'000'000ull);
  CHECK(*parse_rfc3339_ns("2023-11-14T22:13:20.5Z") == 1'700'000'000'500'000'000ull);
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 999'999'999, 1'700'000'000'123'456'789ull,
                                                    4'102'444'800'000'000'000ull, UINT64_MAX})
    CHECK(*parse_rfc3339_ns(format_rfc3339_ns(v)) == v);
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20+00:00",
                          "2023-11-14 22:13:20Z", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2023-11-31T00:00:00Z", "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z",
                          "2023-11-14T22:13:60Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20.1234567890Z",
                          "1969-12-31T23:59:59Z", "2600-01-01T00:00:00Z", "2023-11-14T22:13:20z",
                          "2023-11-14T22:13:20ZZ", "20a3-11-14T22:13:20Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339_ns(bad).ok());
  }
  CHECK(parse_rfc3339_ns("2024-02-29T00:00:00Z").ok());
}

namespace {
// 8-4-4-4-12 lower-case hex, version nibble 4, variant 10xx. (No std::regex: gcc 12 + ASan warns inside it.)
bool is_uuid_v4(const std::string& u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (u[i] == '-')) return false;
    if (!dash && !((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) return false;
  }
  return u[14] == '4' && std::string_view("89ab").find(u[19]) != std::string_view::npos;
}
}  // namespace

TEST_CASE("uuid checker rejects near misses") {
  CHECK(is_uuid_v4("0b8c7c1e-6f5e-4a8e-9d7a-2f0c6c2e9b11"));
  CHECK_FALSE(is_uuid_v4("0b8c7c1e-6f5e-3a8e-9d7a-2f0c6c2e9b11"));  // version 3
  CHECK_FALSE(is_uuid_v4("0b8c7c1e-6f5e-4a8e-cd7a-2f0c6c2e9b11"));  // variant 110x
  CHECK_FALSE(is_uuid_v4("0B8C7C1E-6F5E-4A8E-9D7A-2F0C6C2E9B11"));  // upper case
  CHECK_FALSE(is_uuid_v4("0b8c7c1e6f5e-4a8e-9d7a-2f0c6c2e9b11-"));
}

TEST_CASE("make_uuid returns distinct RFC 4122 v4 lower-case uuids from many threads") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread)
    threads.emplace_back([&out] {
      for (int i = 0; i < 5000; ++i) out.push_back(make_uuid());
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : per_thread)
    for (const auto& u : v) {
      CHECK(is_uuid_v4(u));
      all.insert(u);
    }
  CHECK(all.size() == 20000);
}

namespace {
Alert sample_alert() {
  Alert a;
  a.uuid = "0b8c7c1e-6f5e-4a8e-9d7a-2f0c6c2e9b11";
  a.time_ns = 1'558'107'116'746'609'046ull;
  a.rule = "Write below binary dir";
  a.priority = Priority::kError;
  a.source = "syscall";
  a.tags = {"mitre_persistence", "filesystem"};
  a.hostname = "node-1";
  a.output = "15:31:56.746609046: Error File below a known binary directory opened for writing (user=root)";
  a.output_fields = {{"evt.time", uint64_t{1'558'107'116'746'609'046ull}},
                     {"fd.name", std::string("/bin/hack")},
                     {"user.uid", int64_t{0}},
                     {"proc.res", int64_t{-2}},
                     {"evt.is_open_write", true},
                     {"k8s.ns.name", std::monostate{}}};
  return a;
}
}  // namespace

TEST_CASE("to_json emits exactly Falco's keys plus uuid, typed output_fields and sorted tags") {
  nlohmann::json j = sample_alert();
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"hostname", "output", "output_fields", "priority", "rule", "source", "tags",
                                         "time", "uuid"});
  CHECK(j["priority"] == "Error");
  CHECK(j["time"] == "2019-05-17T15:31:56.746609046Z");
  CHECK(j["tags"] == nlohmann::json::array({"filesystem", "mitre_persistence"}));
  CHECK(j["output_fields"]["evt.time"].is_number_unsigned());
  CHECK(j["output_fields"]["user.uid"] == 0);
  CHECK(j["output_fields"]["proc.res"] == -2);
  CHECK(j["output_fields"]["evt.is_open_write"] == true);
  CHECK(j["output_fields"]["k8s.ns.name"].is_null());
  CHECK(j["output_fields"]["fd.name"] == "/bin/hack");
}

TEST_CASE("alert JSON round trip, also through text") {
  Alert a = sample_alert();
  nlohmann::json j = a;
  auto back = alert_from_json(j);
  REQUIRE_MESSAGE(back.ok(), back.error().message);
  std::sort(a.tags.begin(), a.tags.end());
  CHECK(*back == a);
  auto via_text = alert_from_json(nlohmann::json::parse(j.dump()));
  REQUIRE(via_text.ok());
  CHECK(*via_text == a);
  CHECK(nlohmann::json(*via_text) == j);
}

TEST_CASE("Falco's own http_output JSON (no uuid) is accepted with an empty uuid") {
  const char* falco = R"json({"output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root command=touch /bin/hack file=/bin/hack)",
    "priority":"Error","rule":"Write below binary dir","time":"2019-05-17T15:31:56.746609046Z","source":"syscall",
    "hostname":"node-1","tags":["mitre_persistence","filesystem"],
    "output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","user.name":"root","k8s.ns.name":null,
                     "ka.req.pod.containers.image":["nginx","redis"]}})json";
  auto a = alert_from_json(nlohmann::json::parse(falco));
  REQUIRE_MESSAGE(a.ok(), a.error().message);
  CHECK(a->uuid.empty());
  CHECK(a->priority == Priority::kError);
  CHECK(a->time_ns == 1'558'107'116'746'609'046ull);
  CHECK(a->tags == std::vector<std::string>{"filesystem", "mitre_persistence"});
  CHECK(std::get<std::string>(a->output_fields.at("user.name")) == "root");
  CHECK(std::holds_alternative<std::monostate>(a->output_fields.at("k8s.ns.name")));
  CHECK(std::get<int64_t>(a->output_fields.at("evt.time")) == 1'558'107'116'746'609'046ll);
  // List fields have no variant alternative: kept as their JSON text.
  CHECK(std::get<std::string>(a->output_fields.at("ka.req.pod.containers.image")) == R"(["nginx","redis"])");
}

TEST_CASE("an alert without \"output\" is accepted, as Falco sends it with json_include_output_property: false") {
  nlohmann::json j = sample_alert();
  j.erase("output");
  auto a = alert_from_json(j);
  REQUIRE(a.ok());
  CHECK(a->output.empty());
  auto t = alert_from_json_text(j.dump());  // the fast path agrees
  REQUIRE(t.ok());
  CHECK(*t == *a);
}

TEST_CASE("alert_from_json names the missing or wrong-typed field") {
  const nlohmann::json good = sample_alert();
  auto expect = [](nlohmann::json j, const std::string& msg) {
    auto r = alert_from_json(j);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == msg);
  };
  for (const char* f : {"rule", "priority", "output", "time"}) {
    auto j = good;
    j[f] = 5;
    expect(j, std::string("field '") + f + "': expected string");
    if (std::string(f) == "output") continue;
    j.erase(f);
    expect(j, std::string("field '") + f + "': missing");
  }
  auto j = good;
  j["priority"] = "loud";
  expect(j, "field 'priority': unknown priority 'loud'");
  j = good;
  j["tags"] = {"a", 1};
  expect(j, "field 'tags': expected array of strings");
  j = good;
  j["output_fields"] = "x";
  expect(j, "field 'output_fields': expected object");
  j = good;
  j["output_fields"]["nested"] = {{"a", 1}};
  expect(j, "field 'output_fields.nested': expected string, number, bool or null");
  j = good;
  j["hostname"] = nullptr;
  expect(j, "field 'hostname': expected string");
  CHECK_FALSE(alert_from_json(nlohmann::json::array()).ok());
  j = good;
  j["time"] = "yesterday";
  auto r = alert_from_json(j);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("field 'time':", 0) == 0);
}

TEST_CASE("alert equality compares numbers across signedness but not across types") {
  Alert a = sample_alert(), b = sample_alert();
  b.output_fields["user.uid"] = uint64_t{0};
  CHECK(a == b);
  b.output_fields["user.uid"] = std::string("0");
  CHECK_FALSE(a == b);
  b = sample_alert();
  b.output_fields["proc.res"] = uint64_t{2};
  CHECK_FALSE(a == b);
}

TEST_CASE("to_json replaces invalid UTF-8 so that dump() cannot throw, and keeps valid UTF-8 as is") {
  Alert a = sample_alert();
  a.output = std::string("cmd=cat \xff\xfe file=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6 bad3=\xe2\x82 over=\xc0\xaf");
  a.output_fields["proc.cmdline"] = std::string("a\xed\xa0\x80z");  // UTF-16 surrogate: invalid in UTF-8
  a.output_fields[std::string("k\xff")] = int64_t{1};
  a.tags.push_back("t\x80");
  a.hostname = "h\xf5";
  nlohmann::json j = a;
  std::string text;
  REQUIRE_NOTHROW(text = j.dump());
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(j["output"] == "cmd=cat " + fffd + fffd + " file=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6 bad3=" + fffd +
                           fffd + " over=" + fffd + fffd);
  CHECK(j["output_fields"]["proc.cmdline"] == "a" + fffd + fffd + fffd + "z");
  CHECK(j["output_fields"].contains("k" + fffd));
  CHECK(j["hostname"] == "h" + fffd);
  auto back = alert_from_json(nlohmann::json::parse(text));
  REQUIRE(back.ok());
  CHECK(back->rule == a.rule);
}
