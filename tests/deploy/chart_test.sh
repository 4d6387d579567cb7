#!/usr/bin/env bash
# Offline checks of the Helm chart (deploy/helm/peregrine) and the plain manifests (deploy/kubernetes/), run by
# ctest (tests/deploy/CMakeLists.txt). No cluster is involved: helm lints and renders, node validates.
#
#   chart_test.sh lint       helm lint --strict with default and non-default values (values-all-on.yaml), and
#                            NOTES.txt rendered by a client-side install dry run
#   chart_test.sh validate   render both value sets and the plain manifests; validate every object
#                            (validate_manifests.js, and strict/ for unknown fields), parse every embedded
#                            peregrine.yaml, check the values table of docs/kubernetes.md
#   chart_test.sh in-sync    deploy/kubernetes/ equals a fresh render (scripts/render-manifests.sh --check)
#   chart_test.sh refuses    broken input fails: a wrong field type, an unknown field, a dangling ConfigMap, a
#                            kind without a schema, and values the chart must refuse (router.replicas 2,
#                            plaintext off without CURVE)
#
# Exits 77 with "SKIPPED: why" when helm, kubernetes-models or k8s-strict is not built (scripts/receivers.sh
# build helm kubernetes-models k8s-strict; `make receivers` builds them), so ctest reports a skip and CI=true
# fails on it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHART=$ROOT/deploy/helm/peregrine
PYTHON=${PEREGRINE_PYTHON:-python3} # with PyYAML (Debian python3-yaml)
ALL_ON=$HERE/values-all-on.yaml
EXTERNAL=(--external-secret peregrine-router-curve --external-secret peregrine-node-curve
  --external-secret peregrine-outputs --external-secret peregrine-intake)

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

HELM=$(bash "$ROOT/scripts/receivers.sh" path helm 2>&1) || skip "helm is not built ($HELM)"
MODELS=$(bash "$ROOT/scripts/receivers.sh" path kubernetes-models 2>&1) || skip "kubernetes-models is not built ($MODELS)"
STRICT=$(bash "$ROOT/scripts/receivers.sh" path k8s-strict 2>&1) || skip "k8s-strict is not built ($STRICT)"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
"$PYTHON" -c "import yaml" 2>/dev/null || skip "$PYTHON has no PyYAML (apt-get install python3-yaml)"
export HELM
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# YAML stream (file) -> JSON array of its documents; also fails if an embedded peregrine config does not parse.
to_json() {
  "$PYTHON" - "$1" <<'PY'
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d.get("kind") == "ConfigMap":
        for key, text in (d.get("data") or {}).items():
            if key.endswith(".yaml"):
                try:
                    yaml.safe_load(text)
                except yaml.YAMLError as e:
                    sys.exit(f"ConfigMap/{d['metadata']['name']} {key} is not YAML: {e}")
print(json.dumps(docs))
PY
}

# Both schema checks of a JSON array file: kubernetes-models (types, formats, required fields) plus the cross-object
# checks, and the strict decode into k8s.io/api's Go types (unknown fields). Prints both reports; fails if either does.
check_json() { # json file, extra validate_manifests.js arguments...
  local json=$1 status=0
  shift
  node "$HERE/validate_manifests.js" "$@" <"$json" || status=1
  "$STRICT" <"$json" || status=1
  return $status
}

validate() { # yaml file
  to_json "$1" >"$TMP/objects.json"
  check_json "$TMP/objects.json" "${EXTERNAL[@]}"
}

render() { # out file, helm template arguments...
  local out=$1
  shift
  "$HELM" template peregrine "$CHART" --namespace peregrine "$@" >"$out"
}

case ${1:-} in
  lint)
    "$HELM" lint --strict "$CHART"
    "$HELM" lint --strict "$CHART" -f "$ALL_ON"
    # NOTES.txt renders only on install: a client-side dry run (no cluster is contacted).
    KUBECONFIG=/nonexistent "$HELM" install peregrine "$CHART" --namespace peregrine --dry-run=client >"$TMP/notes.out"
    grep -q "WARNING: engine -> router alerts travel in plaintext" "$TMP/notes.out" ||
      fail "NOTES.txt does not warn about plaintext with the default values"
    KUBECONFIG=/nonexistent "$HELM" install peregrine "$CHART" --namespace peregrine --dry-run=client -f "$ALL_ON" >"$TMP/notes.out"
    grep -q "Audit webhook: point kube-apiserver" "$TMP/notes.out" || fail "NOTES.txt does not explain the audit webhook"
    echo "NOTES.txt renders (default and all-on values)"
    ;;
  validate)
    render "$TMP/default.yaml"
    render "$TMP/all-on.yaml" -f "$ALL_ON"
    for f in default all-on; do
      echo "== $f values"
      validate "$TMP/$f.yaml"
    done
    # The non-default render must hold what the defaults leave out, so the switches are really exercised.
    for kind in ServiceMonitor ClusterRole ClusterRoleBinding; do
      grep -q "^kind: $kind\$" "$TMP/all-on.yaml" || fail "values-all-on.yaml renders no $kind"
    done
    grep -q 'name: peregrine-audit$' "$TMP/all-on.yaml" || fail "values-all-on.yaml renders no audit Service"
    ! grep -qE '^kind: (ClusterRole|Secret)$' "$TMP/default.yaml" || fail "the defaults render RBAC or a Secret"
    echo "== deploy/kubernetes"
    cat "$ROOT"/deploy/kubernetes/namespace.yaml <(echo ---) "$ROOT"/deploy/kubernetes/peregrine.yaml >"$TMP/plain.yaml"
    validate "$TMP/plain.yaml"
    # Every value of values.yaml has its row in docs/kubernetes.md's table.
    "$PYTHON" - "$CHART/values.yaml" "$ROOT/docs/kubernetes.md" <<'PY'
