#!/usr/bin/env bash
# Runs every test: C++ units (GoogleTest), then end-to-end CLI runs, the test
# servers (tests/servers) and the Python API's tests (pytest);
# then, for each build setup.sh made: the same under ASan+UBSan (build-asan),
# the units and the `race` e2e tests under TSan (build-tsan), and a short
# run of each fuzz target (build-fuzz). See docs/fuzzing.md.
# Arguments go to every pytest run (e.g. -k hostile).
set -euo pipefail
cd "$(dirname "$0")"

passed=0
failed=()
# suite NAME COMMAND...: runs one suite, counts it, goes on after a failure.
suite() {
  local name=$1
  shift
  local started=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: passed ($((SECONDS - started)) s)"
  else
    failed+=("$name")
    echo "=== $name: FAILED ($((SECONDS - started)) s)"
  fi
}
build() { cmake --build "$@" --parallel "$(nproc)"; }

# pytest's exit code 5, "no tests collected", is a pass where a marker
# selects tests that may not exist yet.
pytest_allow_none() {
  local rc=0
  python3 -m pytest "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then echo "(no tests with this marker yet)"; return 0; fi
  return "$rc"
}

# The end-to-end runs spread over every core (pytest-xdist): each test has its own folders and
# servers on ports of their own. The race tests under TSan stay on one, timing matters there.
workers=(-n "$(nproc)")

build build
suite "unit tests" ./build/wrapp_tests --gtest_brief=1
suite "e2e tests" env WRAPP_BIN="$PWD/build/wrapp" python3 -m pytest -q "${workers[@]}" tests/e2e "$@"
# The storage emulators, the HTTPS server and the fault proxy of tests/servers, on their own
# (docs/storage.md).
suite "test servers" pytest_allow_none -q tests/servers "$@"
# The Python package as users get it: installed from this build (a no-op
# when nothing changed), then its tests import the installed `wrapp`.
python_tests() {
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-build-isolation . &&
    WRAPP_BIN="$PWD/build/wrapp" python3 -m pytest -q python/tests "$@"
}
suite "python tests" python_tests "$@"
# The benchmark's own logic (what it runs, how often); it measures nothing here.
suite "bench logic" python3 -m pytest -q bench/wrappbench

if [ -d build-asan ]; then
  build build-asan --target wrapp wrapp_tests
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  suite "unit tests, ASan+UBSan" ./build-asan/wrapp_tests --gtest_brief=1
  suite "e2e tests, ASan+UBSan" env WRAPP_BIN="$PWD/build-asan/wrapp" python3 -m pytest -q "${workers[@]}" tests/e2e "$@"
fi

if [ -d build-tsan ]; then
  build build-tsan --target wrapp wrapp_tests
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  suite "unit tests, TSan" ./build-tsan/wrapp_tests --gtest_brief=1
  race_tests() { WRAPP_BIN="$PWD/build-tsan/wrapp" pytest_allow_none -q -m race tests/e2e "$@"; }
  suite "e2e race tests, TSan" race_tests "$@"
fi

# fuzz TARGET SEED_FOLDER...: about 10 s of libFuzzer from a copy of the
# seeds (the repository is not touched); findings go to build-fuzz/artifacts.
fuzz() {
  local target=$1
  shift
  local corpus log
  corpus=$(mktemp -d)
  log=$(mktemp)
  # (libFuzzer reads a corpus folder recursively)
  for seeds in "fuzz/corpus/$target" "$@"; do cp -r "$seeds" "$corpus/$(basename "$seeds")"; done
  mkdir -p build-fuzz/artifacts
  local rc=0
  "./build-fuzz/$target" "$corpus" -max_total_time=10 -rss_limit_mb=2048 -timeout=10 \
    -dict=fuzz/json.dict -artifact_prefix="$PWD/build-fuzz/artifacts/" >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    grep -E '^Done [0-9]+ runs' "$log" || true
  else
    tail -n 40 "$log"
  fi
  rm -rf "$corpus" "$log"
  return "$rc"
}

if [ -d build-fuzz ]; then
  build build-fuzz --target fuzzers
  h=tests/hostile
  suite "fuzz json_reader" fuzz json_reader_fuzz $h/json $h/wrapp $h/catalog
  suite "fuzz package_info" fuzz package_info_fuzz $h/json $h/wrapp $h/catalog
  suite "fuzz catalog" fuzz catalog_fuzz $h/json $h/wrapp $h/catalog
  suite "fuzz patch" fuzz patch_fuzz $h/json $h/patch
  suite "fuzz ignore_rules" fuzz ignore_rules_fuzz $h/ignore
  suite "fuzz hash_cache" fuzz hash_cache_fuzz $h/hashcache $h/json
  suite "fuzz hash_cache_journal" fuzz hash_cache_journal_fuzz
  suite "fuzz tar_import" fuzz tar_import_fuzz
fi

echo "suites: $passed passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}"
  exit 1
fi
