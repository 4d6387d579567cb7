// Output-format compilation: "%proc.name ran %20proc.cmdline" → literal chunks and field extractors.
//
// Tokens: '%' [width] (field [ '[' arg ']' ] | transformer '(' ... ')'). The longest prefix that compiles as a
// field is taken, so "%proc.name)" works. A trailing '%' is an error. "%container.info" is deprecated and
// stripped. Missing values render as "<NA>" and as null (std::monostate) in typed fields.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/result.h"
#include "engine/fields/eval_context.h"
#include "engine/fields/registry.h"

namespace peregrine::engine {

class OutputFormat {
 public:
  struct Token {
    std::string literal;                           // text before the field (may be empty)
    std::shared_ptr<const Extractor> extractor;    // null for a trailing literal
    std::string key;                               // field text as written: "proc.aname[2]"
    size_t width = 0;                              // 0 = no padding/truncation
  };

  /// Renders the format for ctx's current event. text_out is overwritten (capacity reused); typed_fields (if
  /// given) receives one entry per field token.
  void render(EvalContext& ctx, std::string& text_out, std::map<std::string, FieldValue>* typed_fields) const;

  /// Keys of the field tokens, in order of appearance (duplicates removed).
  std::vector<std::string> field_keys() const;
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  friend Result<OutputFormat> compile_output(std::string_view, const FieldRegistry&, ExtractorPool*);
  std::vector<Token> tokens_;
  /// Indexes of the field tokens in key order, one per distinct key: into an empty map the typed fields are
  /// appended at its end (no key comparisons down the tree).
  std::vector<uint32_t> by_key_;
};

/// Compiles an output format string. Errors name the offending token.
Result<OutputFormat> compile_output(std::string_view format, const FieldRegistry& registry,
                                    ExtractorPool* pool = nullptr);

/// Text rendering of one extracted value of `type` (numbers in decimal, lists as "(a,b)", ips as text).
void render_value(const Extractor& ex, const ExtractedValue& v, std::string& out);
/// Typed rendering for output_fields.
FieldValue typed_value(const Extractor& ex, const ExtractedValue& v);

}  // namespace peregrine::engine
