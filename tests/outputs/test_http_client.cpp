// The shared HTTP client against in-process servers: keep-alive, timeouts, bounded capture, Retry-After, auth,
// headers, gzip, proxies, TLS (CA file, insecure mode, mutual TLS) and the config keys.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/config/config.h"
#include "common/secrets.h"
#include "outputs/http/http_client.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine;
using namespace peregrine::outputs;
using namespace std::chrono_literals;
using peregrine::testing::TestHttpServer;

namespace {

HttpClientConfig quick() {
  HttpClientConfig c;
  c.timeout = 2s;
  c.connect_timeout = 1s;
  return c;
}

HttpRequest post(const std::string& url, std::string body = "{}") {
  HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

HttpClientConfig parse(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: x\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "http.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  auto r = cfg->router.outputs.at(0).reader();
  auto c = parse_http_client_config(r);
  r.finish();
  return c;
}

std::string parse_error(const std::string& keys) {
  try {
    parse(keys);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  FAIL("accepted: " << keys);
  return "";
}

}  // namespace

TEST_CASE("http client: keep-alive reuses one connection, 2xx is success, other statuses are facts") {
  TestHttpServer srv;
  int n = 0;
  srv.handle("POST", "/x", [&](const auto&, httplib::Response& res) {
    res.status = ++n == 3 ? 503 : 200;
    res.set_content(n == 3 ? "overloaded\nnow" : "ok", "text/plain");
  });
  srv.start();
  HttpClient client(quick(), "t");
  CHECK(client.send(post(srv.url("/x"))).ok());
  CHECK(client.send(post(srv.url("/x"))).ok());
  auto r = client.send(post(srv.url("/x")));
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kHttpStatus);
  CHECK(r.failure->http_status == 503);
  CHECK(r.failure->message == "overloaded now");
  auto seen = srv.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].remote_port == seen[1].remote_port);  // same TCP connection
  CHECK(seen[1].remote_port == seen[2].remote_port);
  CHECK(seen[0].header("Content-Type") == "application/json");
  CHECK(seen[0].header("Content-Length") == "2");
  CHECK(seen[0].header("Transfer-Encoding").empty());
}

TEST_CASE("http client: a receiver that never answers costs timeout_ms, a closed port is a connect failure") {
  peregrine::testing::SilentServer hung;
  auto cfg = quick();
  cfg.timeout = 300ms;
  cfg.connect_timeout = 200ms;
  HttpClient client(cfg, "t");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client.send(post("http://127.0.0.1:" + std::to_string(hung.port()) + "/"));
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kTimeout);
  CHECK(took >= 250ms);
  CHECK(took < 3s);
  CHECK(hung.accepted() == 1);

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // bound, not listening: connections are refused
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto refused = client.send(post("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"));
  ::close(fd);
  REQUIRE(refused.failure);
  CHECK(refused.failure->kind == SendFailure::Kind::kConnect);
}

TEST_CASE("http client: the response body kept for errors is bounded") {
  TestHttpServer srv;
  srv.handle("POST", "/big", [](const auto&, httplib::Response& res) {
    res.status = 400;
    res.set_content(std::string(1 << 20, 'x'), "text/plain");
  });
  srv.start();
  auto cfg = quick();
  cfg.max_response_bytes = 1024;
  HttpClient client(cfg, "t");
  auto o = client.perform(post(srv.url("/big")));
  REQUIRE_FALSE(o.failure);
  CHECK(o.response.status == 400);
  CHECK(o.response.body.size() == 1024);
  CHECK(o.response.body_truncated);
  CHECK(client.perform(post(srv.url("/big"))).response.status == 400);  // connection still usable after a drop
}

