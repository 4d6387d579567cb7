#!/usr/bin/env bash
# Installs, from Debian's apt, only the packages that are missing. Idempotent; safe to run on every build.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev
  libzmq3-dev cppzmq-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev
  doctest-dev libre2-dev libcli11-dev libcpp-httplib-dev libssl-dev libsimdjson-dev
  prometheus curl jq python3 procps iproute2 netcat-openbsd strace
  docker.io docker-compose debootstrap python3-yaml
  kannel kannel-extras rsyslog rsyslog-gnutls openssl
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc containerd
)
# kannel (bearerbox, smsbox), kannel-extras (fakesmsc), rsyslog and rsyslog-gnutls (its TLS driver) are the real
# SMS and syslog receivers of the router's integration tests (scripts/receivers.sh). The tests start their own
# instances on 127.0.0.1; the packages' system services must not start either (same policy-rc.d as docker.io).
# docker.io (dockerd + containerd + runc) is for the container-context integration test, which starts its own
# private dockerd with host networking only. Its maintainer scripts must not start the system dockerd (that
# would create the docker0 bridge): /usr/sbin/policy-rc.d exiting 101 denies every service start.
# docker-compose (1.29: `config -q` validation and the stack test), debootstrap (the debian:bookworm-slim base
# image, since no registry is reachable) and python3-yaml (the offline checks) are for tests/stack.
# libgrpc++-dev, libprotobuf-dev, protobuf-compiler and protobuf-compiler-grpc build the sensor's CRI client from
# k8s.io/cri-api's api.proto (scripts/fetch-cri-api.sh); containerd (1.6) is the real CRI runtime of the sensor's
# CRI test, which starts its own instance on a private socket, root and state dir (never the system service).
POLICY_RC=/usr/sbin/policy-rc.d

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them with apt-get)" >&2
  exit 1
fi
# Packages whose maintainer scripts would start a system daemon.
DAEMON_PKGS=(docker.io kannel rsyslog containerd)
needs_policy=0
for p in "${DAEMON_PKGS[@]}"; do
  if [[ " ${missing[*]} " == *" $p "* ]]; then needs_policy=1; fi
done
if ((needs_policy)); then
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\n# No service starts during apt installs (no system dockerd, containerd, rsyslogd or bearerbox).\nexit 101\n' \
      >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
  fi
  rc=0
  "$POLICY_RC" docker start >/dev/null 2>&1 || rc=$?
  if ((rc != 101)); then
    echo "install-deps: $POLICY_RC does not deny service starts (exit $rc, want 101); not installing ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
