// Parser conformance: accept/reject cases derived from the grammar in engine/filter/parser.h, plus structure,
// canonical printing, escapes, offsets and depth limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/filter/parser.h"

using namespace peregrine::engine;

namespace {

const std::vector<std::string> kAccept = {
    // identifiers (macro references)
    "a", "macro", "a_b", "ab1", "A", "aB_9", "my_macro_2", "not_a_keyword", "notx", "andx", "orx", "nota",
    "(a)", "((a))", "(((a)))", " a", "a ", "\ta\n", "\r\na\r\n", "( a )", "(\ta\t)",
    // and / or / not combinations
    "a and b", "a or b", "a and b and c", "a or b or c", "a and b or c", "a or b and c", "not a", "not not a",
    "not not not a", "not  a", "not\ta", "not\na", "not(a)", "not (a)", "not(a and b)", "not (a or b)",
    "a and not b", "a or not b", "not a and not b", "a and(b)", "a or(b)", "a and (b or c)", "(a or b) and c",
    "(a and b) or (c and d)", "a and\tb", "a\tand\tb", "a\nor\nb", "a\band\bb", "not not(a)", "not(not(a))",
    "(a)and(b)", "(a)or(b)", "(a) and (b)", "a and not(b)", "a  and  b", "a or\n(b)",
    // unary
    "proc.name exists", "proc.name  exists", "proc.aname[2] exists", "evt.arg.flags exists",
    "fd.name exists and proc.name exists", "not proc.name exists", "tolower(proc.name) exists",
    // symbolic operators, with and without blanks
    "proc.name=bash", "proc.name = bash", "proc.name==bash", "proc.name == bash", "proc.name!=bash",
    "proc.name != bash", "evt.num<5", "evt.num <5", "evt.num< 5", "evt.num < 5", "evt.num<=5", "evt.num <= 5",
    "evt.num>5", "evt.num > 5", "evt.num>=5", "evt.num >= 5", "proc.name =bash", "proc.name= bash",
    "proc.name\t=\tbash", "proc.name\n=\nbash",
    // word string operators
    "proc.name contains ba", "proc.name icontains BA", "proc.name bcontains 6261", "proc.name startswith b",
    "proc.name bstartswith 62", "proc.name endswith sh", "proc.name glob 'b*'", "proc.name iglob 'B*'",
    "proc.name regex 'b.*'", "proc.name contains\tba", "proc.name contains\nba", "fd.name contains /etc",
    "fd.name startswith /etc/", "fd.name glob /etc/*", "fd.name glob /etc/[ab]*", "fd.name regex '^/etc/.*$'",
    "evt.buffer bcontains 7f454c46", "proc.cmdline contains \"-c\"", "proc.cmdline contains '-c'",
    // list operators
    "proc.name in (a)", "proc.name in (a, b)", "proc.name in (a,b)", "proc.name in ( a , b )", "proc.name in ()",
    "proc.name in ( )", "proc.name in(a,b)", "proc.name in\n(a,\nb)", "proc.name intersects (a, b)",
    "proc.name pmatch (/etc, /usr)", "proc.name in mylist", "proc.name in list_1", "proc.name in (\"a b\", 'c')",
    "proc.name in (a, \"b\", 'c')", "proc.name in (1, 2, 3)", "proc.name in (/bin/sh, /usr/bin/bash)",
    "ka.req.pod.containers.privileged intersects (true)", "proc.name in (a.b, c-d, e:f, g/h, i*j)",
    "fd.name pmatch (/etc)", "proc.name intersects(a)", "proc.name pmatch(/a)", "evt.type in (open, openat)",
    "proc.name in (a,b) and fd.name in (c,d)", "proc.name in (a, b, c, d, e, f, g, h, i, j)",
    // values: bare strings, quoted strings, numbers
    "proc.name = a.b", "proc.name = /bin/sh", "proc.name = a-b", "proc.name = a:b", "proc.name = a*b",
    "proc.name = a[b]", "proc.name = 123", "proc.name = -1", "proc.name = +1", "proc.name = 1.5",
    "proc.name = \"\"", "proc.name = ''", "proc.name = \"a b\"", "proc.name = 'a b'", "proc.name = \"a'b\"",
    "proc.name = 'a\"b'", "proc.name = \"a\\\"b\"", "proc.name = 'a\\'b'", "proc.name = \"a\\\\b\"",
    "proc.name = \"a\\nb\"", "proc.name = \"a\\tb\"", "proc.name = \"a\\rb\"", "proc.name = \"a\\bb\"",
    "proc.name = \"a\\fb\"", "proc.name = \"a\\/b\"", "proc.name = \"a\\x41b\"", "proc.name = \"a\\ b\"",
    "proc.name = \"(a)\"", "proc.name = \"a,b\"", "proc.name = \"a=b\"", "proc.name = é",
    "evt.num = 0x10", "evt.num = 0XfF", "evt.num > 0x1", "evt.num < -5", "evt.num > +5", "evt.num > 1.5",
    "evt.num > 1e+5", "evt.num > 1E-5", "evt.num > 1.", "evt.num >= 10", "evt.rawres < 0",
    "proc.name = oneof", "proc.name = anyof", "proc.name = allof", "proc.name = oneof and a",
    "proc.name = anyof or b", "proc.name = tolower", "proc.name = val", "proc.name = not",
    "proc.name = and", "proc.name = or",
    // like libs, the keywords are plain identifiers when they are not followed by a blank or '('
    "and", "not", "not not", "a and not", "or", "not or",
    // modifiers
    "proc.name = oneof (a, b)", "proc.name = anyof (a, b)", "proc.name = allof (a, b)",
    "proc.name contains anyof (a, b)", "proc.name startswith oneof (a)", "proc.name endswith allof (x, y)",
    "proc.name = anyof(a)", "proc.name = anyof mylist", "proc.name icontains allof (A, B)",
    "proc.name glob anyof ('a*', 'b*')", "proc.name != oneof (a, b)", "proc.name = oneof ()",
    // field arguments
    "proc.aname[2] = bash", "proc.aname[0] = bash", "proc.env[HOME] = /root", "proc.env[\"HOME\"] = /root",
    "proc.env['HOME'] = /root", "jevt.value[/stage] = x", "jevt.value[/requestObject/spec] exists",
    "container.mount.dest[/var/run/docker.sock] exists", "container.mount.dest[/var/run/*.sock] exists",
    "ka.uri.param[command] = x", "json.value[/a/b] = c", "proc.aname[1]=bash", "evt.arg[0] = 1",
    "proc.env[\"A B\"] = x", "ka.uri.param[a=b] = c", "proc.env[a.b] = c",
    // field names
    "evt.arg.flags contains O_RDONLY", "evt.rawarg.res < 0", "a.b = c", "a.b.c.d = e", "A.B = c",
    "a_1.b_2 = c", "proc.exe_ino.ctime_duration_proc_start > 5", "k8s.ns.name = default", "a.b1 = c",
    // transformers
    "tolower(proc.name) = bash", "toupper(proc.name) = BASH", "b64(proc.name) = x", "basename(proc.exe) = sh",
    "len(proc.name) > 3", "tolower(toupper(proc.name)) = bash", "tolower( proc.name ) = bash",
    "tolower(proc.aname[2]) = bash", "tolower(proc.env[HOME]) = x", "proc.name = tolower(proc.pname)",
    "proc.name = val(proc.pname)", "proc.name = val( proc.pname )", "proc.name != val(proc.pname)",
    "evt.num > val(evt.rawres)", "proc.name in val(proc.pname)", "proc.name in tolower(proc.pname)",
    "proc.name contains val(proc.pname)", "len(proc.name) > len(proc.pname)", "evt.num > len(proc.name)",
    "join(\",\", (proc.name, proc.pname)) = a", "concat(proc.name, proc.pname) = ab",
    "concat(proc.name, \"-\", proc.pname) = a-b", "getopt((proc.args), \"c:\")[c] = x",
    "getopt(proc.args, 'ab:')[b] exists", "concat(tolower(proc.name), proc.pname) = x",
    "concat(proc.name, 1) = x", "join(' ', ()) = x", "join(',', (proc.name, (proc.pname))) = x",
    "len(ka.req.pod.containers.image) > 1", "tolower(proc.name) in (a, b)", "tolower(proc.name) pmatch (/a)",
    "proc.name = val(proc.aname[2])", "tolower(proc.name) = val(proc.pname)",
    // long realistic conditions
    "evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0",
    "spawned_process and container and proc.name in (shell_binaries) and not proc.pname in (shell_binaries)",
    "(evt.type=connect and evt.dir=< and (fd.typechar=4 or fd.typechar=6)) or (evt.type=accept)",
    "proc.name=sshd and not (user.name=root or user.name=admin)", "fd.snet in (\"10.0.0.0/8\", \"192.168.0.0/16\")",
    "fd.sip = 127.0.0.1", "fd.sip in (127.0.0.1, ::1)", "fd.sport in (22, 80, 443)",
    "not proc.name in (a, b) and not fd.name startswith /proc",
};

const std::vector<std::string> kReject = {
    // empty / blank / punctuation
    "", " ", "\t", "\n", "(", ")", "()", "(a", "a)", "((a)", "(a))", "or a", "a and", "a or", "a and ",
    "a or ", "not ", "not(", "not()", "not(a", "a b", "a and b c", "a && b", "a || b", "!a", "a and or b",
    "a or and b", "a not b", "1", "1a", "_a", ".a", "a.", "a..b", "@", "#a", "a and (b", "a and b)", "(a and)",
    "(or a)", "a andb", "a orb", "a and(b", "a or(b",
    // operators
    "proc.name", "proc.name bash", "proc.name =", "proc.name ==", "proc.name !=", "proc.name <", "proc.name >=",
    "proc.name = ", "proc.name contains", "proc.name contains ", "proc.name containsx", "proc.name startswithx y",
    "proc.name containsbash", "proc.name ~= a", "proc.name <> a", "proc.name =! a", "proc.name === a",
    "proc.name like a", "proc.name exists a", "proc.name exists = a", "proc.name === bash", "proc.name ! = a",
    "proc.name = a b", "proc.name = (a)", "proc.name = a)", "proc.name = (", "proc.name = ,", "proc.name = =a",
    // numbers
    "evt.num < a", "evt.num < 'a'", "evt.num < \"5\"", "evt.num > (5)", "evt.num > 5a", "evt.num > 0x",
    "evt.num > 1e5", "evt.num > --5", "evt.num < ", "evt.num <", "evt.num > 5 5",
    // lists
    "proc.name in", "proc.name in ", "proc.name in (", "proc.name in (a", "proc.name in (a,", "proc.name in (a,)",
    "proc.name in (,a)", "proc.name in (a b)", "proc.name in a b", "proc.name in \"a\"", "proc.name in 'a'",
    "proc.name in /bin/sh", "proc.name in 1", "proc.name in ((a))", "proc.name in (a))", "proc.name in (a)(b)",
    "proc.name in (a,,b)", "proc.name pmatch", "proc.name intersects", "proc.name in (a=b)",
    // quoting
    "proc.name = \"a", "proc.name = 'a", "proc.name = \"a'", "proc.name = 'a\"", "proc.name = \"\\q\"",
    "proc.name = \"\\'\"", "proc.name = '\\\"'", "proc.name = \"\\x4\"", "proc.name = \"\\xZZ\"",
    "proc.name = \"a\\\"", "proc.name = \"a\"b\"", "proc.name = \"a\" b", "proc.name = \"\\u0041\"",
    "proc.name = \"\\0\"", "proc.name = \"\\a\"",
    // modifiers
    "proc.name = anyof (", "proc.name = allof (a", "proc.name = oneof (a,)",
    "proc.name = anyof a b",
    // field arguments
    "proc.aname[", "proc.aname[2", "proc.aname[] = a", "proc.aname[2]] = a", "proc.aname[[2]] = a",
    "proc.aname[2 ] = a", "proc.aname[ 2] = a", "proc.env[\"HOME] = a", "proc.aname[2][3] = a",
    "proc.aname [2] = a",
    // transformers
    "tolower(proc.name)", "tolower() = a", "tolower(proc.name = a", "tolower(proc.name)) = a",
    "tolower (proc.name) = a", "unknown(proc.name) = a", "tolower(a b) = c", "tolower(proc.name,) = a",
    "tolower(,proc.name) = a", "proc.name = val()", "proc.name = val(a)", "proc.name = val(proc.name",
    "proc.name = val(tolower(proc.name))", "proc.name = val(\"a\")", "proc.name = tolower()",
    "proc.name = tolower(proc.name", "getopt((proc.args), \"c:\")[c = x", "concat(proc.name, ) = x",
    "len(proc.name) >", "val(proc.name) = a",
    // garbage after a complete expression
    "a b c", "proc.name = a b", "proc.name exists exists", "proc.name = a and", "proc.name = a or",
    "proc.name = a )", "(proc.name = a))", "proc.name = a; proc.name = b", "proc.name = a ,",
    "not proc.name", "proc.name in (a) b", "a and not b c",
};

}  // namespace

