#!/usr/bin/env bash
# Puts k8s.io/cri-api's CRI proto (pkg/apis/runtime/v1/api.proto, the runtime.v1 gRPC API of containerd and
# CRI-O) into a cache, once: the sensor's CRI client is generated from it at build time (sensor/CMakeLists.txt).
#
#   fetch-cri-api.sh [VERSION]             prints the folder holding api.proto
#   fetch-cri-api.sh --context [VERSION]   also copies it into .cri-api/VERSION of the repository, where the
#                                          Dockerfile's build stage takes it from (image builds do not download)
#
# Source: the module's .zip from the Go module proxy (GOPROXY's first URL; default https://proxy.golang.org),
# plain HTTPS, no Go toolchain needed. Cache: ${PEREGRINE_CRI_API_DIR:-/var/cache/peregrine/cri-api}/VERSION
# with api.proto, the module's LICENSE and a SOURCE line. Nothing is downloaded when api.proto is there.
set -euo pipefail

if [[ ${1:-} == --context ]]; then
  shift
  # Fill the cache first (this same script), then copy into the build context.
  dir=$(bash "${BASH_SOURCE[0]}" "$@")
  ctx="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cri-api/$(basename "$dir")"
  mkdir -p "$ctx"
  cp -f "$dir"/* "$ctx"/
  echo "$ctx"
  exit 0
fi
VERSION=${1:-v0.37.2}
MODULE=k8s.io/cri-api
CACHE=${PEREGRINE_CRI_API_DIR:-/var/cache/peregrine/cri-api}
OUT=$CACHE/$VERSION
say() { echo "fetch-cri-api: $*" >&2; }

if [[ -s $OUT/api.proto ]]; then
  echo "$OUT"
  exit 0
fi

proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%[,|]*}  # the first entry of a GOPROXY list
if [[ $proxy == off || $proxy == direct || -z $proxy ]]; then
  say "GOPROXY=$GOPROXY has no proxy URL first; set GOPROXY or put api.proto into $OUT"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
url="${proxy%/}/$MODULE/@v/$VERSION.zip"
say "downloading $url"
curl -fsSL --retry 3 -o "$tmp/mod.zip" "$url"
python3 - "$tmp/mod.zip" "$tmp" "$MODULE@$VERSION" <<'PY'
import sys, zipfile
zf, out, prefix = zipfile.ZipFile(sys.argv[1]), sys.argv[2], sys.argv[3] + "/"
for name, dest in (("pkg/apis/runtime/v1/api.proto", "api.proto"), ("LICENSE", "LICENSE")):
    with open(f"{out}/{dest}", "wb") as f:
        f.write(zf.read(prefix + name))
PY
mkdir -p "$OUT"
echo "$MODULE $VERSION pkg/apis/runtime/v1/api.proto, unmodified, from the Go module proxy" >"$tmp/SOURCE"
install -m 0444 "$tmp/api.proto" "$tmp/LICENSE" "$OUT/"
install -m 0644 "$tmp/SOURCE" "$OUT/"
echo "$OUT"
