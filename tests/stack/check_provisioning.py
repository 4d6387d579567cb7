#!/usr/bin/env python3
"""Offline checks of the compose stack's files (no daemon, no network).

    check_provisioning.py [--root DIR]                 # every check below
    check_provisioning.py --mapping MAPPING.json       # also: the dashboards' fields against a live mapping

1. JSON validity: the Grafana dashboards, the index-template contract, every line of the Dashboards ndjson and
   the JSON strings inside it (visState, searchSourceJSON, panelsJSON, ...); the ndjson matches its generator.
2. Grafana: every panel, target and variable datasource is a provisioned datasource (uid and type); Loki queries
   use only the labels the router's loki output sets and only defined variables; OpenSearch panels use only
   fields of the index template (aggregations only on aggregatable fields).
3. OpenSearch Dashboards: every reference resolves inside the ndjson; every field of the index pattern, the
   saved search and each visualization exists in the index template.
4. Compose: every service has a healthcheck, a restart policy, a memory and CPU limit and host networking and
   no published ports; backends sit behind profiles; Peregrine's engine and router run as a non-root user;
   every mounted path exists; every variable the compose file, config/compose.yaml and the output fragments
   use is listed in .env.example; output fragments hold secrets only as ${VAR} references.

With --mapping (the JSON of GET /peregrine-*/_mapping from a node the router wrote to), the fields are checked
against what the router's own template produced instead of the contract file. Prints one line per check and
"N passed, N failed"; exit 1 on any failure.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    print("FAIL: python3-yaml is not installed (scripts/install-deps.sh installs it)")
    print("0 passed, 1 failed")
    sys.exit(1)

LOKI_LABELS = {"source", "priority", "rule", "hostname"}  # the loki output's default `labels`
GRAFANA_BUILTIN_VARS = {"__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__rate_interval",
                        "__auto", "__from", "__to", "__dashboard", "__user", "__org", "__name", "__timeFilter"}
AGGREGATABLE = {"keyword", "date", "long", "integer", "short", "byte", "double", "float", "boolean", "ip",
                "date_nanos", "unsigned_long", "half_float", "scaled_float", "constant_keyword"}
SECRET_KEYS = {"webhook_url", "password", "auth_token", "account_sid", "api_key", "bearer_token", "username",
               "hmac_secret", "bot_token"}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what, why=""):
        if cond:
            self.passed += 1
            print(f"PASS: {what}")
        else:
            self.failed += 1
            print(f"FAIL: {what}{' — ' + why if why else ''}")
        return cond


# ---- fields: from the contract template or from a live mapping ----

class FieldSet:
    """Field name -> type, plus dynamic templates (path_match -> type) of an index template or mapping."""

    def __init__(self, fields, dynamic):
        self.fields, self.dynamic = fields, dynamic

    @staticmethod
    def _walk(props, prefix, out):
        for name, spec in props.items():
            full = prefix + name
            if "properties" in spec:
                out[full] = spec.get("type", "object")
                FieldSet._walk(spec["properties"], full + ".", out)
            else:
                out[full] = spec.get("type", "object")
                for sub, subspec in spec.get("fields", {}).items():  # multi-fields: output.keyword
                    out[f"{full}.{sub}"] = subspec.get("type", "object")

    @classmethod
    def from_mappings(cls, mappings_list):
        fields, dynamic = {}, []
        for m in mappings_list:
            cls._walk(m.get("properties", {}), "", fields)
            for entry in m.get("dynamic_templates", []):
                for spec in entry.values():
                    if "path_match" in spec:
                        dynamic.append((spec["path_match"], spec.get("mapping", {}).get("type", "object")))
        return cls(fields, dynamic)

    @classmethod
    def from_template(cls, template):
        return cls.from_mappings([template["template"]["mappings"]])

    @classmethod
    def from_live_mapping(cls, mapping):
        # {"peregrine-2026.12.04": {"mappings": {...}}, ...}
        return cls.from_mappings([v["mappings"] for v in mapping.values()])

    def type_of(self, field, live):
        if field in self.fields:
            return self.fields[field]
        if live:  # a live mapping lists concrete fields; dynamic templates only say what new ones become
            return None
        for pattern, typ in self.dynamic:
            regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
            if re.match(regex, field):
                return typ
        return None


# ---- Grafana ----

def grafana_checks(c, root, fields, live):
    prov = yaml.safe_load((root / "deploy/compose/grafana/provisioning/datasources/peregrine.yaml").read_text())
    datasources = {d["uid"]: d["type"] for d in prov["datasources"]}
    c.ok(len(datasources) == len(prov["datasources"]), "grafana: provisioned datasources have distinct uids")
    c.ok({"loki", "grafana-opensearch-datasource"} <= set(datasources.values()),
         "grafana: Loki and OpenSearch datasources are provisioned", str(datasources))
    provider = yaml.safe_load((root / "deploy/compose/grafana/provisioning/dashboards/peregrine.yaml").read_text())
    c.ok(provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards",
         "grafana: the dashboard provider reads the mounted dashboards directory")

    boards = sorted((root / "deploy/compose/grafana/dashboards").glob("*.json"))
    c.ok(bool(boards), "grafana: at least one dashboard JSON")
    for path in boards:
        try:
            board = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            c.ok(False, f"grafana: {path.name} is valid JSON", str(e))
            continue
        c.ok(True, f"grafana: {path.name} is valid JSON")
        variables = {v["name"] for v in board.get("templating", {}).get("list", [])}
        for v in board.get("templating", {}).get("list", []):
            ds = v.get("datasource")
            if ds:
                c.ok(datasources.get(ds.get("uid")) == ds.get("type"),
                     f"grafana: {path.name} variable ${v['name']} uses a provisioned datasource", str(ds))
        titles = [p["title"] for p in board["panels"]]
        for want in ("rate by priority", "top rules", "alerts"):
            c.ok(any(want in t.lower() for t in titles), f"grafana: {path.name} has a '{want}' panel")
        c.ok(any(p["type"] == "logs" for p in board["panels"]), f"grafana: {path.name} has a logs panel")
        for p in board["panels"]:
            grafana_panel_checks(c, path.name, p, datasources, variables, fields, live)


def loki_labels_used(expr):
    """Label names in stream selectors {a="x", b=~"y"} and in `by (...)` / `without (...)` clauses."""
    used = set()
    for selector in re.findall(r"\{([^{}]*)\}", re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)):
        used |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", selector))
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used |= {g.strip() for g in group.split(",") if g.strip()}
    return used


def grafana_panel_checks(c, board, p, datasources, variables, fields, live):
    where = f"grafana: {board} panel '{p['title']}'"
    ds = p.get("datasource") or {}
    c.ok(datasources.get(ds.get("uid")) == ds.get("type"), f"{where}: datasource is provisioned", str(ds))
    c.ok(bool(p.get("targets")), f"{where}: has queries")
    for t in p.get("targets", []):
        tds = t.get("datasource") or ds
        c.ok(datasources.get(tds.get("uid")) == tds.get("type"), f"{where} query {t['refId']}: datasource is provisioned")
        if tds.get("type") == "loki":
            expr = t.get("expr", "")
            labels = loki_labels_used(expr)
            # Stream selectors and groupings may use only the router's stream labels.
            c.ok(labels <= LOKI_LABELS, f"{where} query {t['refId']}: only the router's Loki labels",
                 f"unknown: {sorted(labels - LOKI_LABELS)}")
            refs = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", expr))
            c.ok(refs <= variables | GRAFANA_BUILTIN_VARS, f"{where} query {t['refId']}: variables are defined",
                 f"undefined: {sorted(refs - variables - GRAFANA_BUILTIN_VARS)}")
        elif tds.get("type") == "grafana-opensearch-datasource":
            used = [t.get("timeField", "@timestamp")]
            used += [m["field"] for m in t.get("metrics", []) if m.get("field")]
            used += [b["field"] for b in t.get("bucketAggs", []) if b.get("field")]
            for f in used:
                typ = fields.type_of(f, live)
                c.ok(typ in AGGREGATABLE, f"{where}: field {f} exists and is aggregatable", f"type {typ}")


# ---- OpenSearch Dashboards ----

def dashboards_checks(c, root, fields, live):
    base = root / "deploy/compose/opensearch-dashboards"
    gen = subprocess.run([sys.executable, str(base / "make_ndjson.py"), "--check"], capture_output=True, text=True)
    c.ok(gen.returncode == 0, "dashboards: peregrine.ndjson matches make_ndjson.py", gen.stderr.strip())
    objects = {}
    for n, line in enumerate((base / "peregrine.ndjson").read_text().splitlines(), 1):
        try:
            obj = json.loads(line)
            objects[(obj["type"], obj["id"])] = obj
        except (json.JSONDecodeError, KeyError) as e:
            c.ok(False, f"dashboards: ndjson line {n} is a saved object", str(e))
    c.ok(bool(objects), f"dashboards: {len(objects)} saved objects parse")
    types = {t for t, _ in objects}
    c.ok({"index-pattern", "visualization", "search", "dashboard"} <= types, "dashboards: all object types present")

    def inner(obj, key_path):
        node = obj["attributes"]
        for k in key_path:
            node = node[k]
        return json.loads(node)

    for (typ, oid), obj in objects.items():
        where = f"dashboards: {typ} {oid}"
        for ref in obj.get("references", []):
            c.ok((ref["type"], ref["id"]) in objects, f"{where}: reference {ref['name']} resolves", str(ref))
        try:
            if typ == "index-pattern":
                f = obj["attributes"]["timeFieldName"]
                c.ok(fields.type_of(f, live) in ("date", "date_nanos"), f"{where}: time field {f} is a date")
            if "kibanaSavedObjectMeta" in obj["attributes"]:
                src = inner(obj, ["kibanaSavedObjectMeta", "searchSourceJSON"])
                if "indexRefName" in src:
                    c.ok(any(r["name"] == src["indexRefName"] for r in obj["references"]),
                         f"{where}: searchSourceJSON index reference exists")
            if typ == "visualization":
                vis = inner(obj, ["visState"])
                for agg in vis["aggs"]:
                    f = agg.get("params", {}).get("field")
                    if f:
                        c.ok(fields.type_of(f, live) in AGGREGATABLE,
                             f"{where}: {agg['type']} on {f} (exists, aggregatable)", f"type {fields.type_of(f, live)}")
            if typ == "search":
                for f in obj["attributes"]["columns"]:
                    c.ok(fields.type_of(f, live) is not None, f"{where}: column {f} exists")
                for f, _ in obj["attributes"]["sort"]:
                    c.ok(fields.type_of(f, live) in AGGREGATABLE, f"{where}: sort field {f} is sortable")
            if typ == "dashboard":
                panels = inner(obj, ["panelsJSON"])
                inner(obj, ["optionsJSON"])
                names = {r["name"] for r in obj["references"]}
                c.ok(all(p["panelRefName"] in names for p in panels), f"{where}: every panel has its reference")
                want = {"peregrine-alerts-over-time", "peregrine-top-rules", "peregrine-top-hosts",
                        "peregrine-top-containers", "peregrine-latest-alerts"}
                c.ok(want <= {r["id"] for r in obj["references"]},
                     f"{where}: alerts over time, top rules, top hosts, top containers, latest alerts")
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            c.ok(False, f"{where}: embedded JSON is valid", repr(e))


# ---- Compose ----

def compose_vars(text):
    """${VAR} references outside YAML comments ($${VAR} is compose's escape for a literal ${VAR})."""
    code = "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", code))


