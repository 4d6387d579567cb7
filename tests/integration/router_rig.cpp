#include "tests/integration/router_rig.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <sstream>

namespace peregrine::testing {

nlohmann::json falco_alert(const std::string& uuid, const std::string& rule, const std::string& time,
                           const std::string& priority) {
  return {{"uuid", uuid},
          {"rule", rule},
          {"priority", priority},
          {"time", time},
          {"source", "syscall"},
          {"hostname", "it-host"},
          {"tags", {"integration"}},
          {"output", "10:00:00.000000001: " + priority + " " + rule + " (proc.name=bash uuid=" + uuid + ")"},
          {"output_fields", {{"proc.name", "bash"}, {"proc.pid", 4242}, {"container.id", "host"}}}};
}

std::string test_uuid(const std::string& prefix, int i) {
  static std::atomic<int> serial{0};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", static_cast<unsigned>(::getpid()),
                static_cast<unsigned>(++serial & 0xffff), static_cast<unsigned>(i & 0xfff),
                static_cast<unsigned>(prefix.size() & 0xfff), static_cast<unsigned>(i));
  return buf;
}

RouterRig::RouterRig(const TempDir& dir, const std::string& outputs, const std::string& queue,
                     const std::string& extra_router_keys, std::map<std::string, std::string> env)
    : dir_(dir), name_("router-" + queue), queue_(dir / queue), env_(std::move(env)) {
  std::ostringstream y;
  y << "router:\n"
    << "  alerts_endpoint: tcp://127.0.0.1:0\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  http_input: {listen: \"127.0.0.1:0\"}\n"
    << "  queue: {dir: " << queue_.string() << "}\n"
    << "  drain_timeout_ms: 2000\n"
    << extra_router_keys << "  outputs:\n"
    << outputs;
  cfg_ = (dir / (name_ + ".yaml")).string();
  write_file(cfg_, y.str());
  restart();
}

void RouterRig::restart() {
  proc_.reset();
  proc_ = std::make_unique<Process>(dir_, "router", cfg_, name_ + "-" + std::to_string(++generation_), env_);
  proc_->ready();
}

int RouterRig::post(const std::vector<nlohmann::json>& alerts) {
  return http_post(proc_->intake_port(), "/", nlohmann::json(alerts).dump()).status;
}

std::string RouterRig::metrics() { return http_get(proc_->admin_port(), "/metrics").body; }

double RouterRig::counter(const std::string& name, const std::string& output) {
  return metric_value(metrics(), name + "{output=\"" + output + "\"}");
}

std::vector<nlohmann::json> RouterRig::dead_letters() const { return alerts_in(queue_ / "dead-letter.jsonl"); }

}  // namespace peregrine::testing
