// http_sms output without a network: golden Kannel sendsms requests (GET URL, POST headers and body), UCS-2
// coding, templated query/headers/body overrides, one request per recipient, and the config keys.
#include <doctest/doctest.h>

#include <algorithm>

#include "common/secrets.h"
#include "outputs/http_sms/http_sms_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

const std::string kKannel =
    "      url: http://127.0.0.1:13013\n"
    "      username: tester\n"
    "      password: foobar-pw\n"
    "      from: Falco\n"
    "      to: [\"+15551234567\"]\n";

const char* kGoldenText =
    "text=ERROR+Write+below+binary+dir+on+node-1%3a+16%3a31%3a56.746609046%3a+Error+File+below+a+known+binary+"
    "directory+opened+for+writing+%28user%3droot+file%3d%2fbin%2fhack%29";

Formatted format_one(const Output& out, const Alert& a) {
  auto f = out.format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  return std::move(f).value();
}

std::string header(const Payload& p, const std::string& name) {
  auto it = std::find_if(p.headers.begin(), p.headers.end(), [&](const auto& h) { return h.first == name; });
  return it == p.headers.end() ? "<none>" : it->second;
}

}  // namespace

TEST_CASE("http_sms: golden Kannel GET - sendsms URL with username, password, from, to, text, charset") {
  auto out = test::build_output("http_sms", kKannel);
  const auto f = format_one(*out, test::sample_alert());
  REQUIRE(f.payloads.size() == 1);
  const auto& p = f.payloads[0];
  CHECK(p.url == std::string("http://127.0.0.1:13013/cgi-bin/sendsms?username=tester&password=foobar-pw&from=Falco"
                             "&to=%2b15551234567&") + kGoldenText + "&charset=UTF-8");
  CHECK(p.method == "GET");
  CHECK(p.body.empty());
  CHECK(p.content_type.empty());
  CHECK(p.headers.empty());
  CHECK(p.target == "http://127.0.0.1:13013/cgi-bin/sendsms");  // no password in logs
  CHECK(p.key == "+15551234567");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(secrets::redact("pw foobar-pw") == "pw ***");
}

TEST_CASE("http_sms: golden Kannel POST - text/plain body with the X-Kannel headers") {
  auto out = test::build_output("http_sms", kKannel + "      method: POST\n");
  const auto f = format_one(*out, test::sample_alert());
  REQUIRE(f.payloads.size() == 1);
  const auto& p = f.payloads[0];
  CHECK(p.url == "http://127.0.0.1:13013/cgi-bin/sendsms");
  CHECK(p.method == "POST");
  CHECK(p.content_type == "text/plain; charset=UTF-8");
  CHECK(p.body ==
        "ERROR Write below binary dir on node-1: 16:31:56.746609046: Error File below a known binary directory "
        "opened for writing (user=root file=/bin/hack)");
  const std::vector<std::pair<std::string, std::string>> want{{"X-Kannel-Username", "tester"},
                                                              {"X-Kannel-Password", "foobar-pw"},
                                                              {"X-Kannel-From", "Falco"},
                                                              {"X-Kannel-To", "+15551234567"}};
  CHECK(p.headers == want);  // no X-Kannel-Coding for a GSM-7 text
}

TEST_CASE("http_sms: a UCS-2 text asks for coding=2, a GSM-7 one does not") {
  Alert a = test::small_alert("u1");
  a.output = "Привет";
  auto get = test::build_output("http_sms", kKannel + "      text: \"{{output}}\"\n");
  CHECK(format_one(*get, a).payloads[0].url ==
        "http://127.0.0.1:13013/cgi-bin/sendsms?username=tester&password=foobar-pw&from=Falco&to=%2b15551234567"
        "&text=%d0%9f%d1%80%d0%b8%d0%b2%d0%b5%d1%82&charset=UTF-8&coding=2");
  auto post = test::build_output("http_sms", kKannel + "      text: \"{{output}}\"\n      method: POST\n");
  const auto p = format_one(*post, a).payloads[0];
  CHECK(header(p, "X-Kannel-Coding") == "2");
  CHECK(p.body == "Привет");
  auto gsm = test::build_output("http_sms", kKannel + "      text: \"{{output}}\"\n      encoding: gsm7\n");
  CHECK(format_one(*gsm, a).payloads[0].url.find("&text=%3f%3f%3f%3f%3f%3f&charset=UTF-8") != std::string::npos);
}