TEST_CASE("parser accepts every valid condition of the conformance list") {
  CHECK(kAccept.size() + kReject.size() >= 300);
  for (const auto& c : kAccept) {
    auto r = parse_condition(c);
    CHECK_MESSAGE(r.ok(), "should accept: [" << c << "] got: " << (r.ok() ? "" : r.error().message));
  }
}

TEST_CASE("parser rejects every invalid condition of the conformance list") {
  for (const auto& c : kReject) {
    auto r = parse_condition(c);
    CHECK_MESSAGE(!r.ok(), "should reject: [" << c << "] got: " << (r.ok() ? r.value()->to_string() : ""));
  }
}

TEST_CASE("canonical printing re-parses to an equal tree for every accepted condition") {
  for (const auto& c : kAccept) {
    auto r = parse_condition(c);
    if (!r.ok()) continue;
    std::string text = r.value()->to_string();
    auto again = parse_condition(text);
    REQUIRE_MESSAGE(again.ok(), "canonical text does not parse: [" << text << "] from [" << c << "]");
    CHECK_MESSAGE(*again.value() == *r.value(), "round trip differs: [" << c << "] -> [" << text << "]");
  }
}

TEST_CASE("precedence: not > and > or") {
  CHECK(parse_condition("a or b and c").value()->to_string() == "(a or (b and c))");
  CHECK(parse_condition("a and b or c").value()->to_string() == "((a and b) or c)");
  CHECK(parse_condition("not a and b").value()->to_string() == "(not a and b)");
  CHECK(parse_condition("not (a and b)").value()->to_string() == "not (a and b)");
  CHECK(parse_condition("a and b and c").value()->children.size() == 3);
  CHECK(parse_condition("not not a").value()->to_string() == "a");
  CHECK(parse_condition("not not not a").value()->to_string() == "not a");
  CHECK(parse_condition("not(not(a))").value()->to_string() == "not (not a)");
}

