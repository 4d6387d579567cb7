#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/config/config.h"
#include "tests/common/config_error.h"

using namespace peregrine::config;

using peregrine::config::testing::error_of;

TEST_CASE("config: empty document gives documented defaults") {
  PeregrineConfig c = parse_config("");
  CHECK(c.sensor.log.level == "info");
  CHECK(c.sensor.log.format == LogFormat::kText);
  CHECK(c.sensor.http.listen == "127.0.0.1:9101");
  CHECK(c.engine.http.listen == "127.0.0.1:9102");
  CHECK(c.router.http.listen == "127.0.0.1:9103");
  CHECK(c.sensor.events_endpoint == "tcp://127.0.0.1:7701");
  CHECK(c.sensor.control_endpoint == "tcp://127.0.0.1:7702");
  CHECK(c.sensor.ring_buffer_mib == 8);
  CHECK(c.sensor.queue_capacity == 1024);
  CHECK(c.sensor.send_hwm == 1000);
  CHECK(c.sensor.batch_max_bytes == 65536);
  CHECK(c.sensor.batch_max_delay_us == 1000);
  CHECK(c.sensor.max_ancestors == 5);
  CHECK(c.sensor.drop_alert_ratio == doctest::Approx(0.1));
  CHECK_FALSE(c.sensor.capture_buffers);
  CHECK(c.engine.alerts_endpoint == "tcp://127.0.0.1:7703");
  CHECK(c.engine.rules_files == std::vector<std::string>{"rules/peregrine_rules.yaml"});
  CHECK(c.engine.rule_matching == RuleMatching::kFirst);
  CHECK(c.engine.min_priority == "debug");
  CHECK(c.engine.ack_timeout_ms == 2000);
  CHECK(c.engine.pending_max == 100000);
  CHECK(c.engine.replay_file.empty());
  CHECK_FALSE(c.engine.hostname.empty());  // filled from gethostname()
  CHECK(c.router.alerts_endpoint == "tcp://127.0.0.1:7703");
  CHECK(c.router.http_input.listen == "127.0.0.1:2801");
  CHECK(c.router.http_input.max_body_bytes == 1 << 20);
  CHECK(c.router.queue.dir == "/var/lib/peregrine/router");
  CHECK(c.router.queue.segment_bytes == 64LL << 20);
  CHECK(c.router.queue.fsync == FsyncMode::kBatch);
  CHECK(c.router.queue.max_bytes == 1LL << 30);
  CHECK(c.router.dedup_window == 100000);
  CHECK(c.router.drain_timeout_ms == 10000);
  CHECK(c.router.outputs.empty());
}

TEST_CASE("config: values are read into typed fields") {
  PeregrineConfig c = parse_config(R"(
sensor:
  log: {level: debug, format: json}
  http: {enabled: false, listen: "0.0.0.0:0"}
  ring_buffer_mib: 16
  batch_max_bytes: 128KiB
  capture_buffers: yes
  drop_alert_ratio: 0.25
engine:
  rules_files: [a.yaml, b.yaml]
  rule_matching: all
  min_priority: warning
  rules_enable: {names: [r1], tags: [t1, t2]}
  rules_disable: {tags: [noisy]}
  hostname: node-1
router:
  queue: {dir: /tmp/q, segment_bytes: 2MiB, max_bytes: 512 MiB, fsync: interval, fsync_interval_ms: 50}
  http_input: {enabled: false, max_body_bytes: 4096}
  drain_timeout_ms: 2500
)");
  CHECK(c.sensor.log.level == "debug");
  CHECK(c.sensor.log.format == LogFormat::kJson);
  CHECK_FALSE(c.sensor.http.enabled);
  CHECK(c.sensor.ring_buffer_mib == 16);
  CHECK(c.sensor.batch_max_bytes == 131072);
  CHECK(c.sensor.capture_buffers);
  CHECK(c.sensor.drop_alert_ratio == doctest::Approx(0.25));
  CHECK(c.engine.rules_files == std::vector<std::string>{"a.yaml", "b.yaml"});
  CHECK(c.engine.rule_matching == RuleMatching::kAll);
  CHECK(c.engine.min_priority == "warning");
  CHECK(c.engine.rules_enable.names == std::vector<std::string>{"r1"});
  CHECK(c.engine.rules_enable.tags == std::vector<std::string>{"t1", "t2"});
  CHECK(c.engine.rules_disable.tags == std::vector<std::string>{"noisy"});
  CHECK(c.engine.hostname == "node-1");
  CHECK(c.router.queue.dir == "/tmp/q");
  CHECK(c.router.queue.segment_bytes == 2 << 20);
  CHECK(c.router.queue.fsync == FsyncMode::kInterval);
  CHECK(c.router.queue.fsync_interval_ms == 50);
  CHECK(c.router.queue.max_bytes == 512LL << 20);
  CHECK(c.router.drain_timeout_ms == 2500);
  CHECK_FALSE(c.router.http_input.enabled);
  CHECK(c.router.http_input.max_body_bytes == 4096);
}

