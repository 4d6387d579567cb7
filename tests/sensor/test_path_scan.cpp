// The open filter's path checks (bpf/path_scan.h, the code the BPF program runs: the word-wise scan and the
// byte-wise walk) against the reference semantics (common/open_filter.h). The kernel treats a path as canonical
// when it starts with '/', has no trailing '/', and either the scan finds no "/." or "//" or the walk agrees. So
// the scan must never pass a path the reference calls non-canonical, at any byte offset and whatever stale bytes
// follow the NUL in the per-CPU buffer, and the walk must agree with the reference on the rest.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "bpf/path_scan.h"
#include "common/open_filter.h"

namespace {

// The per-CPU key buffer as the kernel sees it: the path, its NUL, then whatever an earlier path left.
struct KeyBuffer {
  alignas(8) unsigned char bytes[PG_PATH_SCAN_WORDS * 8];
  KeyBuffer(const std::string& path, std::mt19937& rng, bool stale) {
    for (auto& b : bytes) b = stale ? static_cast<unsigned char>("/./."[rng() % 4]) : 0;
    std::memcpy(bytes, path.data(), path.size());
    bytes[path.size()] = 0;
  }
  int scan(size_t len) const {
    __u64 w[PG_PATH_SCAN_WORDS];
    std::memcpy(w, bytes, sizeof(w));
    return pg__path_no_slash_pairs(w, static_cast<__u32>(len));
  }
};

// What the kernel decides (bpf/open_filter.bpf.h pg__path_canonical): the word-wise scan, then the byte-wise
// walk (pg__canon_step, which bpf_loop drives there) and the check of the last component.
bool kernel_canonical(const std::string& path, const KeyBuffer& buf) {
  const auto len = static_cast<__u32>(path.size());
  if (len == 0 || path[0] != '/') return false;
  if (len > 1 && path.back() == '/') return false;
  if (buf.scan(len)) return true;
  pg_canon_ctx c{};
  c.path = buf.bytes;
  c.len = len;
  for (__u64 i = 0; i + 1 < len; ++i)
    if (pg__canon_step(i, &c)) break;
  if (c.bad) return false;
  if (len > 1 && c.comp == 0) return false;
  return !(c.comp > 0 && c.comp == c.dots && c.dots <= 2);
}

}  // namespace

TEST_CASE("path scan: plain absolute paths take the fast path") {
  std::mt19937 rng(1);
  for (const char* p : {"/", "/etc/hostname", "/usr/include/linux/types.h", "/a", "/proc/1/fd/3",
                        "/var/lib/docker/overlay2/abcdef0123456789/merged/etc/passwd"}) {
    const std::string s(p);
    CHECK_MESSAGE(KeyBuffer(s, rng, false).scan(s.size()) == 1, s);
    CHECK_MESSAGE(KeyBuffer(s, rng, true).scan(s.size()) == 1, s);  // stale bytes after the NUL do not matter
  }
}

TEST_CASE("path scan: a dot or an empty component at every byte offset is never passed") {
  std::mt19937 rng(2);
  for (const char* bad : {"//", "/./", "/../", "/.", "/..", "/.hidden/"}) {
    for (size_t prefix = 1; prefix < 120; ++prefix) {
      std::string path(prefix, 'a');  // "/" then prefix-1 bytes (not "/" + string: g++ 12 false -Wrestrict)
      path[0] = '/';
      path += bad;
      path += "tail";
      if (path.size() >= PG_PATH_SCAN_WORDS * 8) continue;
      for (bool stale : {false, true}) {
        KeyBuffer buf(path, rng, stale);
        CHECK_MESSAGE(buf.scan(path.size()) == 0, path);
        CHECK(kernel_canonical(path, buf) == peregrine::open_path_canonical(path));
      }
    }
  }
}

TEST_CASE("path scan: random paths - the kernel's verdict equals the reference") {
  std::mt19937 rng(3);
  const char alphabet[] = "/./a.b/c";
  for (int n = 0; n < 200000; ++n) {
    const size_t len = 1 + rng() % 254;
    std::string path(len, 'x');
    for (auto& c : path) c = alphabet[rng() % (sizeof(alphabet) - 1)];
    if (rng() % 2) path[0] = '/';
    KeyBuffer buf(path, rng, rng() % 2);
    REQUIRE_MESSAGE(kernel_canonical(path, buf) == peregrine::open_path_canonical(path), path);
  }
}
