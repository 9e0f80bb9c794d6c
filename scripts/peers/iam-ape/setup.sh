#!/usr/bin/env bash
# Creates scripts/peers/iam-ape/.venv with the pinned iam-ape (PyPI "iam-ape", IAM Action
# Policy Evaluator, https://github.com/orcasecurity/iam-ape).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IAM_APE_VERSION="${IAM_APE_VERSION:-1.1.6}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
    "$PYTHON" -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --upgrade pip
"$here/.venv/bin/pip" install --quiet "iam-ape==${IAM_APE_VERSION}"
"$here/.venv/bin/pip" show iam-ape | sed -n '1,2p'