TEST_CASE("check structure: operator, modifier, values, field args, transformers") {
  auto a = parse_condition("proc.aname[2] in (a, 'b c')").value();
  REQUIRE(a->kind == AstKind::kCheck);
  CHECK(a->text == "in");
  CHECK(a->children[0]->kind == AstKind::kField);
  CHECK(a->children[0]->text == "proc.aname");
  CHECK(a->children[0]->has_arg);
  CHECK(a->children[0]->arg == "2");
  REQUIRE(a->children[1]->kind == AstKind::kList);
  CHECK(a->children[1]->children[1]->text == "b c");

  auto single = parse_condition("proc.name in mylist").value();
  CHECK(single->children[1]->kind == AstKind::kValue);
  CHECK(single->children[1]->text == "mylist");

  auto m = parse_condition("proc.name startswith anyof (a, b)").value();
  CHECK(m->modifier == "anyof");
  CHECK(m->children[1]->kind == AstKind::kList);
  CHECK(parse_condition("proc.name = oneof").value()->modifier.empty());
  CHECK(parse_condition("proc.name = oneof").value()->children[1]->text == "oneof");

  auto v = parse_condition("proc.name = val(proc.pname)").value();
  CHECK(v->children[1]->kind == AstKind::kTransformer);
  CHECK(v->children[1]->text == "val");
  CHECK(v->children[1]->children[0]->text == "proc.pname");

  auto t = parse_condition("getopt((proc.args), \"c:\")[c] = x").value();
  CHECK(t->children[0]->kind == AstKind::kTransformer);
  CHECK(t->children[0]->arg == "c");
  CHECK(t->children[0]->children[0]->kind == AstKind::kList);

  auto e = parse_condition("proc.name exists").value();
  CHECK(e->children.size() == 1);
  CHECK(e->text == "exists");
  CHECK(parse_condition("evt.arg.flags contains X").value()->children[0]->text == "evt.arg.flags");
}