TEST_CASE("config: unknown keys are errors with file:line:col and section") {
  CHECK(error_of("engine:\n  foo: 1\n") == "test.yaml:2:3: unknown key 'foo' in section 'engine'");
  CHECK(error_of("router:\n  queue:\n    dirr: /x\n") == "test.yaml:3:5: unknown key 'dirr' in section 'router.queue'");
  CHECK(error_of("sensors: {}\n") == "test.yaml:1:1: unknown key 'sensors' in section '<top level>'");
  CHECK(error_of("engine:\n  log: {level: info, colour: red}\n") ==
        "test.yaml:2:22: unknown key 'colour' in section 'engine.log'");
}

TEST_CASE("config: wrong types and ranges name the key and its position") {
  CHECK(error_of("sensor:\n  send_hwm: lots\n") ==
        "test.yaml:2:13: key 'send_hwm' in section 'sensor': must be an integer");
  CHECK(error_of("sensor:\n  send_hwm: 0\n") ==
        "test.yaml:2:13: key 'send_hwm' in section 'sensor': must be between 1 and 1000000");
  CHECK(error_of("sensor:\n  ring_buffer_mib: 3\n") ==
        "test.yaml:2:20: key 'ring_buffer_mib' in section 'sensor': must be a power of two");
  CHECK(error_of("sensor:\n  capture_buffers: maybe\n") ==
        "test.yaml:2:20: key 'capture_buffers' in section 'sensor': must be true or false");
  CHECK(error_of("engine:\n  rule_matching: some\n") ==
        "test.yaml:2:18: key 'rule_matching' in section 'engine': 'some' is not one of: first, all");
  CHECK(error_of("engine:\n  rules_files: {a: 1}\n") ==
        "test.yaml:2:16: key 'rules_files' in section 'engine': must be a list of strings");
  CHECK(error_of("engine: [1, 2]\n") == "test.yaml:1:9: key 'engine' in section '<top level>': must be a map");
  CHECK(error_of("engine:\n  events_endpoint: http://x\n") ==
        "test.yaml:2:20: key 'events_endpoint' in section 'engine': endpoint must be tcp://host:port, "
        "ipc://path or inproc://name");
  CHECK(error_of("router:\n  http:\n    listen: localhost\n") ==
        "test.yaml:3:13: key 'listen' in section 'router.http': expected \"host:port\"");
  CHECK(error_of("router:\n  queue:\n    segment_bytes: 1KiB\n") ==
        "test.yaml:3:20: key 'segment_bytes' in section 'router.queue': must be between 1048576 and 4294967296 "
        "bytes");
  CHECK(error_of("sensor:\n  send_hwm: 5\n  send_hwm: 6\n") ==
        "test.yaml:3:3: duplicate key 'send_hwm' in section 'sensor'");
}

