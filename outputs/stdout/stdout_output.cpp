#include "outputs/stdout/stdout_output.h"

#include "common/fd_util.h"
#include "outputs/json_lines.h"

namespace peregrine::outputs {

StdoutOutputConfig parse_stdout_output_config(config::NodeReader& node) {
  StdoutOutputConfig c;
  c.text = node.choice("format", "json", {"json", "text"}) == "text";
  return c;
}

std::unique_ptr<Output> make_stdout_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<StdoutOutput>(std::move(common), parse_stdout_output_config(node));
}

StdoutOutput::StdoutOutput(OutputCommon common, StdoutOutputConfig config, int fd)
    : common_(std::move(common)), config_(config), fd_(fd) {}

Result<Formatted> StdoutOutput::format(std::span<const Alert> batch) const {
  return lines_payload(batch, config_.text, "stdout");
}

SendResult StdoutOutput::send(const Payload& payload) {
  SendResult r;
  // One write per batch keeps lines from different batches from interleaving with other writers.
  if (auto w = write_all(fd_, payload.body, "stdout"); !w)
    r.failure = SendFailure{SendFailure::Kind::kIo, 0, std::nullopt, w.error().message};
  return r;
}

}  // namespace peregrine::outputs
