// JSON form of an Event: top-level keys and syscall arguments. Context objects: event_json_context.cpp.
#include "common/event_json.h"

#include "common/alert.h"
#include "common/event_json_util.h"
#include "common/flags.h"

namespace peregrine {
namespace {

using namespace event_json_detail;

enum class Repr { kSigned, kUnsigned, kFlags, kMode, kString };

Repr repr_of(ParamKind k) {
  switch (k) {
    case ParamKind::kInt:
    case ParamKind::kFd:
    case ParamKind::kErrno:
    case ParamKind::kPid: return Repr::kSigned;
    case ParamKind::kUint:
    case ParamKind::kUid:
    case ParamKind::kGid: return Repr::kUnsigned;
    case ParamKind::kMode: return Repr::kMode;
    case ParamKind::kPath:
    case ParamKind::kStr:
    case ParamKind::kBytes:
    case ParamKind::kSockAddr: return Repr::kString;
    default: return Repr::kFlags;
  }
}

// Param 0 named "res" or "fd" of a syscall is its return value: when a fixture leaves it out it is taken
// from the top-level "res".
bool is_ret_param(const EventSpec& spec, size_t i) {
  return i == 0 && spec.is_syscall && spec.nparams > 0 && (spec.params[0].name == "res" || spec.params[0].name == "fd");
}

Json param_to_json(const Param& p, ParamKind kind) {
  const Repr r = repr_of(kind);
  const bool simple = p.present && (r == Repr::kString ? p.num == 0 : p.str.empty());
  if (simple) {
    switch (r) {
      case Repr::kSigned: return static_cast<int64_t>(p.num);
      case Repr::kUnsigned: return p.num;
      case Repr::kMode: return flags::mode_to_text(p.num);
      case Repr::kString: return p.str;
      case Repr::kFlags: return flags::to_text(*flags::table_for(kind), p.num);
    }
  }
  if (!p.present && p.num == 0 && p.str.empty()) return nullptr;
  // Escape hatch for values the simple form cannot carry (absent-but-set, or both num and str).
  Json j = Json::object();
  j["present"] = p.present;
  if (p.num != 0) j["num"] = p.num;
  if (!p.str.empty()) j["str"] = p.str;
  return j;
}

Result<void> param_from_json(const Json& v, ParamKind kind, const std::string& path, Param& p) {
  p = Param{};
  if (v.is_null()) return {};
  p.present = true;
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      Result<void> r;
      if (k == "present") r = want_bool(x, path + ".present", p.present);
      else if (k == "num") r = want_any_int(x, path + ".num", p.num);
      else if (k == "str") r = want_str(x, path + ".str", p.str);
      else r = field_error(path + "." + k, "unknown key (expected present, num, str)");
      if (!r) return r;
    }
    return {};
  }
  switch (repr_of(kind)) {
    case Repr::kSigned:
    case Repr::kUnsigned: return want_any_int(v, path, p.num);
    case Repr::kString: return want_str(v, path, p.str);
    case Repr::kMode: {
      if (!v.is_string()) return want_any_int(v, path, p.num);
      auto m = flags::mode_from_text(v.get<std::string>());
      if (!m) return field_error(path, m.error().message);
      p.num = *m;
      return {};
    }
    case Repr::kFlags: {
      if (!v.is_string()) {
        if (!v.is_number_integer()) return field_error(path, "expected number or symbolic flags string");
        return want_any_int(v, path, p.num);
      }
      auto f = flags::from_text(*flags::table_for(kind), v.get<std::string>());
      if (!f) return field_error(path, f.error().message);
      p.num = *f;
      return {};
    }
  }
  return {};
}

Result<void> args_from_json(const Json& j, Event& e, std::vector<bool>& given) {
  if (auto r = want_object(j, "args"); !r) return r;
  const EventSpec& spec = event_spec(e.type);
  for (const auto& [k, v] : j.items()) {
    const int i = param_index(e.type, k);
    if (i < 0) {
      std::string known;
      for (uint8_t n = 0; n < spec.nparams; ++n) known += (n ? ", " : "") + std::string(spec.params[n].name);
      return field_error("args." + k, "unknown parameter of '" + std::string(spec.name) + "' (known: " +
                                          (known.empty() ? "none" : known) + ")");
    }
    if (auto r = param_from_json(v, spec.params[i].kind, "args." + k, e.params[i]); !r) return r;
    given[i] = true;
  }
  return {};
}

Result<void> ts_from_json(const Json& v, uint64_t& out) {
  if (v.is_string()) {
    auto t = parse_rfc3339_ns(v.get<std::string>());
    if (!t) return field_error("ts", t.error().message);
    out = *t;
    return {};
  }
  if (!v.is_number_unsigned()) return field_error("ts", "expected RFC 3339 string or epoch nanoseconds");
  out = v.get<uint64_t>();
  return {};
}

EventSource default_source(EventType t) {
  return t == EventType::kK8sAudit ? EventSource::kK8sAudit : EventSource::kSyscall;
}