TEST_CASE("config: router.queue.max_bytes and router.drain_timeout_ms are checked where they are written") {
  CHECK(error_of("router:\n  queue:\n    max_bytes: 1KiB\n") ==
        "test.yaml:3:16: key 'max_bytes' in section 'router.queue': must be between 1048576 and 1125899906842624 "
        "bytes");
  CHECK(error_of("router:\n  queue:\n    max_bytes: lots\n") ==
        "test.yaml:3:16: key 'max_bytes' in section 'router.queue': must be a size such as 65536 or 64MiB");
  // The budget must hold one whole segment; the error points at the key that was written.
  CHECK(error_of("router:\n  queue: {segment_bytes: 8MiB, max_bytes: 4MiB}\n") ==
        "test.yaml:2:43: key 'max_bytes' in section 'router.queue': must be at least segment_bytes (8388608 bytes)");
  CHECK(error_of("router:\n  queue:\n    segment_bytes: 2GiB\n") ==
        "test.yaml:3:20: key 'segment_bytes' in section 'router.queue': must not exceed max_bytes (1073741824 "
        "bytes)");
  CHECK(parse_config("router:\n  queue: {segment_bytes: 8MiB, max_bytes: 8MiB}\n").router.queue.max_bytes ==
        8LL << 20);
  CHECK(error_of("router:\n  drain_timeout_ms: -1\n") ==
        "test.yaml:2:21: key 'drain_timeout_ms' in section 'router': must be between 0 and 3600000");
  CHECK(error_of("router:\n  drain_timeout_ms: 10s\n") ==
        "test.yaml:2:21: key 'drain_timeout_ms' in section 'router': must be an integer");
  CHECK(parse_config("router: {drain_timeout_ms: 0}").router.drain_timeout_ms == 0);  // stop without draining
  // The key is max_bytes, like QueueOptions::max_bytes and the queue's own messages.
  CHECK(error_of("router:\n  queue: {max_disk_bytes: 1GiB}\n") ==
        "test.yaml:2:11: unknown key 'max_disk_bytes' in section 'router.queue'");
}

TEST_CASE("config: YAML syntax errors carry a position") {
  std::string e = error_of("engine:\n  rules_files: [a, b\n");
  CHECK(e.rfind("test.yaml:", 0) == 0);
  CHECK(e.find("invalid YAML") != std::string::npos);
}

TEST_CASE("config: trailing documents and stray tokens are errors, not ignored or a hang") {
  CHECK(error_of("{engine: {}},\n") == "test.yaml:1:13: invalid YAML: unexpected token at the top level (a stray ',' "
                                         "or closing bracket after a complete flow collection?)");
  CHECK(error_of("engine: {}\n---\nrouter: {}\n") ==
        "test.yaml:2:1: invalid YAML: expected a single YAML document, found another one here");
  CHECK_NOTHROW(parse_config("---\nengine: {}\n", "test.yaml"));
  CHECK_NOTHROW(parse_config("", "test.yaml"));
}

TEST_CASE("config: engine.append_output entries") {
  PeregrineConfig c = parse_config(R"(
engine:
  append_output:
    - match: {source: syscall, tags: [container], rule: Some rule}
      extra_output: "pid=%proc.pid"
      extra_fields: [proc.ppid, {cluster: "${PG_TEST_APPEND_CLUSTER:-dev}"}]
    - extra_fields: [evt.hostname]
)", "test.yaml");
  REQUIRE(c.engine.append_output.size() == 2);
  const auto& a = c.engine.append_output[0];
  CHECK(a.source == "syscall");
  CHECK(a.tags == std::vector<std::string>{"container"});
  CHECK(a.rule == "Some rule");
  CHECK(a.extra_output == "pid=%proc.pid");
  CHECK(a.extra_fields == std::vector<std::string>{"proc.ppid"});
  CHECK(a.static_fields == std::vector<std::pair<std::string, std::string>>{{"cluster", "dev"}});
  CHECK(a.where == "test.yaml:4:7");
  CHECK(c.engine.append_output[1].source.empty());
  CHECK(error_of("engine:\n  append_output:\n    - match: {colour: red}\n      extra_output: x\n") ==
        "test.yaml:3:15: unknown key 'colour' in section 'engine.append_output.match'");
  CHECK(error_of("engine:\n  append_output:\n    - match: {source: syscall}\n") ==
        "test.yaml:3:7: append_output entry has neither extra_output nor extra_fields");
}

