// Output-format compilation and rendering.
#include <doctest/doctest.h>

#include "engine/filter/compiler.h"
#include "engine/filter/format.h"
#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

std::string render_text(const std::string& fmt, const Event& e, std::map<std::string, FieldValue>* typed = nullptr) {
  auto f = compile_output(fmt, builtin_fields());
  REQUIRE_MESSAGE(f.ok(), fmt << ": " << (f.ok() ? "" : f.error().message));
  EvalContext ctx(e);
  std::string out = "stale";
  f.value().render(ctx, out, typed);
  return out;
}

}  // namespace

TEST_CASE("literal text and fields") {
  Event e = make_open_event();
  CHECK(render_text("no fields at all", e) == "no fields at all");
  CHECK(render_text("", e) == "");
  CHECK(render_text("%proc.name", e) == "bash");
  CHECK(render_text("Shell %proc.name ran (cmd=%proc.cmdline file=%fd.name)", e) ==
        "Shell bash ran (cmd=bash -c ls -la file=/etc/shadow)");
  CHECK(render_text("%proc.name%proc.pname", e) == "bashsshd");
  CHECK(render_text("a%proc.name: b", e) == "abash: b");
}

TEST_CASE("longest-prefix field match") {
  Event e = make_open_event();
  CHECK(render_text("(%proc.name)", e) == "(bash)");
  CHECK(render_text("%proc.name.", e) == "bash.");
  CHECK(render_text("%proc.name,x", e) == "bash,x");
  CHECK(render_text("%fd.name:%fd.num", e) == "/etc/shadow:3");
  CHECK(render_text("%proc.aname[2]", e) == "systemd");
  CHECK(render_text("%proc.aname[2]x", e) == "systemdx");
  CHECK(render_text("%evt.arg.flags", e) == "O_RDONLY");
  CHECK(render_text("%evt.arg.name)", e) == "/etc/shadow)");
  CHECK(render_text("%proc.exe_ino.ctime", e) == "1690000000000000000");
}

TEST_CASE("widths pad and truncate") {
  Event e = make_open_event();
  CHECK(render_text("[%10proc.name]", e) == "[bash      ]");
  CHECK(render_text("[%2proc.name]", e) == "[ba]");
  CHECK(render_text("[%4proc.name]", e) == "[bash]");
  CHECK(render_text("[%6proc.pname]", e) == "[sshd  ]");
}

TEST_CASE("transformers in outputs") {
  Event e = make_open_event();
  e.proc.comm = "BaSh";
  CHECK(render_text("%tolower(proc.name)", e) == "bash");
  CHECK(render_text("%toupper(proc.name)!", e) == "BASH!");
  CHECK(render_text("%basename(proc.exe) %len(proc.name)", e) == "bash 4");
  std::map<std::string, FieldValue> typed;
  render_text("%tolower(proc.name)", e, &typed);
  CHECK(typed.count("tolower(proc.name)") == 1);
}

TEST_CASE("missing values print <NA> and are null") {
  Event e = make_open_event();
  e.proc.ancestors.clear();
  std::map<std::string, FieldValue> typed;
  CHECK(render_text("parent=%proc.pname gp=%proc.aname[2]", e, &typed) == "parent=<NA> gp=<NA>");
  CHECK(std::holds_alternative<std::monostate>(typed["proc.pname"]));
  CHECK(std::holds_alternative<std::monostate>(typed["proc.aname[2]"]));
}

