#include <doctest/doctest.h>

#include "sensor/path_util.h"

using peregrine::sensor::join_path;
using peregrine::sensor::normalize_path;

TEST_CASE("normalize_path collapses dots slashes and parent references") {
  CHECK(normalize_path("/etc/../etc/../etc/shadow") == "/etc/shadow");
  CHECK(normalize_path("//etc///passwd") == "/etc/passwd");
  CHECK(normalize_path("/etc/./ssh/") == "/etc/ssh");
  CHECK(normalize_path("/..") == "/");
  CHECK(normalize_path("/../../x") == "/x");
  CHECK(normalize_path("/") == "/");
  CHECK(normalize_path("a/../../b") == "../b");
  CHECK(normalize_path("./a") == "a");
  CHECK(normalize_path(".") == ".");
}

TEST_CASE("join_path resolves relative paths against a directory") {
  CHECK(join_path("/home/u", "../../etc/shadow") == "/etc/shadow");
  CHECK(join_path("/tmp", "x/./y") == "/tmp/x/y");
  CHECK(join_path("/tmp", "/etc/passwd") == "/etc/passwd");
  CHECK(join_path("/", "etc") == "/etc");
  CHECK(join_path("", "rel") == "rel");
}