Result<void> payload_from_json(const Json& v, std::string& out) {
  if (v.is_string()) out = v.get<std::string>();
  else if (v.is_object() || v.is_array()) out = v.dump();
  else return field_error("payload", "expected string, object or array");
  return {};
}

Json payload_to_json(const Event& e) {
  // An audit payload that is canonical JSON is shown as an object; anything else stays a string so that the
  // round trip is exact.
  if (e.type == EventType::kK8sAudit) {
    Json p = Json::parse(e.payload, nullptr, false);
    if (!p.is_discarded() && (p.is_object() || p.is_array()) &&
        p.dump(-1, ' ', false, Json::error_handler_t::replace) == e.payload)
      return p;
  }
  return e.payload;
}

}  // namespace

void to_json(nlohmann::json& j, const Event& e) {
  const EventSpec& spec = event_spec(e.type);
  j = Json::object();
  j["type"] = spec.name;
  if (e.source != default_source(e.type)) j["source"] = e.source == EventSource::kK8sAudit ? "k8s_audit" : "syscall";
  if (e.num != 0) j["num"] = e.num;
  if (e.ts_ns != 0) j["ts"] = format_rfc3339_ns(e.ts_ns);
  if (e.res != 0) j["res"] = e.res;
  if (e.cpu != 0) j["cpu"] = e.cpu;
  Json args = Json::object();
  for (size_t i = 0; i < e.params.size() && i < spec.nparams; ++i) {
    const Param& p = e.params[i];
    if (is_ret_param(spec, i) && p.present && p.str.empty() && p.num == static_cast<uint64_t>(e.res)) continue;
    Json v = param_to_json(p, spec.params[i].kind);
    if (v.is_null() && !is_ret_param(spec, i)) continue;
    args[std::string(spec.params[i].name)] = std::move(v);
  }
  if (!args.empty()) j["args"] = std::move(args);
  if (Json p = proc_to_json(e.proc); !p.empty()) j["proc"] = std::move(p);
  if (Json f = fd_to_json(e.fd); !f.empty()) j["fd"] = std::move(f);
  if (Json c = container_to_json(e.container); !c.empty()) j["container"] = std::move(c);
  if (!e.payload.empty()) j["payload"] = payload_to_json(e);
}

Result<void> event_from_json(const nlohmann::json& j, Event& out) {
  if (!j.is_object()) return make_error("event: expected a JSON object");
  const auto t = j.find("type");
  if (t == j.end()) return field_error("type", "missing");
  if (!t->is_string()) return field_error("type", "expected string");
  // event_type_from_name() leaves out "unknown"; the JSON form accepts it so that every Event round-trips.
  auto type = event_type_from_name(t->get<std::string>());
  if (!type && t->get<std::string>() == event_spec(EventType::kUnknown).name) type = EventType::kUnknown;
  if (!type) return field_error("type", "unknown event type '" + t->get<std::string>() + "'");
  out = Event{};
  out.type = *type;
  out.source = default_source(*type);
  const EventSpec& spec = event_spec(*type);
  out.params.assign(spec.nparams, Param{});
  std::vector<bool> given(spec.nparams, false);
  for (const auto& [k, v] : j.items()) {
    Result<void> r;
    if (k == "type") continue;
    if (k == "source") {
      if (v == "syscall") out.source = EventSource::kSyscall;
      else if (v == "k8s_audit") out.source = EventSource::kK8sAudit;
      else r = field_error("source", "expected \"syscall\" or \"k8s_audit\"");
    } else if (k == "num") r = want_uint(v, "num", out.num);
    else if (k == "ts") r = ts_from_json(v, out.ts_ns);
    else if (k == "res") r = want_int(v, "res", out.res);
    else if (k == "cpu") r = want_uint(v, "cpu", out.cpu);
    else if (k == "args") r = args_from_json(v, out, given);
    else if (k == "proc") r = event_json_detail::proc_from_json(v, out.proc);
    else if (k == "fd") r = event_json_detail::fd_from_json(v, out.fd);
    else if (k == "container") r = event_json_detail::container_from_json(v, out.container);
    else if (k == "payload") r = payload_from_json(v, out.payload);
    else r = field_error(k, "unknown key");
    if (!r) return r;
  }
  if (spec.nparams > 0 && is_ret_param(spec, 0) && !given[0]) {
    out.params[0].present = true;
    out.params[0].num = static_cast<uint64_t>(out.res);
  }
  return {};
}

Result<void> event_from_json_line(std::string_view line, Event& out) {
  Json j;
  try {
    j = Json::parse(line.begin(), line.end());
  } catch (const Json::exception& e) {  // fixtures/replay input: turn the parser's message into data
    return make_error(std::string("invalid JSON: ") + e.what());
  }
  return event_from_json(j, out);
}

std::string event_to_json_line(const Event& e) {
  Json j;
  to_json(j, e);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace peregrine