TEST_CASE("http_sms: a long text is cut to max_segments with the marker before it is encoded in the URL") {
  auto out = test::build_output("http_sms", kKannel + "      text: \"{{output}}\"\n      max_segments: 2\n");
  Alert a = test::small_alert("u1");
  a.output = std::string(600, 'x');
  const auto url = format_one(*out, a).payloads[0].url;
  CHECK(url.find("&text=" + std::string(300, 'x') + "+%28cut%29&charset=UTF-8") != std::string::npos);
}

TEST_CASE("http_sms: two recipients give two requests keyed by recipient, and an empty text is set aside") {
  auto out = test::build_output("http_sms", "      url: http://gw:8080/send\n      to: [\"+111\", \"+222\"]\n"
                                            "      text: \"{{#container.id}}{{rule}}{{/container.id}}\"\n");
  Alert a = test::small_alert("u1");
  a.output_fields["container.id"] = std::string("abc");
  const std::vector<Alert> batch{a, test::small_alert("u2")};
  auto f = out->format(batch);
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 2);
  CHECK(f->payloads[0].key == "+111");
  CHECK(f->payloads[1].key == "+222");
  CHECK(f->payloads[1].url == "http://gw:8080/send?to=%2b222&text=R&charset=UTF-8");  // a path given: kept
  REQUIRE(f->set_aside.size() == 1);
  CHECK(f->set_aside[0].item == 1);
  CHECK(f->set_aside[0].reason == "empty_text");
}

TEST_CASE("http_sms: query, headers and body are templates, and a default is replaced or removed by name") {
  auto out = test::build_output(
      "http_sms",
      "      url: http://gw:8080/api/sms?key=k1\n      method: POST\n      to: [\"+111\"]\n"
      "      content_type: application/json\n"
      "      body: '{\"to\":\"{{sms.to}}\",\"msg\":\"{{sms.text}}\",\"prio\":\"{{priority_lower}}\"}'\n"
      "      text: \"{{output}}\"\n"
      "      query: {source: \"{{source}}\"}\n"
      "      headers: {X-Kannel-Password: \"\", x-kannel-to: \"to {{sms.to}}\", X-Api-Token: \"${HOME}\"}\n");
  Alert a = test::small_alert("u1");
  a.output = "say \"hi\"\nnow";
  const auto p = format_one(*out, a).payloads[0];
  CHECK(p.url == "http://gw:8080/api/sms?key=k1&source=syscall");
  CHECK(p.content_type == "application/json");
  CHECK(p.body == R"({"to":"+111","msg":"say \"hi\"\nnow","prio":"warning"})");
  CHECK(header(p, "X-Kannel-Password") == "<none>");
  CHECK(header(p, "X-Kannel-To") == "to +111");  // replaced the default of the same name (any case)
  CHECK(header(p, "X-Api-Token") == std::string(std::getenv("HOME")));
  CHECK(dynamic_cast<HttpSmsOutput&>(*out).config().http.headers.empty());  // not sent as they are
}

TEST_CASE("http_sms: config keys, defaults and errors with file:line:col") {
  auto out = test::build_output("http_sms", kKannel + "      success_status: [202]\n");
  const auto& c = dynamic_cast<HttpSmsOutput&>(*out).config();
  CHECK(c.success_status == std::vector<int>{202});
  CHECK(c.url == "http://127.0.0.1:13013/cgi-bin/sendsms");
  CHECK(test::build_output("http_sms", "      url: http://h/\n      to: [x]\n")->common().delivery.batch_max_alerts ==
        100);
  CHECK(dynamic_cast<HttpSmsOutput&>(*test::build_output("http_sms", "      url: http://h/\n      to: [x]\n"))
            .config()
            .success_status == std::vector<int>{200, 201, 202});

  CHECK(test::output_error("http_sms", "      to: [x]\n").find("key 'url'") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: gw:13013\n      to: [x]\n").find("http_sms.yaml:5:12:") !=
        std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n").find("key 'to'") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      method: PUT\n")
            .find("http_sms.yaml:7:15:") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      body: \"{{sms.text}}\"\n")
            .find("only with method: POST") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      success_status: [200, ok]\n")
            .find("http_sms.yaml:7:23:") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      query: {text: \"{{sms.text\"}\n")
            .find("http_sms.yaml:7:") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      headers: {\"bad name\": v}\n")
            .find("invalid header name") != std::string::npos);
  CHECK(test::output_error("http_sms", "      url: http://h\n      to: [x]\n      colour: red\n")
            .find("unknown key 'colour'") != std::string::npos);
}
