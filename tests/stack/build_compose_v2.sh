#!/usr/bin/env bash
# Builds a Compose v2-line CLI (github.com/docker/compose/v5, from the Go module proxy) into
# ${PEREGRINE_COMPOSE_V2_DIR:-/var/cache/peregrine/compose-v2}/bin/docker-compose, once. Optional: CI validates
# with Debian's docker-compose 1.29; when this binary exists, compose_config.sh validates with it too, and
#   DOCKER_CONFIG=$DIR/dockercfg PEREGRINE_COMPOSE="docker compose" tests/stack/stack_test.sh
# runs the stack test with it (it uses the classic builder when buildx is absent).
# `go install pkg@version` refuses this module (its go.mod has exclude directives), so the module is downloaded
# and built in place. Measured: 2 min 22 s cold on 2 cores, ~42 MB binary, ~0.9 GB of Go caches.
set -euo pipefail
VERSION=${PEREGRINE_COMPOSE_V2_VERSION:-v5.6.0}
DIR=${PEREGRINE_COMPOSE_V2_DIR:-/var/cache/peregrine/compose-v2}
BIN=$DIR/bin/docker-compose
export PATH=$PATH:/usr/local/go/bin GOPATH=$DIR/go GOMODCACHE=$DIR/go/pkg/mod GOCACHE=$DIR/go-build GOFLAGS=-mod=mod
if [[ -x $BIN && $(cat "$DIR/.stamp" 2>/dev/null) == "$VERSION" ]]; then
  echo "compose v2: cached $BIN ($VERSION)"
  exit 0
fi
command -v go >/dev/null || { echo "compose v2: Go is not installed" >&2; exit 1; }
mkdir -p "$DIR/bin" "$DIR/dockercfg/cli-plugins"
src=$(go mod download -json "github.com/docker/compose/v5@$VERSION" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
rm -rf "$DIR/src" && cp -r "$src" "$DIR/src" && chmod -R u+w "$DIR/src"
(cd "$DIR/src" && go build -trimpath -o "$BIN.tmp" ./cmd) && mv "$BIN.tmp" "$BIN"
ln -sf "$BIN" "$DIR/dockercfg/cli-plugins/docker-compose"
echo "$VERSION" >"$DIR/.stamp"
echo "compose v2: built $BIN ($VERSION)"
