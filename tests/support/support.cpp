#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace peregrine::testing {
namespace fs = std::filesystem;

void print_skip(const std::string& why) { std::cout << kSkipMarker << why << std::endl; }

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(step);  // polling step of the condition, not synchronisation
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "peregrine-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + p.string());
}

namespace {

httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(30));
  return c;
}

HttpReply reply(const httplib::Result& r) {
  if (!r) return {};
  return {r->status, r->body};
}

}  // namespace

HttpReply http_get(int port, const std::string& path) {
  auto c = client(port);
  return reply(c.Get(path));
}

HttpReply http_post(int port, const std::string& path, const std::string& body, const std::string& content_type) {
  auto c = client(port);
  return reply(c.Post(path, body, content_type));
}

double metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return -1;
}

double scrape(int admin_port, const std::string& series) {
  return metric_value(http_get(admin_port, "/metrics").body, series);
}

}  // namespace peregrine::testing
