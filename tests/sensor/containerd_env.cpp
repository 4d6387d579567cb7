#include "tests/sensor/containerd_env.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "tests/support/wait.h"

namespace fs = std::filesystem;
namespace v1 = runtime::v1;
using namespace std::chrono_literals;

namespace peregrine::testing {
namespace {

constexpr const char* kToolDirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
// The pods' cgroup parent: the test's own, removed afterwards (a kubelet's /kubepods is never touched).
constexpr const char* kCgroupParent = "/peregrine-cri-test";

std::string find_tool(const std::string& name) {
  for (const char* d : kToolDirs) {
    fs::path p = fs::path(d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string run_ok(const std::string& tool, const std::vector<std::string>& args) {
  auto r = run_command(find_tool(tool), args, 120s);
  if (r.rc != 0) throw std::runtime_error(tool + " failed (" + std::to_string(r.rc) + "): " + r.err);
  return r.out;
}

std::string sha256_of(const fs::path& p) {
  std::string out = run_ok("sha256sum", {p.string()});
  return out.substr(0, out.find(' '));
}

std::string oci_arch() {
  utsname u{};
  uname(&u);
  const std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

void check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(what + ": gRPC " + std::to_string(s.error_code()) + " " + s.error_message());
}

std::unique_ptr<grpc::ClientContext> ctx(std::chrono::seconds timeout = 60s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

}  // namespace

std::string ContainerdEnv::cannot_run() {
  if (geteuid() != 0) return "containerd needs root (CI runs this test as root)";
  for (const char* t : {"containerd", "containerd-shim-runc-v2", "ctr", "runc", "cc", "tar", "sha256sum"})
    if (find_tool(t).empty())
      return std::string("'") + t + "' not found (scripts/install-deps.sh installs containerd and build-essential)";
  return "";
}

ContainerdEnv::ContainerdEnv(const fs::path& dir) : dir_(fs::absolute(dir)), socket_((dir_ / "c.sock").string()) {
  for (const char* d : {"root", "state", "opt", "cni/bin", "cni/conf", "logs", "image/rootfs"})
    fs::create_directories(dir_ / d);
  const std::string d = dir_.string();
  write_file(dir_ / "config.toml",
             "version = 2\n"
             "root = \"" + d + "/root\"\n"
             "state = \"" + d + "/state\"\n"
             "[grpc]\n  address = \"" + socket_ + "\"\n"
             "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + d + "/opt\"\n"
             "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
             "  sandbox_image = \"" + kImage + "\"\n"
             "  restrict_oom_score_adj = true\n"
             "  stream_server_address = \"127.0.0.1\"\n  stream_server_port = \"0\"\n"
             "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
             "    bin_dir = \"" + d + "/cni/bin\"\n    conf_dir = \"" + d + "/cni/conf\"\n");
  daemon_ = std::make_unique<Child>(find_tool("containerd"),
                                    std::vector<std::string>{"--config", d + "/config.toml", "--log-level", "info"},
                                    dir_ / "containerd");
  auto channel = grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials());
  runtime_ = v1::RuntimeService::NewStub(channel);
  images_ = v1::ImageService::NewStub(channel);
  const bool up = wait_until(
      [&] {
        if (!daemon_->running()) return true;
        v1::VersionRequest req;
        v1::VersionResponse resp;
        return runtime_->Version(ctx(2s).get(), req, &resp).ok();
      },
      30s);
  if (!up || !daemon_->running()) {
    std::string why = "containerd did not come up: " + log();
    stop();
    throw std::runtime_error(why);
  }
}

ContainerdEnv::~ContainerdEnv() {
  for (const auto& id : sandboxes_) {
    v1::StopPodSandboxRequest stop_req;
    stop_req.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse stop_resp;
    (void)runtime_->StopPodSandbox(ctx().get(), stop_req, &stop_resp);
    v1::RemovePodSandboxRequest rm_req;
    rm_req.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse rm_resp;
    (void)runtime_->RemovePodSandbox(ctx().get(), rm_req, &rm_resp);
  }
  stop();
}

void ContainerdEnv::stop() {
  if (daemon_) {
    daemon_->stop(SIGTERM, 30s);  // past the deadline the Child's destructor kills it
    daemon_.reset();
  }
  // Shims outlive a containerd that stops or dies; ours name our socket in their arguments.
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find("containerd-shim") != std::string::npos && cmd.find(socket_) != std::string::npos)
      ::kill(std::stoi(name), SIGKILL);
  }
  // Mounts left below our directory (sandbox shm, rootfs overlays), deepest first.
  std::vector<std::string> mine;
  std::ifstream mounts("/proc/self/mounts");
  std::string dev, point, rest;
  const std::string prefix = dir_.string() + "/";
  while (mounts >> dev >> point && std::getline(mounts, rest))
    if (point.rfind(prefix, 0) == 0) mine.push_back(point);
  std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& p : mine) umount2(p.c_str(), MNT_DETACH);
  // The pods' cgroup parents (runc removes only the containers' own cgroups); rmdir removes only empty ones.
  std::error_code ec;
  std::vector<fs::path> roots{"/sys/fs/cgroup"};
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) roots.push_back(e.path());
  for (const auto& r : roots) {
    const fs::path parent = r / fs::path(kCgroupParent).relative_path();
    if (!fs::is_directory(parent, ec)) continue;
    for (const auto& pod : fs::directory_iterator(parent, ec)) ::rmdir(pod.path().c_str());
    ::rmdir(parent.c_str());
  }
}

