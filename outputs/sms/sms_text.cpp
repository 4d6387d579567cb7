#include "outputs/sms/sms_text.h"

#include <set>

#include "common/json_writer.h"

namespace peregrine::outputs {
namespace {

constexpr size_t kUcs2Single = 70, kUcs2Part = 67;

size_t utf16_units(char32_t cp) { return cp > 0xFFFF ? 2 : 1; }

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (char32_t cp : utf8_code_points(s)) n += utf16_units(cp);
  return n;
}

size_t ucs2_segments(size_t units) {
  return units <= kUcs2Single ? 1 : (units + kUcs2Part - 1) / kUcs2Part;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::string ucs2_shorten(std::string_view text, size_t max_segments, std::string_view marker) {
  if (ucs2_segments(utf16_length(text)) <= max_segments) return std::string(text);
  const size_t budget = max_segments <= 1 ? kUcs2Single : kUcs2Part * max_segments;
  const size_t marker_units = utf16_length(marker);
  std::string out;
  size_t used = 0;
  for (char32_t cp : utf8_code_points(text)) {
    if (used + utf16_units(cp) + marker_units > budget) break;
    append_utf8(out, cp);
    used += utf16_units(cp);
  }
  out += marker;
  return out;
}

SmsTextConfig parse_sms_text_config(config::NodeReader& node) {
  SmsTextConfig c;
  c.text = read_template(node, "text", kDefaultSmsText, Escape::kNone);
  c.max_segments = static_cast<size_t>(node.integer("max_segments", 1, 1, 10));
  const std::string enc = node.choice("encoding", "auto", {"auto", "gsm7", "ucs2"});
  c.encoding = enc == "gsm7" ? SmsEncodingMode::kGsm7 : enc == "ucs2" ? SmsEncodingMode::kUcs2 : SmsEncodingMode::kAuto;
  c.cut_marker = node.str("cut_marker", c.cut_marker);
  const SmsSize marker = sms_size(c.cut_marker);
  if (marker.encoding != SmsEncoding::kGsm7)
    node.fail("cut_marker", "must be made of GSM-7 characters (a UCS-2 marker would turn every cut text into UCS-2)");
  if (marker.units > 20) node.fail("cut_marker", "must be at most 20 characters");
  return c;
}

std::vector<std::string> parse_recipients(config::NodeReader& node) {
  if (!node.has("to")) node.fail("to", "missing required key: at least one recipient");
  const std::vector<std::string> to = node.strings("to");
  const YAML::Node list = node.child("to");
  auto item_error = [&](size_t k, const std::string& why) {
    if (list.IsSequence() && k < list.size()) throw config::error_at(node.file(), list[k], "key 'to': " + why);
    node.fail("to", why);
  };
  if (to.empty()) node.fail("to", "needs at least one recipient");
  std::set<std::string> seen;
  for (size_t k = 0; k < to.size(); ++k) {
    if (blank(to[k])) item_error(k, "a recipient must not be empty");
    if (to[k].find_first_of("\r\n") != std::string::npos) item_error(k, "a recipient must be one line");
    if (!seen.insert(to[k]).second) item_error(k, "recipient '" + to[k] + "' is listed twice");
  }
  return to;
}

std::optional<SmsText> render_sms_text(const SmsTextConfig& c, const Alert& a) {
  std::string text = JsonWriter::clean_utf8(c.text.render(a));
  if (c.encoding == SmsEncodingMode::kGsm7) text = escape_text(text, Escape::kGsm7);
  if (blank(text)) return std::nullopt;
  SmsText out;
  if (c.encoding == SmsEncodingMode::kUcs2) {
    out.text = ucs2_shorten(text, c.max_segments, c.cut_marker);
    out.ucs2 = true;
    out.segments = ucs2_segments(utf16_length(out.text));
    return out;
  }
  out.text = sms_shorten(text, c.max_segments, c.cut_marker);
  const SmsSize size = sms_size(out.text);
  out.ucs2 = size.encoding == SmsEncoding::kUcs2;
  out.segments = size.segments;
  return out;
}

Formatted format_sms(std::span<const Alert> batch, const SmsTextConfig& c, const std::vector<std::string>& to,
                     const SmsRequest& request) {
  Formatted f;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto sms = render_sms_text(c, batch[i]);
    if (!sms) {
      f.set_aside.push_back(SetAside{i, "empty_text"});
      continue;
    }
    for (const auto& recipient : to) {
      Payload p = request(batch[i], *sms, recipient);
      p.items = {i};
      p.key = recipient;
      f.payloads.push_back(std::move(p));
    }
  }
  return f;
}

}  // namespace peregrine::outputs
