// CURVE key files, their permissions, the curve config blocks (errors with file:line) and the plaintext rule.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config/config.h"
#include "common/keygen/keygen.h"
#include "common/transport/curve_keys.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::transport;
using peregrine::testing::TempDir;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string config_error(const std::string& yaml) {
  auto r = config::try_parse_config(yaml, "cfg.yaml");
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("keypair files - secret 0600, public 0644, both Z85, the public key derivable from the secret") {
  TempDir dir;
  auto kp = generate_keypair();
  CHECK(is_z85_key(kp.public_key));
  CHECK(is_z85_key(kp.secret_key));
  for (int i = 0; i < 2000; ++i) CHECK(generate_keypair().public_key.find("${") == std::string::npos);
  write_keypair(dir.path().string(), "router", kp, false);
  CHECK(mode_of(dir / "router.key") == 0600);
  CHECK(mode_of(dir / "router.pub") == 0644);
  CHECK(read_key_file((dir / "router.key").string(), true) == kp.secret_key);
  CHECK(read_key_file((dir / "router.pub").string(), false) == kp.public_key);
  CHECK(public_key_of(kp.secret_key) == kp.public_key);
  // Exclusive unless forced; forced replaces the key.
  CHECK_THROWS_WITH_AS(write_keypair(dir.path().string(), "router", generate_keypair(), false),
                       doctest::Contains("--force"), TransportError);
  auto kp2 = generate_keypair();
  write_keypair(dir.path().string(), "router", kp2, true);
  CHECK(read_key_file((dir / "router.key").string(), true) == kp2.secret_key);
  CHECK_THROWS_AS(write_keypair(dir.path().string(), "../x", kp2, false), TransportError);
}

TEST_CASE("a secret key file readable by group or others is refused with the chmod to run") {
  TempDir dir;
  write_keypair(dir.path().string(), "engine", generate_keypair(), false);
  const auto key = (dir / "engine.key").string();
  ::chmod(key.c_str(), 0640);
  CHECK_THROWS_WITH_AS(read_key_file(key, true), doctest::Contains(("mode 0640); run: chmod 600 " + key).c_str()),
                       TransportError);
  // The same file as a public key (no secrecy asked) is fine.
  CHECK(is_z85_key(read_key_file(key, false)));
}

TEST_CASE("key files that do not hold exactly one Z85 key are refused without echoing their content") {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    ::chmod((dir / name).c_str(), 0600);
    return (dir / name).string();
  };
  const std::string secret_like = "not-a-key-but-maybe-a-password-000000000";
  CHECK_THROWS_WITH_AS(read_key_file(write("bad.key", secret_like + "x\n"), true),
                       doctest::Contains("does not hold a 40-character Z85 key"), TransportError);
  try {
    read_key_file(write("bad2.key", secret_like + "\n"), true);
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find(secret_like) == std::string::npos);
  }
  auto kp = generate_keypair();
  CHECK_THROWS_WITH_AS(read_key_file(write("two.pub", kp.public_key + "\n" + kp.public_key + "\n"), false),
                       doctest::Contains("more than one key"), TransportError);
  CHECK(read_key_file(write("commented.pub", "# a comment\n\n  " + kp.public_key + "  \r\n"), false) ==
        kp.public_key);
  CHECK_THROWS_WITH_AS(read_key_file((dir / "missing.pub").string(), false), doctest::Contains("cannot open"),
                       TransportError);
}

TEST_CASE("peregrine-keygen writes NAME.key and NAME.pub and prints the public key of a secret key file") {
  TempDir dir;
  std::ostringstream out, err;
  keygen::KeygenOptions o;
  o.dir = (dir / "keys").string();
  o.names = {"router", "engine-a"};
  REQUIRE(keygen::run_keygen(o, out, err) == 0);
  CHECK(mode_of(dir / "keys" / "engine-a.key") == 0600);
  const auto pub = read_key_file((dir / "keys" / "router.pub").string(), false);
  CHECK(out.str().find(pub) != std::string::npos);
  CHECK(keygen::run_keygen(o, out, err) == 1);  // exists, no --force
  CHECK(err.str().find("--force") != std::string::npos);
  std::ostringstream out2;
  keygen::KeygenOptions p;
  p.public_of = (dir / "keys" / "router.key").string();
  REQUIRE(keygen::run_keygen(p, out2, err) == 0);
  CHECK(out2.str() == pub + "\n");
  keygen::KeygenOptions none;
  CHECK(keygen::run_keygen(none, out2, err) == 2);
}

