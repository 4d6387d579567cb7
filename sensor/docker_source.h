// The Docker Engine API as a container source: `GET /containers/<id>/json` over the unix socket (libcurl with
// CURLOPT_UNIX_SOCKET_PATH). HTTP 404 is kNotFound: dockerd registers a container before its first process
// starts, so an id it does not know is another runtime's (containerd, CRI-O, podman) or already removed.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "sensor/container_source.h"

namespace peregrine::sensor {

/// Parse the body of GET /containers/<id>/json.
Result<ContainerMeta> parse_docker_inspect(std::string_view json);
/// "repo/name:tag" / "repo@sha256:..." -> (repository, tag); tag "latest" when absent.
void split_image(std::string_view image, std::string& repository, std::string& tag);

class DockerSource : public ContainerSource {
 public:
  explicit DockerSource(std::string socket_path) : socket_path_(std::move(socket_path)) {}
  const std::string& runtime() const override { return name_; }
  SourceAnswer inspect(const std::string& id) override;

 private:
  std::string socket_path_;
  std::string name_ = "docker";
};

}  // namespace peregrine::sensor