TEST_CASE("http client: Retry-After in seconds and as an HTTP-date") {
  const std::time_t now = 1'445'413'200;  // Wed, 21 Oct 2015 07:40:00 GMT
  CHECK(parse_retry_after("120", now) == 120s);
  CHECK(parse_retry_after(" 2 ", now) == 2s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:41:00 GMT", now) == 60s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0ms);  // already past
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("-5", now));

  TestHttpServer srv;
  srv.handle("POST", "/slow", [](const auto&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "2");
  });
  srv.start();
  HttpClient client(quick(), "t");
  auto r = client.send(post(srv.url("/slow")));
  REQUIRE(r.failure);
  CHECK(r.failure->http_status == 429);
  CHECK(r.failure->retry_after == 2s);
}

TEST_CASE("http client: basic, bearer and API-key auth, custom headers, gzip bodies") {
  TestHttpServer srv;
  srv.handle("POST", "/a", {});
  srv.handle("PUT", "/a", {});
  srv.start();
  auto basic = quick();
  basic.auth.username = "elastic";
  basic.auth.password = "s3cret-pw";
  basic.headers = {{"X-Env", "prod"}};
  basic.compression = Compression::kGzip;
  HttpClient b(basic, "t");
  const std::string body = std::string(5000, 'a') + "\n";
  CHECK(b.send(post(srv.url("/a"), body)).ok());
  auto bearer = quick();
  bearer.auth.bearer_token = "tok-123456";
  HttpClient t(bearer, "t");
  auto put = post(srv.url("/a"));
  put.method = "PUT";
  CHECK(t.send(put).ok());
  auto key = quick();
  key.auth.api_key = "a2V5OnNlY3JldA==";
  HttpClient k(key, "t");
  CHECK(k.send(post(srv.url("/a"))).ok());

  auto seen = srv.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].header("Authorization") == "Basic ZWxhc3RpYzpzM2NyZXQtcHc=");
  CHECK(seen[0].header("X-Env") == "prod");
  CHECK(seen[0].header("Content-Encoding") == "gzip");
  // On the wire the body was compressed (Content-Length counts gzip bytes); the server inflated it again.
  CHECK(std::stoul(seen[0].header("Content-Length")) < body.size());
  CHECK(seen[0].body == body);
  CHECK(gzip_decompress(gzip_compress(body)) == body);
  CHECK(seen[1].method == "PUT");
  CHECK(seen[1].header("Authorization") == "Bearer tok-123456");
  CHECK(seen[2].header("Authorization") == "ApiKey a2V5OnNlY3JldA==");
}

TEST_CASE("http client: requests go through a configured proxy, and 'none' bypasses the environment's") {
  TestHttpServer target, proxy;
  target.handle("POST", "/direct", {});
  target.start();
  proxy.handle("POST", ".*", {});  // a forward proxy sees the absolute URL as the request target
  proxy.start();
  auto cfg = quick();
  cfg.proxy = proxy.url();
  HttpClient via(cfg, "t");
  CHECK(via.send(post("http://example.invalid/alerts")).ok());
  REQUIRE(proxy.count() == 1);
  CHECK(proxy.requests()[0].header("Host") == "example.invalid");
  CHECK(target.count() == 0);

  ::setenv("http_proxy", proxy.url().c_str(), 1);
  auto none = quick();
  none.proxy = "none";
  HttpClient direct(none, "t");
  CHECK(direct.send(post(target.url("/direct"))).ok());
  ::unsetenv("http_proxy");
  CHECK(target.count() == 1);
  CHECK(proxy.count() == 1);
}

