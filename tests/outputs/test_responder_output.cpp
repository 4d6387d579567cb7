#include <doctest/doctest.h>

#include "common/alert_text.h"
#include "outputs/responder/responder_output.h"
#include "tests/outputs/build_output.h"

using namespace peregrine;
using peregrine::test::build_output;
using peregrine::test::output_error;

namespace {

Alert alert_from(const std::string& source) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = 1'700'000'000'000'000'000ull;
  a.rule = "r";
  a.output = "o";
  a.source = source;
  return a;
}

}  // namespace

TEST_CASE("responder output: one POST per alert with its uuid, outcome alerts set aside") {
  auto out = build_output("responder", "");
  std::vector<Alert> batch{alert_from("syscall"), alert_from("response"), alert_from("k8s_audit")};
  auto f = out->format(batch);
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 2);
  CHECK(f->payloads[0].url == "http://127.0.0.1:2803/alerts");
  CHECK(f->payloads[0].method == "POST");
  CHECK(f->payloads[0].content_type == "application/json");
  CHECK(f->payloads[0].body == alert_json_text(batch[0]));
  CHECK(f->payloads[0].items == std::vector<size_t>{0});
  CHECK(f->payloads[1].items == std::vector<size_t>{2});
  REQUIRE(f->set_aside.size() == 1);
  CHECK(f->set_aside[0].item == 1);
  CHECK(f->set_aside[0].reason == "response_loop");
  auto loop = build_output("responder", "      include_responses: true\n      url: http://127.0.0.1:9/x\n");
  auto g = loop->format(batch);
  CHECK(g->payloads.size() == 3);
  CHECK(g->payloads[0].url == "http://127.0.0.1:9/x");
}

TEST_CASE("responder output: bad keys are errors with their position") {
  CHECK(output_error("responder", "      url: ftp://x\n").find("responder.yaml:5:") == 0);
  CHECK(output_error("responder", "      include_responses: maybe\n").find("responder.yaml:5:") == 0);
  CHECK(output_error("responder", "      colour: red\n").find("responder.yaml:5:") == 0);
}
