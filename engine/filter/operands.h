// Operand construction: a field (with argument) or a transformer expression becomes one pooled Extractor.
// Transformers are extractors over other extractors, so their results are cached per event like fields.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/fields/registry.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

struct OperandInfo {
  const FieldInfo* field = nullptr;  // the underlying field for a plain field operand (nullptr for transformers)
  std::vector<const FieldInfo*> fields;  // every field referenced (for deprecation warnings)
};

/// Builds the extractor for a kField or kTransformer node (not "val"). Unknown fields give the
/// "filter_check called with nonexistent field X" error; fields of another source count as unknown.
Result<std::shared_ptr<const Extractor>> build_operand(const Ast& node, const FieldRegistry& registry,
                                                       ExtractorPool& pool, EventSource source,
                                                       OperandInfo* info);

/// True for the string-like types (string, flags, bytes).
bool is_string_type(FieldType t);
/// True for the numeric types (int64, uint64, port, reltime, abstime).
bool is_numeric_type(FieldType t);

}  // namespace peregrine::engine
