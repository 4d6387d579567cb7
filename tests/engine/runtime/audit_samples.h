// Kubernetes audit events as kube-apiserver's webhook backend sends them (audit.k8s.io/v1, items without
// kind/apiVersion as Go's encoder writes them), and gzip for request bodies.
#pragma once

#include <zlib.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace peregrine::testing {

/// One audit event: `verb` on `resource`/`name` in `ns` by `user`, with an optional requestObject.
inline nlohmann::json audit_event(const std::string& id, const std::string& verb, const std::string& resource,
                                  const std::string& name, const std::string& ns = "default",
                                  const std::string& user = "alice",
                                  nlohmann::json request_object = nullptr) {
  nlohmann::json e{
      {"level", "RequestResponse"},
      {"auditID", id},
      {"stage", "ResponseComplete"},
      {"requestURI", "/api/v1/namespaces/" + ns + "/" + resource + (verb == "create" ? "" : "/" + name)},
      {"verb", verb},
      {"user", {{"username", user}, {"groups", {"system:authenticated"}}}},
      {"sourceIPs", {"10.0.0.7"}},
      {"userAgent", "kubectl/v1.30.0 (linux/amd64) kubernetes/abcdef"},
      {"objectRef", {{"resource", resource}, {"namespace", ns}, {"name", name}, {"apiVersion", "v1"}}},
      {"responseStatus", {{"metadata", nlohmann::json::object()}, {"code", verb == "create" ? 201 : 200}}},
      {"requestReceivedTimestamp", "2026-12-05T23:50:00.100000Z"},
      {"stageTimestamp", "2026-12-05T23:50:00.123456Z"},
      {"annotations", {{"authorization.k8s.io/decision", "allow"}, {"authorization.k8s.io/reason", ""}}}};
  if (!request_object.is_null()) e["requestObject"] = std::move(request_object);
  return e;
}

/// An EventList of `items` (a vector: a braced single json element would be that element, not a list of it).
inline nlohmann::json event_list(std::vector<nlohmann::json> items) {
  nlohmann::json list{{"kind", "EventList"}, {"apiVersion", "audit.k8s.io/v1"}, {"metadata", nlohmann::json::object()}};
  list["items"] = nlohmann::json::array();
  for (auto& item : items) list["items"].push_back(std::move(item));
  return list;
}

/// `text` gzip-compressed (what a client sends with Content-Encoding: gzip).
inline std::string gzip(std::string_view text) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

}  // namespace peregrine::testing
