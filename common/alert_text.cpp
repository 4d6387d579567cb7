#include "common/alert_text.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/json_writer.h"

namespace peregrine {
namespace {

bool valid_utf8_key(std::string_view k) { return JsonWriter::clean_utf8(k) == k; }

// The fast path: simdjson's on-demand parser fills the Alert directly. It answers only for a plain, valid
// alert (the known keys with their expected types, integers, no floats or lists in output_fields); anything else
// returns nullopt and the DOM path decides, so the fast path can never accept what alert_from_json() refuses.
std::optional<Alert> parse_plain_alert(std::string_view text) {
  namespace od = simdjson::ondemand;
  thread_local od::parser parser;
  const simdjson::padded_string padded(text);
  od::document doc;
  od::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return std::nullopt;
  Alert a;
  bool rule = false, priority = false, time = false;
  for (auto field : obj) {
    std::string_view key, s;
    od::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) return std::nullopt;
    auto str = [&](std::string& out) { return !v.get_string().get(s) && (out.assign(s), true); };
    if (key == "rule") {
      if (!(rule = str(a.rule))) return std::nullopt;
    } else if (key == "output") {
      if (!str(a.output)) return std::nullopt;
    } else if (key == "message") {
      std::string m;
      if (!str(m)) return std::nullopt;
      a.message = std::move(m);
    } else if (key == "hostname") {
      if (!str(a.hostname)) return std::nullopt;
    } else if (key == "source") {
      if (!str(a.source)) return std::nullopt;
    } else if (key == "uuid") {
      if (!str(a.uuid)) return std::nullopt;
    } else if (key == "priority") {
      if (v.get_string().get(s)) return std::nullopt;
      auto p = parse_priority(s);
      if (!p) return std::nullopt;
      a.priority = *p;
      priority = true;
    } else if (key == "time") {
      if (v.get_string().get(s)) return std::nullopt;
      auto t = parse_rfc3339_ns(s);
      if (!t) return std::nullopt;
      a.time_ns = *t;
      time = true;
    } else if (key == "tags") {
      a.tags.clear();  // a repeated key: the last one wins, as in the DOM
      if (v.is_null()) continue;
      od::array arr;
      if (v.get_array().get(arr)) return std::nullopt;
      for (auto t : arr) {
        if (t.get_string().get(s)) return std::nullopt;
        a.tags.emplace_back(s);
      }
    } else if (key == "output_fields") {
      a.output_fields.clear();
      if (v.is_null()) continue;
      od::object fields;
      if (v.get_object().get(fields)) return std::nullopt;
      for (auto f : fields) {
        std::string_view k;
        od::value fv;
        od::json_type type;
        if (f.unescaped_key().get(k) || f.value().get(fv) || fv.type().get(type)) return std::nullopt;
        FieldValue value;
        if (type == od::json_type::string) {
          if (fv.get_string().get(s)) return std::nullopt;
          value = std::string(s);
        } else if (type == od::json_type::boolean) {
          bool b = false;
          if (fv.get_bool().get(b)) return std::nullopt;
          value = b;
        } else if (type == od::json_type::number) {
          od::number_type nt;
          if (fv.get_number_type().get(nt)) return std::nullopt;
          if (nt == od::number_type::signed_integer) {
            int64_t x = 0;
            if (fv.get_int64().get(x)) return std::nullopt;
            value = x;
          } else if (nt == od::number_type::unsigned_integer) {
            uint64_t x = 0;
            if (fv.get_uint64().get(x)) return std::nullopt;
            value = x <= static_cast<uint64_t>(INT64_MAX) ? FieldValue{static_cast<int64_t>(x)} : FieldValue{x};
          } else {
            return std::nullopt;  // floats keep their JSON text: the DOM path
          }
        } else if (type == od::json_type::null) {
          if (!fv.is_null()) return std::nullopt;
        } else {
          return std::nullopt;  // lists keep their JSON text: the DOM path
        }
        a.output_fields[std::string(k)] = std::move(value);  // a repeated key: the last value wins
      }
    } else {
      return std::nullopt;  // an unknown key: the DOM path validates what would be skipped here
    }
  }
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return std::nullopt;  // more after the object: the DOM refuses it
  if (!rule || !priority || !time) return std::nullopt;
  std::sort(a.tags.begin(), a.tags.end());
  return a;
}

}  // namespace

