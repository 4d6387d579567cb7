// engine.k8s_audit: defaults, every key read, and load errors at FILE:LINE:COL.
#include <doctest/doctest.h>

#include <string>

#include "common/config/config.h"
#include "tests/common/config_error.h"

using namespace peregrine::config;

using peregrine::config::testing::error_of;

TEST_CASE("engine.k8s_audit: off by default, with the documented defaults") {
  const auto c = parse_config("").engine.k8s_audit;
  CHECK_FALSE(c.enabled);
  CHECK(c.listen == "127.0.0.1:9765");
  CHECK(c.path == "/k8s-audit");
  CHECK(c.max_body_bytes == 32LL << 20);
  CHECK(c.queue_capacity == 10000);
  CHECK(c.bearer_token.empty());
  CHECK_FALSE(c.tls.enabled());
}

TEST_CASE("engine.k8s_audit: every key, as the Helm chart and the docs write them") {
  const auto c = parse_config(R"(engine:
  k8s_audit:
    enabled: true
    listen: "0.0.0.0:9765"
    path: /audit
    max_body_bytes: 8MiB
    queue_capacity: 500
    bearer_token: "0123456789abcdef0123"
    tls: {cert_file: /etc/a.crt, key_file: /etc/a.key, client_ca_file: /etc/ca.crt}
)").engine.k8s_audit;
  CHECK(c.enabled);
  CHECK(c.listen == "0.0.0.0:9765");
  CHECK(c.path == "/audit");
  CHECK(c.max_body_bytes == 8LL << 20);
  CHECK(c.queue_capacity == 500);
  CHECK(c.bearer_token == "0123456789abcdef0123");
  CHECK(c.tls.cert_file == "/etc/a.crt");
  CHECK(c.tls.client_ca_file == "/etc/ca.crt");
}

TEST_CASE("engine.k8s_audit: bad keys and values are load errors with positions") {
  CHECK(error_of("engine:\n  k8s_audit:\n    enable: true\n") ==
        "test.yaml:3:5: unknown key 'enable' in section 'engine.k8s_audit'");
  CHECK(error_of("engine:\n  k8s_audit:\n    path: k8s-audit\n").find("test.yaml:3:") == 0);
  CHECK(error_of("engine:\n  k8s_audit:\n    listen: nowhere\n").find("test.yaml:3:") == 0);
  CHECK(error_of("engine:\n  k8s_audit:\n    queue_capacity: 0\n").find("test.yaml:3:") == 0);
  CHECK(error_of("engine:\n  k8s_audit:\n    bearer_token: short\n").find("at least 16") != std::string::npos);
  CHECK(error_of("engine:\n  k8s_audit:\n    bearer_token: \"0123456789abcdef0\"\n    bearer_token_file: /t\n")
            .find("not both") != std::string::npos);
  CHECK(error_of("engine:\n  k8s_audit:\n    tls: {cert_file: /a.crt}\n").find("go together") != std::string::npos);
}
