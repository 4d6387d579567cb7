// JSON event form: round trips, hand-written fixtures, defaults, and strict errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/codec.h"
#include "common/codec_samples.h"
#include "common/event_json.h"

using namespace peregrine;

namespace {

Event parse_ok(std::string_view line) {
  Event e;
  auto r = event_from_json_line(line, e);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return e;
}

std::string parse_error(std::string_view line) {
  Event e;
  auto r = event_from_json_line(line, e);
  REQUIRE_MESSAGE(!r.ok(), "accepted: " << line);
  return r.error().message;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("JSON round trip for every event type with every field set") {
  for (const auto& spec : event_specs()) {
    CAPTURE(spec.name);
    const Event in = samples::full_event(spec.type, 11);
    const std::string line = event_to_json_line(in);
    CAPTURE(line);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(parse_ok(line) == in);
  }
}

TEST_CASE("JSON round trip of defaults, derived defaults overridden, and escape-hatch params") {
  Event e;  // kUnknown, all defaults
  CHECK(event_to_json_line(e) == R"({"type":"unknown"})");
  CHECK(parse_ok(event_to_json_line(e)) == e);

  e = samples::openat_by_bash();
  e.params[0].present = false;                     // ret param absent although res is set
  e.params[2] = Param{true, 5, "/etc/both"};       // string param that also carries a number
  e.params[3] = Param{false, 0, ""};               // flags absent
  e.params[4] = Param{true, 0, "odd"};             // numeric param with a string
  e.proc.tid = 1;                                   // differs from pid
  e.proc.exe = "";                                  // differs from comm
  e.fd.nameraw = "";                                // differs from name
  e.container.image = "reg:5000/team/app@sha256:abc";
  e.container.image_repository = "other";
  e.source = EventSource::kK8sAudit;               // differs from the type's default
  const std::string line = event_to_json_line(e);
  CAPTURE(line);
  CHECK(parse_ok(line) == e);
}

TEST_CASE("k8s_audit payload is shown as an object and round-trips") {
  Event e = samples::full_event(EventType::kK8sAudit, 1);
  nlohmann::json j = e;
  CHECK(j["payload"].is_object());
  CHECK(j["payload"]["verb"] == "create");
  CHECK(!j.contains("source"));
  CHECK(parse_ok(j.dump()) == e);
  e.payload = "{ not canonical }";
  j = e;
  CHECK(j["payload"].is_string());
  CHECK(parse_ok(j.dump()) == e);
}

TEST_CASE("hand-written fixture form with defaults") {
  const Event e = parse_ok(
      R"({"type":"openat","ts":"2026-11-29T04:28:54.123456789Z","res":3,
          "args":{"name":"/etc/shadow","flags":"O_WRONLY|O_CREAT","mode":"0640"},
          "proc":{"name":"cat","exepath":"/usr/bin/cat","args":["/etc/shadow"],"pid":77,"uid":1000,"user":"bob",
                  "ancestors":[{"name":"bash","pid":70}]},
          "fd":{"num":3,"type":"f","name":"/etc/shadow"},"container":{"id":"host"}})");
  CHECK(e.type == EventType::kOpenat);
  CHECK(e.source == EventSource::kSyscall);
  CHECK(e.ts_ns == 1'795'926'534'123'456'789ull);
  CHECK(e.res == 3);
  REQUIRE(e.params.size() == 7);
  CHECK(e.params[0].present);                     // fd taken from res
  CHECK(e.params[0].num == 3);
  CHECK_FALSE(e.params[1].present);               // dirfd not given
  CHECK(e.params[2].str == "/etc/shadow");
  CHECK(e.params[3].num == (01 | 0100));
  CHECK(e.params[4].num == 0640);
  CHECK(e.proc.tid == 77);
  CHECK(e.proc.vpid == 77);
  CHECK(e.proc.euid == 1000);
  CHECK(e.proc.exe == "cat");
  CHECK(e.proc.loginuid == 0xffffffffu);
  CHECK(e.proc.ancestors.at(0).comm == "bash");
  CHECK(e.proc.ancestors.at(0).exe == "bash");
  CHECK(e.fd.typechar == 'f');
  CHECK(e.fd.nameraw == "/etc/shadow");
  CHECK(e.container.id == "host");
  CHECK(e.container.privileged == -1);

  const Event n = parse_ok(R"({"type":"connect","ts":1700000000000000000,"res":-111,
      "fd":{"num":4,"type":"6","sock":{"family":"AF_INET6","proto":"udp","remote_ip":"2001:db8::1","remote_port":53}},
      "container":{"image":"nginx:1.25"}})");
  CHECK(n.ts_ns == 1'700'000'000'000'000'000ull);
  CHECK(n.res == -111);
  CHECK(n.params[0].num == static_cast<uint64_t>(-111));
  CHECK(n.fd.sock.family == 10);
  CHECK(n.fd.sock.l4proto == 17);
  CHECK(n.fd.sock.remote_ip[0] == 0x20);
  CHECK(n.fd.sock.remote_ip[15] == 1);
  CHECK(n.container.image_repository == "nginx");
  CHECK(n.container.image_tag == "1.25");
  CHECK(parse_ok(event_to_json_line(n)) == n);
}

