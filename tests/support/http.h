// Plain HTTP from tests to 127.0.0.1 (admin endpoints, intakes, receivers) and Prometheus text parsing.
#pragma once

#include <string>

namespace peregrine::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
};

/// GET http://127.0.0.1:port/path.
HttpReply http_get(int port, const std::string& path);
/// POST http://127.0.0.1:port/path with `body`.
HttpReply http_post(int port, const std::string& path, const std::string& body,
                    const std::string& content_type = "application/json");

/// The value of the Prometheus sample `series` (exact series text, e.g. `x_total{output="a"}`), or -1 if absent.
double metric_value(const std::string& metrics_text, const std::string& series);
/// metric_value() of GET /metrics on `admin_port`.
double scrape(int admin_port, const std::string& series);

}  // namespace peregrine::testing
