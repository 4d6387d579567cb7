// The in-kernel open filter: which open/openat/openat2/creat events the sensor may drop before they leave the
// kernel, because no loaded rule could match them.
//
// The engine derives it from the rules' conditions (engine/filter/open_prefilter.*), sends it with the event-type
// selection (common/transport/control.*), and the sensor loads it into BPF maps (sensor/bpf_probe_filter.cpp,
// bpf/open_filter.bpf.h). It is an over-approximation: an open passes when some term accepts it, and a term
// that cannot judge a path (relative, "//", "/./", "/../", trailing '/') accepts it, because only user space
// knows the normalised fd.name of such a path. `open_filter_accepts` is the reference semantics the kernel
// implements; tests compare the two.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace peregrine {

struct OpenFilterTerm {
  bool write_only = false;            // only opens for writing (O_WRONLY / O_RDWR, or creat)
  bool any_path = true;               // no path constraint
  std::vector<std::string> prefixes;  // otherwise: fd.name starts with one of these ...
  std::vector<std::string> exact;     // ... or equals one of these (no path at all: non-canonical paths only)
  bool operator==(const OpenFilterTerm&) const = default;

  /// A term with a path constraint.
  static OpenFilterTerm paths(bool write_only, std::vector<std::string> prefixes,
                              std::vector<std::string> exact = {}) {
    return OpenFilterTerm{write_only, false, std::move(prefixes), std::move(exact)};
  }
};

struct OpenFilter {
  bool pass_all = true;              // no filtering
  std::vector<OpenFilterTerm> terms; // when !pass_all: an open passes if some term accepts it; none = drop all
  bool operator==(const OpenFilter&) const = default;
};

inline constexpr size_t kOpenFilterMaxTerms = 8;     // one bit each in the kernel's masks
inline constexpr size_t kOpenFilterMaxPaths = 4096;  // entries of the kernel's prefix trie
inline constexpr size_t kOpenFilterMaxPath = 253;    // bytes of one prefix / exact path (NUL and key fit 256)
inline constexpr size_t kOpenFilterMaxJudged = 254;  // longer raw paths always pass (the kernel may cut them)

/// True when the kernel can judge `path` by its bytes: absolute, no empty, "." or ".." component, no trailing
/// '/' (then the raw path is the fd.name user space will compute).
bool open_path_canonical(std::string_view path);

/// True when `path` satisfies the term's path constraint (any path, a prefix, or an exact name).
bool term_covers_path(const OpenFilterTerm& t, std::string_view path);

/// One term that accepts whatever `a` or `b` accepts (write_only only if both are; paths united).
OpenFilterTerm merge_terms(OpenFilterTerm a, const OpenFilterTerm& b);

/// Reference semantics of the kernel check.
bool open_filter_accepts(const OpenFilter& f, std::string_view raw_path, bool write);

/// Sorts and de-duplicates, drops paths a prefix of the same term covers, truncates long paths to prefixes,
/// widens to at most kOpenFilterMaxTerms terms and kOpenFilterMaxPaths paths (widening only ever lets more
/// through), and turns a filter that accepts everything into pass_all.
void normalize_open_filter(OpenFilter& f);

/// One line for logs: "pass all", or "N terms (W for writes only), P paths".
std::string describe(const OpenFilter& f);

/// Checks a filter received from elsewhere (the control link): limits, absolute paths.
Result<void> validate_open_filter(const OpenFilter& f);

}  // namespace peregrine