def compose_checks(c, root):
    text = (root / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    c.ok("version" not in compose, "compose: Compose specification (no version key)")
    for name, s in services.items():
        where = f"compose: service {name}"
        c.ok("healthcheck" in s and "test" in s["healthcheck"], f"{where}: healthcheck")
        c.ok(s.get("restart") in ("unless-stopped", "always", "on-failure", "no"), f"{where}: restart policy")
        c.ok("mem_limit" in s and "cpus" in s, f"{where}: memory and CPU limits")
        c.ok(not s.get("privileged"), f"{where}: not privileged")
        c.ok(s.get("network_mode") == "host" and "ports" not in s and "networks" not in s,
             f"{where}: host networking, nothing published")
        for v in s.get("volumes", []):
            src = v.split(":")[0]
            if src.startswith("./"):
                c.ok((root / src).exists(), f"{where}: mounted path {src} exists")
    limit_mib = sum(int(s["mem_limit"][:-1]) * (1024 if s["mem_limit"].endswith("g") else 1)
                    for s in services.values())
    c.ok(limit_mib <= 3584, f"compose: memory limits of all services sum to {limit_mib} MiB (4 GB host)")
    c.ok(set(services.get("opensearch", {}).get("profiles", [])) == {"opensearch"} and
         set(services.get("loki", {}).get("profiles", [])) == {"loki"}, "compose: backends behind profiles")
    c.ok(all(not services[s].get("profiles") for s in ("sensor", "engine", "router")),
         "compose: sensor, engine and router start without a profile")
    for name in ("engine", "router"):
        user = str(services[name].get("user", ""))
        c.ok(user.split(":")[0] not in ("", "0", "root"), f"compose: {name} runs as a non-root user ({user})")
    sensor = services["sensor"]
    c.ok(not sensor.get("privileged") and sensor.get("cap_drop") == ["ALL"],
         "compose: sensor is not privileged and drops every capability it does not add")

    env_example = (root / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_example, re.M))
    used = compose_vars(text) | compose_vars((root / "config/compose.yaml").read_text())
    for s in services.values():
        env = s.get("environment", [])
        if isinstance(env, list):
            used |= {e for e in env if "=" not in e}
    for frag in sorted((root / "deploy/compose/outputs").glob("*.yaml")):
        ftext = frag.read_text()
        used |= compose_vars(ftext)
        outputs = yaml.safe_load(ftext)
        c.ok(isinstance(outputs, list) and all("type" in o and "name" in o for o in outputs),
             f"outputs: {frag.name} is a list of outputs with type and name")
        for o in outputs or []:
            for k, v in o.items():
                if k in SECRET_KEYS:
                    c.ok(isinstance(v, str) and re.fullmatch(r"\$\{[A-Z0-9_]+(:-[^}]*)?\}", v) is not None,
                         f"outputs: {frag.name} {k} comes from the environment only")
                if isinstance(v, dict):
                    for k2, v2 in v.items():
                        if k2 in SECRET_KEYS:
                            c.ok(isinstance(v2, str) and v2.startswith("${"),
                                 f"outputs: {frag.name} {k}.{k2} comes from the environment only")
        router_env = set(services["router"].get("environment", []))
        missing = compose_vars(ftext) - router_env
        c.ok(not missing, f"outputs: the router container receives every variable of {frag.name}", str(sorted(missing)))
    missing = sorted(used - listed)
    c.ok(not missing, ".env.example lists every variable the stack reads", f"missing: {missing}")


