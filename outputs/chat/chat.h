// What the chat outputs (slack, teams) share: the same facts, colours and visible truncation — one palette per
// priority, the summary facts (rule, priority, host, container, process, ...), cutting text to a destination's
// limit with a visible "… (truncated)" instead of a refusal — and one request with a check of 2xx answers (chat
// services report some failures in the body of a 200).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "outputs/http/http_client.h"
#include "outputs/output.h"
#include "outputs/template/template.h"

namespace peregrine::outputs::chat {

/// Appended to every text cut to fit a limit, so that a reader knows there was more.
inline constexpr std::string_view kTruncated = "… (truncated)";

/// Unicode code points in UTF-8 text (what Slack and Teams count as characters).
size_t char_count(std::string_view s);

/// `s` when it has at most `max_chars` characters; otherwise its start plus kTruncated, `max_chars` characters in
/// all, cut on a character boundary and never inside an HTML entity (`&amp;`) that mrkdwn escaping produced.
std::string truncate_visible(std::string_view s, size_t max_chars);

/// The priority's colour as "#rrggbb" (Sidekick's palette: emergency/error #e20b0b, alert/critical #ff5400,
/// warning #ffc700, notice #5bffb5, informational #68c2ff, debug #ccfff2).
std::string_view priority_hex(Priority p);

/// "container.name (container.id)", either alone, or "" when the alert has neither.
std::string container_text(const Alert& a);
/// proc.cmdline when present (it starts with the name), else proc.name, else "".
std::string process_text(const Alert& a);

/// One labelled value of a message (a Slack field, a Teams fact).
struct Fact {
  std::string title;
  std::string value;
};

/// Which facts to list: the summary ones always (rule, priority, host; container and process when known), source
/// and time when `with_source_time`, then `extra_fields` (output field names, shown when the alert has them).
/// Values are escaped for `escape`; titles are plain.
std::vector<Fact> alert_facts(const Alert& a, const std::vector<std::string>& extra_fields, bool with_source_time,
                              Escape escape);

/// A rendered template, or `fallback` when it renders to nothing but whitespace (an empty message is refused).
std::string render_or(const Template& t, const Alert& a, const std::string& fallback);

/// One payload per alert (`make` renders it; its items are set here): chat messages carry one alert each.
Formatted one_per_alert(std::span<const Alert> batch, const std::function<Payload(const Alert&)>& make);

/// Sends `payload`: transport failures and non-2xx answers as they are (status, Retry-After, the body's start);
/// a 2xx answer is then given to `check_2xx`, which returns the failure its body reports, if any.
SendResult send_checked(HttpClient& http, const Payload& payload,
                        const std::function<std::optional<SendFailure>(const HttpResponse&)>& check_2xx);

}  // namespace peregrine::outputs::chat
