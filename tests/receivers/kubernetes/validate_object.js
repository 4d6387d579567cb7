#!/usr/bin/env node
// Checks a Kubernetes request body of the responder's kubernetes:* actions against the API's own schemas (npm
// kubernetes-models, offline), read as JSON from stdin: {"as": "NetworkPolicy" | "DeleteOptions" | "PodPatch",
// "body": {...}}. A PodPatch (a JSON merge patch of labels) is applied to a minimal Pod, which is then validated.
// Prints `OK` and exits 0, or the problems and exits 1 (2 when the library cannot be loaded).
//
//   node tests/receivers/kubernetes/validate_object.js < request.json
//
// The library is found through NODE_PATH, else in the receivers cache (scripts/receivers.sh build kubernetes-models).
"use strict";

const fs = require("fs");
const path = require("path");

function load(mod) {
  const cache = process.env.PEREGRINE_RECEIVERS_DIR || "/var/cache/peregrine/receivers";
  const paths = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);
  paths.push(path.join(cache, "kubernetes-models", "node_modules"));
  // The package is ESM with an "exports" map for `import` only: require.resolve() refuses its subpaths, so each
  // search path is tried as a plain file path (node 20 can require() ESM).
  try {
    const dir = paths.find((p) => fs.existsSync(path.join(p, mod)) || fs.existsSync(path.join(p, mod + ".js")));
    if (dir) return require(path.join(dir, mod));
    throw new Error("not found");
  } catch (e) {
    console.log(`cannot load ${mod} (searched ${paths.join(", ")}): run scripts/receivers.sh build kubernetes-models`);
    process.exit(2);
  }
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
let object;
if (input.as === "NetworkPolicy") {
  const { NetworkPolicy } = load("kubernetes-models/networking.k8s.io/v1");
  object = new NetworkPolicy(input.body);
} else if (input.as === "DeleteOptions") {
  const { DeleteOptions } = load("@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions");
  object = new DeleteOptions(input.body);
} else if (input.as === "PodPatch") {
  const { Pod } = load("kubernetes-models/v1");
  const labels = { app: "web" };
  for (const [k, v] of Object.entries(((input.body || {}).metadata || {}).labels || {})) {
    if (v === null) delete labels[k];
    else labels[k] = v;
  }
  object = new Pod({
    metadata: { name: "web-1", namespace: "prod", labels },
    spec: { containers: [{ name: "web", image: "web:1" }] },
  });
} else {
  console.log(`unknown "as": ${input.as}`);
  process.exit(1);
}
try {
  object.validate();
  console.log("OK");
} catch (e) {
  console.log(String(e.message || e));
  process.exit(1);
}
