// contains_substring (engine/filter/substring.h) answers exactly as std::string_view::find, at every needle and
// haystack length around the 16-byte vector blocks, with matches at the first, last and block-boundary positions,
// and near misses (first and last byte match, middle does not).
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "engine/filter/substring.h"

using peregrine::engine::contains_substring;

namespace {

bool reference(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

}  // namespace

TEST_CASE("contains_substring matches the upstream rules' needles in paths") {
  CHECK(contains_substring("/home/alice/.ssh/id_rsa", "/.ssh/"));
  CHECK(contains_substring("/home/alice/.ssh/id_rsa", "id_rsa"));
  CHECK_FALSE(contains_substring("/usr/lib/x86_64-linux-gnu/libc.so.6", "/.ssh/"));
  CHECK(contains_substring("/etc/../etc/shadow", "../"));
  CHECK(contains_substring("O_RDWR|O_CREAT|O_TRUNC", "O_TRUNC"));
  CHECK_FALSE(contains_substring("O_RDWR|O_CREAT", "O_TRUNC"));
  CHECK(contains_substring("abc", ""));
  CHECK(contains_substring("", ""));
  CHECK_FALSE(contains_substring("", "a"));
  CHECK_FALSE(contains_substring("ab", "abc"));
  CHECK(contains_substring("abc", "abc"));
}

TEST_CASE("contains_substring agrees with string_view find at every length and position") {
  // Small alphabet so that first/last byte candidates that fail in the middle are frequent.
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> pick(0, 2);
  const char alpha[] = {'/', 'a', '.'};
  size_t found = 0;
  size_t total = 0;
  for (size_t n = 0; n <= 70; ++n) {
    for (size_t m = 1; m <= 20; ++m) {
      for (int rep = 0; rep < 12; ++rep) {
        std::string hay(n, 'x');
        for (auto& c : hay) c = alpha[pick(rng)];
        std::string needle(m, 'x');
        for (auto& c : needle) c = alpha[pick(rng)];
        // Half the time plant the needle at a chosen position (start, end, block boundaries, anywhere).
        if (rep % 2 == 0 && m <= n) {
          const size_t spots[] = {0, n - m, std::min<size_t>(15, n - m), std::min<size_t>(16, n - m),
                                  static_cast<size_t>(rng() % (n - m + 1))};
          hay.replace(spots[rep / 2 % 5], m, needle);
        }
        // An exact-size heap copy: a read past the haystack's end is an overflow that the ASan build reports.
        std::unique_ptr<char[]> exact(new char[n]);
        std::memcpy(exact.get(), hay.data(), n);
        const std::string_view hv(exact.get(), n);
        const bool want = reference(hv, needle);
        REQUIRE_MESSAGE(contains_substring(hv, needle) == want, ("hay=" + hay + " needle=" + needle));
        found += want ? 1 : 0;
        ++total;
      }
    }
  }
  CHECK(found > total / 4);  // the planted half and chance matches: both answers were exercised
  CHECK(found < total);
}
