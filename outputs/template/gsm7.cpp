#include "outputs/template/gsm7.h"

#include <algorithm>

namespace peregrine::outputs {
namespace {

// The 128 characters of the default alphabet (GSM 03.38 table 6.2.1), in code order.
constexpr char32_t kBasic[128] = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å', U'å',
    U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', 0x1B, U'Æ', U'æ', U'ß', U'É',
    U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')', U'*', U'+', U',', U'-', U'.', U'/',
    U'0', U'1', U'2', U'3', U'4', U'5', U'6', U'7', U'8', U'9', U':', U';', U'<', U'=', U'>', U'?',
    U'¡', U'A', U'B', U'C', U'D', U'E', U'F', U'G', U'H', U'I', U'J', U'K', U'L', U'M', U'N', U'O',
    U'P', U'Q', U'R', U'S', U'T', U'U', U'V', U'W', U'X', U'Y', U'Z', U'Ä', U'Ö', U'Ñ', U'Ü', U'§',
    U'¿', U'a', U'b', U'c', U'd', U'e', U'f', U'g', U'h', U'i', U'j', U'k', U'l', U'm', U'n', U'o',
    U'p', U'q', U'r', U's', U't', U'u', U'v', U'w', U'x', U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à'};
constexpr char32_t kExtension[] = {U'^', U'{', U'}', U'\\', U'[', U'~', U']', U'|', U'€', 0x0C};

struct Look {
  char32_t from;
  const char* to;
};
// Common characters outside the alphabet and their GSM-7 look-alikes.
constexpr Look kLookAlikes[] = {
    {U'á', "a"}, {U'â', "a"}, {U'ã', "a"}, {U'ā', "a"}, {U'í', "i"}, {U'î', "i"}, {U'ï', "i"}, {U'ó', "o"},
    {U'ô', "o"}, {U'õ', "o"}, {U'ú', "u"}, {U'û', "u"}, {U'ê', "e"}, {U'ë', "e"}, {U'ç', "c"}, {U'Á', "A"},
    {U'Â', "A"}, {U'Ã', "A"}, {U'À', "A"}, {U'Í', "I"}, {U'Ó', "O"}, {U'Ô', "O"}, {U'Ú', "U"}, {U'Ê', "E"},
    {U'È', "E"}, {U'ý', "y"}, {U'ÿ', "y"}, {U'Š', "S"}, {U'š', "s"}, {U'Ž', "Z"}, {U'ž', "z"}, {U'ł', "l"},
    {U'Ł', "L"}, {U'‘', "'"}, {U'’', "'"}, {U'‚', "'"}, {U'“', "\""}, {U'”', "\""}, {U'„', "\""}, {U'–', "-"},
    {U'—', "-"}, {U'…', "..."}, {U'•', "*"}, {U'\t', " "}, {U'`', "'"}, {U'«', "\""}, {U'»', "\""}, {0xA0, " "}};

}  // namespace

int gsm7_septets(char32_t cp) {
  if (std::find(std::begin(kExtension), std::end(kExtension), cp) != std::end(kExtension)) return 2;
  if (cp == 0x1B) return 0;  // the escape code itself is not text
  return std::find(std::begin(kBasic), std::end(kBasic), cp) != std::end(kBasic) ? 1 : 0;
}

std::vector<char32_t> utf8_code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    bool ok = n != 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok && ((n == 2 && cp < 0x80) || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
               (n == 4 && (cp < 0x10000 || cp > 0x10ffff))))
      ok = false;
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? n : 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::string gsm7_transliterate(std::string_view s) {
  std::string out;
  for (char32_t cp : utf8_code_points(s)) {
    if (gsm7_septets(cp) > 0) {
      append_utf8(out, cp);
      continue;
    }
    const auto* it = std::find_if(std::begin(kLookAlikes), std::end(kLookAlikes), [&](const Look& l) { return l.from == cp; });
    out += it != std::end(kLookAlikes) ? it->to : "?";
  }
  return out;
}

SmsSize sms_size(std::string_view utf8) {
  SmsSize s;
  const auto cps = utf8_code_points(utf8);
  size_t septets = 0, utf16 = 0;
  bool gsm = true;
  for (char32_t cp : cps) {
    const int n = gsm7_septets(cp);
    gsm = gsm && n > 0;
    septets += static_cast<size_t>(n);
    utf16 += cp > 0xFFFF ? 2 : 1;
  }
  s.encoding = gsm ? SmsEncoding::kGsm7 : SmsEncoding::kUcs2;
  s.units = gsm ? septets : utf16;
  const size_t single = gsm ? 160 : 70, part = gsm ? 153 : 67;
  s.segments = s.units == 0 ? 1 : s.units <= single ? 1 : (s.units + part - 1) / part;
  return s;
}

std::string sms_shorten(std::string_view text, size_t max_segments, std::string_view marker) {
  const SmsSize size = sms_size(text);
  if (size.segments <= max_segments) return std::string(text);
  const bool gsm = size.encoding == SmsEncoding::kGsm7 && sms_size(marker).encoding == SmsEncoding::kGsm7;
  const size_t single = gsm ? 160 : 70, part = gsm ? 153 : 67;
  const size_t budget = max_segments <= 1 ? single : part * max_segments;
  const size_t marker_units = gsm ? sms_size(marker).units : [&] {
    size_t u = 0;
    for (char32_t cp : utf8_code_points(marker)) u += cp > 0xFFFF ? 2 : 1;
    return u;
  }();
  std::string out;
  size_t used = 0;
  for (char32_t cp : utf8_code_points(text)) {
    const size_t cost = gsm ? static_cast<size_t>(gsm7_septets(cp)) : (cp > 0xFFFF ? 2 : 1);
    if (used + cost + marker_units > budget) break;
    append_utf8(out, cp);
    used += cost;
  }
  out += marker;
  return out;
}

}  // namespace peregrine::outputs
