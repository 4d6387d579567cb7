// Merging the checks of one `or` that test the same field with the same kind of operator.
//
// The upstream rules spell many of their sets as chains: `fd.name startswith /etc/cron or fd.name startswith
// /var/spool/cron or ...`, `proc.name = a or proc.name = b or proc.name in (list)`. Evaluated as written, a
// miss (the usual case) pays one virtual call and one comparison per alternative. Merged:
// - `=` and `in` on one field become one `in` set (one hash look-up, after a length/first-byte filter);
// - `startswith` on one field becomes a sorted prefix set: at most one candidate (the greatest prefix not
//   above the value, once prefixes that extend another are dropped) found by binary search;
// - `endswith` on one field becomes a suffix set filtered by the value's last byte.
// An `or` is true when any alternative is, and checks have no side effects, so the result is the same; the
// merged node takes the place of the group's first member.
#pragma once

#include <vector>

#include "engine/filter/nodes.h"

namespace peregrine::engine {

/// Rewrites `children` (the alternatives of one `or`) in place, merging as described above.
void merge_or_checks(std::vector<NodePtr>& children);

}  // namespace peregrine::engine
