#include "tests/support/receivers.h"

#include <csignal>
#include <sstream>
#include <stdexcept>

#include "tests/support/files.h"
#include "tests/support/wait.h"

namespace peregrine::testing {
namespace fs = std::filesystem;

std::string receivers_script() { return std::string(PEREGRINE_SOURCE_DIR) + "/scripts/receivers.sh"; }

std::string Receiver::unavailable(const std::string& name) {
  auto r = run_command("bash", {receivers_script(), "path", name}, std::chrono::seconds(30));
  if (r.rc == 0) return "";
  return name + " is not built (run `make receivers`): " + r.out + r.err;
}

Receiver::Receiver(const std::string& name, const fs::path& dir, std::vector<std::string> options)
    : name_(name), dir_(dir) {
  fs::create_directories(dir_);
  const fs::path port_file = dir_ / (name + ".ports");
  fs::remove(port_file);
  std::vector<std::string> args{receivers_script(), "run", name, "--dir", dir_.string(), "--port-file",
                                port_file.string()};
  args.insert(args.end(), options.begin(), options.end());
  child_ = std::make_unique<Child>("bash", args, dir_ / ("run-" + name));
  const bool ready = wait_until([&] { return fs::exists(port_file) || !child_->running(); }, std::chrono::seconds(120));
  if (!ready || !fs::exists(port_file)) {
    const std::string out = output();
    child_->stop(SIGKILL, std::chrono::seconds(10));
    throw std::runtime_error(name + " did not become ready: " + out);
  }
  std::istringstream in(slurp(port_file));
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) ports_.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  if (ports_.empty()) throw std::runtime_error(name + ": empty port file");
}

Receiver::~Receiver() { stop(); }

int Receiver::port(const std::string& which) const {
  if (which.empty()) return std::stoi(ports_.front().second);
  return std::stoi(value(which));
}

std::string Receiver::value(const std::string& key) const {
  for (const auto& [k, v] : ports_)
    if (k == key) return v;
  throw std::runtime_error(name_ + ": no '" + key + "' in the port file");
}

std::string Receiver::url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }

int Receiver::stop() {
  if (!child_) return 0;
  const int rc = child_->stop(SIGTERM, std::chrono::seconds(60));
  if (rc == -1) child_->stop(SIGKILL, std::chrono::seconds(10));
  child_.reset();
  return rc;
}

std::string Receiver::output() const {
  if (!child_) return "";
  std::string out = child_->stdout_text() + child_->stderr_text();
  return out.size() > 4000 ? out.substr(out.size() - 4000) : out;
}

}  // namespace peregrine::testing
