// The SMS text shared by twilio and http_sms: rendering, encodings (auto, gsm7, ucs2), shortening to
// max_segments with the cut marker (GSM-7 and UCS-2 arithmetic), empty texts.
#include <doctest/doctest.h>

#include "outputs/sms/sms_text.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

SmsTextConfig text_config(const std::string& tmpl, size_t max_segments,
                          SmsEncodingMode mode = SmsEncodingMode::kAuto) {
  SmsTextConfig c;
  c.text = Template::parse(tmpl);
  c.max_segments = max_segments;
  c.encoding = mode;
  return c;
}

Alert with_output(const std::string& output) {
  Alert a = test::small_alert("u1");
  a.output = output;
  return a;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("sms text: the default template, one GSM-7 segment, nothing cut") {
  SmsTextConfig c;
  auto t = render_sms_text(c, test::sample_alert());
  REQUIRE(t);
  CHECK(t->text ==
        "ERROR Write below binary dir on node-1: 16:31:56.746609046: Error File below a known binary directory "
        "opened for writing (user=root file=/bin/hack)");
  CHECK_FALSE(t->ucs2);
  CHECK(t->segments == 1);
}

TEST_CASE("sms text: a 600-character GSM-7 text with max_segments 2 is cut to 2 x 153 septets, marked") {
  auto t = render_sms_text(text_config("{{output}}", 2), with_output(std::string(600, 'x')));
  REQUIRE(t);
  CHECK(t->text == std::string(300, 'x') + " (cut)");
  CHECK(t->segments == 2);
  CHECK_FALSE(t->ucs2);
  // Exactly 160 septets fit one segment whole.
  auto exact = render_sms_text(text_config("{{output}}", 1), with_output(std::string(160, 'y')));
  CHECK(exact->text == std::string(160, 'y'));
}

TEST_CASE("sms text: GSM-7 extension characters count two septets") {
  auto t = render_sms_text(text_config("{{output}}", 1), with_output(std::string(200, '{')));
  REQUIRE(t);
  CHECK(t->text == std::string(77, '{') + " (cut)");  // 77 x 2 + 6 = 160 septets
  CHECK(sms_size(t->text).units == 160);
  CHECK_FALSE(t->ucs2);
}

TEST_CASE("sms text: a Cyrillic text goes as UCS-2 and is cut at 70 or 2 x 67 UTF-16 units") {
  const std::string cyr = repeat("Привет ", 30);  // 210 characters
  auto one = render_sms_text(text_config("{{output}}", 1), with_output(cyr));
  REQUIRE(one);
  CHECK(one->ucs2);
  CHECK(one->text == repeat("Привет ", 9) + "П (cut)");  // 64 characters + 6
  CHECK(sms_size(one->text).units == 70);
  auto two = render_sms_text(text_config("{{output}}", 2), with_output(cyr));
  CHECK(sms_size(two->text).units == 134);
  CHECK(two->segments == 2);
}

TEST_CASE("sms text: a surrogate pair is never split by the cut") {
  auto t = render_sms_text(text_config("{{output}}", 1), with_output(repeat("😀", 40)));  // 80 UTF-16 units
  REQUIRE(t);
  CHECK(t->text == repeat("😀", 32) + " (cut)");  // 64 + 6 = 70
  CHECK(t->ucs2);
}

TEST_CASE("sms text: encoding gsm7 transliterates, ucs2 keeps the text and counts UTF-16 units") {
  const Alert a = with_output("Ünïcödé “quotes” – ok");
  auto g = render_sms_text(text_config("{{output}}", 1, SmsEncodingMode::kGsm7), a);
  REQUIRE(g);
  CHECK(g->text == "Ünicödé \"quotes\" - ok");
  CHECK_FALSE(g->ucs2);
  auto automatic = render_sms_text(text_config("{{output}}", 1), a);
  CHECK(automatic->text == "Ünïcödé “quotes” – ok");
  CHECK(automatic->ucs2);

  // 100 GSM-7 characters: one GSM-7 segment in auto, but more than one UCS-2 segment in ucs2.
  const Alert plain = with_output(std::string(100, 'a'));
  CHECK(render_sms_text(text_config("{{output}}", 1), plain)->text == std::string(100, 'a'));
  auto u = render_sms_text(text_config("{{output}}", 1, SmsEncodingMode::kUcs2), plain);
  CHECK(u->text == std::string(64, 'a') + " (cut)");
  CHECK(u->ucs2);
  CHECK(u->segments == 1);
  CHECK(ucs2_shorten(std::string(134, 'b'), 2, " (cut)") == std::string(134, 'b'));
  CHECK(ucs2_shorten(std::string(135, 'b'), 2, " (cut)") == std::string(128, 'b') + " (cut)");
}

TEST_CASE("sms text: an empty or blank rendered text is no SMS, invalid UTF-8 is cleaned") {
  CHECK_FALSE(render_sms_text(text_config("{{#container.id}}in {{container.id}}{{/container.id}}", 1),
                              with_output("x")));
  CHECK_FALSE(render_sms_text(text_config("  {{output}} ", 1), with_output("\n\t")));
  auto t = render_sms_text(text_config("{{output}}", 1), with_output(std::string("bad \xff byte")));
  REQUIRE(t);
  CHECK(t->text == "bad \xEF\xBF\xBD byte");
  CHECK(t->ucs2);
}
