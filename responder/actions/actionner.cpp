// make_actionner: the one visible table of actionners (no static registration).
#include "responder/actions/actionner.h"

#include "responder/actions/http_call.h"
#include "responder/actions/kubernetes.h"
#include "responder/actions/process_kill.h"
#include "responder/actions/script.h"

namespace peregrine::responder {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kDone: return "done";
    case Outcome::kSkipped: return "skipped";
    case Outcome::kFailed: return "failed";
    case Outcome::kDryRun: return "dry_run";
  }
  return "unknown";
}

const std::vector<std::string>& actionner_kinds() {
  static const std::vector<std::string> kinds{"process:kill",         "script",           "http:call",
                                              "container:stop",       "container:pause",  "container:kill",
                                              "kubernetes:terminate", "kubernetes:label", "kubernetes:networkpolicy"};
  return kinds;
}

std::unique_ptr<Actionner> make_actionner(const std::string& kind, config::NodeReader& params) {
  if (kind == "process:kill") return std::make_unique<ProcessKill>(parse_process_kill(params));
  if (kind == "script") return std::make_unique<Script>(parse_script(params));
  if (kind == "http:call") return make_http_call(params);
  if (kind == "container:stop") return make_container_action("stop", params);
  if (kind == "container:pause") return make_container_action("pause", params);
  if (kind == "container:kill") return make_container_action("kill", params);
  if (kind == "kubernetes:terminate") return make_kube_action("terminate", params);
  if (kind == "kubernetes:label") return make_kube_action("label", params);
  if (kind == "kubernetes:networkpolicy") return make_kube_action("networkpolicy", params);
  params.fail("", "unknown actionner '" + kind + "'");
}

}  // namespace peregrine::responder
