#!/usr/bin/env bash
# The official Python SDK against the reference mock, in one command:
#
#   bash tests/sdk/run.sh
#
# Creates a throwaway virtual environment (AOM_SDK_VENV=DIR keeps and reuses one instead),
# installs the pinned SDK from PyPI, builds the binary, starts `aom-conformance mock` with an
# AK/SK pair and fault injection on a free loopback port, runs python_sdk_check.py (CMS and
# Prometheus) and python_sdk_alarms_check.py (alarm management) against it, and stops the
# mock. Exits 0 when both pass, else with the first failing check's status.
set -euo pipefail
cd "$(dirname "$0")/../.."

SDK_VERSION=3.1.219
PROJECT=0123456789abcdef0123456789abcdef
scratch=$(mktemp -d)
venv=${AOM_SDK_VENV:-$scratch/venv}
mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "huaweicloudsdkcore==$SDK_VERSION" "huaweicloudsdkaom==$SDK_VERSION"
cargo build --quiet

AOM_MOCK_SK=TESTSK target/debug/aom-conformance mock --listen 127.0.0.1:0 --ak TESTAK \
    --project-id "$PROJECT" --faults --action-rule-delete-lag-ms 200 --ready-file "$scratch/url" >"$scratch/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 100); do
    [ -s "$scratch/url" ] && break
    sleep 0.1
done
[ -s "$scratch/url" ] || { cat "$scratch/mock.log" >&2; exit 3; }

url=$(tr -d '\n' <"$scratch/url")
status=0
"$venv/bin/python" tests/sdk/python_sdk_check.py "$url" TESTAK TESTSK "$PROJECT" || status=$?
"$venv/bin/python" tests/sdk/python_sdk_alarms_check.py "$url" TESTAK TESTSK "$PROJECT" \
    || { [ "$status" -ne 0 ] || status=$?; }
exit "$status"
