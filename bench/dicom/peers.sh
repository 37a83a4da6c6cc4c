#!/usr/bin/env bash
# Create (once) the separate virtual environment holding the pydicom-based peer tools that
# bench/dicom/run.py times against medanon. The peers never share medanon's .venv: their
# pinned pydicom and dependencies must not leak into the project environment.
#
# Usage: bench/dicom/peers.sh [VENV_DIR]   (default: bench/work/venv-peers, git-ignored)
# Idempotent: an existing venv that already has the pinned versions is left as it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../work/venv-peers}"
python="${PEERS_PYTHON:-python3}"

# The versions REFERENCE.md measured; change them here only if one stops installing, and
# record the version actually used (run.py prints what `pip show` reports).
pins=(
    "dicognito==0.19.0"
    "dicom-anonymizer==2.1.0"
    "deid==0.4.13"
)

if [[ ! -x "$venv/bin/python" ]]; then
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
fi

missing=()
for pin in "${pins[@]}"; do
    name="${pin%%==*}"
    want="${pin##*==}"
    have="$("$venv/bin/python" -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}' || true)"
    if [[ "$have" != "$want" ]]; then
        missing+=("$pin")
    fi
done

if ((${#missing[@]})); then
    "$venv/bin/python" -m pip install -q "${missing[@]}"
fi

"$venv/bin/python" -m pip list 2>/dev/null | grep -i -E '^(dicognito|dicom[-_]anonymizer|deid|pydicom) ' || true
