// Rules-loading diagnostics as data: Falco's result codes, positions and snippets, rendered as text and JSON.
//
// Why data: the loader runs at start-up and from `peregrine-engine --validate`; both need the same findings, one for
// logs and one for scripts. Codes and their meanings follow Falco's `falco_load_result` so that operators can carry
// their knowledge (and grep patterns) over.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace peregrine::engine {

/// Falco's load result codes. Errors stop the file; warnings never do.
enum class LoadCode : uint8_t {
  // errors
  kErrFileRead,
  kErrYamlParse,
  kErrYamlValidate,
  kErrCompileCondition,
  kErrCompileOutput,
  kErrValidate,
  kErrExtension,
  // warnings
  kUnknownSource,
  kUnsafeNaCheck,
  kNoEvttype,
  kUnknownFilter,
  kUnusedMacro,
  kUnusedList,
  kUnknownItem,
  kDeprecatedItem,
  kWarningExtension,
  kAppendNoValues,
  kExceptionNameNotUnique,
  kInvalidMacroName,
  kInvalidListName,
  kCompileCondition,
  kUnknownKey,
};

/// "LOAD_ERR_YAML_PARSE", "LOAD_UNUSED_MACRO", ...
std::string_view load_code_name(LoadCode c);
/// Short human description ("Error parsing YAML", "Unused macro", ...).
std::string_view load_code_description(LoadCode c);
bool is_error_code(LoadCode c);
/// Inverse of load_code_name(); nullopt for unknown names.
std::optional<LoadCode> load_code_from_name(std::string_view name);

/// Where a finding is. Lines and columns are 1-based; 0 means unknown.
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;
};

/// One finding, with the item it belongs to and (for condition errors) the position inside the condition text.
struct LoadDiagnostic {
  LoadCode code = LoadCode::kErrYamlParse;
  std::string message;
  SourcePosition item_pos;     // the item (`- rule: ...`) or the YAML error position
  std::string item_type;       // "rule", "macro", "list", "exception", "required_engine_version", "rules content"
  std::string item_name;
  int condition_line = 0;      // 1-based position inside the condition expression text; 0 = not applicable
  int condition_column = 0;
  std::string condition;       // the (resolved) condition text the position refers to
  SourcePosition condition_pos;  // where the item's `condition:` value starts in the file (0 = none)
  std::string snippet;         // the item's YAML source lines
};

/// Everything the loader found for a set of files.
struct LoadResult {
  std::vector<std::string> files;
  std::vector<LoadDiagnostic> errors;
  std::vector<LoadDiagnostic> warnings;

  bool successful() const { return errors.empty(); }
  void add(LoadDiagnostic d);
  /// Like `falco -V`: per-file "Ok"/"Invalid", then each finding with its context and snippet.
  std::string to_text() const;
  /// {"successful":bool,"errors":[...],"warnings":[...]}; each finding has code, codedesc, message, file, line,
  /// column, item_type, item_name, snippet and, for condition errors, condition/condition_line/condition_column
  /// plus condition_file_line/condition_file_column (where the item's condition value starts in the file).
  /// Strings are valid UTF-8 (invalid bytes from the input become U+FFFD), so dump() never throws.
  nlohmann::json to_json() const;
};

void to_json(nlohmann::json& j, const LoadDiagnostic& d);

}  // namespace peregrine::engine
