#include "responder/actions/http_call.h"

#include "common/alert_text.h"
#include "outputs/http/url.h"

namespace peregrine::responder {
namespace {

bool docker_id(const std::string& id) {
  // Docker ids are hex (the sensor reports the 12-character short form); names are [a-zA-Z0-9_.-].
  return !id.empty() && id != "host" && id.size() <= 128 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string::npos;
}

}  // namespace

ActionResult http_result(const outputs::HttpOutcome& o, const std::string& what, ActionResult base) {
  if (o.failure) return {Outcome::kFailed, "transport: " + o.failure->message, std::move(base.fields)};
  if (!o.ok())
    return {Outcome::kFailed, "http " + std::to_string(o.response.status) + ": " + outputs::response_snippet(o.response),
            std::move(base.fields)};
  return {Outcome::kDone, what + " (http " + std::to_string(o.response.status) + ")", std::move(base.fields)};
}

HttpCall::HttpCall(std::string url, outputs::HttpClientConfig http)
    : url_(std::move(url)), client_(std::move(http), "responder.http:call") {}

outputs::HttpRequest HttpCall::request_for(const Alert& alert) const {
  outputs::HttpRequest r;
  r.method = "POST";
  r.url = url_;
  r.body = alert_json_text(alert);
  r.content_type = "application/json";
  return r;
}

ActionResult HttpCall::run(const Alert& alert, bool dry_run) {
  ActionResult base;
  base.fields = {{"http.url", outputs::redacted_url(url_)}};
  const std::string what = "POST the alert to " + outputs::redacted_url(url_);
  if (dry_run) return {Outcome::kDryRun, "would " + what, base.fields};
  return http_result(client_.perform(request_for(alert)), what, std::move(base));
}

ContainerAction::ContainerAction(ContainerParams p)
    : p_(std::move(p)), kind_("container:" + p_.verb), client_([this] {
        auto h = p_.http;
        h.unix_socket = p_.socket;
        return h;
      }(), "responder.container") {}

outputs::HttpRequest ContainerAction::request_for(const std::string& id) const {
  outputs::HttpRequest r;
  r.method = "POST";
  // The host part is ignored on a Unix socket; Docker wants a Host header, which libcurl sends from it.
  r.url = "http://docker/containers/" + id + "/" + p_.verb;
  if (p_.verb == "stop") r.url += "?t=" + std::to_string(p_.timeout_s);
  if (p_.verb == "kill") r.url += "?signal=" + p_.signal;
  return r;
}

ActionResult ContainerAction::run(const Alert& alert, bool dry_run) {
  const std::string id = field_or_empty(alert, "container.id");
  ActionResult base;
  base.fields = {{"container.id", id}};
  if (id.empty() || id == "host") return {Outcome::kSkipped, "no_target: the alert names no container", base.fields};
  if (!docker_id(id)) return {Outcome::kSkipped, "no_target: container.id is not a Docker id", base.fields};
  const auto req = request_for(id);
  const std::string what = p_.verb + " container " + id + " (POST " + req.url.substr(13) + " on " + p_.socket + ")";
  if (dry_run) return {Outcome::kDryRun, "would " + what, base.fields};
  return http_result(client_.perform(req), what, std::move(base));
}

std::unique_ptr<Actionner> make_http_call(config::NodeReader& params) {
  std::string url = params.required_str("url");
  if (auto why = outputs::check_http_url(url); !why.empty()) params.fail("url", why);
  return std::make_unique<HttpCall>(std::move(url), outputs::parse_http_client_config(params));
}

std::unique_ptr<Actionner> make_container_action(const std::string& verb, config::NodeReader& params) {
  ContainerParams p;
  p.verb = verb;
  p.socket = params.str("socket", p.socket);
  if (verb == "stop") p.timeout_s = static_cast<int>(params.integer("timeout_s", p.timeout_s, 0, 3600));
  if (verb == "kill") {
    p.signal = params.str("signal", p.signal);
    if (p.signal.empty() || p.signal.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
      params.fail("signal", "expected a signal name such as SIGKILL or a number");
  }
  p.http = outputs::parse_http_client_config(params);
  return std::make_unique<ContainerAction>(std::move(p));
}

}  // namespace peregrine::responder
