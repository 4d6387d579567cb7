#!/usr/bin/env node
// Validates rendered Kubernetes objects offline: each against the API's own schema (npm kubernetes-models, the
// class its apiVersion/kind maps to), then semantic checks across the set that a schema cannot make (references
// resolve, selectors select, probes and Services name ports that exist). Reads a JSON array of objects on stdin
// (tests/deploy/chart_test.sh converts helm's YAML). A kind with no kubernetes-models class fails unless listed
// in OWN_SCHEMAS (a schema written here, checked with ajv). Secrets are not part of a render (the chart creates
// none): each one referenced must be named with --external-secret NAME, and is listed.
//
//   node tests/deploy/validate_manifests.js [--external-secret NAME]... < objects.json
//
// Prints one line per object and per problem; exits 0 when all is well, 1 on any problem, 2 when the library
// cannot be loaded. Modules are found like tests/receivers/kubernetes/validate_object.js finds them.
"use strict";

const fs = require("fs");
const path = require("path");

function searchPaths() {
  const cache = process.env.PEREGRINE_RECEIVERS_DIR || "/var/cache/peregrine/receivers";
  const paths = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);
  paths.push(path.join(cache, "kubernetes-models", "node_modules"));
  return paths;
}

// The folder of `mod` (a file path, since the ESM package's "exports" map refuses require.resolve()), or null.
function find(mod) {
  const dir = searchPaths().find((p) => fs.existsSync(path.join(p, mod)) || fs.existsSync(path.join(p, mod + ".js")));
  return dir ? path.join(dir, mod) : null;
}

function load(mod) {
  const file = find(mod);
  if (!file) {
    console.log(`cannot load ${mod} (searched ${searchPaths().join(", ")}): run scripts/receivers.sh build kubernetes-models`);
    process.exit(2);
  }
  return require(file);
}

// The Prometheus Operator's ServiceMonitor (a CRD, not in kubernetes-models): the fields the chart uses, with
// their types from the operator's API reference; anything else is refused so a typo cannot pass.
const SERVICE_MONITOR = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "monitoring.coreos.com/v1" },
    kind: { const: "ServiceMonitor" },
    metadata: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", minLength: 1 },
        namespace: { type: "string" },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
      additionalProperties: false,
    },
    spec: {
      type: "object",
      required: ["selector", "endpoints"],
      properties: {
        selector: {
          type: "object",
          properties: { matchLabels: { type: "object", additionalProperties: { type: "string" } } },
          additionalProperties: false,
        },
        namespaceSelector: {
          type: "object",
          properties: { matchNames: { type: "array", items: { type: "string" } }, any: { type: "boolean" } },
          additionalProperties: false,
        },
        endpoints: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            required: ["port"],
            properties: {
              port: { type: "string" },
              path: { type: "string", pattern: "^/" },
              interval: { type: "string", pattern: "^([0-9]+(ms|s|m|h))+$" },
            },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};
const OWN_SCHEMAS = { "monitoring.coreos.com/v1/ServiceMonitor": SERVICE_MONITOR };

// apiVersion -> the kubernetes-models module of that group/version ("v1" is the core group); null if none.
function modelClass(apiVersion, kind) {
  if (!find("kubernetes-models/v1")) load("kubernetes-models/v1"); // the library itself missing: exit 2
  const file = find(`kubernetes-models/${apiVersion}/${kind}`);
  return file ? require(file)[kind] || null : null;
}

const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);
const id = (o) => `${o.kind}/${(o.metadata || {}).name}`;

function schemaCheck(objects) {
  const Ajv = load("ajv");
  const ajv = new (Ajv.default || Ajv)({ allErrors: true, strict: false });
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    if (OWN_SCHEMAS[key]) {
      const ok = ajv.validate(OWN_SCHEMAS[key], o);
      if (ok) console.log(`OK ${id(o)} (${key}, schema in validate_manifests.js)`);
      else problem(id(o), ajv.errorsText(ajv.errors, { dataVar: "" }));
      continue;
    }
    const Cls = modelClass(o.apiVersion, o.kind);
    if (!Cls) {
      problem(id(o), `no schema for ${key} (not in kubernetes-models and not in OWN_SCHEMAS)`);
      continue;
    }
    try {
      new Cls(o).validate();
      console.log(`OK ${id(o)} (${key})`);
    } catch (e) {
      problem(id(o), String(e.message || e));
    }
  }
}

const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v) && Object.keys(selector || {}).length > 0;

const WORKLOADS = new Set(["Deployment", "DaemonSet", "StatefulSet"]);