TEST_CASE("is_local_endpoint - loopback, ipc and inproc only") {
  for (const char* ok : {"tcp://127.0.0.1:7703", "tcp://127.3.2.1:0", "tcp://[::1]:7703", "tcp://localhost:7703",
                         "ipc:///run/peregrine/alerts.sock", "inproc://x"})
    CHECK_MESSAGE(config::is_local_endpoint(ok), ok);
  for (const char* no : {"tcp://0.0.0.0:7703", "tcp://*:7703", "tcp://[::]:7703", "tcp://10.0.0.5:7703",
                         "tcp://eth0:7703", "tcp://128.0.0.1:7703", "tcp://localhost.evil.com:7703",
                         "tcp://[::ffff:127.0.0.1]:7703"})
    CHECK_FALSE_MESSAGE(config::is_local_endpoint(no), no);
}

TEST_CASE("the router refuses a non-loopback plaintext bind unless allow_plaintext, naming the key and line") {
  const std::string msg = config_error("router:\n  alerts_endpoint: tcp://0.0.0.0:7703\n");
  CHECK(msg.find("cfg.yaml:2:20:") == 0);
  CHECK(msg.find("alerts_endpoint") != std::string::npos);
  CHECK(msg.find("router.alerts_curve") != std::string::npos);
  CHECK(msg.find("router.allow_plaintext: true") != std::string::npos);
  auto ok = config::try_parse_config("router:\n  alerts_endpoint: tcp://0.0.0.0:7703\n  allow_plaintext: true\n");
  CHECK(ok.ok());
  auto curve = config::try_parse_config(
      "router:\n  alerts_endpoint: tcp://0.0.0.0:7703\n"
      "  alerts_curve: {secret_key_file: r.key, allowed_client_keys: [e.pub]}\n");
  REQUIRE(curve.ok());
  CHECK(curve->router.alerts_curve.enabled());
  CHECK(curve->router.alerts_curve.secret_key_file_at.line == 3);
  CHECK(config::try_parse_config("router:\n  alerts_endpoint: ipc:///tmp/x.sock\n").ok());
}

TEST_CASE("the sensor's binds follow the same rule - events and control") {
  CHECK(config_error("sensor:\n  events_endpoint: tcp://*:7701\n").find("cfg.yaml:2:20:") == 0);
  CHECK(config_error("sensor:\n  control_endpoint: tcp://10.1.2.3:7702\n").find("sensor.curve") !=
        std::string::npos);
  CHECK(config::try_parse_config("sensor:\n  events_endpoint: tcp://*:7701\n  allow_plaintext: true\n").ok());
  // The engine connects: any address is fine there (its keys are engine.sensor_curve / engine.alerts_curve).
  CHECK(config::try_parse_config("engine:\n  alerts_endpoint: tcp://10.0.0.9:7703\n").ok());
}

TEST_CASE("curve blocks - incomplete or unknown keys are errors at their line") {
  CHECK(config_error("router:\n  alerts_curve:\n    secret_key_file: r.key\n").find("cfg.yaml:") == 0);
  CHECK(config_error("router:\n  alerts_curve:\n    secret_key_file: r.key\n").find("allowed_client_keys") !=
        std::string::npos);
  CHECK(config_error("engine:\n  alerts_curve:\n    secret_key_file: e.key\n").find("server_public_key") !=
        std::string::npos);
  const std::string unknown = config_error("engine:\n  alerts_curve:\n    secret_key_fil: e.key\n");
  CHECK(unknown.find("cfg.yaml:3:") == 0);
  CHECK(unknown.find("secret_key_fil") != std::string::npos);
  CHECK(config_error("sensor:\n  curve: {allowed_client_keys: [a.pub]}\n").find("secret_key_file") !=
        std::string::npos);
}

