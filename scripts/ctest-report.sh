#!/usr/bin/env bash
# Reads ctest's JUnit report and says how many tests were skipped, and which, with their reasons.
# A skipped test is one that printed "SKIPPED: <why>" (doctest suites, tests/support/skip.h) or exited 77
# (shell suites); ctest reports it as skipped, never as passed.
#   scripts/ctest-report.sh JUNIT.xml
# With CI=true a skipped test is a failure (CI runs as root with BTF, docker and ../shared beside the clone,
# so everything must run there): exit 1. Otherwise exit 0 after printing the count.
set -euo pipefail
junit=${1:?usage: ctest-report.sh JUNIT.xml}
[[ -s $junit ]] || { echo "ctest-report: no JUnit report at $junit" >&2; exit 1; }
python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
skipped = []
for tc in root.iter("testcase"):
    if tc.get("status") == "notrun" or tc.find("skipped") is not None:
        out = tc.findtext("system-out") or ""
        why = next((l.split("SKIPPED: ", 1)[1] for l in out.splitlines() if "SKIPPED: " in l), "")
        skipped.append((tc.get("name"), why))
total = sum(1 for _ in root.iter("testcase"))
print(f"ctest-report: {total} tests, {len(skipped)} skipped")
for name, why in skipped:
    print(f"  skipped: {name}" + (f" — {why}" if why else ""))
open(sys.argv[1] + ".skipped", "w").write(str(len(skipped)))
PY
n=$(cat "$junit.skipped")
rm -f "$junit.skipped"
if [[ ${CI:-} == "true" && $n -gt 0 ]]; then
  echo "ctest-report: CI=true and $n test(s) were skipped: everything must run in CI (root, BTF, docker, ../shared)" >&2
  exit 1
fi