TEST_CASE("quoted strings unescape like libs") {
  auto v = [](const std::string& c) { return parse_condition(c).value()->children[1]->text; };
  CHECK(v("a.b = \"x\\ny\"") == "x\ny");
  CHECK(v("a.b = \"x\\\\y\"") == "x\\y");
  CHECK(v("a.b = \"x\\\"y\"") == "x\"y");
  CHECK(v("a.b = 'x\\'y'") == "x'y");
  CHECK(v("a.b = \"x\\/y\"") == "x/y");
  CHECK(v("a.b = \"\\x41\\x62\"") == "Ab");
  CHECK(v("a.b = \"a\\ b\"") == "a\\b");  // legacy "\ " reads as one backslash
  CHECK(v("a.b = ''") == "");
  CHECK(v("a.b = 'sh -c uname -p 2> /dev/null'") == "sh -c uname -p 2> /dev/null");
  CHECK(parse_condition("a.b in ('\"quoted\"')").value()->children[1]->children[0]->text == "\"quoted\"");
}

TEST_CASE("numbers are kept as written") {
  CHECK(parse_condition("evt.num > 0x1F").value()->children[1]->text == "0x1F");
  CHECK(parse_condition("evt.num > -12").value()->children[1]->text == "-12");
  CHECK(parse_condition("evt.num > 1.5e+3").value()->children[1]->text == "1.5e+3");
}

