#!/usr/bin/env bash
# Check an HTML report in headless Chromium: the page loads with no
# console error and no network request, every plot has drawn marks, each
# sample's calls table holds the VCF's records, and a screenshot is saved
# for a human. Skips (exit 0, reason printed) where Chromium is absent.
#
#   tests/browser/check_report.sh REPORT.html CALLS.vcf[.gz] SCREENSHOT.png
set -euo pipefail
report=$(realpath "$1"); vcf=$2; shot=$3
here=$(cd "$(dirname "$0")" && pwd)
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "SKIP: no chromium on PATH (apt-get install chromium): the report was not checked in a browser"
  exit 0
fi
mkdir -p "$(dirname "$shot")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# No network: every host name fails to resolve, so a fetch would log an error.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile"
       --host-resolver-rules="MAP * ~NOTFOUND" --allow-file-access-from-files
       --enable-logging=stderr --v=0)
url="file://$report"
timeout 120 "$browser" "${flags[@]}" --virtual-time-budget=10000 \
  --dump-dom "file://$here/check.html?report=$(printf %s "$url" | sed 's/%/%25/g; s/ /%20/g; s/?/%3F/g; s/#/%23/g')" \
  >"$work/dom.html" 2>"$work/log.txt" || { cat "$work/log.txt" >&2; echo "FAIL: chromium failed"; exit 1; }
timeout 120 "$browser" "${flags[@]}" --window-size=1200,8000 --screenshot="$shot" "$url" \
  >/dev/null 2>"$work/shot.txt" || { cat "$work/shot.txt" >&2; echo "FAIL: no screenshot"; exit 1; }
test -s "$shot" || { echo "FAIL: empty screenshot $shot"; exit 1; }
fail=0
# Console messages of the page (and failed loads) at warning level or worse.
if grep -E "CONSOLE|net::ERR|Failed to load|Refused to" "$work/log.txt" "$work/shot.txt" | grep -v "check.html" >&2; then
  echo "FAIL: the browser logged console errors or blocked loads (above)"; fail=1
fi
result=$(sed -n '/<pre id="result">/,/<\/pre>/p' "$work/dom.html" | sed 's/<[^>]*>//g')
echo "$result"
if ! grep -q "^done" <<<"$result"; then
  echo "FAIL: the check page did not finish (frame not loaded?)"; fail=1
fi
if ! grep -q "^resources=0$" <<<"$result"; then
  echo "FAIL: the page fetched other resources (it must be self-contained)"; fail=1
fi
plots=$(echo "$result" | grep -c "^plot " || true)
empty=$(echo "$result" | grep "^plot " | grep -c "drawn=0" || true)
if [ "$plots" -eq 0 ] || [ "$empty" -gt 0 ]; then
  echo "FAIL: $plots plots, $empty with no drawn mark"; fail=1
fi
records=$( (gzip -cdf "$vcf" 2>/dev/null || cat "$vcf") | grep -vc '^#' || true)
tables=$(echo "$result" | grep -c "^calls rows=" || true)
if [ "$records" -gt 0 ] && [ "$tables" -eq 0 ]; then
  echo "FAIL: no calls table for $records VCF records"; fail=1
fi
while read -r rows; do
  if [ "$rows" != "$records" ]; then
    echo "FAIL: a calls table holds $rows rows, the VCF $records records"; fail=1
  fi
done < <(echo "$result" | sed -n 's/^calls rows=//p')
[ "$fail" -eq 0 ] && echo "OK: $plots plots drawn, calls tables hold the VCF's $records records; screenshot $shot"
exit "$fail"
