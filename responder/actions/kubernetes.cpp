#include "responder/actions/kubernetes.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/secrets.h"
#include "outputs/http/url.h"
#include "responder/actions/kubeconfig.h"
#include "responder/actions/http_call.h"

namespace peregrine::responder {
namespace {

constexpr const char* kSaDir = "/var/run/secrets/kubernetes.io/serviceaccount/";
constexpr const char* kIsolateLabel = "peregrine.io/isolate";

// DNS-1123 names (pods and namespaces): lower-case alphanumerics, '-' and '.', at most 253.
bool kube_name(const std::string& s) {
  return !s.empty() && s.size() <= 253 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string::npos;
}

std::string pod_path(const KubeParams& p, const std::string& ns, const std::string& pod) {
  return p.api_server + "/api/v1/namespaces/" + ns + "/pods/" + pod;
}

outputs::HttpRequest json_request(std::string method, std::string url, const nlohmann::json& body,
                                  std::string content_type = "application/json") {
  outputs::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = body.dump();
  r.content_type = std::move(content_type);
  r.headers = {{"Accept", "application/json"}};
  return r;
}

nlohmann::json network_policy(const KubeParams& p, const std::string& ns, const std::string& pod) {
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& cidr : p.allow) peers.push_back({{"ipBlock", {{"cidr", cidr}}}});
  nlohmann::json spec = {{"podSelector", {{"matchLabels", {{kIsolateLabel, pod}}}}},
                         {"policyTypes", {"Ingress", "Egress"}},
                         {"ingress", nlohmann::json::array()},
                         {"egress", nlohmann::json::array()}};
  if (!peers.empty()) {
    spec["ingress"].push_back({{"from", peers}});
    spec["egress"].push_back({{"to", peers}});
  }
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata", {{"name", "peregrine-isolate-" + pod}, {"namespace", ns},
                        {"labels", {{"app.kubernetes.io/managed-by", "peregrine-responder"}}}}},
          {"spec", spec}};
}

std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::vector<outputs::HttpRequest> kube_requests(const KubeParams& p, const std::string& ns, const std::string& pod) {
  if (p.verb == "terminate")
    return {json_request("DELETE", pod_path(p, ns, pod),
                         {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", p.grace_period_seconds}})};
  if (p.verb == "label")
    return {json_request("PATCH", pod_path(p, ns, pod), {{"metadata", {{"labels", p.labels}}}},
                         "application/merge-patch+json")};
  return {json_request("PATCH", pod_path(p, ns, pod), {{"metadata", {{"labels", {{kIsolateLabel, pod}}}}}},
                       "application/merge-patch+json"),
          json_request("POST", p.api_server + "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies",
                       network_policy(p, ns, pod))};
}

KubeAction::KubeAction(KubeParams p)
    : p_(std::move(p)), kind_("kubernetes:" + p_.verb), client_(p_.http, "responder.kubernetes") {}

ActionResult KubeAction::run(const Alert& alert, bool dry_run) {
  const std::string ns = field_or_empty(alert, "k8s.ns.name"), pod = field_or_empty(alert, "k8s.pod.name");
  ActionResult base;
  base.fields = {{"k8s.ns.name", ns}, {"k8s.pod.name", pod}};
  if (!kube_name(ns) || !kube_name(pod))
    return {Outcome::kSkipped, "no_target: the alert names no valid k8s.ns.name and k8s.pod.name", base.fields};
  if (p_.verb == "networkpolicy" && pod.size() > 63)
    return {Outcome::kSkipped, "no_target: pod name longer than a label value (63)", base.fields};
  const auto reqs = kube_requests(p_, ns, pod);
  std::string what = kind_ + " pod " + ns + "/" + pod + ":";
  for (const auto& r : reqs) what += " " + r.method + " " + r.url.substr(p_.api_server.size());
  if (dry_run) return {Outcome::kDryRun, "would " + what, base.fields};
  for (const auto& r : reqs) {
    auto o = client_.perform(r);
    if (!o.failure && o.response.status == 409 && r.method == "POST") continue;  // the policy exists already
    if (!o.ok()) return http_result(o, what, std::move(base));
  }
  return {Outcome::kDone, what, base.fields};
}

namespace {

// api_server, bearer token and TLS files: from a kubeconfig, from explicit keys, or in cluster.
void set_credentials(KubeParams& p, config::NodeReader& params) {
  if (params.has("kubeconfig")) {
    for (const char* k : {"api_server", "token_file", "ca_file"})
      if (params.has(k)) params.fail(k, "give either kubeconfig or api_server/token_file/ca_file");
    const KubeCredentials c = read_kubeconfig(params.str("kubeconfig", ""), params.str("context", ""));
    p.api_server = c.server;
    p.http.tls.ca_file = c.ca_file;
    p.http.tls.insecure_skip_verify = c.insecure_skip_verify;
    p.http.tls.cert_file = c.cert_file;
    p.http.tls.key_file = c.key_file;
    p.http.auth.bearer_token = c.token;
  } else {
    p.api_server = params.str("api_server", "");
    if (p.api_server.empty()) {
      const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
      const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
      if (!host || !port) params.fail("api_server", "not set and not in a cluster (KUBERNETES_SERVICE_HOST unset)");
      const std::string h = host;
      p.api_server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
    }
    const std::string token_file = params.str("token_file", std::string(kSaDir) + "token");
    p.http.tls.ca_file = params.str("ca_file", params.has("api_server") ? "" : std::string(kSaDir) + "ca.crt");
    if (!token_file.empty()) {
      p.http.auth.bearer_token = read_trimmed(token_file);
      if (p.http.auth.bearer_token.empty()) params.fail("token_file", "unreadable or empty");
    }
  }
  if (auto why = outputs::check_http_url(p.api_server); !why.empty())
    params.fail(params.has("kubeconfig") ? "kubeconfig" : "api_server", "server: " + why);
  if (!p.http.auth.bearer_token.empty()) secrets::add(p.http.auth.bearer_token);
}

}  // namespace

std::unique_ptr<Actionner> make_kube_action(const std::string& verb, config::NodeReader& params) {
  KubeParams p;
  p.verb = verb;
  if (verb == "terminate") p.grace_period_seconds = params.integer("grace_period_seconds", 0, 0, 86400);
  if (verb == "label") {
    const YAML::Node raw = params.child("labels");
    for (const auto& kv : raw) {
      if (kv.second.IsNull()) p.labels[kv.first.Scalar()] = nullptr;
      else if (kv.second.IsScalar()) p.labels[kv.first.Scalar()] = kv.second.Scalar();
      else params.fail("labels", "a label value is a string, or null to remove the label");
    }
    if (!raw.IsMap() || p.labels.empty()) params.fail("labels", "expected a map of label name to value (null removes it)");
  }
  if (verb == "networkpolicy") p.allow = params.strings("allow");
  p.http = outputs::parse_http_client_config(params);
  set_credentials(p, params);  // after the shared keys: the cluster's CA, client certificate and token win
  return std::make_unique<KubeAction>(std::move(p));
}

}  // namespace peregrine::responder