TEST_CASE("config: Falco's JSON output switches are engine keys with Falco's defaults") {
  const FalcoOutputOptions defaults = parse_config("").engine.output_options;
  CHECK(defaults.json_include_output_property);
  CHECK(defaults.json_include_output_fields_property);
  CHECK(defaults.json_include_tags_property);
  CHECK_FALSE(defaults.json_include_message_property);
  CHECK_FALSE(defaults.time_format_iso_8601);
  const FalcoOutputOptions set = parse_config(
      "engine:\n  json_include_output_property: false\n  json_include_output_fields_property: false\n"
      "  json_include_tags_property: false\n  json_include_message_property: true\n"
      "  time_format_iso_8601: true\n").engine.output_options;
  CHECK_FALSE(set.json_include_output_property);
  CHECK_FALSE(set.json_include_output_fields_property);
  CHECK_FALSE(set.json_include_tags_property);
  CHECK(set.json_include_message_property);
  CHECK(set.time_format_iso_8601);
  // Each key is read on its own: one switch does not move the others.
  const FalcoOutputOptions one = parse_config("engine:\n  json_include_tags_property: false\n").engine.output_options;
  CHECK_FALSE(one.json_include_tags_property);
  CHECK(one.json_include_output_property);
  CHECK(one.json_include_output_fields_property);
  CHECK_FALSE(one.json_include_message_property);
  CHECK(error_of("engine:\n  json_include_message_property: sometimes\n") ==
        "test.yaml:2:34: key 'json_include_message_property' in section 'engine': must be true or false");
  CHECK(error_of("engine:\n  time_format_iso_8601: [yes]\n") ==
        "test.yaml:2:25: key 'time_format_iso_8601' in section 'engine': must be a boolean");
  CHECK(error_of("engine:\n  json_output: true\n") == "test.yaml:2:3: unknown key 'json_output' in section 'engine'");
}

TEST_CASE("config: engine.rules_files keeps where each entry was written") {
  CHECK(parse_config("").engine.rules_files_at.where.empty());  // the default list was written nowhere
  const auto list = parse_config("engine:\n  rules_files:\n    - a.yaml\n    -   rules.d/\n", "p.yaml").engine;
  CHECK(list.rules_files == std::vector<std::string>{"a.yaml", "rules.d/"});
  CHECK(list.rules_files_at.where == std::vector<std::string>{"p.yaml:3:7", "p.yaml:4:9"});
  const auto one = parse_config("engine:\n  rules_files: rules.d\n", "p.yaml").engine;
  CHECK(one.rules_files_at.where == std::vector<std::string>{"p.yaml:2:16"});
  // Positions are not part of the value: the same list written elsewhere is the same config.
  CHECK(parse_config("engine:\n  rules_files: [a.yaml]\n").engine ==
        parse_config("\nengine:\n  rules_files:\n    - a.yaml\n").engine);
}