std::string ContainerdEnv::log() const {
  std::ifstream in(dir_ / "containerd.err");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string out;
  for (size_t i = lines.size() > 30 ? lines.size() - 30 : 0; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

void ContainerdEnv::import_pause_image() {
  const fs::path img = dir_ / "image";
  write_file(img / "pause.c",
             "#include <signal.h>\n#include <unistd.h>\n"
             "static void bye(int s) { (void)s; _exit(0); }\n"
             "int main(void) { signal(SIGTERM, bye); signal(SIGINT, bye); for (;;) pause(); }\n");
  write_file(img / "probe.c", "int main(void) { return 0; }\n");
  run_ok("cc", {"-static", "-O2", "-o", (img / "rootfs/pause").string(), (img / "pause.c").string()});
  run_ok("cc", {"-static", "-O2", "-o", (img / "rootfs/probe").string(), (img / "probe.c").string()});
  run_ok("tar", {"--numeric-owner", "--owner=0", "--group=0", "-C", (img / "rootfs").string(), "-cf",
                 (img / "layer.tar").string(), "pause", "probe"});
  const std::string diff_id = sha256_of(img / "layer.tar");
  write_file(img / "config.json", R"({"architecture":")" + oci_arch() +
                                      R"(","os":"linux","config":{"Entrypoint":["/pause"]},)"
                                      R"("rootfs":{"type":"layers","diff_ids":["sha256:)" + diff_id + R"("]}})");
  const std::string config_name = sha256_of(img / "config.json") + ".json";
  fs::rename(img / "config.json", img / config_name);
  write_file(img / "manifest.json", R"([{"Config":")" + config_name + R"(","RepoTags":[")" + kImage +
                                        R"("],"Layers":["layer.tar"]}])");
  run_ok("tar", {"-C", img.string(), "-cf", (dir_ / "pause.tar").string(), "manifest.json", config_name,
                 "layer.tar"});
  run_ok("ctr", {"-a", socket_, "-n", "k8s.io", "images", "import", (dir_ / "pause.tar").string()});
  // A pull through CRI also records "repo@<manifest digest>", which CRI answers as the image_ref; an import
  // does not, so the test adds that reference as the pull would. `ctr images ls`: REF TYPE DIGEST ...
  std::istringstream ls(run_ok("ctr", {"-a", socket_, "-n", "k8s.io", "images", "ls"}));
  for (std::string ref, type, digest; ls >> ref >> type >> digest;) {
    if (ref == kImage) digest_ = digest;
    ls.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  if (digest_.rfind("sha256:", 0) != 0) throw std::runtime_error("ctr images ls does not list " + std::string(kImage));
  run_ok("ctr", {"-a", socket_, "-n", "k8s.io", "images", "tag", kImage, "peregrine.test/pause@" + digest_});
  const bool listed = wait_until(
      [&] {
        v1::ImageStatusRequest req;
        req.mutable_image()->set_image(kImage);
        v1::ImageStatusResponse resp;
        return images_->ImageStatus(ctx(2s).get(), req, &resp).ok() && resp.has_image() &&
               resp.image().repo_digests_size() > 0;
      },
      30s);
  if (!listed) throw std::runtime_error(std::string("CRI does not list ") + kImage + ": " + log());
}

int ContainerdEnv::exec_sync(const std::string& container_id, const std::vector<std::string>& cmd) {
  v1::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const auto& a : cmd) req.add_cmd(a);
  req.set_timeout(30);
  v1::ExecSyncResponse resp;
  check(runtime_->ExecSync(ctx().get(), req, &resp), "ExecSync");
  return resp.exit_code();
}

std::pair<std::string, std::string> ContainerdEnv::run_pod(const v1::PodSandboxMetadata& pod,
                                                           const std::map<std::string, std::string>& pod_labels,
                                                           const std::string& container_name,
                                                           const std::map<std::string, std::string>& labels) {
  v1::PodSandboxConfig sb;
  *sb.mutable_metadata() = pod;
  for (const auto& [k, v] : pod_labels) (*sb.mutable_labels())[k] = v;
  sb.set_log_directory((dir_ / "logs" / pod.uid()).string());
  sb.mutable_linux()->set_cgroup_parent(std::string(kCgroupParent) + "/pod" + pod.uid());
  sb.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NODE);
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = sb;
  v1::RunPodSandboxResponse ran;
  check(runtime_->RunPodSandbox(ctx().get(), run, &ran), "RunPodSandbox");
  sandboxes_.push_back(ran.pod_sandbox_id());

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(ran.pod_sandbox_id());
  *create.mutable_sandbox_config() = sb;
  auto* c = create.mutable_config();
  c->mutable_metadata()->set_name(container_name);
  c->mutable_image()->set_image(kImage);
  c->set_log_path(container_name + ".log");
  for (const auto& [k, v] : labels) (*c->mutable_labels())[k] = v;
  v1::CreateContainerResponse created;
  check(runtime_->CreateContainer(ctx().get(), create, &created), "CreateContainer");
  v1::StartContainerRequest start;
  start.set_container_id(created.container_id());
  v1::StartContainerResponse started;
  check(runtime_->StartContainer(ctx().get(), start, &started), "StartContainer");
  return {ran.pod_sandbox_id(), created.container_id()};
}

}  // namespace peregrine::testing
