// The GSM 03.38 alphabet of SMS text (7-bit default alphabet plus its extension table), for the SMS outputs'
// segment arithmetic and the templates' `kGsm7` escaping.
//
// A message in GSM-7 takes 160 septets in one segment, 153 per segment when concatenated; characters of the
// extension table ({ } [ ] ~ \ | ^ €) take two septets. A message with any other character is sent as UCS-2:
// 70 UTF-16 code units in one segment, 67 per segment when concatenated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace peregrine::outputs {

/// Septets `cp` takes in GSM-7 (1, 2 for the extension table), or 0 when it is not in the alphabet.
int gsm7_septets(char32_t cp);
/// The code points of a UTF-8 string (invalid bytes become U+FFFD).
std::vector<char32_t> utf8_code_points(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
/// `s` with every character outside GSM-7 replaced by a GSM-7 look-alike (é stays, á→a, “→", –→-, …→...)
/// or '?'.
std::string gsm7_transliterate(std::string_view s);

enum class SmsEncoding { kGsm7, kUcs2 };

/// How a text goes out as SMS: its encoding and length in that encoding's units.
struct SmsSize {
  SmsEncoding encoding = SmsEncoding::kGsm7;
  size_t units = 0;     // septets (GSM-7) or UTF-16 code units (UCS-2)
  size_t segments = 0;  // 1 when it fits one segment, else the concatenated count
};
SmsSize sms_size(std::string_view utf8);

/// `text` cut so that it fits `max_segments` segments, ending with `marker` (e.g. "…[cut]") when it was cut.
/// The cut falls on a character boundary and never splits a GSM-7 escape pair or a UTF-16 surrogate pair.
std::string sms_shorten(std::string_view text, size_t max_segments, std::string_view marker);

}  // namespace peregrine::outputs
