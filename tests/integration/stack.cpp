#include "tests/integration/stack.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace peregrine::testing {
namespace {

std::string indent(const std::string& lines) {
  std::istringstream in(lines);
  std::string l, out;
  while (std::getline(in, l)) out += "  " + l + "\n";
  return out;
}

// True when one of the YAML `lines` is the top-level key `key` (config keys may appear only once).
bool sets_key(const std::string& lines, const std::string& key) {
  std::istringstream in(lines);
  std::string l;
  while (std::getline(in, l))
    if (l.rfind(key + ":", 0) == 0) return true;
  return false;
}

std::string binary_path(const std::string& name) {
  auto p = binary("peregrine-" + name);
  if (p.empty()) throw std::runtime_error("peregrine-" + name + " is not built");
  return p;
}

std::vector<std::string> args_for(const std::string& cfg, const std::filesystem::path& ready,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> a{"--config", cfg, "--ready-file", ready.string()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The stack's start order: each process is ready (serving, ports written) before the next one starts.
const TempDir& once_ready(Process& upstream_of_next, const TempDir& dir) {
  upstream_of_next.ready();
  return dir;
}

// A ready file left by an earlier run in the same directory must not be mistaken for this run's.
std::filesystem::path fresh(const std::filesystem::path& p) {
  std::filesystem::remove(p);
  return p;
}

}  // namespace

Process::Process(const TempDir& dir, const std::string& name, const std::string& cfg,
                 const std::vector<std::string>& extra_args)
    : ready_file_(fresh(dir / (name + ".ready"))), child_(binary_path(name), args_for(cfg, ready_file_, extra_args), dir / name) {}

Process::Process(const TempDir& dir, const std::string& name, const std::string& cfg, const std::string& label,
                 const std::map<std::string, std::string>& env)
    : ready_file_(fresh(dir / (label + ".ready"))),
      child_(binary_path(name), args_for(cfg, ready_file_, {}), dir / label, SpawnOptions{env, {}, false}) {}

const nlohmann::json& Process::ready(std::chrono::milliseconds timeout) {
  if (info_.is_null()) info_ = wait_ready(child_, ready_file_, timeout);
  return info_;
}

LiveStack::LiveStack(const TempDir& dir, const std::string& cfg)
    : router(dir, "router", cfg),
      engine(once_ready(router, dir), "engine", cfg),
      sensor(once_ready(engine, dir), "sensor", cfg) {
  sensor.ready();
}

std::string LiveStack::stop_all() {
  using namespace std::chrono_literals;
  std::string failed;
  if (int st = sensor.stop(SIGTERM, 15s); st != 0) failed += "sensor exited " + std::to_string(st) + "; ";
  if (int st = engine.stop(SIGTERM, 10s); st != 0) failed += "engine exited " + std::to_string(st) + "; ";
  if (int st = router.stop(SIGTERM, 10s); st != 0) failed += "router exited " + std::to_string(st) + "; ";
  return failed;
}

std::string write_stack_config(const TempDir& dir, const std::string& rules_file, const std::string& engine_extra,
                               const std::string& router_extra, const std::string& sensor_extra) {
  auto d = dir.path().string();
  std::ostringstream y;
  y << "sensor:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << (sets_key(sensor_extra, "docker_socket") ? "" : "  docker_socket: \"\"\n")
    << indent(sensor_extra)
    << "engine:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << "  alerts_endpoint: ipc://" << d << "/alerts.sock\n"
    << "  rules_files: [" << rules_file << "]\n"
    << indent(engine_extra)
    << "router:\n"
    << "  http: {listen: \"127.0.0.1:0\"}\n"
    << "  alerts_endpoint: ipc://" << d << "/alerts.sock\n"
    << "  http_input: {listen: \"127.0.0.1:0\"}\n"
    << "  queue: {dir: " << d << "/queue}\n"
    << "  outputs:\n"
    << "    - type: file\n"
    << "      name: alerts\n"
    << "      path: " << d << "/alerts.jsonl\n"
    << indent(router_extra);
  auto path = dir / "peregrine.yaml";
  write_file(path, y.str());
  return path.string();
}

std::vector<nlohmann::json> alerts_in(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  for (const auto& l : read_lines(file)) out.push_back(nlohmann::json::parse(l));
  return out;
}

bool has_promtool() { return std::ifstream("/usr/bin/promtool").good(); }

std::string promtool_check(const std::string& metrics_text) {
  TempDir dir;
  auto in = dir / "metrics.txt";
  write_file(in, metrics_text);
  auto r = run_command("/bin/sh", {"-c", "/usr/bin/promtool check metrics < " + in.string() + " 2>&1"});
  return r.rc == 0 ? "" : (r.out.empty() ? "promtool failed" : r.out);
}

}  // namespace peregrine::testing
