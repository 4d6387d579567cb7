#include "tests/integration/response_rig.h"

#include <csignal>
#include <sstream>

#include "common/alert.h"
#include "responder/actions/process_kill.h"

namespace peregrine::testing {
namespace {

std::string stack_yaml(const TempDir& dir, const std::string& engine_rules, const std::string& docker_socket) {
  if (engine_rules.empty()) return "";
  const std::string d = dir.path().string();
  std::ostringstream y;
  y << "sensor:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << "  docker_socket: \"" << docker_socket << "\"\n"
    << "engine:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << "  alerts_endpoint: ipc://" << d << "/alerts.sock\n"
    << "  rules_files: [" << engine_rules << "]\n";
  return y.str();
}

std::string router_yaml(const TempDir& dir, int intake_port, int responder_port) {
  std::ostringstream y;
  y << "router:\n"
    << "  alerts_endpoint: ipc://" << dir.path().string() << "/alerts.sock\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  http_input: {listen: \"127.0.0.1:" << intake_port << "\"}\n"
    << "  queue: {dir: " << dir.path().string() << "/queue}\n"
    << "  drain_timeout_ms: 2000\n"
    << "  outputs:\n"
    << "    - type: file\n"
    << "      name: alerts\n"
    << "      path: " << dir.path().string() << "/alerts.jsonl\n";
  if (responder_port)
    y << "    - type: responder\n"
      << "      url: http://127.0.0.1:" << responder_port << "/alerts\n"
      << "      delivery: {initial_backoff_ms: 20, max_backoff_ms: 200}\n";
  return y.str();
}

}  // namespace

ResponseRig::ResponseRig(const TempDir& dir, const std::string& rules, const std::string& responder_extra,
                         const std::string& engine_rules, const std::string& docker_socket)
    : dir_(dir) {
  write_file(dir / "responses.yaml", rules);
  write_file(dir / "router-probe.yaml", router_yaml(dir, 0, 0));
  int intake = 0;
  {
    Process probe(dir, "router", (dir / "router-probe.yaml").string(), "router-probe", {});
    intake = probe.intake_port();
    probe.stop(SIGTERM, std::chrono::seconds(10));
  }
  std::ostringstream r;
  r << "responder:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  listen: 127.0.0.1:0\n"
    << "  rules_files: [" << (dir / "responses.yaml").string() << "]\n"
    << "  journal: {path: " << (dir / "journal").string() << "}\n"
    << "  outcomes: {url: \"http://127.0.0.1:" << intake << "/\"}\n";
  std::istringstream extra(responder_extra);
  for (std::string l; std::getline(extra, l);) r << "  " << l << "\n";
  responder_cfg_ = (dir / "responder.yaml").string();
  write_file(responder_cfg_, r.str());
  start_responder();
  const std::string cfg = (dir / "router.yaml").string();
  write_file(cfg, stack_yaml(dir, engine_rules, docker_socket) + router_yaml(dir, intake, responder_->intake_port()));
  router_ = std::make_unique<Process>(dir, "router", cfg, "router", std::map<std::string, std::string>{});
  router_->ready();
  if (engine_rules.empty()) return;
  engine_ = std::make_unique<Process>(dir, "engine", cfg);
  engine_->ready();
  sensor_ = std::make_unique<Process>(dir, "sensor", cfg);
  sensor_->ready(std::chrono::seconds(120));
}

ResponseRig::~ResponseRig() {
  // Upstream first, so that nothing is sent to a process already gone.
  if (sensor_) sensor_->stop(SIGTERM, std::chrono::seconds(15));
  if (engine_) engine_->stop(SIGTERM, std::chrono::seconds(10));
}

void ResponseRig::start_responder() {
  responder_ = std::make_unique<Process>(dir_, "responder", responder_cfg_, "responder-" + std::to_string(++generation_),
                                         std::map<std::string, std::string>{});
  responder_->ready();
}

void ResponseRig::restart_responder() {
  responder_->stop(SIGKILL, std::chrono::seconds(10));
  start_responder();
}

int ResponseRig::post_to_router(const nlohmann::json& alert) {
  return http_post(router_->intake_port(), "/", alert.dump()).status;
}

HttpReply ResponseRig::post_to_responder(const nlohmann::json& alert) {
  return http_post(responder_->intake_port(), "/alerts", alert.dump());
}

std::vector<nlohmann::json> ResponseRig::outcomes_for(const std::string& uuid) const {
  std::vector<nlohmann::json> out;
  for (const auto& a : alerts())
    if (a.value("source", "") == "response" && a["output_fields"].value("response.alert.uuid", "") == uuid)
      out.push_back(a);
  return out;
}

nlohmann::json alert_naming(pid_t pid, const std::string& rule) {
  auto id = responder::read_proc_identity(pid);
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch()).count());
  const std::string uuid = make_uuid();
  return {{"uuid", uuid},
          {"rule", rule},
          {"priority", "Critical"},
          {"time", format_rfc3339_ns(now)},
          {"source", "syscall"},
          {"hostname", "it-host"},
          {"tags", {"integration"}},
          {"output", "suspicious action by pid " + std::to_string(pid)},
          {"output_fields",
           {{"proc.pid", pid},
            {"proc.name", id ? id->comm : ""},
            {"proc.exepath", id ? id->exe : ""},
            {"proc.start_ts", id ? id->start_ns : 0}}}};
}

}  // namespace peregrine::testing
