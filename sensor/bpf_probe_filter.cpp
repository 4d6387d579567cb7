// BpfProbe::set_open_filter: the engine's open filter into the `pg_open_paths` trie and the term masks of
// `pg_settings` (bpf/open_filter.bpf.h). BpfProbe::set_close_filter: the switch of bpf/fd_bits.bpf.h.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "peregrine.skel.h"
#include "sensor/bpf_probe.h"

namespace peregrine::sensor {
namespace {

// Trie entries: key bytes (prefix, or exact path with its NUL) -> mask of the terms that contain the entry or a
// shorter prefix of it, so that the kernel's single longest-prefix lookup answers for every term.
std::map<std::string, uint8_t> trie_entries(const OpenFilter& f) {
  std::map<std::string, uint8_t> own;
  for (size_t i = 0; i < f.terms.size(); ++i) {
    const auto bit = static_cast<uint8_t>(1u << i);
    for (const auto& p : f.terms[i].prefixes) own[p] |= bit;
    for (const auto& e : f.terms[i].exact) own[e + std::string(1, '\0')] |= bit;
  }
  std::map<std::string, uint8_t> folded = own;
  for (auto& [key, mask] : folded) {
    for (const auto& [other, other_mask] : own) {
      const bool exact_other = !other.empty() && other.back() == '\0';
      if (!exact_other && other.size() < key.size() && key.compare(0, other.size(), other) == 0) mask |= other_mask;
    }
  }
  return folded;
}

}  // namespace

Result<void> BpfProbe::set_close_filter(bool active) {
  std::lock_guard lk(settings_mu_);
  settings_.close_filter_active = active ? 1 : 0;
  return write_settings();
}

Result<void> BpfProbe::set_open_filter(const OpenFilter& f) {
  if (auto ok = validate_open_filter(f); !ok) return ok;
  std::lock_guard lk(settings_mu_);
  // Report everything while the trie is rewritten.
  settings_.open_filter_active = 0;
  if (auto r = write_settings(); !r) return r;

  const int fd = bpf_map__fd(skel_->maps.pg_open_paths);
  pg_path_key key{}, next{};
  while (bpf_map_get_next_key(fd, nullptr, &next) == 0) {
    if (bpf_map_delete_elem(fd, &next) != 0)
      return make_error(std::string("cannot clear pg_open_paths: ") + std::strerror(errno));
  }
  if (f.pass_all) return {};

  for (const auto& [bytes, mask] : trie_entries(f)) {
    std::memset(&key, 0, sizeof(key));
    std::memcpy(key.path, bytes.data(), bytes.size());  // validated: at most kOpenFilterMaxPath + 1 bytes
    key.prefixlen = static_cast<uint32_t>(bytes.size() * 8);
    if (bpf_map_update_elem(fd, &key, &mask, BPF_ANY) != 0)
      return make_error(std::string("cannot fill pg_open_paths: ") + std::strerror(errno));
  }
  uint8_t all = 0, read = 0, any = 0;
  for (size_t i = 0; i < f.terms.size(); ++i) {
    const auto bit = static_cast<uint8_t>(1u << i);
    all |= bit;
    if (!f.terms[i].write_only) read |= bit;
    if (f.terms[i].any_path) any |= bit;
  }
  settings_.open_terms_all = all;
  settings_.open_terms_read = read;
  settings_.open_terms_any_path = any;
  settings_.open_filter_active = 1;
  return write_settings();
}

}  // namespace peregrine::sensor
