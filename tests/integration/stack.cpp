#include "tests/integration/stack.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

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

}  // namespace

LiveStack::LiveStack(const TempDir& dir, const std::string& cfg)
    : router(binary("peregrine-router"), {"--config", cfg}, dir / "router"),
      engine(binary("peregrine-engine"), {"--config", cfg}, dir / "engine"),
      sensor(binary("peregrine-sensor"), {"--config", cfg}, dir / "sensor") {}

std::string LiveStack::stop_all() {
  using namespace std::chrono_literals;
  std::string failed;
  if (int st = sensor.stop(SIGTERM, 15s); st != 0) failed += "sensor exited " + std::to_string(st) + "; ";
  if (int st = engine.stop(SIGTERM, 10s); st != 0) failed += "engine exited " + std::to_string(st) + "; ";
  if (int st = router.stop(SIGTERM, 10s); st != 0) failed += "router exited " + std::to_string(st) + "; ";
  return failed;
}

std::string write_stack_config(const TempDir& dir, const StackPorts& p, const std::string& rules_file,
                               const std::string& engine_extra, const std::string& router_extra,
                               const std::string& sensor_extra) {
  auto d = dir.path().string();
  std::ostringstream y;
  y << "sensor:\n"
    << "  http: {listen: 127.0.0.1:" << p.sensor << "}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << (sets_key(sensor_extra, "docker_socket") ? "" : "  docker_socket: \"\"\n")
    << indent(sensor_extra)
    << "engine:\n"
    << "  http: {listen: 127.0.0.1:" << p.engine << "}\n"
    << "  events_endpoint: ipc://" << d << "/events.sock\n"
    << "  control_endpoint: ipc://" << d << "/control.sock\n"
    << "  alerts_endpoint: ipc://" << d << "/alerts.sock\n"
    << "  rules_files: [" << rules_file << "]\n"
    << indent(engine_extra)
    << "router:\n"
    << "  http: {listen: 127.0.0.1:" << p.router << "}\n"
    << "  alerts_endpoint: ipc://" << d << "/alerts.sock\n"
    << "  http_input: {listen: 127.0.0.1:" << p.intake << "}\n"
    << "  queue: {dir: " << d << "/queue}\n"
    << "  outputs:\n"
    << "    - type: file\n"
    << "      name: alerts\n"
    << "      path: " << d << "/alerts.jsonl\n"
    << indent(router_extra);
  auto path = dir / "peregrine.yaml";
  std::ofstream(path) << y.str();
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
  std::ofstream(in) << metrics_text;
  auto cmd = "/usr/bin/promtool check metrics < " + in.string() + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return "popen failed";
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof(buf), f)) out += buf;
  int rc = pclose(f);
  return rc == 0 ? "" : (out.empty() ? "promtool failed" : out);
}

}  // namespace peregrine::testing
