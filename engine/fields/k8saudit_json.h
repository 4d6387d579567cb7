// Shared by the ka.* field files (k8saudit.cpp, k8saudit_pod.cpp): the parsed audit event and small JSON
// readers. Internal to engine/fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/fields/simple.h"

namespace peregrine::engine::k8saudit {

using nlohmann::json;

/// The event's audit JSON object, parsed at most once per event and thread; nullptr for other sources or
/// a payload that is not a JSON object.
const json* doc_of(const Event& e);
/// The value at `path` below `j` (object keys), or nullptr.
const json* at(const json* j, std::initializer_list<std::string_view> path);
/// Strings as-is, booleans true/false, numbers and objects as JSON text; false for null.
bool render(const json& v, std::string& out);
/// Sets `s` to the rendering of `v` (absent when v is null or missing).
void put_scalar(const json* v, ExtractSlot& s);
/// Appends the rendering of `v` to the list being built in `s`.
void push(ExtractSlot& s, const json& v);
/// requestObject.spec of the event, or nullptr.
const json* req_spec(const Event& e);

}  // namespace peregrine::engine::k8saudit

namespace peregrine::engine {
/// The pod and container security fields (k8saudit_pod.cpp), registered by register_k8saudit_fields.
void register_k8saudit_pod_fields(FieldRegistry& registry);
}  // namespace peregrine::engine
