// Logging: spdlog loggers sharing one stderr sink, text or JSON lines.
//
// One named logger per component and per output instance ("engine", "router.file#alerts"). Nothing is
// logged per event at info level; degraded paths warn once and bump a counter.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/config/config.h"

namespace peregrine {

/// Sets the level and format of every logger, existing and future. Safe to call more than once.
/// Text: "2026-11-29T04:28:54.123Z info [engine] message". JSON: one object per line with
/// time, level, logger, msg.
void setup_logging(const config::LogConfig& cfg);

/// The logger called `name`, created on first use with the current sink, level and format.
std::shared_ptr<spdlog::logger> logger(std::string_view name);

/// "warn" etc. → spdlog level; unknown names map to info.
spdlog::level::level_enum parse_log_level(std::string_view level);

}  // namespace peregrine
