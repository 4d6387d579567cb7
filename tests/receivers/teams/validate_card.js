#!/usr/bin/env node
// Checks one Adaptive Card (the `content` of a Teams attachment whose contentType is
// application/vnd.microsoft.card.adaptive) read from stdin with Microsoft's own parser, the npm `adaptivecards`
// library that renders cards in web clients. Prints `OK` and exits 0, or prints each problem on its own line and
// exits 1 (2 when the library cannot be loaded).
//
//   node tests/receivers/teams/validate_card.js < card.json
//
// The library is found through NODE_PATH, else in the receivers cache (scripts/receivers.sh build adaptivecards).
// Its lib/ folder is extension-less ESM that node cannot load; the UMD bundle in dist/ loads without a DOM.
"use strict";

const fs = require("fs");
const path = require("path");

const MIN_VERSION = [1, 4];
// Teams' Workflows webhooks act on these only; Action.Submit and Action.Execute need a bot behind the card.
const TEAMS_ACTIONS = new Set(["Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"]);

function loadLibrary() {
  const bundle = "adaptivecards/dist/adaptivecards.js";
  const cache = process.env.PEREGRINE_RECEIVERS_DIR || "/var/cache/peregrine/receivers";
  const paths = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);
  paths.push(path.join(cache, "adaptivecards", "node_modules"));
  try {
    return require(require.resolve(bundle, { paths }));
  } catch (e) {
    console.log(`cannot load ${bundle} (searched ${paths.join(", ")}): run scripts/receivers.sh build adaptivecards`);
    process.exit(2);
  }
}

function parseVersion(text) {
  const m = /^(\d+)\.(\d+)$/.exec(typeof text === "string" ? text : "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

// What the parser tolerates but the card schema requires, or Teams does not act on.
function schemaProblems(node, where, problems) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => schemaProblems(item, `${where}[${i}]`, problems));
    return;
  }
  if (node === null || typeof node !== "object") return;
  for (const key of ["body", "items", "columns", "actions", "inlines"]) {
    if (key in node && !Array.isArray(node[key])) problems.push(`${where}.${key}: must be an array`);
  }
  switch (node.type) {
    case "TextBlock":
      if (typeof node.text !== "string") problems.push(`${where}: TextBlock needs a string "text"`);
      break;
    case "FactSet":
      if (!Array.isArray(node.facts)) {
        problems.push(`${where}: FactSet needs a "facts" array`);
      } else {
        node.facts.forEach((f, i) => {
          if (typeof f?.title !== "string" || typeof f?.value !== "string") {
            problems.push(`${where}.facts[${i}]: a fact needs string "title" and "value"`);
          }
        });
      }
      break;
    case "Image":
      if (typeof node.url !== "string") problems.push(`${where}: Image needs a string "url"`);
      break;
  }
  if (typeof node.type === "string" && node.type.startsWith("Action.") && !TEAMS_ACTIONS.has(node.type)) {
    problems.push(`${where}: ${node.type} is not supported by Teams webhooks (only ${[...TEAMS_ACTIONS].join(", ")})`);
  }
  for (const [key, value] of Object.entries(node)) {
    if (value !== null && typeof value === "object") schemaProblems(value, `${where}.${key}`, problems);
  }
}

function validate(AC, card) {
  const problems = [];
  if (card === null || typeof card !== "object" || Array.isArray(card)) {
    return ["the card must be a JSON object"];
  }
  if (card.type !== "AdaptiveCard") {
    const hint = card.type === "message" ? " (this is the message envelope: pass attachments[0].content)" : "";
    problems.push(`type: must be "AdaptiveCard", got ${JSON.stringify(card.type)}${hint}`);
  }
  const version = parseVersion(card.version);
  if (!version) {
    problems.push(`version: must be a "major.minor" string, got ${JSON.stringify(card.version)}`);
  } else if (version[0] < MIN_VERSION[0] || (version[0] === MIN_VERSION[0] && version[1] < MIN_VERSION[1])) {
    problems.push(`version: ${card.version} is older than ${MIN_VERSION.join(".")}`);
  }

  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    problems.push(`parse: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of parsed.validateProperties().validationEvents) {
    problems.push(`validate: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  schemaProblems(card, "card", problems);
  return problems;
}

function main() {
  const AC = loadLibrary();
  let card;
  try {
    card = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (e) {
    console.log(`not JSON: ${e.message}`);
    process.exit(1);
  }
  const problems = validate(AC, card);
  if (problems.length) {
    problems.forEach((p) => console.log(p));
    process.exit(1);
  }
  console.log("OK");
}

main();
