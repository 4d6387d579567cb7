// What the SMS outputs (twilio, http_sms) share: the text of an alert as an SMS, and the recipients.
//
//   text: "{{priority_upper}} {{rule}} on {{hostname}}: {{output}}"   # template (outputs/template/template.h)
//   max_segments: 1          # 1..10: a longer text is cut to fit and ends with cut_marker
//   encoding: auto           # auto: GSM-7 when every character is in the GSM-7 alphabet, else UCS-2
//                            # gsm7: characters outside the alphabet transliterated (á→a, “→", else ?), GSM-7
//                            # ucs2: the text as is, always sent (and counted) as UCS-2
//   cut_marker: " (cut)"     # ends a cut text; GSM-7 characters only, so that a GSM-7 text stays GSM-7
//   to: ["+15551234567"]     # recipients: one message (one request) per recipient
//
// Why the router cuts: gateways cut silently (Kannel sends max-messages parts and drops the rest with 202,
// Twilio refuses bodies over 1600 characters), so the cut is made here, on a character boundary, and marked.
// Segment arithmetic (outputs/template/gsm7.h): GSM-7 160 septets in one segment, 153 per part when
// concatenated, { } [ ] ~ \ | ^ € count 2; UCS-2 70 UTF-16 units, 67 per part.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/config/node_reader.h"
#include "outputs/output.h"
#include "outputs/template/gsm7.h"
#include "outputs/template/template.h"

namespace peregrine::outputs {

inline constexpr const char* kDefaultSmsText = "{{priority_upper}} {{rule}} on {{hostname}}: {{output}}";

enum class SmsEncodingMode { kAuto, kGsm7, kUcs2 };

struct SmsTextConfig {
  Template text = Template::parse(kDefaultSmsText);
  size_t max_segments = 1;
  SmsEncodingMode encoding = SmsEncodingMode::kAuto;
  std::string cut_marker = " (cut)";
};

/// Reads text, max_segments, encoding and cut_marker. Throws config::ConfigError with the key's position.
SmsTextConfig parse_sms_text_config(config::NodeReader& node);

/// Reads `to`: required, at least one, each non-empty, one line, and listed once (each recipient is the key of
/// its own payload, so a retry re-sends only to the recipients that failed).
std::vector<std::string> parse_recipients(config::NodeReader& node);

/// An alert's SMS: the text as it goes out (valid UTF-8, cut and marked when needed) and its encoding.
struct SmsText {
  std::string text;
  bool ucs2 = false;
  size_t segments = 1;
};

/// The SMS of `a`, or nullopt when the rendered text is empty or blank (set aside as "empty_text").
std::optional<SmsText> render_sms_text(const SmsTextConfig& c, const Alert& a);

/// The request of one message: (alert, its SMS, recipient) → payload (url, method, headers, body).
using SmsRequest = std::function<Payload(const Alert&, const SmsText&, const std::string& to)>;

/// format() of an SMS output: one payload per (alert, recipient), carrying that alert and keyed by the recipient
/// (a retry re-sends only to recipients that failed); an alert whose text renders empty is set aside as
/// "empty_text".
Formatted format_sms(std::span<const Alert> batch, const SmsTextConfig& c, const std::vector<std::string>& to,
                     const SmsRequest& request);

/// `text` cut to `max_segments` UCS-2 segments (70, or 67 per part), ending with `marker` when cut. For
/// encoding: ucs2, where a text made of GSM-7 characters only must still be measured in UTF-16 units.
std::string ucs2_shorten(std::string_view text, size_t max_segments, std::string_view marker);

}  // namespace peregrine::outputs
