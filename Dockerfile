# One image with the three Peregrine binaries, the default rules and configs (docs/stack.md).
#
#   docker build --network host -t peregrine:local .
#
# Why one image, not three: the binaries share every runtime library (libzmq, libcurl, libbpf, spdlog, yaml-cpp,
# re2), so three images would carry the same ~90 MB base three times and need three builds of the same source
# tree; the process is chosen by the compose service's `command`.
#
# Build stage: the toolchain and -dev packages. The apt layer comes before any COPY of the sources, so a source
# change re-runs only the compile. vmlinux.h is dumped from the build machine's /sys/kernel/btf/vmlinux (docker
# build containers see the host's sysfs); the BPF programs are CO-RE, relocated by libbpf on the target kernel.
FROM debian:bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ make cmake ninja-build pkg-config clang bpftool libbpf-dev libelf-dev zlib1g-dev \
      libzmq3-dev cppzmq-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev \
      libre2-dev libcli11-dev libcpp-httplib-dev libssl-dev libsimdjson-dev \
      libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The sensor's CRI client is generated from k8s.io/cri-api's proto. The build does not download it: run
# `bash scripts/fetch-cri-api.sh --context` first (it puts the proto into .cri-api/, git-ignored), and the
# build's scripts/fetch-cri-api.sh finds it in its cache.
COPY .cri-api /var/cache/peregrine/cri-api
COPY scripts/fetch-cri-api.sh scripts/
# Only what the three binaries are built from (.dockerignore keeps the context to these as well).
COPY CMakeLists.txt ./
COPY cmake cmake
COPY common common
COPY bpf bpf
COPY sensor sensor
COPY engine engine
COPY outputs outputs
COPY router router
COPY keygen keygen
COPY responder responder
ARG JOBS=2
RUN test -r /sys/kernel/btf/vmlinux || { echo "the build needs /sys/kernel/btf/vmlinux (kernel BTF) for vmlinux.h" >&2; exit 1; } \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPEREGRINE_BUILD_TESTS=OFF -DPEREGRINE_BUILD_BENCH=OFF \
 && cmake --build /build -j "${JOBS}" --target peregrine-sensor peregrine-engine peregrine-router peregrine-keygen \
      peregrine-responder \
 && mkdir -p /out \
 && for b in sensor engine router keygen responder; do strip -o /out/peregrine-$b /build/$b/peregrine-$b; done

# Runtime stage: shared libraries only (gRPC and protobuf for the sensor's CRI client), plus curl for the compose healthchecks and the Dashboards import job.
FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libbpf1 libelf1 zlib1g libzmq5 libcurl4 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 libre2-9 \
      libcpp-httplib0.11 libsimdjson14 libgrpc++1.51 libprotobuf32 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 peregrine \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/peregrine --no-create-home \
      --shell /usr/sbin/nologin peregrine \
 && mkdir -p /var/lib/peregrine/router /var/log/peregrine /etc/peregrine /usr/share/peregrine \
 && chown -R 10001:10001 /var/lib/peregrine /var/log/peregrine
COPY --from=build /out/ /usr/local/bin/
COPY deploy/compose/peregrine-with-outputs /usr/local/bin/
COPY rules /usr/share/peregrine/rules
COPY config/peregrine.yaml /etc/peregrine/peregrine.yaml
# Every library the binaries load is installed (fails the build otherwise), and each binary starts.
RUN ! ldd /usr/local/bin/peregrine-sensor /usr/local/bin/peregrine-engine /usr/local/bin/peregrine-router \
      /usr/local/bin/peregrine-keygen /usr/local/bin/peregrine-responder | grep 'not found' \
 && peregrine-engine --version && peregrine-router --version && peregrine-sensor --version \
 && peregrine-responder --version
# Relative paths in the configs (rules_files: rules/peregrine_rules.yaml) resolve against the working directory.
WORKDIR /usr/share/peregrine
# Engine and router run as this user; the sensor's compose service sets user 0 and its capabilities.
USER 10001:10001
EXPOSE 2801
CMD ["peregrine-router", "--config", "/etc/peregrine/peregrine.yaml"]
