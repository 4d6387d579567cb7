// Which compiled rules read the process environment (proc.env, proc.env[VAR]). The sensor attaches each
// process's environment to its events only when some enabled rule does: the engine says so in the control
// message ("proc_env", docs/transport.md), so events stay small for the usual rule sets.
#pragma once

#include "engine/filter/ast.h"
#include "engine/filter/format.h"

namespace peregrine::engine {

/// True if the condition tree has a proc.env field anywhere: in a check, a transformer's arguments or a list.
/// Pass the tree after macro substitution, so that macros count.
bool ast_reads_proc_env(const Ast& ast);
/// True if a field token of the output format ("%proc.env", "%proc.env[HOME]", "%tolower(proc.env)") reads it.
bool output_reads_proc_env(const OutputFormat& format);

}  // namespace peregrine::engine
