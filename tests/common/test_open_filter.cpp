// The open filter's reference semantics, normalisation limits and its form on the control link.
#include <doctest/doctest.h>

#include "common/open_filter.h"
#include "common/transport/control.h"

using namespace peregrine;

namespace {

OpenFilter filter(std::vector<OpenFilterTerm> terms) {
  OpenFilter f{false, std::move(terms)};
  normalize_open_filter(f);
  return f;
}

}  // namespace

TEST_CASE("only absolute paths without empty, dot or dot-dot components are canonical") {
  CHECK(open_path_canonical("/"));
  CHECK(open_path_canonical("/etc/shadow"));
  CHECK(open_path_canonical("/home/u/.ssh/id_rsa"));
  CHECK(open_path_canonical("/a/.../b"));
  CHECK_FALSE(open_path_canonical(""));
  CHECK_FALSE(open_path_canonical("shadow"));
  CHECK_FALSE(open_path_canonical("./shadow"));
  CHECK_FALSE(open_path_canonical("//etc/shadow"));
  CHECK_FALSE(open_path_canonical("/etc//shadow"));
  CHECK_FALSE(open_path_canonical("/tmp/../etc/shadow"));
  CHECK_FALSE(open_path_canonical("/etc/./shadow"));
  CHECK_FALSE(open_path_canonical("/etc/"));
  CHECK_FALSE(open_path_canonical("/etc/.."));
  CHECK_FALSE(open_path_canonical("/etc/."));
}

TEST_CASE("an open passes when some term accepts it") {
  auto f = filter({OpenFilterTerm::paths(true, {"/etc/"}), OpenFilterTerm::paths(false, {"/root/.ssh/"}, {"/etc/shadow"})});
  CHECK(open_filter_accepts(f, "/etc/passwd", true));
  CHECK_FALSE(open_filter_accepts(f, "/etc/passwd", false));
  CHECK(open_filter_accepts(f, "/etc/shadow", false));
  CHECK_FALSE(open_filter_accepts(f, "/etc/shadow.bak", false));
  CHECK(open_filter_accepts(f, "/root/.ssh/id_rsa", false));
  CHECK_FALSE(open_filter_accepts(f, "/etc/hostname", false));
  CHECK_FALSE(open_filter_accepts(f, "/usr/lib/x.so", true));
  SUBCASE("paths the kernel cannot judge always pass") {
    CHECK(open_filter_accepts(f, "shadow", false));
    CHECK(open_filter_accepts(f, "/tmp/../etc/shadow", false));
    CHECK(open_filter_accepts(f, "/etc//hostname", false));
    CHECK(open_filter_accepts(f, "/tmp/" + std::string(250, 'a'), false));  // may be cut by the kernel read
    CHECK_FALSE(open_filter_accepts(f, "/tmp/" + std::string(249, 'a'), false));
  }
  SUBCASE("but not past a write-only term") {
    auto w = filter({OpenFilterTerm::paths(true, {"/etc/"})});
    CHECK_FALSE(open_filter_accepts(w, "shadow", false));
    CHECK(open_filter_accepts(w, "shadow", true));
  }
  SUBCASE("no terms drops every open, pass_all none") {
    CHECK_FALSE(open_filter_accepts(filter({}), "x", true));
    CHECK(open_filter_accepts(OpenFilter{}, "/etc/hostname", false));
  }
}

TEST_CASE("normalisation drops covered paths, caps terms and recognises pass-all") {
  auto f = filter({OpenFilterTerm::paths(false, {"/etc/", "/etc/pam.d/", "/etc/"}, {"/etc/shadow", "/var/x", ""})});
  REQUIRE(f.terms.size() == 1);
  CHECK(f.terms[0].prefixes == std::vector<std::string>{"/etc/"});
  CHECK(f.terms[0].exact == std::vector<std::string>{"/var/x"});

  std::vector<OpenFilterTerm> many;
  for (int i = 0; i < 20; ++i) many.push_back(OpenFilterTerm::paths(i % 2 == 0, {"/d" + std::to_string(i) + "/"}));
  auto capped = filter(many);
  CHECK(capped.terms.size() <= kOpenFilterMaxTerms);
  for (int i = 0; i < 20; ++i) CHECK(open_filter_accepts(capped, "/d" + std::to_string(i) + "/f", i % 2 == 0));

  CHECK(filter({OpenFilterTerm::paths(false, {""})}).pass_all);
  OpenFilterTerm any;  // no constraint at all
  CHECK(filter({OpenFilterTerm::paths(true, {"/etc/"}), any}).pass_all);
  auto write_any = filter({OpenFilterTerm{true, true, {}, {}}});
  CHECK_FALSE(write_any.pass_all);
  CHECK(open_filter_accepts(write_any, "/x", true));
  CHECK_FALSE(open_filter_accepts(write_any, "/x", false));

  auto long_exact = filter({OpenFilterTerm::paths(false, {}, {"/" + std::string(300, 'b')})});
  REQUIRE(long_exact.terms.size() == 1);
  CHECK(long_exact.terms[0].exact.empty());
  CHECK(long_exact.terms[0].prefixes[0].size() == kOpenFilterMaxPath);
  CHECK(validate_open_filter(long_exact).ok());
}

TEST_CASE("the control message carries the open filter and rejects one over the kernel's limits") {
  transport::ControlMessage m;
  m.event_types = {"openat"};
  m.generation = 7;
  m.open_filter = filter({OpenFilterTerm::paths(true, {"/etc/"}), OpenFilterTerm::paths(false, {"/root/.ssh/"}, {"/etc/shadow"}),
                          OpenFilterTerm{true, true, {}, {}}});
  auto back = transport::decode_control(transport::encode_control(m));
  REQUIRE(back.ok());
  CHECK(*back == m);

  transport::ControlMessage plain;
  auto plain_back = transport::decode_control(transport::encode_control(plain));
  REQUIRE(plain_back.ok());
  CHECK(plain_back->open_filter.pass_all);
  auto old = transport::decode_control(R"({"version":1,"generation":2,"event_types":[]})");
  REQUIRE(old.ok());
  CHECK(old->open_filter.pass_all);

  std::string terms;
  for (int i = 0; i < 9; ++i) terms += std::string(i ? "," : "") + R"({"write_only":true})";
  auto too_many = transport::decode_control(R"({"version":1,"generation":2,"event_types":[],"open_filter":{"terms":[)" +
                                            terms + "]}}");
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().message.find("terms") != std::string::npos);
  auto empty_path = transport::decode_control(
      R"({"version":1,"generation":2,"event_types":[],"open_filter":{"terms":[{"write_only":false,"prefixes":[""],"exact":[]}]}})");
  CHECK_FALSE(empty_path.ok());
}
