// Internal helpers shared by the event JSON reader and writer (not a public interface).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/event.h"
#include "common/result.h"

namespace peregrine::event_json_detail {

using Json = nlohmann::json;

inline Error field_error(std::string_view path, std::string_view what) {
  return make_error("field '" + std::string(path) + "': " + std::string(what));
}

/// Any JSON integer, stored two's complement (negative values allowed).
inline Result<void> want_any_int(const Json& v, std::string_view path, uint64_t& out) {
  if (v.is_number_unsigned()) out = v.get<uint64_t>();
  else if (v.is_number_integer()) out = static_cast<uint64_t>(v.get<int64_t>());
  else return field_error(path, "expected integer");
  return {};
}

template <typename T>
Result<void> want_uint(const Json& v, std::string_view path, T& out) {
  if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)
    return field_error(path, "expected non-negative integer");
  if (!v.is_number_unsigned()) return field_error(path, "expected unsigned integer");
  const auto u = v.get<uint64_t>();
  if (u > std::numeric_limits<T>::max())
    return field_error(path, "value " + std::to_string(u) + " out of range (max " +
                                 std::to_string(std::numeric_limits<T>::max()) + ")");
  out = static_cast<T>(u);
  return {};
}

inline Result<void> want_int(const Json& v, std::string_view path, int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return field_error(path, "value out of range for a signed 64-bit integer");
    out = static_cast<int64_t>(u);
    return {};
  }
  if (!v.is_number_integer()) return field_error(path, "expected integer");
  out = v.get<int64_t>();
  return {};
}

inline Result<void> want_str(const Json& v, std::string_view path, std::string& out) {
  if (!v.is_string()) return field_error(path, "expected string");
  out = v.get<std::string>();
  return {};
}

inline Result<void> want_bool(const Json& v, std::string_view path, bool& out) {
  if (!v.is_boolean()) return field_error(path, "expected bool");
  out = v.get<bool>();
  return {};
}

inline Result<void> want_str_list(const Json& v, std::string_view path, std::vector<std::string>& out) {
  if (!v.is_array()) return field_error(path, "expected array of strings");
  out.clear();
  for (const auto& s : v) {
    if (!s.is_string()) return field_error(path, "expected array of strings");
    out.push_back(s.get<std::string>());
  }
  return {};
}

inline Result<void> want_object(const Json& v, std::string_view path) {
  if (!v.is_object()) return field_error(path, "expected object");
  return {};
}

// Context objects (event_json_context.cpp). *_to_json returns an object holding only non-default keys.
Json proc_to_json(const ProcessInfo& p);
Result<void> proc_from_json(const Json& j, ProcessInfo& out);
Json fd_to_json(const FdInfo& f);
Result<void> fd_from_json(const Json& j, FdInfo& out);
Json container_to_json(const ContainerInfo& c);
Result<void> container_from_json(const Json& j, ContainerInfo& out);

}  // namespace peregrine::event_json_detail
