#!/usr/bin/env bash
# One-shot figures of docs/performance.md's summary table: for an org, the wall time and peak
# memory (maximum RSS, from /usr/bin/time) of the main commands, and the rows each prints.
#
#   benches/summary.sh NAME ORG_DIR [--all] [--check]
#
# NAME labels the rows (small, medium, large). The snapshot is written to $OUT (default
# /tmp/iamlog-summary) and every question after `ingest` reads it. The questions:
#   who-can s3:GetObject on `reports/q1.csv` in the first bucket of the org's tags export,
#   what-can of the first role named `terraform-runner` (the first role if none),
#   ($OBJECT and $PRINCIPAL, when set, replace that object and that role),
#   with --all: what-can --all --format jsonl (rows are JSON lines),
#   with --check: check with the bundled rules.
# Run it on a quiet machine; it prints markdown table rows.
set -euo pipefail
NAME=$1
ORG=$2
shift 2
ALL=no
CHECK=no
for flag in "$@"; do
  case $flag in
    --all) ALL=yes ;;
    --check) CHECK=yes ;;
    *) echo "unknown flag $flag" >&2; exit 2 ;;
  esac
done
BIN=${IAMLOG:-target/release/iamlog}
OUT=${OUT:-/tmp/iamlog-summary}
mkdir -p "$OUT"
SNAP="$OUT/$NAME.snap"

# measure LABEL ARGS...: runs iamlog ARGS, prints a row.
measure() {
  local label=$1
  shift
  local rc=0
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$BIN" "$@" > "$OUT/out" 2> "$OUT/err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "$label: exit $rc" >&2
    tail -3 "$OUT/err" >&2
    exit 1
  fi
  local secs kb
  read -r secs kb < <(tail -1 "$OUT/time")
  local rows
  rows=$(wc -l < "$OUT/out")
  printf '| %s | `%s` | %s s | %s MB | %s |\n' "$NAME" "$label" "$secs" "$((kb / 1024))" "$rows"
}

bucket=$(grep -o -m1 '"arn:aws:s3:::[a-z0-9.-]*"' "$ORG/input/aws/tags.json" | head -1 | tr -d '"')
# (A role's own `"Arn"`, not a trust policy's mention of another account's role.)
role=$(grep -h -o -m1 '"Arn": "arn:aws:iam::[0-9]*:role/[a-z/-]*terraform-runner"' "$ORG"/input/aws/*-iam.json | head -1 | cut -d'"' -f4 || true)
if [ -z "$role" ]; then
  role=$(grep -h -o -m1 '"Arn": "arn:aws:iam::[0-9]*:role/[A-Za-z0-9/_+=,.@-]*"' "$ORG"/input/aws/*-iam.json | head -1 | cut -d'"' -f4)
fi

object=${OBJECT:-$bucket/reports/q1.csv}
role=${PRINCIPAL:-$role}

measure "ingest --out SNAP" ingest "$ORG" --out "$SNAP" -q
measure "who-can s3:GetObject $object" who-can s3:GetObject "$object" --snapshot "$SNAP" --format csv -q
measure "what-can $role" what-can "$role" --snapshot "$SNAP" --format csv -q
if [ "$ALL" = yes ]; then
  measure "what-can --all --format jsonl" what-can --all --snapshot "$SNAP" --format jsonl -q
fi
if [ "$CHECK" = yes ]; then
  measure "check" check --snapshot "$SNAP" -q
fi
