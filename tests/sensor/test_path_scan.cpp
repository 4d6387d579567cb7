// The open filter's word-wise path scan (bpf/path_scan.h, the code the BPF program runs) against the reference
// semantics (common/open_filter.h). The kernel treats a path as canonical when it starts with '/', has no
// trailing '/', and either the scan finds no "/." or "//" or the exact byte-wise walk agrees; the walk is the
// reference's. So the one thing the scan must never do is pass a path the reference calls non-canonical, at
// any byte offset and whatever stale bytes follow the NUL in the per-CPU buffer.
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

// What the kernel decides (bpf/open_filter.bpf.h pg__path_canonical), with the reference as the exact walk.
bool kernel_canonical(const std::string& path, const KeyBuffer& buf) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() > 1 && path.back() == '/') return false;
  if (buf.scan(path.size())) return true;
  return peregrine::open_path_canonical(path);
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
      std::string path = "/" + std::string(prefix - 1, 'a');
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
