# The two commands of the README. Everything else is plain CMake.
BUILD      ?= build
SAN_BUILD  ?= build-asan
FUZZ_BUILD ?= build-fuzz
CONFIG     ?= config/peregrine.yaml
JOBS       ?= $(shell nproc)
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: deps build run test test-asan fuzz clean receivers

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/run.sh $(BUILD) $(CONFIG)

# Every test through ctest, then the skip report (scripts/ctest-report.sh: with CI=true a skipped test fails).
# The real receivers the output tests start (OpenSearch, VictoriaLogs, ...) are built once into a cache first.
test: build receivers
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --output-junit ctest-junit.xml
	@bash scripts/ctest-report.sh $(BUILD)/ctest-junit.xml

test-asan: deps receivers
	cmake -S . -B $(SAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DPEREGRINE_SANITIZE=ON -DPEREGRINE_BUILD_BENCH=OFF
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE no-asan --output-junit ctest-junit.xml
	@bash scripts/ctest-report.sh $(SAN_BUILD)/ctest-junit.xml

fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

# The real receivers of the router's integration tests (tests/receivers/README.md), built once into a cache.
receivers: deps
	bash scripts/receivers.sh build all
