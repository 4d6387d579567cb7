// Alert model: priority names, RFC 3339 time, uuids, and the Falco-compatible JSON form.
#include "common/alert.h"

#include "common/json_writer.h"

#include <algorithm>
#include <array>
#include <random>

namespace peregrine {
namespace {

constexpr std::array<std::string_view, 8> kPriorityNames = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date, and back (Hinnant's civil calendar algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Parses exactly `n` decimal digits at s[pos]; false if any is not a digit.
bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

// xoshiro256** seeded from std::random_device (getrandom/urandom); one generator per thread, so make_uuid
// takes no lock and costs a few nanoseconds.
class UuidRng {
 public:
  UuidRng() {
    std::random_device rd;
    for (auto& w : s_) w = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 0x9e3779b97f4a7c15ull;
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// Alert text comes from process arguments and file names, which need not be UTF-8. JSON must be, and
// nlohmann::json::dump() throws on invalid UTF-8 by default, so invalid bytes become U+FFFD here, once.
std::string utf8_clean(std::string_view s) { return JsonWriter::clean_utf8(s); }

std::string field_error(std::string_view field, std::string_view what) {
  return "field '" + std::string(field) + "': " + std::string(what);
}

Result<FieldValue> field_value_from_json(const std::string& key, const nlohmann::json& v) {
  using J = nlohmann::json::value_t;
  switch (v.type()) {
    case J::null: return FieldValue{};
    case J::string: return FieldValue{v.get<std::string>()};
    case J::boolean: return FieldValue{v.get<bool>()};
    case J::number_integer: return FieldValue{v.get<int64_t>()};
    case J::number_unsigned: {
      // Canonical form: values that fit int64 become int64 (JSON does not keep signedness).
      const auto u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return FieldValue{static_cast<int64_t>(u)};
      return FieldValue{u};
    }
    case J::number_float:
    case J::array:
      // List fields (Falco renders them as arrays) and the rare float are kept as their JSON text.
      return FieldValue{v.dump()};
    default:
      return make_error(field_error("output_fields." + key, "expected string, number, bool or null"));
  }
}

bool field_values_equal(const FieldValue& a, const FieldValue& b) {
  // Numbers compare by value regardless of signedness: JSON does not preserve it.
  auto as_num = [](const FieldValue& v, bool& neg, uint64_t& mag) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      neg = *i < 0;
      mag = neg ? 0 - static_cast<uint64_t>(*i) : static_cast<uint64_t>(*i);
      return true;
    }
    if (const auto* u = std::get_if<uint64_t>(&v)) {
      neg = false;
      mag = *u;
      return true;
    }
    return false;
  };
  bool na = false, nb = false;
  uint64_t ma = 0, mb = 0;
  if (as_num(a, na, ma) && as_num(b, nb, mb)) return na == nb && ma == mb;
  return a == b;
}

}  // namespace

std::string_view priority_name(Priority p) {
  const auto i = static_cast<size_t>(p);
  return i < kPriorityNames.size() ? kPriorityNames[i] : std::string_view("Unknown");
}

Result<Priority> parse_priority(std::string_view s) {
  for (size_t i = 0; i < kPriorityNames.size(); ++i)
    if (iequals(s, kPriorityNames[i])) return static_cast<Priority>(i);
  if (iequals(s, "info")) return Priority::kInformational;
  return make_error("unknown priority '" + std::string(s) + "'");
}

std::string format_rfc3339_ns(uint64_t epoch_ns) {
  const uint64_t secs = epoch_ns / 1'000'000'000ull;
  const auto nanos = static_cast<unsigned>(epoch_ns % 1'000'000'000ull);
  const auto days = static_cast<int64_t>(secs / 86400);
  const auto sod = static_cast<unsigned>(secs % 86400);
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": fixed width, written digit by digit (hot path of every alert).
  std::string out = "0000-00-00T00:00:00.000000000Z";
  auto put = [&](size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i, v /= 10) out[at + width - 1 - i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<uint64_t>(y), 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, sod / 3600, 2);
  put(14, (sod / 60) % 60, 2);
  put(17, sod % 60, 2);
  put(20, nanos, 9);
  return out;
}

Result<uint64_t> parse_rfc3339_ns(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z, UTC only.
  auto bad = [&](std::string_view why) {
    return make_error("invalid RFC 3339 time '" + std::string(s.substr(0, 64)) + "': " + std::string(why));
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20) return bad("too short");
  if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d) ||
      s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se))
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  if (y < 1970) return bad("year before 1970");
  if (mo < 1 || mo > 12) return bad("month out of range");
  if (d < 1 || d > days_in_month(y, mo)) return bad("day out of range");
  if (h > 23 || mi > 59 || se > 59) return bad("time of day out of range");
  size_t pos = 19;
  uint64_t nanos = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++n > 9) return bad("more than 9 fractional digits");
      nanos = nanos * 10 + static_cast<uint64_t>(s[pos] - '0');
      ++pos;
    }
    if (n == 0) return bad("empty fraction");
    for (; n < 9; ++n) nanos *= 10;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return bad("expected 'Z' (UTC) at the end");
  const auto days = static_cast<uint64_t>(days_from_civil(y, mo, d));
  const uint64_t secs = days * 86400 + h * 3600ull + mi * 60ull + se;
  constexpr uint64_t kMaxSecs = UINT64_MAX / 1'000'000'000ull;
  if (secs > kMaxSecs || (secs == kMaxSecs && nanos > UINT64_MAX % 1'000'000'000ull))
    return bad("out of range for epoch nanoseconds");
  return secs * 1'000'000'000ull + nanos;
}

std::string make_uuid() {
  thread_local UuidRng rng;
  uint64_t hi = rng.next(), lo = rng.next();
  hi = (hi & ~0xf000ull) | 0x4000ull;                    // version 4
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);        // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles_from, int count) {
    for (int i = 0; i < count; ++i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (4 * (nibbles_from - 1 - i))) & 0xf];
    }
  };
  put(hi, 16, 16);
  put(lo, 16, 16);
  return out;
}

