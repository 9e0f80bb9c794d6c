// Peer benchmark: iam-simulate (@cloud-copilot/iam-simulate, pinned in ../../oracle/package.json) deciding every
// request of a differential fixture directory, end to end, in one node process.
//
//   node bench.mjs DIR [--out FILE] [--expected FILE]
//
// DIR holds input/aws/gaad.json, input/aws/tags.json and requests.jsonl (the layout `generate.mjs --out DIR`
// writes). Timed, in this order: loading iam-simulate (the oracle module), reading and indexing the org files,
// reading and parsing requests.jsonl, building every request's Simulation with the oracle's own `buildSimulation`
// (the GAAD -> Simulation contract), running iam-simulate in Strict mode on each (the oracle's `decide`, one request
// after the other), writing one decision record per line to FILE (default DIR/iam-simulate.jsonl).
// Then, untimed: the decisions are compared with --expected (default DIR/expected.jsonl, skipped if absent).
//
// Prints one JSON object: the phase times (ms), total, per-request µs, and the agreement counts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const t0 = performance.now()
const argv = process.argv.slice(2)
const DIR = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')))
if (!DIR) {
  console.error('usage: node bench.mjs DIR [--out FILE] [--expected FILE]')
  process.exit(2)
}
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : dflt
}
const OUT = opt('out', join(DIR, 'iam-simulate.jsonl'))
const EXPECTED = opt('expected', join(DIR, 'expected.jsonl'))

// Loading iam-simulate is part of the end-to-end time (the dynamic import keeps it inside the timer).
const { buildSimulation, decide, indexGaad, indexTags } = await import('../../oracle/oracle.mjs')
const tImport = performance.now()

const index = indexGaad(JSON.parse(readFileSync(join(DIR, 'input/aws/gaad.json'), 'utf8')))
const tagIndex = indexTags(JSON.parse(readFileSync(join(DIR, 'input/aws/tags.json'), 'utf8')))
const tOrg = performance.now()

const requests = readFileSync(join(DIR, 'requests.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l))
const tRead = performance.now()

const simulations = requests.map((r) => buildSimulation(index, tagIndex, r))
const tBuild = performance.now()

// The pure simulate loop: one runSimulation (Strict) per request, awaited in order, as the oracle does.
const records = new Array(simulations.length)
let errors = 0
for (let i = 0; i < simulations.length; i++) {
  const out = await decide(simulations[i])
  if (out.error) {
    errors++
    records[i] = { error: out.error }
  } else {
    records[i] = out.record
  }
}
const tSim = performance.now()

writeFileSync(OUT, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
const tEnd = performance.now()

const n = requests.length
const ms = (x) => Math.round(x * 10) / 10
const report = {
  requests: n,
  errors,
  ms: {
    import: ms(tImport - t0),
    readOrg: ms(tOrg - tImport),
    readRequests: ms(tRead - tOrg),
    buildSimulations: ms(tBuild - tRead),
    simulateLoop: ms(tSim - tBuild),
    write: ms(tEnd - tSim),
    total: ms(tEnd - t0)
  },
  usPerRequest: {
    simulateLoop: Math.round(((tSim - tBuild) * 1000) / n),
    total: Math.round(((tEnd - t0) * 1000) / n)
  }
}

if (existsSync(EXPECTED)) {
  const expected = readFileSync(EXPECTED, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
  let decisionMismatches = 0
  let recordMismatches = 0
  for (let i = 0; i < Math.max(n, expected.length); i++) {
    if (records[i]?.decision !== expected[i]?.decision) decisionMismatches++
    if (JSON.stringify(records[i]) !== JSON.stringify(expected[i])) recordMismatches++
  }
  report.expected = { file: EXPECTED, lines: expected.length, decisionMismatches, recordMismatches }
}
console.log(JSON.stringify(report, null, 1))