TEST_CASE("errors carry a byte offset and a Falco-like message") {
  ParseError pe;
  auto r = parse_condition("proc.name = a b", kDefaultMaxDepth, &pe);
  REQUIRE(!r.ok());
  CHECK(pe.message == "unexpected token after 'a', expecting 'or', 'and'");
  CHECK(pe.offset == 14);
  CHECK(r.error().message.find("at pos 14") != std::string::npos);

  parse_condition("(a", kDefaultMaxDepth, &pe).error();
  CHECK(pe.message == "expected a ')' token");
  CHECK(pe.offset == 2);

  (void)parse_condition("proc.name = a and", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "expected blank or '(' after 'and'");
  CHECK(pe.offset == 17);
  (void)parse_condition("a andb", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "expected blank or '(' after 'and'");
  (void)parse_condition("a orb", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "expected blank or '(' after 'or'");
  (void)parse_condition("", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "filter input string is empty");
  (void)parse_condition("proc.name bash", kDefaultMaxDepth, &pe);
  CHECK(pe.message.rfind("expected a valid check operator", 0) == 0);
  CHECK(pe.offset == 10);
  (void)parse_condition("proc.name = \"\\q\"", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "unsupported string escape sequence: \\q");
  (void)parse_condition("a.b = '\\\"'", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "invalid \\\" escape in '-quoted string");
  (void)parse_condition("=", kDefaultMaxDepth, &pe);
  CHECK(pe.message == "expected a '(' token, a field check, or an identifier");
  CHECK(pe.offset == 0);
}

TEST_CASE("node offsets point into the text") {
  auto a = parse_condition("a and  proc.name = x").value();
  CHECK(a->children[0]->offset == 0);
  CHECK(a->children[1]->offset == 7);
  CHECK(a->children[1]->children[1]->offset == 19);
}

TEST_CASE("depth limit") {
  std::string deep(2000, '(');
  deep += "a";
  deep += std::string(2000, ')');
  ParseError pe;
  CHECK(!parse_condition(deep, kDefaultMaxDepth, &pe).ok());
  CHECK(pe.message == "exceeded max depth limit of 1000");
  std::string ok(50, '(');
  ok += "a" + std::string(50, ')');
  CHECK(parse_condition(ok).ok());
  CHECK(!parse_condition(ok, 20).ok());
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  CHECK(parse_condition(nots + "a").ok());  // 'not' chains do not recurse
}

TEST_CASE("clone and equality") {
  auto a = parse_condition("a and (proc.name in (x, y) or not tolower(proc.pname) = val(proc.name))").value();
  auto b = a->clone();
  CHECK(*a == *b);
  b->children[0]->text = "z";
  CHECK(!(*a == *b));
  CHECK(quote_value("abc") == "abc");
  CHECK(quote_value("a b") == "\"a b\"");
  CHECK(quote_value("") == "\"\"");
  CHECK(quote_value("a\"b") == "\"a\\\"b\"");
  // A trailing backslash must not escape the closing quote (found by fuzz_condition).
  auto t = parse_condition("proc.name = '\\ '").value();
  CHECK(t->children[1]->text == "\\");
  auto again = parse_condition(t->to_string());
  REQUIRE(again.ok());
  CHECK(*again.value() == *t);
}
