#!/usr/bin/env node
// Writes ../../tests/data/aws-expand-sample.json: action patterns and what the pinned
// `iam-expand` CLI (@cloud-copilot/iam-expand, same install and iam-data version as
// generate.mjs) prints for each. tests/tests/catalogue_expand.rs checks that
// `Catalogue::embedded().expand(pattern)` agrees.
//
// Usage: cd scripts/catalogue && npm ci && node sample.mjs
//
// Each pattern is run as its own process, `iam-expand -e --invalid-action-behavior remove --
// <pattern>` (no shell), so results are not merged. `--invalid-action-behavior remove` is the
// library default, but the 0.11.44 CLI passes `undefined` when the flag is absent and then
// fails on any unknown literal action ("Invalid invalidActionBehavior: undefined", exit 1).
//
// Lists longer than MAX_LIST (300) are stored as count + first + last + FNV-1a-64 of the
// names sorted in ASCII-lowercase byte order and joined with "\n".
//
// `divergences` holds patterns where iam-expand's semantics differ from the glob semantics
// of the Rust catalogue (documented in README.md). For those the file records both
// iam-expand's output and the expected glob result, which is computed here by filtering
// iam-expand's own `-e "*"` list with an escaped whole-string regex.

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const nm = join(here, 'node_modules', '@cloud-copilot')
const cli = join(nm, 'iam-expand', 'dist', 'esm', 'cli.js')
const outFile = join(here, '..', '..', 'tests', 'data', 'aws-expand-sample.json')
const expandPkg = JSON.parse(readFileSync(join(nm, 'iam-expand', 'package.json'), 'utf8'))
const dataPkg = JSON.parse(readFileSync(join(nm, 'iam-data', 'package.json'), 'utf8'))
const MAX_LIST = 300

function iamExpand(pattern) {
  const out = execFileSync(process.execPath, [cli, '-e', '--invalid-action-behavior', 'remove', '--', pattern], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  })
  return out.split('\n').filter((l) => l.length > 0)
}

const lc = (s) => s.toLowerCase()
const sortCi = (v) => v.slice().sort((a, b) => (lc(a) < lc(b) ? -1 : lc(a) > lc(b) ? 1 : 0))

function fnv1a64(s) {
  let h = 0xcbf29ce484222325n
  const p = 0x100000001b3n
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= BigInt(b)
    h = (h * p) & 0xffffffffffffffffn
  }
  return h.toString(16).padStart(16, '0')
}

/** Result record: full list (in the given order) or a digest if long. */
function record(list) {
  if (list.length <= MAX_LIST) return { count: list.length, actions: list }
  const s = sortCi(list)
  return { count: s.length, first: s[0], last: s[s.length - 1], fnv1a64: fnv1a64(s.join('\n')) }
}

// ---------------------------------------------------------------------------------------
// Patterns

const all = iamExpand('*')
const allSorted = sortCi(all)
const services = [...new Set(allSorted.map((a) => a.split(':')[0]))]
const byService = new Map(services.map((s) => [s, []]))
for (const a of allSorted) byService.get(a.split(':')[0]).push(a.split(':')[1])

