// Which opens can a condition match? Derives the in-kernel open filter (common/open_filter.h) of one rule.
//
// The condition is read as a predicate over an open/openat/openat2/creat event and over-approximated by terms
// the kernel can check: "opened for writing" (evt.is_open_write = true) and the raw path against prefixes and
// exact names (fd.name / fd.nameraw with =, in, startswith, pmatch, glob's literal head; fd.directory). `and`
// intersects, `or` unites; every other check, every `not` and anything unknown accepts all opens, except a
// check whose event types exclude the open family (`evt.type = execve`), which accepts none. Being an
// over-approximation is what makes it safe: the kernel only drops opens that no rule could match.
#pragma once

#include "common/open_filter.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

/// The filter of one (macro-expanded) syscall rule condition, normalised.
OpenFilter open_prefilter(const Ast& condition);

}  // namespace peregrine::engine
