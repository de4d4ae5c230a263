#!/usr/bin/env bash
# Render a Word report to PDF (LibreOffice headless) and its pages to PNG (pdftoppm), to look at.
#
#   scripts/render_report.sh [report.docx] [PNG prefix]
#
# Without a file: a throw-away SQLite database under a temporary directory gets the demo
# province and DEMO_TICKETS synthetic tickets (default 5000, spread over the past year), then
# `hotline report monthly` writes the report of the previous month for the whole province.
# PNGs go to docs/screenshots/<prefix>-<page>.png (prefix default: report-monthly).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PREFIX=${2:-report-monthly}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ $# -ge 1 ]]; then
  DOCX=$(realpath "$1")
else
  export HOTLINE_VAR_DIR=$WORK/var HOTLINE_DATABASE_URL=sqlite:///$WORK/var/report.sqlite3
  MONTH=$(TZ=Asia/Shanghai date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)
  .venv/bin/hotline migrate -v 0
  .venv/bin/hotline demo --tickets "${DEMO_TICKETS:-5000}" > /dev/null
  .venv/bin/hotline report monthly --month "$MONTH" --output "$WORK/out"
  DOCX=$(ls "$WORK"/out/*.docx)
fi

# A private LibreOffice profile: a desktop instance or a parallel run must not lock ours.
soffice -env:UserInstallation=file://"$WORK"/lo --headless --convert-to pdf --outdir "$WORK" "$DOCX" > /dev/null
PDF="$WORK/$(basename "${DOCX%.docx}").pdf"
mkdir -p "$ROOT/docs/screenshots"
rm -f "$ROOT"/docs/screenshots/"$PREFIX"-*.png
pdftoppm -png -r 70 "$PDF" "$ROOT/docs/screenshots/$PREFIX"
echo "PDF pages: $(pdfinfo "$PDF" | awk '/^Pages/ {print $2}')"
echo "fonts: $(pdffonts "$PDF" | awk 'NR>2 {print $1}' | sort -u | tr '\n' ' ')"
ls "$ROOT"/docs/screenshots/"$PREFIX"-*.png