TEST_CASE("http client: TLS with a CA file, insecure mode, and mutual TLS") {
  peregrine::testing::TempDir dir;
  const auto pki = peregrine::testing::make_test_pki(dir / "pki");
  TestHttpServer tls(pki.server_cert, pki.server_key);
  tls.handle("POST", "/s", {});
  tls.start();
  auto system_cas = quick();
  auto r = HttpClient(system_cas, "t").send(post(tls.url("/s")));
  REQUIRE(r.failure);  // our test CA is not a system CA
  CHECK(r.failure->kind == SendFailure::Kind::kConnect);
  auto with_ca = quick();
  with_ca.tls.ca_file = pki.ca_cert.string();
  CHECK(HttpClient(with_ca, "t").send(post(tls.url("/s"))).ok());
  auto insecure = quick();
  insecure.tls.insecure_skip_verify = true;
  CHECK(HttpClient(insecure, "t").send(post(tls.url("/s"))).ok());

  TestHttpServer mtls(pki.server_cert, pki.server_key, pki.ca_cert);
  mtls.handle("POST", "/m", {});
  mtls.start();
  CHECK_FALSE(HttpClient(with_ca, "t").send(post(mtls.url("/m"))).ok());  // no client certificate
  auto client_cert = with_ca;
  client_cert.tls.cert_file = pki.client_cert.string();
  client_cert.tls.key_file = pki.client_key.string();
  CHECK(HttpClient(client_cert, "t").send(post(mtls.url("/m"))).ok());
  CHECK(mtls.count() == 1);
}

TEST_CASE("http client: up to `concurrency` requests at once, each on its own connection") {
  TestHttpServer srv;
  std::atomic<int> inside{0}, peak{0};
  srv.handle("POST", "/c", [&](const auto&, httplib::Response&) {
    const int now = ++inside;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    // Held until all four are inside at once (or 1.5 s, under the client's 2 s timeout, when they never are).
    peregrine::testing::wait_until([&] { return inside.load() == 4; }, 1500ms);
    --inside;
  });
  srv.start();
  HttpClient client(quick(), "t");
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back([&] { CHECK(client.send(post(srv.url("/c"))).ok()); });
  for (auto& t : ts) t.join();
  CHECK(peak.load() == 4);
}

TEST_CASE("http client config: defaults, every key, and errors with file:line:col") {
  const auto d = parse("");
  CHECK(d == HttpClientConfig{});
  peregrine::testing::TempDir dir;
  peregrine::testing::write_file(dir / "ca.pem", "x");
  const auto c = parse("      timeout_ms: 5000\n      connect_timeout_ms: 500\n      concurrency: 4\n"
                       "      compression: gzip\n      headers: {X-A: b}\n      proxy: http://127.0.0.1:3128\n"
                       "      auth: {username: u, password: pw12345}\n"
                       "      tls: {ca_file: " + (dir / "ca.pem").string() + ", insecure_skip_verify: true}\n");
  CHECK(c.timeout == 5s);
  CHECK(c.connect_timeout == 500ms);
  CHECK(c.concurrency == 4);
  CHECK(c.compression == Compression::kGzip);
  CHECK(c.headers == std::vector<std::pair<std::string, std::string>>{{"X-A", "b"}});
  CHECK(c.auth.password == "pw12345");
  CHECK(c.tls.insecure_skip_verify);
  CHECK(secrets::redact("password is pw12345") == "password is ***");

  CHECK(parse_error("      auth: {username: u, password: p, bearer_token: t}\n").find("one kind of auth") !=
        std::string::npos);
  CHECK(parse_error("      auth: {password: p}\n").find("needs username") != std::string::npos);
  CHECK(parse_error("      tls: {ca_file: /nonexistent/ca.pem}\n").find("http.yaml:4:") != std::string::npos);
  CHECK(parse_error("      tls: {cert_file: " + (dir / "ca.pem").string() + "}\n").find("go together") !=
        std::string::npos);
  CHECK(parse_error("      compression: brotli\n").find("gzip") != std::string::npos);
  CHECK(parse_error("      timeout_ms: 1000\n      connect_timeout_ms: 2000\n").find("must not exceed") !=
        std::string::npos);
  CHECK(parse_error("      concurrency: 0\n").find("concurrency") != std::string::npos);
  CHECK(parse_error("      headers: {\"Bad Name\": x}\n").find("invalid header name") != std::string::npos);
}
