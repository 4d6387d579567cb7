// Templates (outputs/template): variables, missing fields as <NA>, sections, raw values, every escaping, and
// syntax errors with positions; GSM-7 sizes, transliteration and shortening.
#include <doctest/doctest.h>

#include "common/config/config.h"
#include "outputs/template/gsm7.h"
#include "outputs/template/template.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

Alert alert() {
  Alert a = test::sample_alert();  // rule "Write below binary dir", priority Error, fd.name /bin/hack
  a.output_fields["proc.aname[2]"] = std::string("sshd");
  a.output_fields["proc.pid"] = int64_t{4242};
  a.output_fields["container.image"] = std::string("nginx");
  a.output_fields["container.image.repository"] = std::string("docker.io/nginx");
  a.output_fields["proc.cmdline"] = std::string("sh -c \"x<y & z\"");
  return a;
}

std::string render(const std::string& t, Escape e = Escape::kNone) { return Template::parse(t, e).render(alert()); }

std::string parse_error(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: stdout\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "tpl.yaml");
  REQUIRE(cfg.ok());
  auto r = cfg->router.outputs.at(0).reader();
  try {
    read_template(r, "text", "", Escape::kNone);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("template: alert keys, fields by their Falco names, <NA> for missing, overlapping names") {
  CHECK(render("{{priority}}: {{rule}} on {{hostname}} ({{source}})") ==
        "Error: Write below binary dir on node-1 (syscall)");
  CHECK(render("{{fd.name}} by {{proc.aname[2]}} pid={{proc.pid}}") == "/bin/hack by sshd pid=4242");
  CHECK(render("{{container.image}} / {{container.image.repository}}") == "nginx / docker.io/nginx");
  CHECK(render("{{k8s.pod.name}} {{k8s.ns.name}}") == "<NA> <NA>");  // absent, and null
  CHECK(render("{{tags}}|{{time}}|{{uuid}}") ==
        "filesystem,mitre_persistence|2019-05-17T15:31:56.746609046Z|6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f");
  CHECK(render("{{ priority_lower }} {{priority_upper}}") == "error ERROR");
  CHECK(render("{{! a comment }}x") == "x");
}

TEST_CASE("template: sections render on present values, inverted sections otherwise") {
  CHECK(render("{{#fd.name}}file {{fd.name}}{{/fd.name}}{{^fd.name}}no file{{/fd.name}}") == "file /bin/hack");
  CHECK(render("{{#k8s.ns.name}}ns {{k8s.ns.name}}{{/k8s.ns.name}}{{^k8s.ns.name}}host{{/k8s.ns.name}}") == "host");
  CHECK(render("{{#container.id}}[{{container.id}}]{{/container.id}}") == "");
}

TEST_CASE("template: escaping per target, and raw values") {
  CHECK(render("{{proc.cmdline}}", Escape::kJson) == R"(sh -c \"x<y & z\")");
  CHECK(render("{{proc.cmdline}}", Escape::kSlack) == "sh -c \"x&lt;y &amp; z\"");
  CHECK(render("{{{proc.cmdline}}}", Escape::kSlack) == "sh -c \"x<y & z\"");
  CHECK(render("{{& proc.cmdline}}", Escape::kJson) == "sh -c \"x<y & z\"");
  CHECK(render("q={{rule}}", Escape::kUrl) == "q=Write%20below%20binary%20dir");
  Alert a = alert();
  a.output = "Ação “shell” – café €5 日本";
  CHECK(Template::parse("{{output}}", Escape::kGsm7).render(a) == "Acao \"shell\" - café €5 ??");
  CHECK(Template::parse("{{output}}", Escape::kSlack).render(a) == a.output);
  CHECK(Template::parse("lit{{ rule }}eral").variables() == std::vector<std::string>{"rule"});
}

TEST_CASE("template: syntax errors fail at load with the position inside the config file") {
  CHECK(parse_error("      text: \"{{rule}} {{proc.name\"\n").find("tpl.yaml:4:") != std::string::npos);
  CHECK(parse_error("      text: \"{{rule}} {{proc.name\"\n").find("without its '}}'") != std::string::npos);
  CHECK(parse_error("      text: \"{{#fd.name}}x\"\n").find("is not closed") != std::string::npos);
  CHECK(parse_error("      text: \"{{#a.b}}x{{/c.d}}\"\n").find("where '{{/a.b}}' was expected") != std::string::npos);
  CHECK(parse_error("      text: \"x{{/a.b}}\"\n").find("closes no open section") != std::string::npos);
  CHECK(parse_error("      text: \"{{procname}}\"\n").find("unknown variable 'procname'") != std::string::npos);
  CHECK(parse_error("      text: \"{{}}\"\n").find("empty tag") != std::string::npos);
  CHECK(parse_error("      text: [a]\n").find("expected a template") != std::string::npos);
  CHECK_THROWS_AS(Template::parse("{{rule"), std::invalid_argument);
}

TEST_CASE("gsm7: sizes, segments and visible shortening") {
  CHECK(sms_size(std::string(160, 'a')).segments == 1);
  CHECK(sms_size(std::string(161, 'a')).segments == 2);      // 153 per concatenated part
  CHECK(sms_size(std::string(306, 'a')).segments == 2);
  CHECK(sms_size(std::string(307, 'a')).segments == 3);
  CHECK(sms_size("{}").units == 4);                          // extension table: two septets each
  const auto u = sms_size("日本");
  CHECK(u.encoding == SmsEncoding::kUcs2);
  CHECK(u.units == 2);
  std::string seventy_one;
  for (int i = 0; i < 71; ++i) seventy_one += "é日";
  CHECK(sms_size(seventy_one).segments == 3);  // 142 UTF-16 units, 67 per part
  const std::string long_text(600, 'x');
  const std::string cut = sms_shorten(long_text, 3, "…[cut]");
  CHECK(sms_size(cut).segments <= 3);
  CHECK(cut.size() < long_text.size());
  CHECK(cut.substr(cut.size() - std::string("…[cut]").size()) == "…[cut]");
  CHECK(sms_shorten("short", 1, "[cut]") == "short");
  const std::string one = sms_shorten(long_text, 1, "[cut]");
  CHECK(sms_size(one).units == 160);  // '[' and ']' are extension characters: 2 septets each
  CHECK(one.size() == 153 + 5);
  const std::string ucs = sms_shorten(long_text, 3, "…");  // a non-GSM marker makes the whole text UCS-2
  CHECK(sms_size(ucs).encoding == SmsEncoding::kUcs2);
  CHECK(sms_size(ucs).segments == 3);
  CHECK(gsm7_transliterate("naïve — “quote”") == "naive - \"quote\"");
}