# ---- live: the dashboards' queries against a node the router wrote to ----

def live_query_checks(c, root, url):
    """Runs each visualization's aggregations, the saved search and the Grafana OpenSearch panels' aggregations
    as OpenSearch queries on peregrine-*: each must succeed and find data (buckets, hits with the columns)."""
    import urllib.request

    def search(body):
        req = urllib.request.Request(url.rstrip("/") + "/peregrine-*/_search", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def agg_of(agg):
        p = agg["params"]
        if agg["type"] == "date_histogram":
            return {"date_histogram": {"field": p["field"], "fixed_interval": "1m", "min_doc_count": 1}}
        return {"terms": {"field": p["field"], "size": p.get("size", 10)}}

    base = root / "deploy/compose/opensearch-dashboards/peregrine.ndjson"
    for line in base.read_text().splitlines():
        obj = json.loads(line)
        where = f"live: {obj['type']} {obj['id']}"
        try:
            if obj["type"] == "visualization":
                buckets = [a for a in json.loads(obj["attributes"]["visState"])["aggs"] if a["schema"] != "metric"]
                aggs, inner = {}, None
                for a in reversed(buckets):  # nest: segment > group, as Dashboards does
                    spec = agg_of(a)
                    if inner:
                        spec["aggs"] = inner
                    inner = {a["id"]: spec}
                aggs = inner
                res = search({"size": 0, "aggs": aggs})
                first = res["aggregations"][buckets[0]["id"]]["buckets"]
                c.ok(len(first) > 0, f"{where}: its aggregation runs and finds buckets", json.dumps(res)[:300])
            elif obj["type"] == "search":
                cols = obj["attributes"]["columns"]
                res = search({"size": 5, "sort": [{"@timestamp": "desc"}], "_source": cols})
                hits = res["hits"]["hits"]
                missing = [col for col in cols if not any(_get(h["_source"], col) is not None for h in hits)]
                c.ok(bool(hits) and not missing, f"{where}: latest hits carry every column", f"missing {missing}")
        except Exception as e:  # noqa: BLE001 — any error is the finding
            c.ok(False, f"{where}: query", repr(e)[:300])
    board = json.loads((root / "deploy/compose/grafana/dashboards/peregrine.json").read_text())
    for p in board["panels"]:
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("type") != "grafana-opensearch-datasource":
                continue
            try:
                b = t["bucketAggs"][0]
                res = search({"size": 0, "aggs": {"a": {"terms": {"field": b["field"],
                                                                  "size": int(b["settings"]["size"])}}}})
                c.ok(len(res["aggregations"]["a"]["buckets"]) > 0,
                     f"live: grafana panel '{p['title']}': its terms aggregation finds buckets")
            except Exception as e:  # noqa: BLE001
                c.ok(False, f"live: grafana panel '{p['title']}': query", repr(e)[:300])


def _get(doc, dotted):
    """A field of a _source document by its dotted name (output_fields.container_name)."""
    node = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return doc.get(dotted) if isinstance(doc, dict) else None
        node = node[part]
    return node


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parents[2]))
    ap.add_argument("--mapping", help="GET /peregrine-*/_mapping JSON of a node the router wrote to")
    ap.add_argument("--only-fields", action="store_true", help="with --mapping: only the field checks")
    ap.add_argument("--opensearch-url", help="also run the dashboards' queries against this node's peregrine-*")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    c = Checks()
    template_path = root / "deploy/compose/opensearch/alert-fields.json"
    try:
        template = json.loads(template_path.read_text())
        c.ok(True, f"{template_path.name} is valid JSON")
    except json.JSONDecodeError as e:
        c.ok(False, f"{template_path.name} is valid JSON", str(e))
        template = None
    if args.mapping:
        fields, live = FieldSet.from_live_mapping(json.loads(pathlib.Path(args.mapping).read_text())), True
        if template:  # the contract's fixed fields must all be in the router's real mapping
            for f, typ in FieldSet.from_template(template).fields.items():
                c.ok(fields.type_of(f, True) == typ or (typ == "object" and fields.type_of(f, True)),
                     f"live mapping: {f} is {typ}", f"got {fields.type_of(f, True)}")
    else:
        fields, live = FieldSet.from_template(template), False
    grafana_checks(c, root, fields, live)
    dashboards_checks(c, root, fields, live)
    if args.opensearch_url:
        live_query_checks(c, root, args.opensearch_url)
    if not args.only_fields:
        compose_checks(c, root)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
