#include "common/open_filter.h"

#include <algorithm>
#include <tuple>

namespace peregrine {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool covered(std::string_view path, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return starts_with(path, p); });
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

void normalize_term(OpenFilterTerm& t) {
  if (t.any_path) {
    t.prefixes.clear();
    t.exact.clear();
    return;
  }
  for (auto it = t.exact.begin(); it != t.exact.end();) {
    if (it->size() > kOpenFilterMaxPath) {  // cannot be matched whole in the kernel: keep it as a prefix
      t.prefixes.push_back(it->substr(0, kOpenFilterMaxPath));
      it = t.exact.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& p : t.prefixes)
    if (p.size() > kOpenFilterMaxPath) p.resize(kOpenFilterMaxPath);
  if (std::find(t.prefixes.begin(), t.prefixes.end(), std::string()) != t.prefixes.end()) {
    t.any_path = true;  // "" is a prefix of everything
    t.prefixes.clear();
    t.exact.clear();
    return;
  }
  sort_unique(t.prefixes);
  // Sorted order puts a prefix before everything it covers.
  std::vector<std::string> kept;
  for (auto& p : t.prefixes)
    if (!covered(p, kept)) kept.push_back(std::move(p));
  t.prefixes = std::move(kept);
  sort_unique(t.exact);
  std::erase_if(t.exact, [&](const std::string& e) { return e.empty() || covered(e, t.prefixes); });
}

}  // namespace

OpenFilterTerm merge_terms(OpenFilterTerm a, const OpenFilterTerm& b) {
  a.write_only = a.write_only && b.write_only;
  a.any_path = a.any_path || b.any_path;
  a.prefixes.insert(a.prefixes.end(), b.prefixes.begin(), b.prefixes.end());
  a.exact.insert(a.exact.end(), b.exact.begin(), b.exact.end());
  normalize_term(a);
  return a;
}

bool term_covers_path(const OpenFilterTerm& t, std::string_view path) {
  return t.any_path || covered(path, t.prefixes) || std::find(t.exact.begin(), t.exact.end(), path) != t.exact.end();
}

bool open_path_canonical(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  size_t comp = 0, dots = 0;
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '/') {
      if (comp == 0 || (comp == dots && dots <= 2)) return false;  // "//", "/./", "/../"
      comp = dots = 0;
    } else {
      ++comp;
      if (path[i] == '.') ++dots;
    }
  }
  if (path.size() > 1 && comp == 0) return false;  // trailing '/'
  return !(comp > 0 && comp == dots && dots <= 2);  // ends in "/." or "/.."
}

bool open_filter_accepts(const OpenFilter& f, std::string_view raw_path, bool write) {
  if (f.pass_all) return true;
  // The kernel reads 256 bytes with the NUL; a path that may have been cut (255 bytes or more) is never judged.
  const bool judgeable = raw_path.size() <= kOpenFilterMaxJudged && open_path_canonical(raw_path);
  for (const auto& t : f.terms) {
    if (t.write_only && !write) continue;
    if (!judgeable || term_covers_path(t, raw_path)) return true;
  }
  return false;
}

void normalize_open_filter(OpenFilter& f) {
  if (f.pass_all) {
    f.terms.clear();
    return;
  }
  for (auto& t : f.terms) normalize_term(t);
  auto by_key = [](const OpenFilterTerm& a, const OpenFilterTerm& b) {
    return std::tie(a.write_only, a.any_path, a.prefixes, a.exact) < std::tie(b.write_only, b.any_path, b.prefixes, b.exact);
  };
  std::sort(f.terms.begin(), f.terms.end(), by_key);
  f.terms.erase(std::unique(f.terms.begin(), f.terms.end()), f.terms.end());
  // Too many terms for the kernel's masks: merge neighbours (sorted, so same write_only first). Merging only
  // widens what passes.
  while (f.terms.size() > kOpenFilterMaxTerms) {
    size_t i = 0;
    for (size_t j = 0; j + 1 < f.terms.size(); ++j) {
      if (f.terms[j].write_only == f.terms[j + 1].write_only) {
        i = j;
        break;
      }
    }
    f.terms[i] = merge_terms(f.terms[i], f.terms[i + 1]);
    f.terms.erase(f.terms.begin() + static_cast<std::ptrdiff_t>(i) + 1);
  }
  size_t paths = 0;
  for (const auto& t : f.terms) {
    if (!t.write_only && t.any_path) f.pass_all = true;
    paths += t.prefixes.size() + t.exact.size();
  }
  if (paths > kOpenFilterMaxPaths) f.pass_all = true;
  if (f.pass_all) f.terms.clear();
}

std::string describe(const OpenFilter& f) {
  if (f.pass_all) return "pass all";
  size_t writes = 0, paths = 0;
  for (const auto& t : f.terms) {
    writes += t.write_only ? 1 : 0;
    paths += t.prefixes.size() + t.exact.size();
  }
  return std::to_string(f.terms.size()) + " terms (" + std::to_string(writes) + " for writes only), " +
         std::to_string(paths) + " paths";
}

Result<void> validate_open_filter(const OpenFilter& f) {
  if (f.pass_all) return {};
  if (f.terms.size() > kOpenFilterMaxTerms)
    return make_error("open filter has " + std::to_string(f.terms.size()) + " terms (at most " +
                      std::to_string(kOpenFilterMaxTerms) + ")");
  size_t paths = 0;
  for (const auto& t : f.terms) {
    for (const auto* list : {&t.prefixes, &t.exact}) {
      for (const auto& p : *list) {
        if (p.empty() || p.size() > kOpenFilterMaxPath)
          return make_error("open filter path of " + std::to_string(p.size()) + " bytes (1 to " +
                            std::to_string(kOpenFilterMaxPath) + ")");
        if (p.find('\0') != std::string::npos) return make_error("open filter path contains a NUL byte");
      }
      paths += list->size();
    }
  }
  if (paths > kOpenFilterMaxPaths) return make_error("open filter has more than " +
                                                     std::to_string(kOpenFilterMaxPaths) + " paths");
  return {};
}

}  // namespace peregrine