TEST_CASE("config: environment substitution") {
  ::setenv("PG_TEST_HOST", "edge-7", 1);
  ::unsetenv("PG_TEST_MISSING");
  ::setenv("PG_TEST_HWM", "77", 1);
  PeregrineConfig c = parse_config(R"(
sensor:
  send_hwm: ${PG_TEST_HWM}
engine:
  hostname: "${PG_TEST_HOST}.example"
  replay_file: ${PG_TEST_MISSING:-/tmp/default.jsonl}
  rules_files: ["${PG_TEST_MISSING:-rules}/x.yaml", "$literal"]
)");
  CHECK(c.sensor.send_hwm == 77);
  CHECK(c.engine.hostname == "edge-7.example");
  CHECK(c.engine.replay_file == "/tmp/default.jsonl");
  CHECK(c.engine.rules_files == std::vector<std::string>{"rules/x.yaml", "$literal"});
  CHECK(error_of("engine:\n  hostname: ${PG_TEST_MISSING}\n") ==
        "test.yaml:2:13: key 'hostname' in section 'engine': environment variable 'PG_TEST_MISSING' is not set and "
        "has no default");
  CHECK(error_of("engine:\n  hostname: ${PG_TEST_HOST\n").find("unterminated") != std::string::npos);
  CHECK(expand_env("a${PG_TEST_MISSING:-}b") == "ab");
  ::setenv("PG_TEST_EMPTY", "", 1);
  CHECK(expand_env("${PG_TEST_EMPTY:-d}") == "d");
  CHECK(expand_env("${PG_TEST_EMPTY}") == "");
}

TEST_CASE("config: errors never echo secret values") {
  ::setenv("PG_TEST_SECRET", "hunter2", 1);
  std::string e = error_of("sensor:\n  send_hwm: ${PG_TEST_SECRET}\n");
  CHECK(e.find("must be an integer") != std::string::npos);
  CHECK(e.find("hunter2") == std::string::npos);
}

TEST_CASE("config: outputs keep their raw node and position - NodeReader validates them strictly") {
  PeregrineConfig c = parse_config(R"(router:
  outputs:
    - type: stdout
    - type: webhook
      name: hooks
      url: https://example.invalid/x
      timeout_ms: 500
      headers: {X-Token: abc}
      colour: blue
)", "cfg.yaml");
  REQUIRE(c.router.outputs.size() == 2);
  CHECK(c.router.outputs[0].type == "stdout");
  CHECK(c.router.outputs[0].name == "stdout");
  CHECK(c.router.outputs[0].line == 3);
  CHECK(c.router.outputs[1].name == "hooks");
  CHECK(c.router.outputs[1].line == 4);
  CHECK(c.router.outputs[1].file == "cfg.yaml");
  NodeReader r = c.router.outputs[1].reader();
  CHECK(r.section() == "router.outputs[hooks]");
  CHECK(r.required_str("url") == "https://example.invalid/x");
  CHECK(r.integer("timeout_ms", 1000, 1, 60000) == 500);
  auto headers = r.string_map("headers");
  REQUIRE(headers.size() == 1);
  CHECK(headers[0] == std::pair<std::string, std::string>{"X-Token", "abc"});
  try {
    r.finish();
    FAIL("finish() accepted an unknown key");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "cfg.yaml:9:7: unknown key 'colour' in section 'router.outputs[hooks]'");
    CHECK(e.line() == 9);
    CHECK(e.column() == 7);
  }
}

TEST_CASE("config: output entries need a type and unique names") {
  CHECK(error_of("router:\n  outputs:\n    - name: x\n") ==
        "test.yaml:3:7: key 'type' in section 'router.outputs': missing required key");
  CHECK(error_of("router:\n  outputs:\n    - type: file\n    - type: file\n") ==
        "test.yaml:4:7: key 'name' in section 'router.outputs': duplicate output name 'file' (give each output a "
        "unique name)");
  CHECK(error_of("router:\n  outputs: {type: file}\n") ==
        "test.yaml:2:12: key 'outputs' in section 'router': must be a list of outputs");
}

TEST_CASE("config: NodeReader helpers") {
  YAML::Node n = YAML::Load("a: 0x10\nb: 1.5\nc: [x, y]\nd: single\ne: 10 MiB\nf: ~\n");
  NodeReader r(n, "f.yaml", "s");
  CHECK(r.integer("a", 0, 0, 100) == 16);
  CHECK(r.number("b", 0, 0, 2) == doctest::Approx(1.5));
  CHECK(r.strings("c") == std::vector<std::string>{"x", "y"});
  CHECK(r.strings("d") == std::vector<std::string>{"single"});
  CHECK(r.bytes("e", 0, 0, 1LL << 40) == 10LL << 20);
  CHECK(r.str("f", "dflt") == "dflt");  // null = default
  CHECK(r.str("missing", "dflt") == "dflt");
  CHECK_FALSE(r.optional_str("missing").has_value());
  CHECK(r.has("a"));
  CHECK_NOTHROW(r.finish());
  NodeReader r2(n, "f.yaml", "s");
  r2.ignore({"a", "b", "c", "d", "e"});
  CHECK_THROWS_AS(r2.finish(), ConfigError);  // f is unknown
}

