// Golden payload tests for the file and stdout outputs' pure format step, plus their send paths on temp files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "outputs/file/file_output.h"
#include "outputs/json_lines.h"
#include "outputs/stdout/stdout_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::outputs;
using peregrine::testing::TempDir;

namespace {

const std::string kGoldenJsonLine =
    R"J({"hostname":"node-1","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","k8s.ns.name":null,"user.name":"root"},"priority":"Error","rule":"Write below binary dir","source":"syscall","tags":["filesystem","mitre_persistence"],"time":"2019-05-17T15:31:56.746609046Z","uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"})J"
    "\n";

const std::string kGoldenTextLine =
    "2019-05-17T15:31:56.746609046Z: Error 16:31:56.746609046: Error File below a known binary directory opened "
    "for writing (user=root file=/bin/hack)\n";

OutputCommon common_for(const std::string& type) {
  OutputCommon c;
  c.type = type;
  c.name = type;
  return c;
}

}  // namespace

TEST_CASE("json line golden: keys sorted, tags sorted, null field kept, uuid included") {
  CHECK(alert_json_line(test::sample_alert()) == kGoldenJsonLine);
}

TEST_CASE("text line golden: time, priority name, output") {
  CHECK(alert_text_line(test::sample_alert()) == kGoldenTextLine);
}

TEST_CASE("file output formats a batch as one payload of JSON lines covering every item") {
  FileOutput out(common_for("file"), FileOutputConfig{"/nonexistent/unused", 0, 5, true});
  std::vector<Alert> batch{test::sample_alert(), test::sample_alert()};
  auto p = out.format(batch);
  REQUIRE(p.ok());
  REQUIRE(p->payloads.size() == 1);
  CHECK(p->payloads[0].body == kGoldenJsonLine + kGoldenJsonLine);
  CHECK(p->payloads[0].items == std::vector<size_t>{0, 1});
}

TEST_CASE("stdout output formats json or text lines") {
  std::vector<Alert> batch{test::sample_alert()};
  StdoutOutput json_out(common_for("stdout"), StdoutOutputConfig{false});
  StdoutOutput text_out(common_for("stdout"), StdoutOutputConfig{true});
  CHECK(json_out.format(batch)->payloads.at(0).body == kGoldenJsonLine);
  CHECK(text_out.format(batch)->payloads.at(0).body == kGoldenTextLine);
}

TEST_CASE("stdout output writes the payload to its descriptor") {
  TempDir t;
  const auto path = t.path() / "stdout.txt";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  REQUIRE(fd.valid());
  StdoutOutput out(common_for("stdout"), StdoutOutputConfig{true}, fd.get());
  std::vector<Alert> batch{test::sample_alert()};
  auto p = out.format(batch);
  REQUIRE(p.ok());
  CHECK(out.send(p->payloads.at(0)).ok());
  CHECK(testing::slurp(path) == kGoldenTextLine);
}

TEST_CASE("file output appends lines and fsyncs on flush") {
  TempDir t;
  const auto path = (t.path() / "alerts.jsonl").string();
  FileOutput out(common_for("file"), FileOutputConfig{path, 0, 5, true});
  std::vector<Alert> batch{test::sample_alert()};
  auto p = out.format(batch);
  REQUIRE(p.ok());
  CHECK(out.send(p->payloads.at(0)).ok());
  CHECK(out.send(p->payloads.at(0)).ok());
  CHECK(out.flush().ok());
  CHECK(testing::slurp(path) == kGoldenJsonLine + kGoldenJsonLine);
}

TEST_CASE("file output rotates by size and keeps keep_files old files") {
  TempDir t;
  const auto path = (t.path() / "alerts.jsonl").string();
  FileOutput out(common_for("file"), FileOutputConfig{path, 4096, 2, false});
  std::vector<Alert> batch{test::sample_alert()};
  auto p = out.format(batch);
  REQUIRE(p.ok());
  const size_t line = kGoldenJsonLine.size();
  const size_t per_file = 4096 / line;  // whole lines fit; the next one triggers rotation
  for (size_t i = 0; i < per_file * 4; ++i) REQUIRE(out.send(p->payloads.at(0)).ok());
  CHECK(std::filesystem::exists(path + ".1"));
  CHECK(std::filesystem::exists(path + ".2"));
  CHECK_FALSE(std::filesystem::exists(path + ".3"));
  for (const auto& f : {path, path + ".1", path + ".2"}) {
    CHECK(std::filesystem::file_size(f) <= 4096);
    CHECK(std::filesystem::file_size(f) % line == 0);  // never a split line
  }
}

TEST_CASE("file output reports an I/O failure (facts only) when the path cannot be opened") {
  FileOutput out(common_for("file"), FileOutputConfig{"/nonexistent-dir/x/alerts.jsonl", 0, 5, true});
  std::vector<Alert> batch{test::sample_alert()};
  auto r = out.send(out.format(batch)->payloads.at(0));
  REQUIRE(r.failure.has_value());
  CHECK(r.failure->kind == SendFailure::Kind::kIo);
  CHECK(r.failure->message.find("/nonexistent-dir/x/alerts.jsonl") != std::string::npos);
}
