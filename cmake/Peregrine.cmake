# Helpers shared by every directory.

# peregrine_test(NAME SOURCES a.cpp b.cpp LIBS lib1 lib2 [PROPERTIES prop value ...])
# A doctest executable whose TEST_CASEs each become one ctest entry (PROPERTIES are added to each).
function(peregrine_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;PROPERTIES" ${ARGN})
  # ctest splits a discovered test's name at ';' and runs two tests that match nothing: refuse such names here.
  foreach(src ${T_SOURCES})
    file(STRINGS ${src} bad REGEX "TEST_CASE\\(\"[^\"]*;")
    if(bad)
      message(FATAL_ERROR "${src}: a TEST_CASE name holds ';', which ctest cannot run: ${bad}")
    endif()
  endforeach()
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/doctest_main.cpp ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} peregrine_test_support doctest::doctest)
  target_compile_definitions(${name} PRIVATE
    PEREGRINE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    PEREGRINE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # A test that cannot run prints "SKIPPED: <why>" (tests/support/skip.h): ctest reports it as skipped.
  doctest_discover_tests(${name} TEST_PREFIX "${name}:" PROPERTIES TIMEOUT 300 SKIP_REGULAR_EXPRESSION "SKIPPED: "
                         ${T_PROPERTIES})
endfunction()

# peregrine_fuzzer(NAME SOURCES a.cpp LIBS lib) — only when PEREGRINE_FUZZ is on.
function(peregrine_fuzzer name)
  if(NOT PEREGRINE_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
