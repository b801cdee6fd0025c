#!/usr/bin/env bash
# Create .venv with everything the project needs, offline-safe: torch first from the
# local CPU wheel (pip finds it through the machine's find-links), then the rest with uv,
# which keeps the installed torch because it satisfies the project's range.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/pip install --quiet "torch==2.13.0"
fi
.venv/bin/pip install --quiet uv
.venv/bin/uv pip install --quiet --python .venv/bin/python -e ".[dev]"
# The report test drives a real headless browser: Debian's chromium (Playwright's own download is never used).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
            echo "warning: could not install chromium with apt-get; the browser test of bienphong report will be skipped" >&2
        fi
    else
        echo "warning: /usr/bin/chromium is missing (install it as root: apt-get install chromium);" \
            "the browser test of bienphong report will be skipped" >&2
    fi
fi
.venv/bin/python -c "import torch, transformers; print(f'torch {torch.__version__}, transformers {transformers.__version__}')"
