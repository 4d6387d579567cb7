// http:call — POSTs the Falco JSON alert to a function endpoint (OpenFaaS, Knative, a Lambda function URL)
// with the shared HTTP client (auth, TLS, headers, timeouts: outputs/http/http_client.h).
//
//   parameters:
//     url: https://faas.example/function/isolate
//     ... plus the shared HTTP client keys (timeout_ms, headers, auth, tls, proxy)
//
// container:stop | container:pause | container:kill — the Docker Engine API on its Unix socket:
//   POST /containers/{container.id}/stop?t=N, /pause, /kill?signal=S
//
//   parameters:
//     socket: /var/run/docker.sock
//     timeout_s: 10            # container:stop only: seconds before Docker kills it
//     signal: SIGKILL          # container:kill only
//     ... plus the shared HTTP client keys
#pragma once

#include <memory>
#include <string>

#include "outputs/http/http_client.h"
#include "responder/actions/actionner.h"

namespace peregrine::responder {

class HttpCall final : public Actionner {
 public:
  HttpCall(std::string url, outputs::HttpClientConfig http);
  std::string_view kind() const override { return "http:call"; }
  ActionResult run(const Alert& alert, bool dry_run) override;
  /// The request run() sends (pure).
  outputs::HttpRequest request_for(const Alert& alert) const;

 private:
  std::string url_;
  outputs::HttpClient client_;
};

struct ContainerParams {
  std::string verb;                  // stop | pause | kill
  std::string socket = "/var/run/docker.sock";
  int timeout_s = 10;
  std::string signal = "SIGKILL";
  outputs::HttpClientConfig http;
};

class ContainerAction final : public Actionner {
 public:
  explicit ContainerAction(ContainerParams p);
  std::string_view kind() const override { return kind_; }
  ActionResult run(const Alert& alert, bool dry_run) override;
  /// The Docker Engine API request for `container_id` (pure).
  outputs::HttpRequest request_for(const std::string& container_id) const;

 private:
  ContainerParams p_;
  std::string kind_;
  outputs::HttpClient client_;
};

std::unique_ptr<Actionner> make_http_call(config::NodeReader& params);
std::unique_ptr<Actionner> make_container_action(const std::string& verb, config::NodeReader& params);

/// Turns an HTTP outcome into an action result: 2xx done with `what`, anything else failed with the status and
/// the start of the answer.
ActionResult http_result(const outputs::HttpOutcome& o, const std::string& what, ActionResult base);

}  // namespace peregrine::responder
