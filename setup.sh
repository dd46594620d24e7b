#!/usr/bin/env bash
# Installs every dependency, builds in release mode, puts `wrapp` on PATH and
# the Python package `wrapp` into python3;
# then builds what test.sh also runs: the unit tests and the CLI with
# ASan+UBSan (build-asan) and with TSan (build-tsan), and the libFuzzer
# targets (build-fuzz). See docs/fuzzing.md.
# Safe to run again: each step is idempotent (and incremental).
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libarchive-dev            # export and import: tar archives
  libcurl4-openssl-dev      # the object-store backends (S3, Azure, GCS, HTTPS)
  libexpat1-dev             # S3's XML responses
  libgtest-dev libgmock-dev
  python3 python3-pip
  clang libclang-rt-14-dev  # the fuzz targets: clang++ -fsanitize=fuzzer
  llvm                      # llvm-symbolizer: sanitizer reports with file and line
)
# Node.js with npm, for the test servers from npm (tests/servers): the machine's own, or Debian's
# where it has none.
if ! command -v npm >/dev/null; then DEBIAN_PACKAGES+=(nodejs npm); fi
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Python test tools, pinned.
python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# The test servers from npm (azurite, s3rver), as tests/servers/package-lock.json pins them; again
# only when the lock file changed since the last install.
if ! cmp -s tests/servers/package-lock.json tests/servers/node_modules/.installed-lock.json; then
  npm ci --prefix tests/servers --no-audit --no-fund --loglevel=error >/dev/null
  cp tests/servers/package-lock.json tests/servers/node_modules/.installed-lock.json
fi

# ccache, when the machine has it, makes a rebuild cheap (not needed).
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
configure() { cmake -S . -G Ninja "${LAUNCHER[@]}" "$@" >/dev/null; }
build() { echo "building $*"; cmake --build "$@" --parallel "$(nproc)"; }

# One release build serves both faces: the CLI and the Python module
# wrapp._core (WRAPP_PYTHON), so the core is compiled once.
configure -B build -DCMAKE_BUILD_TYPE=Release -DWRAPP_PYTHON=ON
build build
$SUDO cmake --install build --prefix /usr/local --component cli
echo "wrapp installed: $(command -v wrapp)"
# The Python package `wrapp` into the python3 on PATH, from the same build
# folder (pyproject.toml: build-dir = "build"; nothing is compiled again).
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-build-isolation .
echo "python package installed: $(python3 -c 'import wrapp, os; print(os.path.dirname(wrapp.__file__))')"

# Only the CLI and the unit tests: what test.sh runs under the sanitizers.
configure -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWRAPP_SANITIZE=address,undefined
build build-asan --target wrapp wrapp_tests
configure -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DWRAPP_SANITIZE=thread
build build-tsan --target wrapp wrapp_tests
configure -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DWRAPP_FUZZ=ON
build build-fuzz --target fuzzers
