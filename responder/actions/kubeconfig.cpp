#include "responder/actions/kubeconfig.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config/node_reader.h"
#include "common/config/yaml_stream.h"

namespace peregrine::responder {
namespace {

// The entry named `name` of the list `key` (clusters, users, contexts), its inner map `inner`.
YAML::Node named(const YAML::Node& root, const std::string& file, const std::string& key, const std::string& inner,
                 const std::string& name) {
  const YAML::Node list = root[key];
  if (list && list.IsSequence())
    for (const auto& e : list)
      if (e.IsMap() && e["name"] && e["name"].Scalar() == name && e[inner] && e[inner].IsMap()) return e[inner];
  throw config::error_at(file, list ? list : root, "no " + key + " entry named '" + name + "'");
}

std::string str(const YAML::Node& map, const std::string& key) {
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(base_dir) / p).string();
}

void refuse(const YAML::Node& map, const std::string& file, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (map[k]) throw config::error_at(file, map[k], std::string(k) + " is not supported: use the file form");
}

}  // namespace

KubeCredentials read_kubeconfig(const std::string& path, const std::string& context) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(path, 0, 0, "cannot open kubeconfig");
  std::ostringstream ss;
  ss << in.rdbuf();
  YAML::Node root;
  try {
    root = config::load_single_yaml_document(ss.str());
  } catch (const YAML::Exception& e) {
    throw config::ConfigError(path, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                              "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw config::ConfigError(path, 1, 1, "expected a kubeconfig map");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const std::string ctx_name = context.empty() ? str(root, "current-context") : context;
  if (ctx_name.empty()) throw config::ConfigError(path, 1, 1, "no current-context and no context given");
  const YAML::Node ctx = named(root, path, "contexts", "context", ctx_name);
  const YAML::Node cluster = named(root, path, "clusters", "cluster", str(ctx, "cluster"));
  const YAML::Node user = named(root, path, "users", "user", str(ctx, "user"));
  refuse(cluster, path, {"certificate-authority-data"});
  refuse(user, path, {"client-certificate-data", "client-key-data", "exec", "auth-provider", "username"});
  KubeCredentials c;
  c.server = str(cluster, "server");
  if (c.server.empty()) throw config::error_at(path, cluster, "cluster has no server");
  c.ca_file = resolve(dir, str(cluster, "certificate-authority"));
  c.insecure_skip_verify = str(cluster, "insecure-skip-tls-verify") == "true";
  c.token = str(user, "token");
  if (const std::string tf = str(user, "tokenFile"); c.token.empty() && !tf.empty()) {
    std::ifstream t(resolve(dir, tf));
    std::getline(t, c.token);
    if (c.token.empty()) throw config::error_at(path, user["tokenFile"], "tokenFile unreadable or empty");
  }
  c.cert_file = resolve(dir, str(user, "client-certificate"));
  c.key_file = resolve(dir, str(user, "client-key"));
  return c;
}

}  // namespace peregrine::responder