import sys, yaml
vals, doc = yaml.safe_load(open(sys.argv[1])), open(sys.argv[2]).read()
def leaves(v, path):
    if isinstance(v, dict) and v and not any(path.endswith(k) for k in ("resources", "nodeSelector", "customRules", "labels", "intakeTokenSecret")):
        for k, x in v.items():
            yield from leaves(x, f"{path}.{k}" if path else k)
    else:
        yield path
missing = [p for p in leaves(vals, "") if f"| `{p}` |" not in doc]
sys.exit(f"values without a row in docs/kubernetes.md: {missing}") if missing else print("OK every value is documented in docs/kubernetes.md")
PY
    echo "== deploy/kubernetes/examples/secret-outputs.yaml"
    validate "$ROOT/deploy/kubernetes/examples/secret-outputs.yaml"
    # The webhook kubeconfig is no API object (kind Config): it must parse and point at the audit Service.
    "$PYTHON" - "$ROOT/deploy/kubernetes/examples/audit-webhook-kubeconfig.yaml" "$TMP/all-on.yaml" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
assert cfg["kind"] == "Config" and cfg["apiVersion"] == "v1", "not a kubeconfig"
server = cfg["clusters"][0]["cluster"]["server"]
svc = next(d for d in yaml.safe_load_all(open(sys.argv[2])) if d and d["kind"] == "Service" and d["metadata"]["name"] == "peregrine-audit")
want = f"http://{svc['metadata']['name']}.{svc['metadata']['namespace']}.svc:{svc['spec']['ports'][0]['port']}/k8s-audit"
assert server == want, f"kubeconfig server {server} is not the audit Service {want}"
print(f"OK audit-webhook-kubeconfig.yaml -> {server}")
PY
    ;;
  in-sync)
    bash "$ROOT/scripts/render-manifests.sh" --check
    ;;
  refuses)
    render "$TMP/default.yaml"
    to_json "$TMP/default.yaml" >"$TMP/good.json"
    check_json "$TMP/good.json" "${EXTERNAL[@]}" >/dev/null || fail "the default render does not validate"
    "$PYTHON" - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
objs = json.load(open(f"{d}/good.json"))
def write(name, objs):
    json.dump(objs, open(f"{d}/{name}.json", "w"))
def edit(name, fn):
    o = json.load(open(f"{d}/good.json"))
    fn(o)
    write(name, o)
def by(o, kind):
    return next(x for x in o if x["kind"] == kind)
edit("wrong-type", lambda o: by(o, "Deployment")["spec"].__setitem__("replicas", "one"))
edit("bad-port", lambda o: by(o, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]["ports"][0].__setitem__("containerPort", "9101"))
edit("dangling-configmap", lambda o: o.remove(next(x for x in o if x["kind"] == "ConfigMap" and x["metadata"]["name"] == "peregrine-router")))
edit("probe-port", lambda o: by(o, "Deployment")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"].__setitem__("port", "nope"))
edit("selector", lambda o: by(o, "Service")["spec"]["selector"].__setitem__("app.kubernetes.io/component", "nothing"))
edit("unknown-field", lambda o: by(o, "Deployment")["spec"].__setitem__("replica", 1))
edit("unknown-kind", lambda o: o.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}))
PY
    # "case|text a PROBLEM line must contain": each broken render is refused for its own reason.
    for c in "wrong-type|spec/replicas must be integer" "bad-port|containerPort must be integer" \
      "dangling-configmap|ConfigMap peregrine-router is not rendered" "probe-port|uses port nope" \
      "selector|Service/peregrine-router: selects no rendered workload" "unknown-field|unknown field \"replica\"" \
      "unknown-kind|no schema for example.com/v1/Widget"; do
      case_name=${c%%|*}
      if check_json "$TMP/$case_name.json" "${EXTERNAL[@]}" >"$TMP/$case_name.out"; then
        cat "$TMP/$case_name.out"
        fail "the validator accepted the broken render '$case_name'"
      fi
      grep PROBLEM "$TMP/$case_name.out" | grep -qF "${c#*|}" ||
        { cat "$TMP/$case_name.out"; fail "'$case_name' refused, but not with '${c#*|}'"; }
      echo "refused $case_name: $(grep PROBLEM "$TMP/$case_name.out" | grep -m1 -F "${c#*|}")"
    done
    # A secret the chart would need but nobody declared is a problem too.
    render "$TMP/curve.yaml" --set curve.enabled=true
    to_json "$TMP/curve.yaml" >"$TMP/curve.json"
    node "$HERE/validate_manifests.js" <"$TMP/curve.json" >"$TMP/curve.out" && fail "an undeclared Secret was accepted"
    echo "refused undeclared secret: $(grep -m1 PROBLEM "$TMP/curve.out")"
    # Each refusal for its own reason: "--set value|text the error must contain".
    for bad in "router.replicas=2|/router/replicas': value must be 1" "router.replicas=one|/router/replicas': got string" \
      "router.allowPlaintext=false|curve.enabled is false and router.allowPlaintext is false"; do
      if "$HELM" template peregrine "$CHART" --set "${bad%%|*}" >"$TMP/bad.out" 2>&1; then fail "helm rendered --set ${bad%%|*}"; fi
      grep -qF "${bad#*|}" "$TMP/bad.out" || { cat "$TMP/bad.out"; fail "--set ${bad%%|*} refused, but not with '${bad#*|}'"; }
      echo "refused --set ${bad%%|*}: ${bad#*|}"
    done
    ;;
  *)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