namespace {

std::string flat_name(const std::string& k) {
  std::string name = k;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// The DOM rendering of a style: the reference the writer must match, and the path for keys that cleaning
// would reorder or merge.
std::string dom_text(const Alert& a, const AlertJsonStyle& style) {
  nlohmann::json j = a;
  if (style.at_timestamp) j["@timestamp"] = j["time"];
  if (style.flat_string_fields) {
    nlohmann::json flat = nlohmann::json::object();
    for (auto& [k, v] : j["output_fields"].items())
      flat[flat_name(k)] = v.is_null() || v.is_string() ? v : nlohmann::json(v.dump());
    j["output_fields"] = std::move(flat);
  }
  if (style.omit_output_fields) j.erase("output_fields");
  if (style.omit_tags) j.erase("tags");
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_field(JsonWriter& w, const FieldValue& v, bool as_string) {
  std::visit(
      [&](const auto& x) {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>) w.null();
        else if constexpr (std::is_same_v<X, std::string>) w.string(x);
        else if constexpr (std::is_same_v<X, bool>) as_string ? w.string(x ? "true" : "false") : w.boolean(x);
        else as_string ? w.string(std::to_string(x)) : w.number(x);
      },
      v);
}

}  // namespace

void append_alert_json(std::string& out, const Alert& a, const AlertJsonStyle& style) {
  bool keys_ok = true;
  for (const auto& [k, v] : a.output_fields) keys_ok = keys_ok && valid_utf8_key(k);
  if (!keys_ok) {  // cleaning could reorder or merge keys: let the DOM sort them
    out += dom_text(a, style);
    return;
  }
  JsonWriter w(out);
  w.begin_object();
  const std::string time = format_rfc3339_ns(a.time_ns);
  if (style.at_timestamp) w.key("@timestamp").string(time);
  w.key("hostname").string(a.hostname);
  if (a.message) w.key("message").string(*a.message);
  w.key("output").string(a.output);
  if (!style.omit_output_fields) {
    w.key("output_fields").begin_object();
    if (style.flat_string_fields) {
      std::map<std::string, const FieldValue*> flat;  // "a.b" and "a_b" meet: the later key wins, as in the DOM
      for (const auto& [k, v] : a.output_fields) flat[flat_name(k)] = &v;
      for (const auto& [k, v] : flat) write_field(w.key(k), *v, true);
    } else {
      for (const auto& [k, v] : a.output_fields) write_field(w.key(k), v, false);
    }
    w.end_object();
  }
  w.key("priority").string(priority_name(a.priority)).key("rule").string(a.rule).key("source").string(a.source);
  if (!style.omit_tags) {
    w.key("tags").begin_array();
    std::vector<std::string> tags;  // cleaned, then sorted, as to_json() does
    tags.reserve(a.tags.size());
    for (const auto& t : a.tags) tags.push_back(JsonWriter::clean_utf8(t));
    std::sort(tags.begin(), tags.end());
    for (const auto& t : tags) w.string(t);
    w.end_array();
  }
  w.key("time").string(time).key("uuid").string(a.uuid).end_object();
}

std::string alert_json_text(const Alert& a, const AlertJsonStyle& style) {
  std::string out;
  out.reserve(256 + a.output.size() + 64 * a.output_fields.size());
  append_alert_json(out, a, style);
  return out;
}

Result<Alert> alert_from_json_text(std::string_view text) {
  if (auto a = parse_plain_alert(text)) return std::move(*a);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("alert: not valid JSON", ErrorCode::kInvalid);
  return alert_from_json(j);
}

}  // namespace peregrine
