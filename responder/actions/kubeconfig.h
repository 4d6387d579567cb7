// The credentials of one kubeconfig context (kubectl's file), for the kubernetes:* actions outside a cluster.
//
// Supported: clusters[].cluster.{server, certificate-authority, insecure-skip-tls-verify},
// users[].user.{token, tokenFile, client-certificate, client-key}, contexts[].context.{cluster, user},
// current-context. Relative paths resolve against the kubeconfig's directory. Embedded *-data fields and exec/
// auth-provider plugins are refused with the line that has them: the HTTP client takes files, and running a
// plugin's command is not something a responder should do silently.
#pragma once

#include <string>

namespace peregrine::responder {

struct KubeCredentials {
  std::string server;
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string token;
  std::string cert_file;
  std::string key_file;
};

/// The credentials of `context` ("" = current-context) in the kubeconfig at `path`. Throws config::ConfigError
/// with the kubeconfig's FILE:LINE:COL.
KubeCredentials read_kubeconfig(const std::string& path, const std::string& context = "");

}  // namespace peregrine::responder
