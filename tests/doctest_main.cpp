// doctest's main, plus one guard: when ctest runs a single test case by name (--test-case=...) and the name
// matches nothing — e.g. a ';' in a TEST_CASE name, which CMake splits — the run fails instead of passing with
// zero tests.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <iostream>

namespace {

unsigned g_matching = 0;

struct CountMatching : doctest::IReporter {
  explicit CountMatching(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& s) override { g_matching = s.numTestCasesPassingFilters; }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("count-matching", 1, CountMatching);

int main(int argc, char** argv) {
  doctest::Context ctx(argc, argv);
  const int rc = ctx.run();
  if (ctx.shouldExit()) return rc;
  bool filtered = false;
  for (int i = 1; i < argc; ++i)
    filtered |= std::strncmp(argv[i], "--test-case=", 12) == 0 || std::strncmp(argv[i], "-tc=", 4) == 0;
  if (filtered && g_matching == 0) {
    std::cerr << "doctest_main: no test case matches the --test-case filter (a ';' in its name?)\n";
    return rc == 0 ? 1 : rc;
  }
  return rc;
}
