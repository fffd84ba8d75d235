#!/usr/bin/env bash
# Set up (if needed), build the index from corpus/ (only what changed), then run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/kb build
exec .venv/bin/kb search "${1:-美丽庭院示范村}"
