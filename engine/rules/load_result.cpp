#include "engine/rules/load_result.h"

#include <array>
#include <sstream>

namespace peregrine::engine {
namespace {

struct CodeInfo {
  LoadCode code;
  std::string_view name;
  std::string_view description;
};

constexpr std::array kCodes = {
    CodeInfo{LoadCode::kErrFileRead, "LOAD_ERR_FILE_READ", "Error reading file"},
    CodeInfo{LoadCode::kErrYamlParse, "LOAD_ERR_YAML_PARSE", "Error parsing YAML"},
    CodeInfo{LoadCode::kErrYamlValidate, "LOAD_ERR_YAML_VALIDATE", "Error validating internal structure of YAML file"},
    CodeInfo{LoadCode::kErrCompileCondition, "LOAD_ERR_COMPILE_CONDITION", "Error compiling condition"},
    CodeInfo{LoadCode::kErrCompileOutput, "LOAD_ERR_COMPILE_OUTPUT", "Error compiling output"},
    CodeInfo{LoadCode::kErrValidate, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects"},
    CodeInfo{LoadCode::kErrExtension, "LOAD_ERR_EXTENSION", "Error in extension item"},
    CodeInfo{LoadCode::kUnknownSource, "LOAD_UNKNOWN_SOURCE", "Unknown source"},
    CodeInfo{LoadCode::kUnsafeNaCheck, "LOAD_UNSAFE_NA_CHECK", "Unsafe comparison in condition"},
    CodeInfo{LoadCode::kNoEvttype, "LOAD_NO_EVTTYPE", "Condition has no event-type restriction"},
    CodeInfo{LoadCode::kUnknownFilter, "LOAD_UNKNOWN_FILTER", "Unknown field or event-type in condition or output"},
    CodeInfo{LoadCode::kUnusedMacro, "LOAD_UNUSED_MACRO", "Unused macro"},
    CodeInfo{LoadCode::kUnusedList, "LOAD_UNUSED_LIST", "Unused list"},
    CodeInfo{LoadCode::kUnknownItem, "LOAD_UNKNOWN_ITEM", "Unknown rules file item"},
    CodeInfo{LoadCode::kDeprecatedItem, "LOAD_DEPRECATED_ITEM", "Deprecated item"},
    CodeInfo{LoadCode::kWarningExtension, "LOAD_WARNING_EXTENSION", "Warning in extension item"},
    CodeInfo{LoadCode::kAppendNoValues, "LOAD_APPEND_NO_VALUES", "Overriding/appending with no values"},
    CodeInfo{LoadCode::kExceptionNameNotUnique, "LOAD_EXCEPTION_NAME_NOT_UNIQUE", "Multiple exceptions defined with the same name"},
    CodeInfo{LoadCode::kInvalidMacroName, "LOAD_INVALID_MACRO_NAME", "Invalid macro name"},
    CodeInfo{LoadCode::kInvalidListName, "LOAD_INVALID_LIST_NAME", "Invalid list name"},
    CodeInfo{LoadCode::kCompileCondition, "LOAD_COMPILE_CONDITION", "Condition has a possible mistake"},
    CodeInfo{LoadCode::kUnknownKey, "LOAD_UNKNOWN_KEY", "Unknown key"},
};

const CodeInfo& info(LoadCode c) {
  for (const auto& i : kCodes) {
    if (i.code == c) return i;
  }
  return kCodes[0];
}

std::string position_text(const SourcePosition& p) {
  return "(" + p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ")";
}

void append_finding(std::ostringstream& os, const LoadDiagnostic& d) {
  os << "In rules content: (" << d.item_pos.file << ":0:0)\n";
  if (!d.item_type.empty() && d.item_type != "rules content") {
    os << "    " << d.item_type << " '" << d.item_name << "': " << position_text(d.item_pos) << "\n";
  } else {
    os << "    at " << position_text(d.item_pos) << "\n";
  }
  if (d.condition_line > 0) {
    os << "    condition expression: (\"" << d.condition << "\":" << d.condition_line << ":" << d.condition_column
       << ")\n";
  }
  if (!d.snippet.empty()) {
    os << "------\n" << d.snippet;
    if (d.snippet.back() != '\n') os << "\n";
    os << "------\n";
  }
  os << load_code_name(d.code) << " (" << load_code_description(d.code) << "): " << d.message << "\n";
}

/// Rules files are user input: replace invalid UTF-8 (U+FFFD) so that the JSON rendering can always be dumped.
std::string utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points above U+10FFFF.
      uint32_t cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string_view load_code_name(LoadCode c) { return info(c).name; }
std::string_view load_code_description(LoadCode c) { return info(c).description; }
bool is_error_code(LoadCode c) { return c <= LoadCode::kErrExtension; }

std::optional<LoadCode> load_code_from_name(std::string_view name) {
  for (const auto& i : kCodes) {
    if (i.name == name) return i.code;
  }
  return std::nullopt;
}

void LoadResult::add(LoadDiagnostic d) {
  if (is_error_code(d.code)) {
    errors.push_back(std::move(d));
  } else {
    warnings.push_back(std::move(d));
  }
}

std::string LoadResult::to_text() const {
  std::ostringstream os;
  for (const auto& f : files) {
    bool file_bad = false, file_warn = false;
    for (const auto& e : errors) file_bad = file_bad || e.item_pos.file == f;
    for (const auto& w : warnings) file_warn = file_warn || w.item_pos.file == f;
    os << f << ": " << (file_bad ? "Invalid" : (file_warn ? "Ok, with warnings" : "Ok")) << "\n";
  }
  if (!errors.empty()) {
    os << errors.size() << " Errors:\n";
    for (const auto& e : errors) append_finding(os, e);
  }
  if (!warnings.empty()) {
    os << warnings.size() << " Warnings:\n";
    for (const auto& w : warnings) append_finding(os, w);
  }
  return os.str();
}

void to_json(nlohmann::json& j, const LoadDiagnostic& d) {
  j = nlohmann::json{{"code", load_code_name(d.code)},
                     {"codedesc", load_code_description(d.code)},
                     {"message", utf8(d.message)},
                     {"file", utf8(d.item_pos.file)},
                     {"line", d.item_pos.line},
                     {"column", d.item_pos.column},
                     {"item_type", d.item_type},
                     {"item_name", utf8(d.item_name)},
                     {"snippet", utf8(d.snippet)}};
  if (d.condition_line > 0) {
    j["condition"] = utf8(d.condition);
    j["condition_line"] = d.condition_line;
    j["condition_column"] = d.condition_column;
    if (d.condition_pos.line > 0) {
      j["condition_file_line"] = d.condition_pos.line;
      j["condition_file_column"] = d.condition_pos.column;
    }
  }
}

nlohmann::json LoadResult::to_json() const {
  nlohmann::json j;
  j["successful"] = successful();
  j["errors"] = errors;
  j["warnings"] = warnings;
  return j;
}

}  // namespace peregrine::engine