TEST_CASE("symbolic arguments render the Falco way in the JSON form") {
  Event e = parse_ok(R"({"type":"ptrace","args":{"request":16,"pid":5}})");
  nlohmann::json j = e;
  CHECK(j["args"]["request"] == "PTRACE_ATTACH");
  e = parse_ok(R"({"type":"socket","res":3,"args":{"domain":17,"type":3,"proto":768}})");
  j = e;
  CHECK(j["args"]["domain"] == "AF_PACKET");
  CHECK(j["args"]["type"] == "SOCK_RAW");
  e = parse_ok(R"({"type":"open","args":{"flags":577,"mode":420}})");
  j = e;
  CHECK(j["args"]["flags"] == "O_WRONLY|O_CREAT|O_TRUNC");
  CHECK(j["args"]["mode"] == "0644");
}

TEST_CASE("errors name the offending field") {
  CHECK(parse_error(R"({"ts":1})") == "field 'type': missing");
  CHECK(parse_error(R"({"type":7})") == "field 'type': expected string");
  CHECK(parse_error(R"({"type":"opne"})") == "field 'type': unknown event type 'opne'");
  CHECK(parse_error(R"({"type":"openat","bogus":1})") == "field 'bogus': unknown key");
  CHECK(parse_error(R"({"type":"openat","args":{"path":"/x"}})")
            .rfind("field 'args.path': unknown parameter of 'openat' (known: fd, dirfd, name,", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","args":{"name":5}})") == "field 'args.name': expected string");
  CHECK(parse_error(R"({"type":"openat","args":{"flags":"O_NOPE"}})") ==
        "field 'args.flags': unknown name 'O_NOPE'");
  CHECK(parse_error(R"({"type":"openat","args":{"flags":1.5}})") ==
        "field 'args.flags': expected number or symbolic flags string");
  CHECK(parse_error(R"({"type":"openat","args":{"mode":"rw"}})").rfind("field 'args.mode':", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","args":{"fd":{"prsent":true}}})").rfind("field 'args.fd.prsent'", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","proc":{"pid":-1}})") == "field 'proc.pid': expected non-negative integer");
  CHECK(parse_error(R"({"type":"openat","proc":{"pid":4294967296}})").rfind("field 'proc.pid': value", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","proc":{"nmae":"x"}})") == "field 'proc.nmae': unknown key");
  CHECK(parse_error(R"({"type":"openat","proc":{"args":"x"}})") == "field 'proc.args': expected array of strings");
  CHECK(parse_error(R"({"type":"openat","proc":{"loginuid":-2}})") ==
        "field 'proc.loginuid': expected -1 or a 32-bit uid");
  CHECK(parse_error(R"({"type":"openat","proc":{"ancestors":[{"name":"a"},{"pid":"x"}]}})") ==
        "field 'proc.ancestors[1].pid': expected unsigned integer");
  CHECK(parse_error(R"({"type":"openat","fd":{"type":"z"}})").rfind("field 'fd.type'", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","fd":{"sock":{"remote_ip":"1.2.3"}}})") ==
        "field 'fd.sock.remote_ip': invalid IP address '1.2.3'");
  CHECK(parse_error(R"({"type":"openat","fd":{"sock":{"proto":"sctp"}}})").rfind("field 'fd.sock.proto'", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","container":{"privileged":"yes"}})") ==
        "field 'container.privileged': expected bool or null");
  CHECK(parse_error(R"({"type":"openat","cpu":70000})").rfind("field 'cpu': value 70000 out of range", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","ts":"yesterday"})").rfind("field 'ts': invalid RFC 3339", 0) == 0);
  CHECK(parse_error(R"({"type":"openat","ts":-5})") == "field 'ts': expected RFC 3339 string or epoch nanoseconds");
  CHECK(parse_error(R"({"type":"openat","source":"plugin"})") ==
        "field 'source': expected \"syscall\" or \"k8s_audit\"");
  CHECK(parse_error(R"({"type":"k8s_audit","payload":5})") == "field 'payload': expected string, object or array");
  CHECK(parse_error("[1,2]") == "event: expected a JSON object");
  CHECK(parse_error(R"({"type":"openat")").rfind("invalid JSON", 0) == 0);
  CHECK(parse_error("").rfind("invalid JSON", 0) == 0);
}

