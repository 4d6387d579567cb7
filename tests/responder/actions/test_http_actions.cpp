// http:call, container:* and kubernetes:* against local stand-ins that check the request shapes. No real Docker
// Engine or Kubernetes API server runs here: the stand-ins check paths, verbs, content types and bodies.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "responder/actions/http_call.h"
#include "responder/actions/kubernetes.h"
#include "tests/responder/alert_fixture.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/receivers.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::responder;
using peregrine::testing::response_alert;

namespace {

std::unique_ptr<Actionner> build(const std::string& kind, const std::string& params_yaml) {
  YAML::Node n = YAML::Load(params_yaml);
  config::NodeReader r(n, "t.yaml", "parameters");
  auto a = make_actionner(kind, r);
  r.finish();
  return a;
}

// A one-connection HTTP stand-in on a Unix socket (the Docker Engine API's transport): records the request
// head and answers 204.
class UnixStandIn {
 public:
  explicit UnixStandIn(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      while (head_.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head_.append(buf, static_cast<size_t>(n));
      }
      const std::string reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
      (void)!::write(c, reply.data(), reply.size());
      ::close(c);
    });
  }
  ~UnixStandIn() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string head() {
    if (thread_.joinable()) thread_.join();
    return head_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::string head_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("http:call: POSTs the Falco JSON alert to the function with the configured auth") {
  peregrine::testing::TestHttpServer fn;
  fn.handle("POST", "/function/isolate", [](const auto&, httplib::Response& res) { res.status = 202; });
  fn.start();
  auto a = build("http:call", "{url: '" + fn.url("/function/isolate") + "', auth: {bearer_token: tok-123}}");
  auto alert = response_alert();
  CHECK(a->run(alert, true).outcome == Outcome::kDryRun);
  CHECK(fn.count() == 0);
  auto r = a->run(alert, false);
  CHECK(r.outcome == Outcome::kDone);
  REQUIRE(fn.count() == 1);
  const auto seen = fn.requests()[0];
  CHECK(seen.body == alert_json_text(alert));
  CHECK(seen.header("Content-Type") == "application/json");
  CHECK(seen.header("Authorization") == "Bearer tok-123");
  auto bad = build("http:call", "{url: '" + fn.url("/missing") + "'}");
  auto f = bad->run(alert, false);
  CHECK(f.outcome == Outcome::kFailed);
  CHECK(f.reason.find("http 404") == 0);
}

TEST_CASE("container:stop/pause/kill: the Docker Engine API request on the Unix socket") {
  peregrine::testing::TempDir dir;
  const std::string sock = (dir / "docker.sock").string();
  auto alert = response_alert({{"container.id", std::string("3f2a9c1b7d4e")}});
  {
    UnixStandIn docker(sock);
    auto stop = build("container:stop", "{socket: '" + sock + "', timeout_s: 3}");
    auto dry = stop->run(alert, true);
    CHECK(dry.outcome == Outcome::kDryRun);
    CHECK(dry.reason == "would stop container 3f2a9c1b7d4e (POST /containers/3f2a9c1b7d4e/stop?t=3 on " + sock + ")");
    CHECK(stop->run(alert, false).outcome == Outcome::kDone);
    CHECK(docker.head().rfind("POST /containers/3f2a9c1b7d4e/stop?t=3 HTTP/1.1\r\n", 0) == 0);
  }
  std::filesystem::remove(sock);
  {
    UnixStandIn docker(sock);
    CHECK(build("container:kill", "{socket: '" + sock + "', signal: SIGTERM}")->run(alert, false).outcome ==
          Outcome::kDone);
    CHECK(docker.head().rfind("POST /containers/3f2a9c1b7d4e/kill?signal=SIGTERM HTTP/1.1\r\n", 0) == 0);
  }
  auto pause = build("container:pause", "{socket: '" + sock + "'}");
  CHECK(pause->run(response_alert(), false).reason.find("no_target") == 0);
  CHECK(pause->run(response_alert({{"container.id", std::string("host")}}), false).reason.find("no_target") == 0);
  CHECK(pause->run(response_alert({{"container.id", std::string("../../x")}}), false).reason.find("no_target") == 0);
  std::filesystem::remove(sock);
  auto r = pause->run(alert, false);  // nothing listens now
  CHECK(r.outcome == Outcome::kFailed);
}

TEST_CASE("kubernetes: request shapes for terminate, label and networkpolicy") {
  KubeParams p;
  p.api_server = "https://10.0.0.1:443";
  p.verb = "terminate";
  p.grace_period_seconds = 5;
  auto t = kube_requests(p, "prod", "web-1");
  REQUIRE(t.size() == 1);
  CHECK(t[0].method == "DELETE");
  CHECK(t[0].url == "https://10.0.0.1:443/api/v1/namespaces/prod/pods/web-1");
  CHECK(t[0].content_type == "application/json");
  CHECK(nlohmann::json::parse(t[0].body) ==
        nlohmann::json{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", 5}});
  p.verb = "label";
  p.labels = {{"quarantine", "true"}, {"app", nullptr}};
  auto l = kube_requests(p, "prod", "web-1");
  REQUIRE(l.size() == 1);
  CHECK(l[0].method == "PATCH");
  CHECK(l[0].content_type == "application/merge-patch+json");
  CHECK(nlohmann::json::parse(l[0].body) ==
        nlohmann::json::parse(R"({"metadata":{"labels":{"quarantine":"true","app":null}}})"));
  p.verb = "networkpolicy";
  p.allow = {"10.0.0.0/8"};
  auto n = kube_requests(p, "prod", "web-1");
  REQUIRE(n.size() == 2);
  CHECK(n[0].method == "PATCH");
  CHECK(nlohmann::json::parse(n[0].body)["metadata"]["labels"]["peregrine.io/isolate"] == "web-1");
  CHECK(n[1].method == "POST");
  CHECK(n[1].url == "https://10.0.0.1:443/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies");
  const auto np = nlohmann::json::parse(n[1].body);
  CHECK(np["apiVersion"] == "networking.k8s.io/v1");
  CHECK(np["kind"] == "NetworkPolicy");
  CHECK(np["metadata"]["name"] == "peregrine-isolate-web-1");
  CHECK(np["metadata"]["namespace"] == "prod");
  CHECK(np["spec"]["podSelector"]["matchLabels"]["peregrine.io/isolate"] == "web-1");
  CHECK(np["spec"]["policyTypes"] == nlohmann::json{"Ingress", "Egress"});
  CHECK(np["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] == "10.0.0.0/8");
  CHECK(np["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"] == "10.0.0.0/8");
  p.allow.clear();
  const auto deny_all = nlohmann::json::parse(kube_requests(p, "prod", "web-1")[1].body);
  CHECK(deny_all["spec"]["ingress"] == nlohmann::json::array());
  CHECK(deny_all["spec"]["egress"] == nlohmann::json::array());
}

TEST_CASE("kubernetes: the actions against an API server stand-in, with the service-account token") {
  peregrine::testing::TempDir dir;
  { std::ofstream(dir / "token") << "sa-token-xyz\n"; }
  peregrine::testing::TestHttpServer api;
  api.handle("DELETE", "/api/v1/namespaces/prod/pods/web-1", [](const auto&, httplib::Response& res) {
    res.set_content(R"({"kind":"Pod"})", "application/json");
  });
  api.handle("PATCH", "/api/v1/namespaces/prod/pods/web-1", [](const auto&, httplib::Response& res) {
    res.set_content(R"({"kind":"Pod"})", "application/json");
  });
  api.handle("POST", "/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies",
             [](const auto&, httplib::Response& res) { res.status = 409; });  // exists already: still done
  api.start();
  const std::string common = "api_server: '" + api.url() + "', token_file: '" + (dir / "token").string() + "'";
  auto alert = response_alert({{"k8s.ns.name", std::string("prod")}, {"k8s.pod.name", std::string("web-1")}});
  CHECK(build("kubernetes:terminate", "{" + common + ", grace_period_seconds: 0}")->run(alert, false).outcome ==
        Outcome::kDone);
  CHECK(build("kubernetes:label", "{" + common + ", labels: {quarantine: 'true', app: null}}")->run(alert, false)
            .outcome == Outcome::kDone);
  auto np = build("kubernetes:networkpolicy", "{" + common + ", allow: [10.0.0.0/8]}");
  CHECK(np->run(alert, true).reason ==
        "would kubernetes:networkpolicy pod prod/web-1: PATCH /api/v1/namespaces/prod/pods/web-1 POST "
        "/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies");
  CHECK(np->run(alert, false).outcome == Outcome::kDone);
  REQUIRE(api.count() == 4);
  const auto seen = api.requests();
  CHECK(seen[0].method == "DELETE");
  CHECK(nlohmann::json::parse(seen[0].body)["gracePeriodSeconds"] == 0);
  CHECK(seen[1].method == "PATCH");
  CHECK(seen[1].header("Content-Type") == "application/merge-patch+json");
  CHECK(seen[3].method == "POST");
  CHECK(seen[3].header("Content-Type") == "application/json");
  for (const auto& s : seen) CHECK(s.header("Authorization") == "Bearer sa-token-xyz");
  auto nopod = response_alert({{"k8s.ns.name", std::string("prod")}});
  CHECK(build("kubernetes:terminate", "{" + common + "}")->run(nopod, false).reason.find("no_target") == 0);
}

namespace {

// "" when the body is valid for the API's schema as `as` (tests/receivers/kubernetes/validate_object.js).
std::string schema_problems(const std::string& as, const std::string& body) {
  peregrine::testing::TempDir dir;
  const auto file = dir / "object.json";
  { std::ofstream(file) << nlohmann::json{{"as", as}, {"body", nlohmann::json::parse(body)}}.dump(); }
  const std::string script = std::string(PEREGRINE_SOURCE_DIR) + "/tests/receivers/kubernetes/validate_object.js";
  auto r = peregrine::testing::run_command("sh", {"-c", "exec node \"$0\" < \"$1\"", script, file.string()},
                                           std::chrono::seconds(60));
  if (r.rc == 0 && r.out.rfind("OK", 0) == 0) return "";
  return r.out.empty() ? "validate_object.js exited " + std::to_string(r.rc) + ": " + r.err : r.out;
}

}  // namespace

TEST_CASE("kubernetes: request bodies are valid for the API's own schemas (npm kubernetes-models, offline)") {
  if (auto why = peregrine::testing::Receiver::unavailable("kubernetes-models"); !why.empty()) PEREGRINE_SKIP(why);
  KubeParams p;
  p.api_server = "https://10.0.0.1:443";
  p.grace_period_seconds = 30;
  p.verb = "terminate";
  CHECK(schema_problems("DeleteOptions", kube_requests(p, "prod", "web-1")[0].body) == "");
  p.verb = "label";
  p.labels = {{"quarantine", "true"}, {"app", nullptr}};
  CHECK(schema_problems("PodPatch", kube_requests(p, "prod", "web-1")[0].body) == "");
  p.verb = "networkpolicy";
  for (auto allow : {std::vector<std::string>{}, std::vector<std::string>{"10.0.0.0/8", "192.168.1.0/24"}}) {
    p.allow = allow;
    const auto reqs = kube_requests(p, "prod", "web-1");
    CHECK(schema_problems("PodPatch", reqs[0].body) == "");
    CHECK(schema_problems("NetworkPolicy", reqs[1].body) == "");
  }
  // The validator itself refuses a wrong shape (so the checks above can fail).
  CHECK(schema_problems("DeleteOptions", R"({"gracePeriodSeconds": "30"})") != "");
  CHECK(schema_problems("NetworkPolicy", R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": {"name": "x"}, "spec": {"podSelector": {}, "policyTypes": "Ingress"}})") != "");
}

TEST_CASE("kubernetes: credentials from a kubeconfig context, and what it refuses") {
  peregrine::testing::TempDir dir;
  peregrine::testing::TestHttpServer api;
  api.handle("DELETE", "/api/v1/namespaces/prod/pods/web-1", [](const auto&, httplib::Response& res) {
    res.set_content(R"({"kind":"Pod"})", "application/json");
  });
  api.start();
  { std::ofstream(dir / "tok") << "from-token-file\n"; }
  const std::string kc = (dir / "kubeconfig").string();
  {
    std::ofstream(kc) << "apiVersion: v1\nkind: Config\ncurrent-context: other\n"
                         "clusters:\n- name: local\n  cluster: {server: '" << api.url() << "'}\n"
                         "users:\n- name: responder\n  user: {tokenFile: tok}\n"
                         "- name: nobody\n  user: {token: wrong}\n"
                         "contexts:\n- name: lab\n  context: {cluster: local, user: responder}\n"
                         "- name: other\n  context: {cluster: local, user: nobody}\n";
  }
  auto alert = response_alert({{"k8s.ns.name", std::string("prod")}, {"k8s.pod.name", std::string("web-1")}});
  auto a = build("kubernetes:terminate", "{kubeconfig: '" + kc + "', context: lab}");
  CHECK(a->run(alert, false).outcome == Outcome::kDone);
  REQUIRE(api.count() == 1);
  CHECK(api.requests()[0].header("Authorization") == "Bearer from-token-file");
  auto current = build("kubernetes:terminate", "{kubeconfig: '" + kc + "'}");  // current-context: other
  CHECK(current->run(alert, false).outcome == Outcome::kDone);
  CHECK(api.requests()[1].header("Authorization") == "Bearer wrong");

  const std::string bad = (dir / "bad").string();
  {
    std::ofstream(bad) << "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1\n"
                          "    certificate-authority-data: AAAA\nusers:\n- name: u\n  user: {token: t}\n"
                          "contexts:\n- name: c\n  context: {cluster: k, user: u}\n";
  }
  try {
    (void)build("kubernetes:terminate", "{kubeconfig: '" + bad + "'}");
    FAIL("accepted certificate-authority-data");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()).find(bad + ":6:") == 0);
  }
  CHECK_THROWS_AS(build("kubernetes:terminate", "{kubeconfig: '" + kc + "', context: nope}"), config::ConfigError);
  CHECK_THROWS_AS(build("kubernetes:terminate", "{kubeconfig: '" + kc + "', api_server: 'https://x'}"),
                  config::ConfigError);
}
