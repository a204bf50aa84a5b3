#!/usr/bin/env bash
# The whole test suite: set up, then the release build's CTest run (unit + integration), the
# ASan+UBSan build's unit tests, and a short run of every fuzz target. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== tests (release build: unit + integration)"
ctest --test-dir build --output-on-failure -j2

echo "== unit tests under ASan + UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -L unit -j2

echo "== fuzz targets (short runs)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzzers
bash scripts/run-fuzzers.sh build-fuzz 30