TEST_CASE("config: endpoint and listen validation") {
  CHECK(validate_endpoint("tcp://127.0.0.1:0").ok());
  CHECK(validate_endpoint("tcp://*:7701").ok());
  CHECK(validate_endpoint("tcp://[::1]:7701").ok());
  CHECK(validate_endpoint("ipc:///run/peregrine/events.sock").ok());
  CHECK(validate_endpoint("inproc://x").ok());
  CHECK_FALSE(validate_endpoint("tcp://127.0.0.1").ok());
  CHECK_FALSE(validate_endpoint("udp://1.2.3.4:5").ok());
  CHECK_FALSE(validate_endpoint("ipc://").ok());
  auto hp = parse_host_port("[::1]:9101");
  REQUIRE(hp.ok());
  CHECK(hp->host == "::1");
  CHECK(hp->port == 9101);
  CHECK(parse_host_port(":80")->host == "0.0.0.0");
  CHECK_FALSE(parse_host_port("127.0.0.1:65536").ok());
  CHECK_FALSE(parse_host_port("::1:80").ok());
}

TEST_CASE("config: load_config reads a file - missing files are ConfigErrors - try_* wrappers return errors") {
  auto dir = std::filesystem::temp_directory_path() / ("pg_cfg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "p.yaml").string();
  std::ofstream(path) << "engine:\n  ack_timeout_ms: 150\n";
  CHECK(load_config(path).engine.ack_timeout_ms == 150);
  CHECK(load_config(path).file == path);
  CHECK_THROWS_AS(load_config((dir / "nope.yaml").string()), ConfigError);
  auto r = try_load_config((dir / "nope.yaml").string());
  CHECK_FALSE(r.ok());
  CHECK(r.error().message.find("cannot open") != std::string::npos);
  auto bad = try_parse_config("engine: {x: 1}", "inline");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "inline:1:10: unknown key 'x' in section 'engine'");
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: the shipped config/peregrine.yaml loads") {
  std::string path = std::string(PEREGRINE_SOURCE_DIR) + "/config/peregrine.yaml";
  PeregrineConfig c = load_config(path);
  CHECK(c.engine.rules_files == std::vector<std::string>{"rules/peregrine_rules.yaml"});
  CHECK(c.router.queue.dir == "/var/lib/peregrine/router");
  CHECK(c.router.queue.max_bytes == 1LL << 30);
  CHECK(c.router.drain_timeout_ms == 10000);
  REQUIRE(c.router.outputs.size() == 2);
  CHECK(c.router.outputs[0].type == "stdout");
  CHECK(c.router.outputs[1].type == "file");
  CHECK(c.router.outputs[1].reader().str("path", "") == "/var/log/peregrine/alerts.jsonl");
}

TEST_CASE("config: NodeReader rejects malformed numbers, sizes and lists") {
  YAML::Node n = YAML::Load(
      "huge: 99999999999GiB\nneg: -5MiB\nnan: .nan\nword: 12abc\nnested: {a: 1}\nlist: [a, [b]]\n"
      "big: 9223372036854775808\n? [complex, key]\n: 1\n");
  NodeReader r(n, "f.yaml", "s");
  CHECK_THROWS_WITH_AS(r.bytes("huge", 0, 0, INT64_MAX), "f.yaml:1:7: key 'huge' in section 's': must be a size such as 65536 or 64MiB", ConfigError);
  CHECK_THROWS_AS(r.bytes("neg", 0, 0, INT64_MAX), ConfigError);
  CHECK_THROWS_AS(r.number("nan", 0, -1e9, 1e9), ConfigError);
  CHECK_THROWS_AS(r.integer("word", 0, 0, 100), ConfigError);
  CHECK_THROWS_AS(r.str("nested", ""), ConfigError);
  CHECK_THROWS_AS(r.integer("big", 0, INT64_MIN, INT64_MAX), ConfigError);
  CHECK_THROWS_WITH_AS(r.strings("list"), "f.yaml:6:11: key 'list' in section 's': items must be strings", ConfigError);
  CHECK_THROWS_WITH_AS(r.finish(), "f.yaml:8:3: keys in section 's' must be strings", ConfigError);
}