TEST_CASE("fixture files parse, round-trip through JSON and the binary codec") {
  const std::string path = std::string(PEREGRINE_SOURCE_DIR) + "/tests/fixtures/events/sample.jsonl";
  const auto lines = read_lines(path);
  REQUIRE(lines.size() >= 10);
  wire::BatchEncoder enc;
  std::vector<Event> events;
  for (size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(i + 1);
    Event e = parse_ok(lines[i]);
    CHECK(e.num == i + 1);
    CHECK(parse_ok(event_to_json_line(e)) == e);
    enc.add(e);
    events.push_back(std::move(e));
  }
  auto dec = wire::BatchDecoder::open(enc.bytes());
  REQUIRE(dec.ok());
  Event out;
  for (const auto& e : events) {
    auto r = dec->next(out);
    REQUIRE(r.ok());
    REQUIRE(*r);
    CHECK(out == e);
  }
  // Spot checks that the fixtures say what they claim.
  CHECK(events[1].proc.comm == "cat");
  CHECK(events[1].params[2].str == "/etc/shadow");
  CHECK(events[3].fd.sock.remote_port == 4444);
  CHECK(events[4].params[1].num == 17);  // AF_PACKET
  CHECK(events[5].params[1].num == 16);  // PTRACE_ATTACH
  CHECK(events.back().source == EventSource::kK8sAudit);
}

TEST_CASE("every fixture file under tests/fixtures/events parses and round-trips") {
  const std::filesystem::path dir = std::string(PEREGRINE_SOURCE_DIR) + "/tests/fixtures/events";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl") continue;
    ++files;
    const auto lines = read_lines(entry.path().string());
    CHECK(!lines.empty());
    for (size_t i = 0; i < lines.size(); ++i) {
      CAPTURE(entry.path().filename().string() + ":" + std::to_string(i + 1));
      const Event e = parse_ok(lines[i]);
      CHECK(parse_ok(event_to_json_line(e)) == e);
      std::vector<uint8_t> b;
      wire::encode_one(e, b);
      Event back;
      REQUIRE(wire::decode_one(b, back).ok());
      CHECK(back == e);
    }
  }
  CHECK(files >= 2);
}
