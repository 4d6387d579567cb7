// `file` output: appends one JSON alert per line to a file, with optional size-based rotation.
//
//   - type: file
//     name: audit                # optional, defaults to the type
//     path: /var/log/peregrine/alerts.jsonl   # required
//     rotate_bytes: 104857600    # rotate before a write would pass this size; 0 = never (default)
//     keep_files: 5              # rotated files kept as path.1 .. path.N (default 5, >= 1)
//     fsync: batch               # batch: fdatasync after every delivered batch (default) | none
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/config/node_reader.h"
#include "common/fd_util.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct FileOutputConfig {
  std::string path;
  uint64_t rotate_bytes = 0;
  uint32_t keep_files = 5;
  bool fsync = true;
};

/// Reads the file output's own keys (load time; throws config::ConfigError).
FileOutputConfig parse_file_output_config(config::NodeReader& node);

class FileOutput final : public Output {
 public:
  FileOutput(OutputCommon common, FileOutputConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override;
  const FileOutputConfig& config() const { return config_; }

 private:
  std::optional<SendFailure> ensure_open();
  std::optional<SendFailure> rotate();

  OutputCommon common_;
  FileOutputConfig config_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  bool dirty_ = false;
};

std::unique_ptr<Output> make_file_output(OutputCommon common, config::NodeReader& node);

}  // namespace peregrine::outputs
