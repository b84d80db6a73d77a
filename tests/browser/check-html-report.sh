#!/usr/bin/env bash
# The HTML report in a real browser: runs the suite against the embedded mock (one case
# broken so it fails, some skipped so their cells are "not run"), writes
# `--report html`, opens the page in headless Chromium, and checks the DOM Chromium
# built (the matrix, one cell per documented status, the failed and not-run cells, the
# failure's <details>) and that a screenshot came out as a non-empty PNG of the window
# size; then the fidelity page of `diff` against a recording of that run (one verdict
# differs: the broken case's). Exits non-zero on any miss.
#
# Usage: tests/browser/check-html-report.sh [OUT_DIR]   (default reports/browser)
# OUT_DIR keeps report.html, dom.html and screenshot.png for a person to look at.
# Env: CHROMIUM (default /usr/bin/chromium), AOM_CONFORMANCE_BIN (default: cargo build,
# the debug binary).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-reports/browser}
chromium=${CHROMIUM:-/usr/bin/chromium}
fail() {
    echo "check-html-report: FAIL: $*" >&2
    exit 1
}

[[ -x $chromium ]] || fail "$chromium not found (Debian: apt-get install chromium)"
if [[ -n ${AOM_CONFORMANCE_BIN:-} ]]; then
    bin=$AOM_CONFORMANCE_BIN
else
    cargo build --quiet --bin aom-conformance
    bin=${CARGO_TARGET_DIR:-target}/debug/aom-conformance
fi
[[ -x $bin ]] || fail "no binary at $bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# A copy of the suite with StopExecution [200] expecting what the mock does not say.
cp -r specs schemas "$work/"
sed -i '0,/body: { result: success }/s//body: { result: finished }/' "$work/specs/stop-execution.yaml"
grep -q 'result: finished' "$work/specs/stop-execution.yaml" || fail "could not break a case"
suite=(--specs "$work/specs" --schemas "$work/schemas")

# How many cells the matrix must have: lint says "N/N documented responses".
documented=$("$bin" lint "${suite[@]}" | sed -n 's#.* [0-9]*/\([0-9]*\) documented responses.*#\1#p' || true)
[[ $documented =~ ^[0-9]+$ ]] || fail "lint did not say how many responses are documented"

set +e
"$bin" run "${suite[@]}" --junit "$work/junit.xml" --report html "$out/report.html" \
    --skip "no credentials" -q --record "$work/recording" >"$work/run.log" 2>&1
code=$?
set -e
[[ $code == 101 ]] || { cat "$work/run.log" >&2; fail "run exited $code, expected 101 (one case broken)"; }

# Self-contained: nothing to fetch, no script; links only within the page.
grep -Eq '<(script|link|img|iframe)[ >]' "$out/report.html" && fail "the page loads or runs something"
external=$(grep -Eo '(src|href)="[^"]*"' "$out/report.html" | grep -v '^href="#' || true)
[[ -z $external ]] || fail "a link leaves the page: $external"

browser=(
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --hide-scrollbars --user-data-dir="$work/profile"
)
url="file://$(realpath "$out/report.html")"
timeout 60 "${browser[@]}" --dump-dom "$url" >"$out/dom.html" 2>"$work/chromium.log" ||
    { cat "$work/chromium.log" >&2; fail "chromium --dump-dom failed"; }
rm -f "$out/screenshot.png"
timeout 60 "${browser[@]}" --screenshot="$out/screenshot.png" --window-size=1280,1600 "$url" \
    >>"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; fail "chromium --screenshot failed"; }

dom=$out/dom.html
count() { grep -Eo "$1" "$dom" | wc -l || true; }
cell='<td data-target="[^"]*" data-operation="[^"]*" data-status="[0-9]{3}" data-state="(passed|failed|ignored|notrun)"'
[[ $(count '<table class="matrix"') -ge 1 ]] || fail "no matrix table in the DOM"
cells=$(count "$cell")
[[ $cells == "$documented" ]] || fail "$cells matrix cells, expected $documented"
[[ $(count 'data-operation="StopExecution" data-status="200" data-state="failed"') == 1 ]] ||
    fail "the broken case's cell is not failed"
[[ $(count 'data-state="passed"') -ge 1 ]] || fail "no passed cell"
[[ $(count 'data-status="401" data-state="notrun"') -ge 1 ]] || fail "no not-run cell for the skipped cases"
[[ $(count '<details>') -ge 1 ]] || fail "no expandable failure"
grep -q 'expected "finished", got "success"' "$dom" || fail "the failure text is not in the DOM"
grep -q '<title>aom-conformance: FAILED (1 failed)' "$dom" || fail "unexpected page title"

# A PNG of 1280x1600 with something drawn: the signature, the IHDR size, some bytes.
png=$out/screenshot.png
[[ -s $png ]] || fail "no screenshot"
[[ $(head -c 8 "$png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "the screenshot is not a PNG"
[[ $(od -An -tu1 -j16 -N8 "$png" | tr -s ' ' | sed 's/^ //') == "0 0 5 0 0 0 6 64" ]] ||
    fail "the screenshot is not 1280x1600"
size=$(stat -c %s "$png")
((size > 20000)) || fail "the screenshot is nearly empty ($size bytes)"

# The fidelity page of `diff`: the shipped suite against the recording of the broken one
# differs in exactly the broken case's verdict.
set +e
"$bin" diff --against "$work/recording" --skip "no credentials" --report html "$out/fidelity.html" \
    >"$work/diff.log" 2>&1
code=$?
set -e
[[ $code == 1 ]] || { cat "$work/diff.log" >&2; fail "diff exited $code, expected 1 (one verdict differs)"; }
grep -Eq '<(script|link|img|iframe)[ >]' "$out/fidelity.html" && fail "the fidelity page loads or runs something"
timeout 60 "${browser[@]}" --dump-dom "file://$(realpath "$out/fidelity.html")" >"$out/fidelity-dom.html" \
    2>>"$work/chromium.log" || { cat "$work/chromium.log" >&2; fail "chromium --dump-dom (fidelity) failed"; }
fdom=$out/fidelity-dom.html
grep -q '<p id="score">' "$fdom" || fail "no score on the fidelity page"
rows=$(grep -Eo '<tr><td>[^<]*</td><td><code>' "$fdom" | wc -l || true)
[[ $rows == 1 ]] || fail "$rows difference rows on the fidelity page, expected 1"
grep -q '<tr><td>StopExecution \[200\] [^<]*</td><td><code>specs/stop-execution.yaml:[0-9]*:[0-9]*</code></td><td>verdict</td><td><code>failed</code></td><td><code>passed</code></td></tr>' "$fdom" ||
    fail "the broken case's verdict is not the difference shown"
grep -q '<tr class="low"><td>StopExecution</td>' "$fdom" || fail "StopExecution is not marked below 100%"

echo "check-html-report: ok ($cells cells, screenshot $size bytes, one fidelity difference; see $out/)"
