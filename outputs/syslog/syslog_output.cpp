#include "outputs/syslog/syslog_output.h"

#include "common/log.h"

namespace peregrine::outputs {
namespace {

std::string target_of(const SyslogConfig& c) {
  const char* scheme = c.protocol == SyslogProtocol::kTls ? "tls" : c.protocol == SyslogProtocol::kTcp ? "tcp" : "udp";
  const bool v6 = c.host.find(':') != std::string::npos;
  return std::string(scheme) + "://" + (v6 ? "[" + c.host + "]" : c.host) + ":" + std::to_string(c.port);
}

}  // namespace

SyslogOutput::SyslogOutput(OutputCommon common, SyslogConfig config)
    : common_(std::move(common)),
      config_(std::move(config)),
      target_(target_of(config_)),
      conn_(config_.protocol, config_.host, config_.port, config_.tls, config_.timeout) {
  if (config_.protocol == SyslogProtocol::kTls && config_.tls.insecure_skip_verify)
    logger("router")->warn("output {}: tls.insecure_skip_verify is on: the receiver's certificate is NOT checked",
                           common_.name);
}

Result<Formatted> SyslogOutput::format(std::span<const Alert> batch) const {
  Formatted f;
  const bool stream = config_.protocol != SyslogProtocol::kUdp;
  for (size_t i = 0; i < batch.size(); ++i) {
    std::string message = syslog_message(config_, batch[i]);
    if (message.empty()) {
      f.set_aside.push_back(SetAside{i, "too_large"});
      continue;
    }
    Payload p;
    p.body = stream ? octet_counted(message) : std::move(message);
    p.content_type = "";
    p.target = target_;
    p.items = {i};
    f.payloads.push_back(std::move(p));
  }
  return f;
}

SendResult SyslogOutput::send(const Payload& payload) {
  std::lock_guard lk(mu_);
  return conn_.send(payload.body);
}

}  // namespace peregrine::outputs
