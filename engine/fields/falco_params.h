// Falco's text renderings of syscall parameters: what evt.arg.NAME, evt.arg[N] and evt.args show.
//
// libsinsp renders every parameter twice (sinsp_evt::get_param_as_str): a raw text (the number in the event
// table's print format: decimal, uppercase hex without prefix, octal with a leading 0; the path as passed; the
// PPM value of a flags parameter) and a resolved text (flag names, the errno name, "<f>/etc/passwd" for an fd,
// the absolute path, the user name for a uid, the comm for a pid, "" when there is none). evt.arg shows the
// resolved text when there is one, else the raw text; evt.args shows "name=raw " or "name=raw(resolved) " for
// every parameter, trailing blank included. The per-parameter print formats and tables are Falco's event table
// (libs driver/event_table.c) for the exit events Peregrine's sensor sends; docs/fields.md lists them.
#pragma once

#include <cstddef>
#include <string>

#include "common/event.h"

namespace peregrine::engine::fields {

/// Both texts of parameter `idx` of `e` (idx < params.size()). An absent parameter renders as "NULL", as
/// libsinsp renders an empty one. Appends nothing else; both strings are overwritten.
void falco_param_texts(const Event& e, size_t idx, std::string& raw, std::string& resolved);

/// evt.arg for parameter `idx`: the resolved text if any, else the raw one. False (and `out` untouched) when the
/// parameter is absent: the field then has no value (<NA>).
bool falco_arg_text(const Event& e, size_t idx, std::string& out, std::string& scratch);

/// True when parameter `idx` of events of type `t` renders from its number alone (a flags or enum table: open
/// flags, socket family, clone flags, ...): the same number always gives the same text, so a caller may reuse it.
bool falco_arg_value_only(EventType t, size_t idx);

/// evt.args: every parameter the sensor sends, "name=raw " or "name=raw(resolved) ".
void falco_args_text(const Event& e, std::string& out, std::string& raw, std::string& resolved);

}  // namespace peregrine::engine::fields