TEST_CASE("http_input bearer token and tls - short tokens, both token keys, half a certificate are errors") {
  CHECK(config_error("router:\n  http_input: {bearer_token: short}\n").find("at least 16") != std::string::npos);
  CHECK(config_error("router:\n  http_input: {bearer_token: 0123456789abcdef, bearer_token_file: /t}\n")
            .find("not both") != std::string::npos);
  CHECK(config_error("router:\n  http_input:\n    tls: {cert_file: a.crt}\n").find("cfg.yaml:3:") == 0);
  CHECK(config_error("router:\n  http_input:\n    tls: {client_ca_file: ca.crt}\n").find("needs cert_file") !=
        std::string::npos);
  auto ok = config::parse_config("router:\n  http_input:\n    tls: {cert_file: a.crt, key_file: a.key}\n");
  CHECK(ok.router.http_input.tls.enabled());
}

TEST_CASE("loading the configured keys - errors carry file, line, section and key") {
  TempDir dir;
  write_keypair(dir.path().string(), "router", generate_keypair(), false);
  auto engine = generate_keypair();
  write_keypair(dir.path().string(), "engine", engine, false);
  const auto d = dir.path().string();
  const std::string yaml = "router:\n  alerts_curve:\n    secret_key_file: " + d +
                           "/router.key\n    allowed_client_keys:\n      - " + d + "/engine.pub\n      - \"" +
                           engine.public_key + "\"\n      - " + d + "\n";
  auto cfg = config::parse_config(yaml, "cfg.yaml");
  auto keys = load_server_keys(cfg.router.alerts_curve);
  REQUIRE(keys);
  CHECK(keys->allowed_client_keys == std::vector<std::string>{engine.public_key, read_key_file(d + "/router.pub", false)});
  ::chmod((d + "/router.key").c_str(), 0644);
  CHECK_THROWS_WITH_AS(load_server_keys(cfg.router.alerts_curve),
                       doctest::Contains("cfg.yaml:3:22: router.alerts_curve.secret_key_file: secret key file"),
                       TransportError);
  ::chmod((d + "/router.key").c_str(), 0600);
  auto bad = config::parse_config("router:\n  alerts_curve:\n    secret_key_file: " + d +
                                      "/router.key\n    allowed_client_keys: [nope.pub]\n",
                                  "cfg.yaml");
  CHECK_THROWS_WITH_AS(load_server_keys(bad.router.alerts_curve),
                       doctest::Contains("cfg.yaml:4:27: router.alerts_curve.allowed_client_keys[0]: 'nope.pub'"),
                       TransportError);
  auto client = config::parse_config("engine:\n  alerts_curve:\n    secret_key_file: " + d +
                                         "/engine.key\n    server_public_key: " + d + "/router.pub\n",
                                     "cfg.yaml");
  auto ck = load_client_keys(client.engine.alerts_curve);
  REQUIRE(ck);
  CHECK(ck->public_key == engine.public_key);
  CHECK(ck->server_key == read_key_file(d + "/router.pub", false));
  CHECK_FALSE(load_client_keys(config::EngineConfig{}.alerts_curve));
}

TEST_CASE("the shipped config/cross-host.yaml loads, with CURVE on every link and the token from the environment") {
  ::setenv("PEREGRINE_INTAKE_TOKEN", "0123456789abcdef0123", 1);
  auto cfg = config::load_config(std::string(PEREGRINE_SOURCE_DIR) + "/config/cross-host.yaml");
  ::unsetenv("PEREGRINE_INTAKE_TOKEN");
  CHECK(cfg.sensor.curve.enabled());
  CHECK(cfg.engine.sensor_curve.enabled());
  CHECK(cfg.engine.alerts_curve.enabled());
  CHECK(cfg.router.alerts_curve.enabled());
  CHECK_FALSE(cfg.router.allow_plaintext);
  CHECK(cfg.router.http_input.bearer_token == "0123456789abcdef0123");
  CHECK(cfg.router.http_input.tls.enabled());
  CHECK_FALSE(cfg.router.http_input.tls.client_ca_file.empty());
}
