#!/usr/bin/env bash
# iamlog vs iam-ape: the effective permissions of every principal of one GAAD.
#
#   scripts/peers/iam-ape/setup.sh            # once: .venv with the pinned iam-ape
#   scripts/peers/iam-ape/run.sh              # build, generate the `ape` org, time both tools
#
# Environment: SEED (default 1), ORG (default /tmp/ape-org), APE_LIMIT (default 0: every
# principal; N: iam-ape on N principals spread evenly over the GAAD (every 2540/N-th) only, and
# its time for all of them extrapolated per principal), SKIP_BUILD=1, OUT (default
# /tmp/ape-run: logs and outputs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
SEED="${SEED:-1}"
ORG="${ORG:-/tmp/ape-org}"
APE_LIMIT="${APE_LIMIT:-0}"
OUT="${OUT:-/tmp/ape-run}"
PY="$here/.venv/bin/python"
[ -x "$PY" ] || { echo "run $here/setup.sh first" >&2; exit 2; }
mkdir -p "$OUT"
cd "$root"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release -p iamlog-cli -p iamlog-benches --bin iamlog --bin iamlog-synth
fi
rm -rf "$ORG"
target/release/iamlog-synth --size ape --seed "$SEED" --out "$ORG"
gaad="$(ls "$ORG"/input/aws/*-iam.json)"

# peak MB and wall s out of a `/usr/bin/time -v` log
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"; }
cpu() { awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$1"; }
peak() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

# iamlog takes about a second, within the VM's noise: it is timed IAMLOG_RUNS times (each run
# printed) and the table uses the median run. iam-ape takes six minutes and is run once.
IAMLOG_RUNS="${IAMLOG_RUNS:-3}"
echo "== iamlog $(git rev-parse --short HEAD): what-can --all over $ORG ($IAMLOG_RUNS runs)"
for i in $(seq "$IAMLOG_RUNS"); do
    /usr/bin/time -v -o "$OUT/iamlog-$i.time" \
        target/release/iamlog what-can --all --org "$ORG" --format jsonl -q > /dev/null
    echo "run $i: $(wall "$OUT/iamlog-$i.time") s wall, $(cpu "$OUT/iamlog-$i.time") s CPU, $(peak "$OUT/iamlog-$i.time") MB"
done
median=$(for i in $(seq "$IAMLOG_RUNS"); do echo "$(wall "$OUT/iamlog-$i.time") $i"; done | sort -n | awk -v n="$IAMLOG_RUNS" 'NR == int((n + 1) / 2) { print $2 }')
cp "$OUT/iamlog-$median.time" "$OUT/iamlog.time"
rows=$(target/release/iamlog what-can --all --org "$ORG" --format jsonl -q | wc -l)
echo "rows: $rows"

ape_version=$("$here/.venv/bin/pip" show iam-ape | awk '/^Version/ { print $2 }')
echo "== iam-ape $ape_version: ape_all.py over $gaad (limit ${APE_LIMIT})"
/usr/bin/time -v -o "$OUT/iam-ape.time" \
    "$PY" "$here/ape_all.py" "$gaad" --limit "$APE_LIMIT" --out "$OUT/iam-ape.jsonl" \
    2> "$OUT/iam-ape.log" || echo "ape_all.py exited non-zero (see $OUT/iam-ape.log)"
summary=$(tail -n 1 "$OUT/iam-ape.log")
echo "$summary"

iw=$(wall "$OUT/iamlog.time"); ic=$(cpu "$OUT/iamlog.time"); ip=$(peak "$OUT/iamlog.time")
aw=$(wall "$OUT/iam-ape.time"); ac=$(cpu "$OUT/iam-ape.time"); ap=$(peak "$OUT/iam-ape.time")
note="measured"
if [ "$APE_LIMIT" != 0 ]; then
    # extrapolate: load + per-principal time x every principal (the driver prints it)
    aw=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["extrapolated_all_s"])' "$summary")
    ac="-"
    note="extrapolated from $APE_LIMIT principals spread over the GAAD"
fi
echo
printf '%-10s %10s %10s %9s %10s  %s\n' tool "wall s" "cpu s" "peak MB" "ratio" ""
printf '%-10s %10s %10s %9s %10s  %s\n' iamlog "$iw" "$ic" "$ip" "1" "$rows rows (median of $IAMLOG_RUNS runs)"
printf '%-10s %10s %10s %9s %10s  %s\n' iam-ape "$aw" "$ac" "$ap" \
    "$(awk -v a="$aw" -v b="$iw" 'BEGIN { printf "%.1fx", a / b }')" "$note"
