// A deliberately small reader of the upstream Falco rule files for the filter tests: lists are substituted
// textually (Falco semantics), macros are parsed and expanded with substitute_macros(). The real loader lives in
// engine/rules/; this exists so the condition language can be tested against real rules on its own.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "engine/filter/macros.h"
#include "engine/filter/parser.h"

namespace peregrine::engine::fixtures {

struct UpstreamRule {
  std::string name;
  std::string condition;   // after list substitution
  std::string output;
  std::string source = "syscall";
};

struct UpstreamFile {
  std::map<std::string, AstPtr> macros;  // parsed, not yet expanded
  std::vector<UpstreamRule> rules;
};

/// Path of an upstream rules file (/work/shared/falco-rules/NAME beside the repo), or "" when absent.
inline std::string upstream_path(const std::string& name) {
  for (std::string dir : {std::string(PEREGRINE_SOURCE_DIR) + "/../shared/falco-rules/",
                          std::string("/work/shared/falco-rules/")}) {
    std::string p = dir + name;
    if (FILE* fp = std::fopen(p.c_str(), "r")) {
      std::fclose(fp);
      return p;
    }
  }
  return {};
}

inline bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-' || c == '/';
}

// Replaces whole-word list names by their comma-joined items (Falco's textual list substitution).
inline std::string substitute_lists(const std::string& text, const std::map<std::string, std::string>& lists) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word_char(text[i])) {
      out += text[i++];
      continue;
    }
    size_t j = i;
    while (j < text.size() && is_word_char(text[j])) ++j;
    std::string word = text.substr(i, j - i);
    auto it = lists.find(word);
    i = j;
    if (it == lists.end()) {
      out += word;
    } else if (!it->second.empty()) {
      out += it->second;
    } else {
      // An empty list disappears together with one separating comma, as in Falco's list expansion.
      size_t k = out.find_last_not_of(" \t\n");
      if (k != std::string::npos && out[k] == ',') {
        out.resize(k);
      } else {
        size_t m = text.find_first_not_of(" \t\n", i);
        if (m != std::string::npos && text[m] == ',') i = m + 1;
      }
    }
  }
  return out;
}

inline UpstreamFile load_upstream(const std::string& path) {
  UpstreamFile f;
  YAML::Node doc = YAML::LoadFile(path);
  std::map<std::string, std::string> lists;
  for (const auto& item : doc) {
    if (item["list"]) {
      std::string joined;
      for (const auto& v : item["items"]) {
        if (!joined.empty()) joined += ", ";
        joined += v.as<std::string>();
      }
      lists[item["list"].as<std::string>()] = substitute_lists(joined, lists);
    }
  }
  for (const auto& item : doc) {
    if (item["macro"]) {
      std::string cond = substitute_lists(item["condition"].as<std::string>(), lists);
      auto ast = parse_condition(cond);
      REQUIRE_MESSAGE(ast.ok(), item["macro"].as<std::string>() << ": " << ast.error().message);
      f.macros[item["macro"].as<std::string>()] = std::move(ast.value());
    } else if (item["rule"] && item["condition"]) {
      UpstreamRule r;
      r.name = item["rule"].as<std::string>();
      r.condition = substitute_lists(item["condition"].as<std::string>(), lists);
      if (item["output"]) r.output = item["output"].as<std::string>();
      if (item["source"]) r.source = item["source"].as<std::string>();
      f.rules.push_back(std::move(r));
    }
  }
  return f;
}

/// Parses and fully expands a rule condition.
inline AstPtr expand_rule(const UpstreamFile& f, const std::string& condition) {
  auto ast = parse_condition(condition);
  REQUIRE_MESSAGE(ast.ok(), condition << ": " << ast.error().message);
  AstPtr root = std::move(ast.value());
  auto r = substitute_macros(root, [&](std::string_view n) -> const Ast* {
    auto it = f.macros.find(std::string(n));
    return it == f.macros.end() ? nullptr : it->second.get();
  });
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return root;
}

}  // namespace peregrine::engine::fixtures
