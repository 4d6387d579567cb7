#include "common/transport/socket.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace peregrine::transport {

std::string bind_socket(zmq::socket_t& sock, const std::string& endpoint) {
  std::string ep = endpoint;
  // libzmq's wildcard port is "*"; accept the conventional 0 as well.
  if (ep.rfind("tcp://", 0) == 0 && ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) {
    ep.replace(ep.size() - 1, 1, "*");
  }
  if (ep.rfind("ipc://", 0) == 0) {
    std::filesystem::path p(ep.substr(6));
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  }
  try {
    sock.bind(ep);
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot bind " + endpoint + ": " + e.what());
  }
  return sock.get(zmq::sockopt::last_endpoint);
}

void connect_socket(zmq::socket_t& sock, const std::string& endpoint) {
  try {
    sock.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot connect " + endpoint + ": " + e.what());
  }
}

WakeFd::WakeFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

WakeFd::~WakeFd() { ::close(fd_); }

void WakeFd::notify() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

void WakeFd::drain() {
  uint64_t v;
  [[maybe_unused]] ssize_t n = ::read(fd_, &v, sizeof v);
}

std::chrono::milliseconds until(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds cap) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() < 0) return std::chrono::milliseconds(0);
  return std::min(left, cap);
}

}  // namespace peregrine::transport
