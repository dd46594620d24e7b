#!/usr/bin/env bash
# Installs the benchmark peers, idempotently:
#   Debian: rsync, rclone, openssl, time (GNU time measures peak memory);
#           cp, find and stat come with coreutils and findutils
#   PyPI:   dvc, pinned in bench/requirements.txt, into bench/.venv
# A peer that cannot be installed is reported here, and bench/run.py reports it
# as "unavailable" instead of failing.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need_apt=()
for pkg in rsync rclone openssl time; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bench/setup.sh: apt-get install ${need_apt[*]}"
    $sudo apt-get update -qq || true
    for pkg in "${need_apt[@]}"; do
        if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null; then
            echo "bench/setup.sh: warning: could not install $pkg; it will be reported as unavailable" >&2
        fi
    done
fi

python="${PYTHON:-python3}"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" || echo "bench/setup.sh: warning: cannot create $venv" >&2
fi
if [ -x "$venv/bin/python" ]; then
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"; then
        echo "bench/setup.sh: warning: pip install of bench/requirements.txt failed; dvc will be reported as unavailable" >&2
    fi
fi

for tool in cp find rsync rclone openssl /usr/bin/time "$venv/bin/dvc"; do
    if command -v "$tool" >/dev/null 2>&1; then
        echo "bench/setup.sh: ok      $tool"
    else
        echo "bench/setup.sh: missing $tool"
    fi
done
command -v wrapp >/dev/null 2>&1 || [ -x "$here/../build/wrapp" ] || \
    echo "bench/setup.sh: note: wrapp is not built yet; run ./setup.sh first" >&2
exit 0
