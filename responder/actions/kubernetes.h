// kubernetes:terminate | kubernetes:label | kubernetes:networkpolicy — the Kubernetes API for the pod an alert
// names (output fields k8s.ns.name and k8s.pod.name).
//
//   parameters:
//     kubeconfig: ""             # a kubeconfig file (its current-context, or `context:`), instead of the 3 keys below
//     api_server: ""             # https://host:port; "" = in cluster: https://$KUBERNETES_SERVICE_HOST:$..._PORT
//     token_file: /var/run/secrets/kubernetes.io/serviceaccount/token    # bearer token (read at load)
//     ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt      # (tls.ca_file of the HTTP client)
//     grace_period_seconds: 0    # terminate: DELETE .../pods/{pod} with DeleteOptions{gracePeriodSeconds}
//     labels: {quarantine: "true", app: null}   # label: a JSON merge patch; null removes the label
//     allow: [10.0.0.0/8]        # networkpolicy: CIDRs still reachable both ways; empty = deny everything
//     ... plus the shared HTTP client keys (timeout_ms, tls, proxy)
//
// networkpolicy first labels the pod peregrine.io/isolate=<pod> (merge patch), then creates the NetworkPolicy
// peregrine-isolate-<pod> selecting that label, with Ingress and Egress policy types; 409 (exists) counts as done.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "outputs/http/http_client.h"
#include "responder/actions/actionner.h"

namespace peregrine::responder {

struct KubeParams {
  std::string verb;  // terminate | label | networkpolicy
  std::string api_server;
  int64_t grace_period_seconds = 0;
  nlohmann::json labels = nlohmann::json::object();  // label: name -> string or null
  std::vector<std::string> allow;                    // networkpolicy: CIDRs
  outputs::HttpClientConfig http;                     // bearer token and CA included
};

/// The requests for the pod `ns`/`pod`, in order (pure; tested for paths, verbs, content types and bodies).
std::vector<outputs::HttpRequest> kube_requests(const KubeParams& p, const std::string& ns, const std::string& pod);

class KubeAction final : public Actionner {
 public:
  explicit KubeAction(KubeParams p);
  std::string_view kind() const override { return kind_; }
  ActionResult run(const Alert& alert, bool dry_run) override;

 private:
  KubeParams p_;
  std::string kind_;
  outputs::HttpClient client_;
};

/// Parses the parameters; api_server and token fall back to the in-cluster service account (`getenv` and files).
std::unique_ptr<Actionner> make_kube_action(const std::string& verb, config::NodeReader& params);

}  // namespace peregrine::responder
