#!/usr/bin/env bash
# Create .venv and install kb with its dependencies; does nothing when pyproject.toml is unchanged.
# pip's output goes to .venv/install.log and is shown only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is needed" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
want="$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -c1-40)"
if [ "$(cat .venv/.kb-installed 2>/dev/null)" != "$want" ]; then
  echo "setup: installing into .venv (log: .venv/install.log)"
  step() { "$@" >>.venv/install.log 2>&1 || { cat .venv/install.log >&2; echo "setup: failed: $*" >&2; exit 1; }; }
  : > .venv/install.log
  step .venv/bin/python -m pip install --upgrade pip
  # torch first, pinned: this is the CPU build on the machine's disk; a plain `torch`
  # requirement would pull a multi-GB CUDA build from the registry.
  step .venv/bin/python -m pip install torch==2.13.0
  step .venv/bin/python -m pip install -e '.[test,milvus]'
  echo "$want" > .venv/.kb-installed
fi