function semanticCheck(objects, externalSecrets) {
  const byKind = (k) => objects.filter((o) => o.kind === k);
  const names = (k) => new Set(byKind(k).map((o) => o.metadata.name));
  const configMaps = names("ConfigMap"), secrets = names("Secret"), pvcs = names("PersistentVolumeClaim");
  const serviceAccounts = names("ServiceAccount");
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const usedSecrets = new Set();
  const secretRef = (w, name) => {
    usedSecrets.add(name);
    if (!secrets.has(name) && !externalSecrets.has(name))
      problem(w, `Secret ${name} is neither rendered nor declared with --external-secret`);
  };

  for (const w of workloads) {
    const where = id(w), tpl = w.spec.template, pod = tpl.spec;
    if (!matches(w.spec.selector.matchLabels, tpl.metadata.labels))
      problem(where, "spec.selector.matchLabels does not select the pod template's labels");
    if (pod.serviceAccountName && !serviceAccounts.has(pod.serviceAccountName))
      problem(where, `ServiceAccount ${pod.serviceAccountName} is not rendered`);
    const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
    const mounted = new Set();
    for (const v of volumes.values()) {
      if (v.configMap && !configMaps.has(v.configMap.name)) problem(where, `volume ${v.name}: ConfigMap ${v.configMap.name} is not rendered`);
      if (v.secret) secretRef(where, v.secret.secretName);
      if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName))
        problem(where, `volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} is not rendered`);
    }
    const ann = tpl.metadata.annotations || {};
    const allPorts = [];
    for (const c of pod.initContainers || []) {
      for (const m of c.volumeMounts || []) {
        mounted.add(m.name);
        if (!volumes.has(m.name)) problem(where, `init container ${c.name} mounts ${m.name}, which is not a volume`);
      }
      if ((c.securityContext || {}).readOnlyRootFilesystem !== true) problem(where, `init container ${c.name} has a writable root filesystem`);
    }
    for (const c of pod.containers) {
      const ports = c.ports || [];
      allPorts.push(...ports);
      for (const m of c.volumeMounts || []) {
        mounted.add(m.name);
        if (!volumes.has(m.name)) problem(where, `container ${c.name} mounts ${m.name}, which is not a volume`);
        const v = volumes.get(m.name);
        if (v && v.configMap && m.subPath) {
          const cm = byKind("ConfigMap").find((o) => o.metadata.name === v.configMap.name);
          if (cm && !(m.subPath in (cm.data || {}))) problem(where, `container ${c.name}: ConfigMap ${cm.metadata.name} has no key ${m.subPath}`);
        }
      }
      for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const get = c[probe] && c[probe].httpGet;
        if (!get) continue;
        const ok = ports.some((p) => p.name === get.port || p.containerPort === get.port);
        if (!ok) problem(where, `container ${c.name} ${probe} uses port ${get.port}, not one of its ports`);
        if (get.path !== "/healthz") problem(where, `container ${c.name} ${probe} path is ${get.path}, not /healthz`);
      }
      if (!c.readinessProbe || !c.livenessProbe) problem(where, `container ${c.name} lacks a readiness or liveness probe`);
      if (!c.resources || !c.resources.limits || !c.resources.requests) problem(where, `container ${c.name} lacks resource requests/limits`);
      const sc = c.securityContext || {};
      if (sc.privileged) problem(where, `container ${c.name} is privileged`);
      if (sc.readOnlyRootFilesystem !== true) problem(where, `container ${c.name} has a writable root filesystem`);
      for (const e of c.env || []) if (e.valueFrom && e.valueFrom.secretKeyRef) secretRef(where, e.valueFrom.secretKeyRef.name);
    }
    for (const name of volumes.keys()) if (!mounted.has(name)) problem(where, `volume ${name} is mounted by no container`);
    if (ann["prometheus.io/scrape"] === "true" && !allPorts.some((p) => String(p.containerPort) === ann["prometheus.io/port"]))
      problem(where, `prometheus.io/port ${ann["prometheus.io/port"]} is not a container port`);
  }

  const podsOf = (selector) => workloads.filter((w) => matches(selector, w.spec.template.metadata.labels));
  for (const s of byKind("Service")) {
    const selected = podsOf(s.spec.selector);
    if (!selected.length) { problem(id(s), "selects no rendered workload"); continue; }
    for (const p of s.spec.ports) {
      const has = selected.every((w) => w.spec.template.spec.containers.some((c) =>
        (c.ports || []).some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)));
      if (!has) problem(id(s), `port ${p.name}: targetPort ${p.targetPort} is not a port of the selected pods`);
    }
  }
  for (const o of [...byKind("NetworkPolicy"), ...byKind("PodDisruptionBudget")]) {
    const sel = o.kind === "NetworkPolicy" ? o.spec.podSelector.matchLabels : o.spec.selector.matchLabels;
    if (!podsOf(sel).length) problem(id(o), "selects no rendered workload");
  }
  const roles = new Set([...byKind("ClusterRole"), ...byKind("Role")].map((r) => `${r.kind}/${r.metadata.name}`));
  for (const b of [...byKind("ClusterRoleBinding"), ...byKind("RoleBinding")]) {
    if (!roles.has(`${b.roleRef.kind}/${b.roleRef.name}`)) problem(id(b), `roleRef ${b.roleRef.kind}/${b.roleRef.name} is not rendered`);
    for (const s of b.subjects || [])
      if (s.kind === "ServiceAccount" && !serviceAccounts.has(s.name)) problem(id(b), `subject ServiceAccount ${s.name} is not rendered`);
  }
  for (const m of byKind("ServiceMonitor")) {
    const services = byKind("Service").filter((s) => matches(m.spec.selector.matchLabels, s.metadata.labels));
    for (const e of m.spec.endpoints)
      if (!services.some((s) => s.spec.ports.some((p) => p.name === e.port)))
        problem(id(m), `endpoint port ${e.port} is not a port of any selected Service`);
  }
  for (const s of usedSecrets) if (!secrets.has(s)) console.log(`EXTERNAL Secret/${s} (created by the operator, not the chart)`);
}

const externalSecrets = new Set();
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--external-secret" && i + 1 < argv.length) externalSecrets.add(argv[++i]);
  else { console.log(`unknown argument ${argv[i]}`); process.exit(2); }
}
const objects = JSON.parse(fs.readFileSync(0, "utf8")).filter((o) => o);
if (!objects.length) { console.log("no objects"); process.exit(1); }
schemaCheck(objects);
semanticCheck(objects, externalSecrets);
for (const p of problems) console.log(`PROBLEM ${p}`);
console.log(`${objects.length} objects, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
