#!/usr/bin/env bash
# Set up (if needed), build the index from corpus/ (only what changed), then serve the UI and API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/kb build
exec .venv/bin/kb serve --host "${KB_HOST:-127.0.0.1}" --port "${KB_PORT:-8000}"