TEST_CASE("typed output fields keep types and the text as written") {
  Event e = make_open_event();
  std::map<std::string, FieldValue> typed;
  render_text("%proc.name %user.uid %user.loginuid %evt.is_open_read %fd.num %proc.aname[1] %evt.arg.flags", e,
              &typed);
  REQUIRE(typed.size() == 7);
  CHECK(std::get<std::string>(typed["proc.name"]) == "bash");
  CHECK(std::get<uint64_t>(typed["user.uid"]) == 0);
  CHECK(std::get<int64_t>(typed["user.loginuid"]) == -1);
  CHECK(std::get<bool>(typed["evt.is_open_read"]) == true);
  CHECK(std::get<int64_t>(typed["fd.num"]) == 3);
  CHECK(std::get<std::string>(typed["proc.aname[1]"]) == "sshd");
  CHECK(std::get<std::string>(typed["evt.arg.flags"]) == "O_RDONLY");
  Event c = make_connect_event();
  typed.clear();
  render_text("%fd.sip %fd.sport", c, &typed);
  CHECK(std::get<std::string>(typed["fd.sip"]) == "93.184.216.34");
  CHECK(std::get<uint64_t>(typed["fd.sport"]) == 443);
}

// Into an empty map the typed fields are appended in key order (format.cpp by_key_); into one that already holds
// entries (an append_output's fields after the rule's) they are assigned one by one. Both give the same map as
// inserting every field token by its key: one entry per distinct key, whatever the order and repetitions.
TEST_CASE("typed fields: same map into an empty and into a filled map, repeated and unsorted keys") {
  Event e = make_open_event();
  std::map<std::string, FieldValue> fresh;
  render_text("x %user.uid %proc.name y %fd.num %proc.name %20proc.name %evt.type %fd.name", e, &fresh);
  std::map<std::string, FieldValue> expected{{"evt.type", std::string("openat")}, {"fd.name", std::string("/etc/shadow")},
                                             {"fd.num", int64_t{3}},           {"proc.name", std::string("bash")},
                                             {"user.uid", uint64_t{0}}};
  CHECK(fresh == expected);
  std::map<std::string, FieldValue> filled{{"aaa", std::string("kept")}, {"proc.name", std::string("overwritten")}};
  render_text("x %user.uid %proc.name y %fd.num %proc.name %20proc.name %evt.type %fd.name", e, &filled);
  expected["aaa"] = std::string("kept");
  CHECK(filled == expected);
}

TEST_CASE("container.info is deprecated and stripped") {
  Event e = make_open_event();
  CHECK(render_text("a %container.info b", e) == "a  b");
  auto f = compile_output("%proc.name %container.info", builtin_fields());
  REQUIRE(f.ok());
  CHECK(f.value().field_keys() == std::vector<std::string>{"proc.name"});
}

TEST_CASE("format errors") {
  CHECK(!compile_output("ends with %", builtin_fields()).ok());
  CHECK(compile_output("ends with %", builtin_fields()).error().message.find("trailing '%'") != std::string::npos);
  auto unknown = compile_output("x %proc.nosuchfield y", builtin_fields());
  REQUIRE(!unknown.ok());
  CHECK(is_unknown_field_error(unknown.error()));
  CHECK(unknown.error().message.find("proc.nosuchfield") != std::string::npos);
  CHECK(!is_unknown_field_error(compile_output("%tolower(evt.num)", builtin_fields()).error()));
  CHECK(!compile_output("100% sure", builtin_fields()).ok());
  CHECK(!compile_output("%", builtin_fields()).ok());
  CHECK(!compile_output("%20", builtin_fields()).ok());
  CHECK(!compile_output("%tolower(evt.num)", builtin_fields()).ok());
}

TEST_CASE("field keys and k8s audit fields in outputs") {
  auto f = compile_output("%ka.user.name did %ka.verb on %ka.target.resource as %ka.user.name %jevt.value[/stage]",
                          builtin_fields());
  REQUIRE(f.ok());
  CHECK(f.value().field_keys() ==
        std::vector<std::string>{"ka.user.name", "ka.verb", "ka.target.resource", "jevt.value[/stage]"});
  Event e;
  e.source = EventSource::kK8sAudit;
  e.type = EventType::kK8sAudit;
  e.payload = R"({"user":{"username":"alice"},"verb":"get","objectRef":{"resource":"pods"},"stage":"Done"})";
  EvalContext ctx(e);
  std::string out;
  f.value().render(ctx, out, nullptr);
  CHECK(out == "alice did get on pods as alice Done");
}