void to_json(nlohmann::json& j, const Alert& a) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [k, v] : a.output_fields) {
    std::visit(
        [&, key = &k](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          auto& slot = fields[utf8_clean(*key)];
          if constexpr (std::is_same_v<X, std::monostate>)
            slot = nullptr;
          else if constexpr (std::is_same_v<X, std::string>)
            slot = utf8_clean(x);
          else
            slot = x;
        },
        v);
  }
  std::vector<std::string> tags;
  tags.reserve(a.tags.size());
  for (const auto& t : a.tags) tags.push_back(utf8_clean(t));
  std::sort(tags.begin(), tags.end());
  j = nlohmann::json{{"hostname", utf8_clean(a.hostname)},
                     {"output", utf8_clean(a.output)},
                     {"output_fields", std::move(fields)},
                     {"priority", priority_name(a.priority)},
                     {"rule", utf8_clean(a.rule)},
                     {"source", utf8_clean(a.source)},
                     {"tags", std::move(tags)},
                     {"time", format_rfc3339_ns(a.time_ns)},
                     {"uuid", utf8_clean(a.uuid)}};
  if (a.message) j["message"] = utf8_clean(*a.message);
}

Result<Alert> alert_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error("alert: expected a JSON object");
  Alert a;
  auto get_str = [&](const char* key, bool required, std::string& out) -> Result<void> {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) return make_error(field_error(key, "missing"));
      return {};
    }
    if (!it->is_string()) return make_error(field_error(key, "expected string"));
    out = it->get<std::string>();
    return {};
  };
  std::string prio, time;
  // "output" may be absent: Falco leaves it out with json_include_output_property: false (Sidekick accepts that).
  for (auto r : {get_str("rule", true, a.rule), get_str("priority", true, prio), get_str("output", false, a.output),
                 get_str("time", true, time), get_str("hostname", false, a.hostname),
                 get_str("source", false, a.source), get_str("uuid", false, a.uuid)})
    if (!r) return r.error();
  if (auto it = j.find("message"); it != j.end()) {
    if (!it->is_string()) return make_error(field_error("message", "expected string"));
    a.message = it->get<std::string>();
  }
  auto p = parse_priority(prio);
  if (!p) return make_error(field_error("priority", p.error().message));
  a.priority = *p;
  auto t = parse_rfc3339_ns(time);
  if (!t) return make_error(field_error("time", t.error().message));
  a.time_ns = *t;
  if (auto it = j.find("tags"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return make_error(field_error("tags", "expected array of strings"));
    for (const auto& tag : *it) {
      if (!tag.is_string()) return make_error(field_error("tags", "expected array of strings"));
      a.tags.push_back(tag.get<std::string>());
    }
    std::sort(a.tags.begin(), a.tags.end());
  }
  if (auto it = j.find("output_fields"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return make_error(field_error("output_fields", "expected object"));
    for (const auto& [k, v] : it->items()) {
      auto fv = field_value_from_json(k, v);
      if (!fv) return fv.error();
      a.output_fields.emplace(k, std::move(*fv));
    }
  }
  return a;
}

bool operator==(const Alert& a, const Alert& b) {
  if (a.uuid != b.uuid || a.time_ns != b.time_ns || a.rule != b.rule || a.priority != b.priority ||
      a.source != b.source || a.tags != b.tags || a.hostname != b.hostname || a.output != b.output ||
      a.message != b.message ||
      a.output_fields.size() != b.output_fields.size())
    return false;
  auto ib = b.output_fields.begin();
  for (const auto& [k, v] : a.output_fields) {
    if (k != ib->first || !field_values_equal(v, ib->second)) return false;
    ++ib;
  }
  return true;
}

}  // namespace peregrine
