#!/usr/bin/env bash
# Runs every test: C++ units (GoogleTest), then end-to-end CLI runs (pytest).
set -euo pipefail
cd "$(dirname "$0")"
cmake --build build --parallel "$(nproc)"
./build/wrapp_tests --gtest_brief=1
WRAPP_BIN="$PWD/build/wrapp" python3 -m pytest -q tests/e2e "$@"
