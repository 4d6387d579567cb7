// The DOM-free alert JSON paths must agree with the nlohmann ones byte for byte (writer) and verdict for verdict
// (parser), on ordinary alerts, on odd documents, and on random bytes.
#include <doctest/doctest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/json_writer.h"

using namespace peregrine;

namespace {

std::string dom_text(const Alert& a) {
  nlohmann::json j = a;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string random_text(std::mt19937_64& rng, size_t max_len) {
  static const std::string kPieces[] = {"a", "Z", " ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "é", "€",
                                        "😀", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "/bin/sh", "proc.name"};
  std::uniform_int_distribution<size_t> len(0, max_len), pick(0, std::size(kPieces) - 1);
  std::string s;
  for (size_t i = len(rng); i > 0; --i) s += kPieces[pick(rng)];
  return s;
}

Alert random_alert(std::mt19937_64& rng) {
  Alert a;
  a.uuid = random_text(rng, 3);
  a.time_ns = rng() % 4'000'000'000'000'000'000ull;
  a.rule = random_text(rng, 6);
  a.priority = static_cast<Priority>(rng() % 8);
  a.source = random_text(rng, 2);
  a.hostname = random_text(rng, 3);
  a.output = random_text(rng, 20);
  if (rng() % 2 != 0) a.message = random_text(rng, 12);  // Falco's optional "message"
  for (size_t i = rng() % 4; i > 0; --i) a.tags.push_back(random_text(rng, 3));
  std::sort(a.tags.begin(), a.tags.end());
  for (size_t i = rng() % 6; i > 0; --i) {
    const std::string k = random_text(rng, 3);
    switch (rng() % 5) {
      case 0: a.output_fields[k] = std::monostate{}; break;
      case 1: a.output_fields[k] = random_text(rng, 5); break;
      case 2: a.output_fields[k] = static_cast<int64_t>(rng()); break;
      case 3: a.output_fields[k] = static_cast<uint64_t>(rng()) | (1ull << 63); break;
      default: a.output_fields[k] = (rng() & 1) != 0;
    }
  }
  return a;
}

// Both parsers on `text`: same verdict, same alert or same error message.
void same_verdict(const std::string& text) {
  INFO(text);
  auto fast = alert_from_json_text(text);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    CHECK_FALSE(fast.ok());
    return;
  }
  auto dom = alert_from_json(j);
  REQUIRE(fast.ok() == dom.ok());
  if (fast.ok()) CHECK(*fast == *dom);
  else CHECK(fast.error().message == dom.error().message);
}

}  // namespace

TEST_CASE("alert_json_text writes nlohmann's exact bytes, invalid UTF-8 and control characters included") {
  std::mt19937_64 rng(20261204);
  for (int i = 0; i < 20000; ++i) {
    const Alert a = random_alert(rng);
    REQUIRE(alert_json_text(a) == dom_text(a));
  }
}

TEST_CASE("alert_from_json_text accepts what alert_from_json accepts, with the same alert or the same error") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) same_verdict(dom_text(random_alert(rng)));
  const std::string base = R"("priority":"Warning","output":"o","time":"2026-01-01T00:00:00Z")";
  for (const std::string& c : std::vector<std::string>{
           "{\"rule\":\"r\"," + base + "}",
           R"({"rule":"r","priority":"info","output":"o","time":"2026-01-01T00:00:00.5Z","tags":null,"output_fields":null})",
           "{\"rule\":\"r\"," + base + R"(,"output_fields":{"a":[1,2],"b":1.5}})",
           "{\"rule\":\"r\"," + base + R"(,"extra":{"x":[1]}})",
           "{\"rule\":\"r\"," + base + R"(,"output_fields":{"a":1,"a":2}})",
           R"({"rule":"r","rule":"s",)" + base + R"(,"tags":["b","a"]})",
           "{" + base + "}",
           "{\"rule\":5," + base + "}",
           R"({"rule":"r","priority":"loud","output":"o","time":"2026-01-01T00:00:00Z"})",
           R"({"rule":"r","priority":"Warning","output":"o","time":"yesterday"})",
           "{\"rule\":\"r\"," + base + R"(,"tags":[1]})",
           "{\"rule\":\"r\"," + base + R"(,"output_fields":{"a":{"b":1}}})",
           "{\"rule\":\"r\"," + base + R"(,"uuid":null})",
           "{\"rule\":\"r\"," + base + R"(,"message":"m"})",
           "{\"rule\":\"r\"," + base + R"(,"message":"")",
           "{\"rule\":\"r\"," + base + R"(,"message":null})",
           "{\"rule\":\"r\"," + base + R"(,"message":5})",
           R"([1,2])",
           R"({"rule":"r")",
           "{\"rule\":\"r\"," + base + R"(} {"rule":"x"})",
           "{\"rule\":\"r\"," + base + "}   ",
           "{\"rule\":\"r\"," + base + R"(,"output_fields":{"n":-0,"m":18446744073709551615,"o":18446744073709551616}})",
           "{\"rule\":\"r\xff\"," + base + "}",
           "{\"rule\":\"r\\u00e9\\ud83d\\ude00\"," + base + "}",
           "{\"rule\":\"r\\ud800\"," + base + "}",
           "\xef\xbb\xbf{\"rule\":\"r\"," + base + "}",
       })
    same_verdict(c);
}

TEST_CASE("document styles: @timestamp and flattened string fields match their DOM renderings") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    Alert a = random_alert(rng);
    if (i % 3 == 0) a.output_fields["a.b"] = int64_t{1}, a.output_fields["a_b"] = std::string("x");  // they meet
    for (const AlertJsonStyle style :
         {AlertJsonStyle{true, false}, AlertJsonStyle{true, true}, AlertJsonStyle{false, true}}) {
      nlohmann::json j = a;
      if (style.at_timestamp) j["@timestamp"] = j["time"];
      if (style.flat_string_fields) {
        nlohmann::json flat = nlohmann::json::object();
        for (auto& [k, v] : j["output_fields"].items()) {
          std::string n = k;
          std::replace(n.begin(), n.end(), '.', '_');
          flat[n] = v.is_null() || v.is_string() ? v : nlohmann::json(v.dump());
        }
        j["output_fields"] = flat;
      }
      REQUIRE(alert_json_text(a, style) == j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
}

TEST_CASE("JsonWriter: nesting, separators and escapes") {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("a").begin_array().number(int64_t{-1}).number(uint64_t{2}).boolean(true).null().end_array();
  w.key("b\"").string("x\ny\x01").key("c").begin_object().end_object().key("d").raw("[1]").end_object();
  CHECK(out == R"({"a":[-1,2,true,null],"b\"":"x\ny\u0001","c":{},"d":[1]})");
}

TEST_CASE("omitted keys: the JSON switches' output_fields and tags are left out exactly as erasing them from the DOM") {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 3000; ++i) {
    const Alert a = random_alert(rng);
    for (const AlertJsonStyle style : {AlertJsonStyle{false, false, true, false}, AlertJsonStyle{false, false, false, true},
                                       AlertJsonStyle{false, false, true, true}}) {
      nlohmann::json j = a;
      if (style.omit_output_fields) j.erase("output_fields");
      if (style.omit_tags) j.erase("tags");
      REQUIRE(alert_json_text(a, style) == j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
}
