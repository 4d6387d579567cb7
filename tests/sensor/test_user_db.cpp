#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sensor/user_db.h"

using peregrine::sensor::UserDb;
namespace fs = std::filesystem;

TEST_CASE("user and group names from passwd/group files re-read when they change") {
  auto dir = fs::temp_directory_path() / ("pg-userdb-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto passwd = dir / "passwd", group = dir / "group";
  std::ofstream(passwd) << "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken line\n"
                           "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\ndup:x:1:1::/:/bin/sh\n";
  std::ofstream(group) << "root:x:0:\nshadow:x:42:\n";
  UserDb db(passwd.string(), group.string(), std::chrono::milliseconds(0));
  CHECK(db.user_name(0) == "root");
  CHECK(db.user_name(1) == "daemon");  // first entry wins
  CHECK(db.user_name(12345).empty());
  CHECK(db.group_name(42) == "shadow");
  // A new user appears (useradd while the sensor runs): mtime changes, the cache is re-read.
  {
    std::ofstream(passwd, std::ios::app) << "newuser:x:12345:12345::/home/n:/bin/sh\n";
  }
  auto t = fs::last_write_time(passwd);
  fs::last_write_time(passwd, t + std::chrono::seconds(5));
  db.refresh();  // lookups look at the files only every 64 calls; refresh() checks now
  CHECK(db.user_name(12345) == "newuser");
  CHECK(db.reloads() >= 2);
  fs::remove_all(dir);
}

TEST_CASE("lookups notice a changed file within 64 calls without an explicit refresh") {
  auto dir = fs::temp_directory_path() / ("pg-userdb2-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto passwd = dir / "passwd", group = dir / "group";
  std::ofstream(passwd) << "root:x:0:0::/root:/bin/sh\n";
  std::ofstream(group) << "root:x:0:\n";
  UserDb db(passwd.string(), group.string(), std::chrono::milliseconds(0));
  CHECK(db.user_name(4242).empty());
  std::ofstream(passwd, std::ios::app) << "late:x:4242:4242::/:/bin/sh\n";
  fs::last_write_time(passwd, fs::last_write_time(passwd) + std::chrono::seconds(5));
  std::string name;
  for (int i = 0; i < 64 && name.empty(); ++i) name = db.user_name(4242);
  CHECK(name == "late");
  fs::remove_all(dir);
}

TEST_CASE("missing files give empty names not errors") {
  UserDb db("/nonexistent/passwd", "/nonexistent/group");
  CHECK(db.user_name(0).empty());
  CHECK(db.group_name(0).empty());
}

TEST_CASE("the real /etc/passwd resolves root") {
  UserDb db;
  CHECK(db.user_name(0) == "root");
}
