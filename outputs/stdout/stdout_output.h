// `stdout` output: one line per alert on standard output.
//
//   - type: stdout
//     format: json     # json: Falco JSON alert per line (default) | text: "<time>: <Priority> <output>"
#pragma once

#include <memory>

#include "common/config/node_reader.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct StdoutOutputConfig {
  bool text = false;
};

StdoutOutputConfig parse_stdout_output_config(config::NodeReader& node);

class StdoutOutput final : public Output {
 public:
  /// `fd` is 1 in production; tests pass a pipe or file.
  StdoutOutput(OutputCommon common, StdoutOutputConfig config, int fd = 1);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }

 private:
  OutputCommon common_;
  StdoutOutputConfig config_;
  int fd_;
};

std::unique_ptr<Output> make_stdout_output(OutputCommon common, config::NodeReader& node);

}  // namespace peregrine::outputs
