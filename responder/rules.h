// Response rules, close to Falco Talon's rules.yaml so that its users feel at home. A rules file is a YAML list
// of actions and rules (several files are concatenated in order; names are global):
//
//   item      = action | rule ;
//   action    = "action" name , "actionner" kind , [ "parameters" map ] , [ "ignore_errors" bool ] ,
//               [ "rate_limit" "{" "max" int , "per" duration "}" ] , [ "description" text ] ;
//   rule      = "rule" name , [ "description" text ] , [ "match" match ] , "actions" "[" { action_ref } "]" ,
//               [ "continue" bool ] , [ "dry_run" bool ] ;
//   action_ref = "{" "action" name "}"                      (an action defined above or below, by name)
//              | "{" "action" name , "actionner" kind , [ "parameters" map ] ... "}"   (inline, as an action)
//   match     = [ "rules" list ] , [ "priority" cmp ] , [ "tags" list ] , [ "source" text | list ] ,
//               [ "output_fields" list ] ;           (every key given must hold)
//   cmp       = ( "<" | "<=" | "=" | ">=" | ">" ) priority ;   (">=Critical" = Critical or more severe)
//   rules:         any of these Falco rule names (exact or glob)
//   tags:          any of the strings; each string is comma-separated tags that must all be present
//   output_fields: any of the strings; each string is a comma-separated AND of "field=value" / "field!=value"
//                  (an absent field compares as ""; so "container.id!=" = present and not empty)
//
// Evaluation: rules in order; a matching rule runs its actions in order (a failed action stops the rule's
// remaining actions unless it has ignore_errors: true); the next rules are evaluated only if the matching rule
// has continue: true. A rule's dry_run: true makes its actions dry runs; the global dry_run wins over false.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "responder/actions/actionner.h"

namespace peregrine::responder {

struct FieldTest {
  std::string field;
  std::string value;
  bool negate = false;  // "!="
};

struct PriorityTest {
  enum class Op { kLt, kLe, kEq, kGe, kGt };
  Op op = Op::kGe;
  Priority priority = Priority::kWarning;
};

struct ResponseMatch {
  std::vector<std::string> rules;
  std::optional<PriorityTest> priority;
  std::vector<std::vector<std::string>> tags;         // OR of AND groups
  std::vector<std::string> sources;
  std::vector<std::vector<FieldTest>> output_fields;  // OR of AND groups
};

struct RateLimit {
  uint32_t max = 0;  // 0 = unlimited
  std::chrono::milliseconds per{60'000};
};

struct ActionDef {
  std::string name;
  std::string actionner;
  bool ignore_errors = false;
  RateLimit rate_limit;
  std::string where;  // FILE:LINE of its definition
  std::shared_ptr<Actionner> impl;
};

struct ResponseRule {
  std::string name;
  ResponseMatch match;
  std::vector<size_t> actions;  // indices into RuleSet::actions
  bool cont = false;
  bool dry_run = false;
  std::string where;
};

struct RuleSet {
  std::vector<ActionDef> actions;
  std::vector<ResponseRule> rules;
};

/// Parses and builds every action and rule of `files` (in order). Throws config::ConfigError (FILE:LINE:COL) on
/// YAML errors, unknown keys, unknown actionners, bad parameters, duplicate names and unknown action references.
RuleSet load_rule_files(const std::vector<std::string>& files);
/// The same over YAML text (tests); `file` names it in messages.
RuleSet parse_rules(const std::string& yaml_text, const std::string& file = "<string>");

/// True when every criterion of `m` holds for `alert`.
bool match_holds(const ResponseMatch& m, const Alert& alert);
/// The rules that apply to `alert`, in order, honouring `continue`.
std::vector<const ResponseRule*> matching_rules(const RuleSet& set, const Alert& alert);

}  // namespace peregrine::responder
