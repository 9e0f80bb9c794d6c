// Compares the `decision` field of two JSON-lines files line by line (iamlog's `explain --requests` output against
// iam-simulate's expected.jsonl or bench.mjs output).
//
//   node compare.mjs ACTUAL.jsonl EXPECTED.jsonl [LABEL]
//
// Prints one JSON object {label, actual, expected, agree, disagree, byPair}; exits 1 on any disagreement or a
// line-count difference.
import { readFileSync } from 'node:fs'

const [actualFile, expectedFile, label = actualFile] = process.argv.slice(2)
const read = (f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l).decision)
const actual = read(actualFile)
const expected = read(expectedFile)
let agree = 0
const byPair = {}
const firstDisagreements = []
for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
  if (actual[i] === expected[i]) {
    agree++
  } else {
    const k = `${actual[i]} (expected ${expected[i]})`
    byPair[k] = (byPair[k] ?? 0) + 1
    if (firstDisagreements.length < 5) firstDisagreements.push(i + 1)
  }
}
const disagree = Math.max(actual.length, expected.length) - agree
console.log(JSON.stringify({ label, actual: actual.length, expected: expected.length, agree, disagree, byPair, firstDisagreeingLines: firstDisagreements }))
if (disagree > 0 || actual.length !== expected.length) process.exitCode = 1