let seed = 20260926
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
const pick = (v) => v[Math.floor(rand() * v.length)]
/** Deterministically mixes the case of a string. */
const mixCase = (s) => [...s].map((c) => (rand() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('')

const handPicked = [
  '*',
  '**',
  's3:*',
  's3:**',
  'S3:*',
  's3:Get*',
  's3:get*',
  'S3:GET*',
  'S3:getobj*',
  'S3:getOBJECT',
  's3:GetObject',
  's3:getobject',
  'IAM:listaccesskeys',
  'iam:ListAccessKeys',
  'iam:?et*',
  'iam:*AccessKey*',
  'iam:*',
  'iam:Pass*',
  'iam:PassRole',
  'iam:Create*Policy*',
  'iam:*Policy',
  'iam:*Role*',
  'iam:Get*Role*',
  'iam:????Role',
  'iam:*?',
  'iam:?*',
  'ec2:Describe*',
  'ec2:describe*s',
  'ec2:*Vpc*Endpoint*',
  'ec2:Run*',
  'ec2:RunInstances',
  'ec2:*Instance*',
  'ec2:?????Instances',
  'ec2:*',
  's3:*Object*',
  's3:Get*Acl',
  's3:?ut*',
  's3:??tObject',
  's3:GetObjec?',
  's3:GetObject?',
  's3:GetObject*',
  's3:*Bucket*Policy*',
  's3:List*',
  's3:*Tagging',
  's3:Put*Configuration',
  's3:*a*e*i*o*u*',
  's3:Get*?',
  's3:*?*',
  's3-outposts:*',
  's3express:*',
  'kms:*',
  'kms:Decrypt',
  'kms:*crypt*',
  'kms:Re*',
  'sts:*',
  'sts:AssumeRole*',
  'sts:assumerole',
  'sts:Get*Token*',
  'lambda:*Function*',
  'lambda:InvokeFunction',
  'lambda:Invoke*',
  'dynamodb:*Item*',
  'dynamodb:Batch*',
  'sqs:Send*',
  'sns:Publish',
  'secretsmanager:GetSecretValue',
  'ssm:GetParameter*',
  'logs:*',
  'cloudtrail:Stop*',
  'organizations:*',
  'organizations:Describe*',
  'vpc-lattice:Associate*',
  'vpc-lattice:AssociateViaAWSService-EventsAndStates',
  'VPC-LATTICE:associateviaawsservice-eventsandstates',
  'vpc-lattice:*-*',
  'execute-api:*',
  'execute-api:Invoke',
  // nothing matches
  's3:NoSuchAction',
  's3:Zzz*',
  's3:GetObject??????????????????????????????????????????',
  's3:?',
  's3:',
  'nosuchservice:*',
  'nosuchservice:Get*',
  'nosuchservice:GetObject',
  'iam:Get*Xyzzy*',
  'ec2:*Qqq?',
  's3:Get*:*',
  's3:GetObject:x',
]

const generated = []
// Many services: every 3rd service gets a prefix glob, a mixed-case literal and a `?`
// pattern; every 12th also `svc:*` (whole-service lists dominate the file size).
services.forEach((svc, i) => {
  if (i % 3 !== 0) return
  const acts = byService.get(svc)
  const a = pick(acts)
  if (i % 12 === 0) generated.push(`${svc}:*`)
  generated.push(`${svc}:${a.slice(0, Math.min(3, a.length))}*`)
  generated.push(mixCase(`${svc}:${a}`))
  const q = [...a].map((c, j) => (j % 3 === 1 ? '?' : c)).join('')
  generated.push(`${svc}:${q}`)
  if (i % 9 === 0) generated.push(`${svc}:*${a.slice(-4)}`)
  if (i % 15 === 0) generated.push(`${svc}:${mixCase(a.slice(0, 2))}*${a.slice(-2)}?`)
})

// Patterns with a wildcard in (or instead of) the service part, and other cases where
// iam-expand's string handling differs from a plain glob. Reason strings go to the file.
const divergent = [
  ['*Object*', 'no ":" in the pattern: iam-expand returns nothing; glob over the whole string'],
  ['*:*', 'wildcard service part: iam-expand returns nothing (service "*" unknown)'],
  ['*:GetObject', 'wildcard service part'],
  ['*:List*Tags*', 'wildcard service part'],
  ['s3*:Get*', 'wildcard service part'],
  ['s?:Get*', 'wildcard service part'],
  ['s3*', 'no ":" in the pattern'],
  ['iam*', 'no ":" in the pattern'],
  ['?3:GetObject', 'wildcard service part'],
  [' s3:GetObject ', 'iam-expand trims surrounding whitespace; the glob does not'],
  ['s3:Get.bject*', 'iam-expand builds an unescaped RegExp, so "." matches any character'],
  ['s3:Get(Object|Bucket)*', 'iam-expand builds an unescaped RegExp: alternation'],
  ['s3:\\u0047etObject', 'iam-expand unescapes \\uXXXX sequences'],
]

const patterns = [...new Set([...handPicked, ...generated])]

// ---------------------------------------------------------------------------------------
// Run

const escapeRe = (s) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&')
const globRe = (p) => new RegExp('^' + escapeRe(p).replace(/\?/g, '.').replace(/\*/g, '.*') + '$', 'is')

const samples = []
for (const p of patterns) {
  samples.push({ pattern: p, ...record(iamExpand(p)) })
}
const divergences = []
for (const [p, reason] of divergent) {
  const re = globRe(p)
  divergences.push({
    pattern: p,
    reason,
    iam_expand: record(iamExpand(p)),
    expected: record(allSorted.filter((a) => re.test(a))),
  })
}

const nonEmpty = samples.filter((s) => s.count > 0).length
const doc = {
  description:
    'Action-pattern expansions by the iam-expand CLI, for tests/tests/catalogue_expand.rs. Generated by scripts/catalogue/sample.mjs; do not edit.',
  iam_expand_version: `${expandPkg.name} ${expandPkg.version}`,
  iam_data_version: `${dataPkg.name} ${dataPkg.version}`,
  iam_data_date: dataPkg.updatedAt,
  command: 'iam-expand -e --invalid-action-behavior remove -- <pattern>   (one process per pattern)',
  order: 'actions lists are in iam-expand output order (JavaScript default sort: UTF-16 code units, case-sensitive)',
  digest:
    'lists longer than 300 are replaced by count, first, last and fnv1a64: FNV-1a 64-bit (hex) of the UTF-8 names sorted by ASCII-lowercase byte order and joined with "\\n"; first/last use the same order',
  total_actions: all.length,
  pattern_count: samples.length,
  non_empty_count: nonEmpty,
}

// One entry per line keeps the file diffable.
const lines = []
lines.push('{')
for (const [k, v] of Object.entries(doc)) lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
lines.push('  "samples": [')
lines.push(samples.map((s) => '    ' + JSON.stringify(s)).join(',\n'))
lines.push('  ],')
lines.push('  "divergences": [')
lines.push(divergences.map((s) => '    ' + JSON.stringify(s)).join(',\n'))
lines.push('  ]')
lines.push('}')
writeFileSync(outFile, lines.join('\n') + '\n')
console.log(
  `wrote ${outFile}: ${samples.length} patterns (${nonEmpty} non-empty), ${divergences.length} divergences; ` +
    `${expandPkg.name} ${expandPkg.version}, ${dataPkg.name} ${dataPkg.version}; iam-expand -e "*" = ${all.length}`
)