TEST_CASE("config: null sections mean defaults - a non-map document is an error") {
  PeregrineConfig c = parse_config("sensor: ~\nengine:\nrouter: {}\n");
  CHECK(c.sensor.send_hwm == 1000);
  CHECK(c.router.queue.dir == "/var/lib/peregrine/router");
  CHECK(error_of("just a string") == "test.yaml:1:1: section '<top level>' must be a map");
  CHECK(error_of("- a\n- b\n") == "test.yaml:1:1: section '<top level>' must be a map");
}

TEST_CASE("config: sensor.container_runtimes takes names and {type, socket} maps") {
  auto c = parse_config("sensor:\n  container_runtimes:\n    - containerd\n"
                        "    - {type: crio, socket: /host/run/crio.sock}\n",
                        "test.yaml");
  REQUIRE(c.sensor.container_runtimes.size() == 2);
  CHECK(c.sensor.container_runtimes[0] == CriRuntimeConfig{"containerd", "/run/containerd/containerd.sock"});
  CHECK(c.sensor.container_runtimes[1] == CriRuntimeConfig{"crio", "/host/run/crio.sock"});
  CHECK(c.sensor.docker_socket == "/var/run/docker.sock");
  // The Helm chart's shape; a docker entry sets docker_socket (Docker is always asked first).
  c = parse_config("sensor:\n  docker_socket: \"\"\n  container_runtimes:\n"
                   "    - {type: containerd, socket: /host/run/containerd.sock}\n"
                   "    - {type: docker, socket: /host/run/docker.sock}\n    - crio\n");
  REQUIRE(c.sensor.container_runtimes.size() == 2);
  CHECK(c.sensor.container_runtimes[0].socket == "/host/run/containerd.sock");
  CHECK(c.sensor.container_runtimes[1] == CriRuntimeConfig{"crio", "/run/crio/crio.sock"});
  CHECK(c.sensor.docker_socket == "/host/run/docker.sock");
  CHECK(parse_config("sensor:\n  container_runtimes: []\n").sensor.container_runtimes.empty());
}

TEST_CASE("config: bad sensor.container_runtimes entries name their position") {
  CHECK(error_of("sensor:\n  container_runtimes:\n    - podman\n") ==
        "test.yaml:3:7: sensor.container_runtimes: unknown runtime 'podman' (docker, containerd, crio)");
  CHECK(error_of("sensor:\n  container_runtimes:\n    - crio\n    - {type: crio, socket: /x}\n") ==
        "test.yaml:4:7: sensor.container_runtimes: runtime 'crio' listed twice");
  CHECK(error_of("sensor:\n  container_runtimes:\n    - {type: containerd, sock: /x}\n") ==
        "test.yaml:3:26: unknown key 'sock' in section 'sensor.container_runtimes'");
  CHECK(error_of("sensor:\n  container_runtimes:\n    - {socket: /x}\n").find("'type'") != std::string::npos);
  CHECK(error_of("sensor:\n  container_runtimes:\n    - [containerd]\n") ==
        "test.yaml:3:7: each entry of sensor.container_runtimes is a runtime name or a {type, socket} map");
  CHECK(error_of("sensor:\n  container_runtimes: containerd\n") ==
        "test.yaml:2:23: key 'container_runtimes' in section 'sensor': must be a list of runtime names or "
        "{type, socket} maps");
}
