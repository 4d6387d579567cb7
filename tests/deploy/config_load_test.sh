#!/usr/bin/env bash
# The peregrine.yaml files the chart renders load in the real binaries: render the chart (non-default values,
# CURVE on), take the router's, engine's and responder's config from the ConfigMaps, rewrite only what points at
# the cluster (0.0.0.0:PORT -> 127.0.0.1:0, the router Service -> an ipc:// endpoint, /etc/peregrine,
# /var/lib/peregrine and the image's rules -> a temp dir, the responder's in-cluster token -> a file), make the
# CURVE keys with peregrine-keygen as docs/kubernetes.md says, start each binary with --ready-file and wait (10 s
# each) until it is ready, then stop it. The sensor is not started (it loads BPF programs system-wide).
# engine.k8s_audit is on (the audit webhook listens on 127.0.0.1:0 here) and so is sensor.container_runtimes (the
# chart's {type, socket} entries must parse in every binary that reads the file).
#
#   config_load_test.sh ROUTER ENGINE RESPONDER KEYGEN
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PEREGRINE_PYTHON:-python3}
ROUTER=$1 ENGINE=$2 RESPONDER=$3 KEYGEN=$4

HELM=$(bash "$ROOT/scripts/receivers.sh" path helm 2>&1) || { echo "SKIPPED: helm is not built ($HELM)"; exit 77; }
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

"$HELM" template peregrine "$ROOT/deploy/helm/peregrine" --namespace peregrine -f "$HERE/values-all-on.yaml" \
  --set audit.enabled=true >"$TMP/render.yaml"
"$KEYGEN" --dir "$TMP/keys" router node >/dev/null
mkdir -p "$TMP/engine-keys" "$TMP/state/router" "$TMP/state/responder"
cp "$TMP/keys/node.pub" "$TMP/engine-keys/"
echo "test-token" >"$TMP/token"

"$PYTHON" - "$TMP" "$ROOT" <<'PY'
import os, re, sys, yaml
tmp, root = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(f"{tmp}/render.yaml")) if d]
cm = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
def local(text):
    text = re.sub(r"0\.0\.0\.0:\d+", "127.0.0.1:0", text)
    text = text.replace("tcp://127.0.0.1:0", f"ipc://{tmp}/alerts")                    # the router's bind
    text = re.sub(r"tcp://peregrine-router\.peregrine\.svc:\d+", f"ipc://{tmp}/alerts", text)
    text = re.sub(r"http://peregrine-\w+\.peregrine\.svc:\d+", "http://127.0.0.1:9", text)
    for a, b in (("/etc/peregrine/engine-keys/", f"{tmp}/engine-keys/"), ("/etc/peregrine/keys/", f"{tmp}/keys/"),
                 ("/etc/peregrine/rules.d/", f"{tmp}/rules.d/"), ("/etc/peregrine/", f"{tmp}/"),
                 ("/var/lib/peregrine/", f"{tmp}/state/"), ("/usr/share/peregrine/rules/", f"{root}/rules/")):
        text = text.replace(a, b)
    return text
open(f"{tmp}/router.yaml", "w").write(local(cm["peregrine-router"]["peregrine.yaml"]))
open(f"{tmp}/responder.yaml", "w").write(local(cm["peregrine-router"]["responder.yaml"]))
open(f"{tmp}/node.yaml", "w").write(local(cm["peregrine-node"]["peregrine.yaml"]))
os.makedirs(f"{tmp}/rules.d")
for name, text in cm["peregrine-rules"].items():
    open(f"{tmp}/rules.d/{name}", "w").write(text)
rules = yaml.safe_load(cm["peregrine-router"]["responses.yaml"])
for r in rules:  # outside a cluster: the API server and token the ServiceAccount would give
    if str(r.get("actionner", "")).startswith("kubernetes:"):
        r.setdefault("parameters", {}).update(api_server="https://127.0.0.1:9", token_file=f"{tmp}/token")
yaml.safe_dump(rules, open(f"{tmp}/responses.yaml", "w"))
PY

start() { # name, binary, config; waits for its ready file
  local name=$1 deadline=$((SECONDS + 10))
  "$2" --config "$3" --ready-file "$TMP/$name.ready" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  until [[ -e $TMP/$name.ready ]]; do
    if ! kill -0 "${PIDS[-1]}" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "FAIL: $name did not become ready with the chart's config:"
      tail -n 20 "$TMP/$name.log"
      exit 1
    fi
    sleep 0.05
  done
  echo "OK $name loads the chart's config and is ready"
}

export PEREGRINE_INTAKE_TOKEN=test-intake-token-0123456789 SLACK_WEBHOOK_URL=http://127.0.0.1:9/hook
start router "$ROUTER" "$TMP/router.yaml"
start engine "$ENGINE" "$TMP/node.yaml"
start responder "$RESPONDER" "$TMP/responder.yaml"
