// Differential oracle around @cloud-copilot/iam-simulate (AGPL-3.0-or-later; a dev-time tool only, never
// shipped or linked into iamlog). Adapted from docs reference aws.md section 9.2.
//
// Three uses:
//   node oracle.mjs request.json            one raw Simulation ({"simulation": {...}, "mode": "Strict"}), or stdin
//   node oracle.mjs --check DIR             rebuild every simulation of DIR (input/aws/gaad.json, input/aws/tags.json,
//                                           requests.jsonl) and compare with DIR/expected.jsonl
//   import { ... } from './oracle.mjs'      used by generate.mjs
//
// The GAAD -> Simulation derivation below (policy collection and the context keys derived from the org) is the
// contract the Rust replay test mirrors; see README.md.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const ACCOUNT = '111122223333'

/** Index a GAAD document: principals by ARN, groups by name, managed policies by ARN (default version only). */
export function indexGaad(gaad) {
  const policies = new Map()
  for (const p of gaad.Policies ?? []) {
    const def = p.PolicyVersionList.find((v) => v.IsDefaultVersion)
    if (!def) throw new Error(`policy ${p.Arn} has no default version`)
    policies.set(p.Arn, { name: p.PolicyName, document: decodeDoc(def.Document), versions: p.PolicyVersionList.length })
  }
  const groups = new Map()
  for (const g of gaad.GroupDetailList ?? []) groups.set(g.GroupName, g)
  const principals = new Map()
  for (const u of gaad.UserDetailList ?? []) principals.set(u.Arn, { kind: 'user', detail: u })
  for (const r of gaad.RoleDetailList ?? []) principals.set(r.Arn, { kind: 'role', detail: r })
  return { policies, groups, principals }
}

/** Index a resourcegroupstaggingapi get-resources document: ARN -> [{Key, Value}]. */
export function indexTags(tagsDoc) {
  const m = new Map()
  for (const e of tagsDoc.ResourceTagMappingList ?? []) m.set(e.ResourceARN, e.Tags ?? [])
  return m
}

function decodeDoc(doc) {
  // The raw API returns URL-encoded JSON strings; the CLI prints objects. Accept both.
  if (typeof doc === 'string') return JSON.parse(decodeURIComponent(doc))
  return doc
}

function managed(index, arn) {
  const p = index.policies.get(arn)
  if (!p) throw new Error(`managed policy ${arn} is not in the GAAD`)
  return p
}

/**
 * Identity policies in force for a principal, in a stable order, each {name, policy, source}:
 * the principal's inline policies, its attached managed policies (default version), and for users every
 * group's inline and attached managed policies.
 */
export function identityPoliciesFor(index, principalArn) {
  const pr = index.principals.get(principalArn)
  if (!pr) throw new Error(`unknown principal ${principalArn}`)
  const d = pr.detail
  const out = []
  const inline = pr.kind === 'user' ? d.UserPolicyList : d.RolePolicyList
  for (const ip of inline ?? []) {
    out.push({ name: `${pr.kind}-inline:${ip.PolicyName}`, policy: decodeDoc(ip.PolicyDocument), source: 'inline' })
  }
  for (const am of d.AttachedManagedPolicies ?? []) {
    out.push({ name: `managed:${am.PolicyArn}`, policy: managed(index, am.PolicyArn).document, source: 'managed', arn: am.PolicyArn })
  }
  if (pr.kind === 'user') {
    for (const gname of d.GroupList ?? []) {
      const g = index.groups.get(gname)
      if (!g) throw new Error(`user ${d.UserName} is in unknown group ${gname}`)
      for (const ip of g.GroupPolicyList ?? []) {
        out.push({ name: `group-inline:${gname}:${ip.PolicyName}`, policy: decodeDoc(ip.PolicyDocument), source: 'group-inline', group: gname })
      }
      for (const am of g.AttachedManagedPolicies ?? []) {
        out.push({ name: `group-managed:${gname}:${am.PolicyArn}`, policy: managed(index, am.PolicyArn).document, source: 'group-managed', group: gname, arn: am.PolicyArn })
      }
    }
  }
  return out
}

export function boundaryFor(index, principalArn) {
  const d = index.principals.get(principalArn).detail
  const arn = d.PermissionsBoundary?.PermissionsBoundaryArn
  if (!arn) return undefined
  return { name: `boundary:${arn}`, policy: managed(index, arn).document, arn }
}

/** Is this ARN an IAM user or role of the GAAD? Returns its Tags (possibly []) or undefined. */
function iamResourceTags(index, resourceArn) {
  const pr = index.principals.get(resourceArn)
  return pr ? (pr.detail.Tags ?? []) : undefined
}

/**
 * The context keys iamlog derives from the org itself (never written in requests.jsonl):
 *   aws:username, aws:userid            users only (UserName, UserId)
 *   aws:PrincipalArn                    the user or role ARN
 *   aws:PrincipalAccount                111122223333
 *   aws:PrincipalType                   "User" for users, "AssumedRole" for roles
 *   aws:PrincipalTag/<Key>              each tag of the principal (for users: the user's own tags, not its groups')
 *   aws:ResourceTag/<Key>               each tag of the request resource in tags.json, and for an IAM user/role
 *                                       resource of the GAAD each of its Tags
 *   iam:ResourceTag/<Key>               the same tags, only for an IAM user/role resource of the GAAD
 *   aws:ResourceAccount                 111122223333
 */
export function derivedContext(index, tagIndex, request) {
  const pr = index.principals.get(request.principal)
  if (!pr) throw new Error(`unknown principal ${request.principal}`)
  const d = pr.detail
  const ctx = {}
  if (pr.kind === 'user') {
    ctx['aws:username'] = d.UserName
    ctx['aws:userid'] = d.UserId
  }
  ctx['aws:PrincipalArn'] = d.Arn
  ctx['aws:PrincipalAccount'] = ACCOUNT
  ctx['aws:PrincipalType'] = pr.kind === 'user' ? 'User' : 'AssumedRole'
  for (const t of d.Tags ?? []) ctx[`aws:PrincipalTag/${t.Key}`] = t.Value
  for (const t of tagIndex.get(request.resource) ?? []) ctx[`aws:ResourceTag/${t.Key}`] = t.Value
  const iamTags = iamResourceTags(index, request.resource)
  for (const t of iamTags ?? []) {
    ctx[`aws:ResourceTag/${t.Key}`] = t.Value
    ctx[`iam:ResourceTag/${t.Key}`] = t.Value
  }
  ctx['aws:ResourceAccount'] = ACCOUNT
  return ctx
}

/** Build the iam-simulate Simulation for one requests.jsonl line. */
export function buildSimulation(index, tagIndex, request) {
  const identity = identityPoliciesFor(index, request.principal)
  const boundary = boundaryFor(index, request.principal)
  const contextVariables = { ...(request.context ?? {}), ...derivedContext(index, tagIndex, request) }
  const simulation = {
    request: {
      // A role is passed as its IAM role ARN (arn:aws:iam::A:role/...), not as an assumed-role session ARN:
      // with no resource policy, no session policy and no SCP/RCP, iam-simulate only uses the principal ARN for
      // its account (same-account test), so both forms decide identically; the role ARN is what the GAAD has.
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables
    },
    identityPolicies: identity.map(({ name, policy }) => ({ name, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (boundary) simulation.permissionBoundaryPolicies = [{ name: boundary.name, policy: boundary.policy }]
  return simulation
}

/** Run one simulation in Strict mode; returns {error} or the compact decision record (+ raw result). */
export async function decide(simulation, mode = 'Strict') {
  const res = await runSimulation(simulation, { simulationMode: mode })
  if (res.resultType === 'error') return { error: res.errors }
  if (res.resultType !== 'single') return { error: { message: `unexpected.resultType.${res.resultType}` } }
  const a = res.result.analysis
  return {
    record: {
      decision: res.overallResult,
      identity: a.identityAnalysis?.result,
      permissionBoundary: a.permissionBoundaryAnalysis?.result ?? null,
      blockedBy: a.blockedBy ?? []
    },
    analysis: a,
    ignoredContextKeys: res.result.ignoredContextKeys ?? []
  }
}

function readJsonl(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
}

async function checkFixture(dir) {
  const index = indexGaad(JSON.parse(readFileSync(join(dir, 'input/aws/gaad.json'), 'utf8')))
  const tagIndex = indexTags(JSON.parse(readFileSync(join(dir, 'input/aws/tags.json'), 'utf8')))
  const requests = readJsonl(join(dir, 'requests.jsonl'))
  const expected = readJsonl(join(dir, 'expected.jsonl'))
  if (requests.length !== expected.length) throw new Error(`${requests.length} requests but ${expected.length} expectations`)
  let bad = 0
  for (let i = 0; i < requests.length; i++) {
    const out = await decide(buildSimulation(index, tagIndex, requests[i]))
    const got = out.error ? { error: out.error } : out.record
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) {
      bad++
      if (bad <= 20) console.log(`line ${i + 1}: expected ${JSON.stringify(expected[i])} got ${JSON.stringify(got)}`)
    }
  }
  console.log(`${requests.length - bad} passed, ${bad} failed`)
  if (bad > 0) process.exit(1)
}

async function main() {
  if (process.argv[2] === '--check') {
    await checkFixture(process.argv[3] ?? '../../tests/fixtures/differential/aws-identity')
    return
  }
  const input = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'))
  const mode = input.mode ?? 'Strict' // 'Strict' | 'Discovery'
  const res = await runSimulation(input.simulation, { simulationMode: mode })
  if (res.resultType === 'error') {
    console.log(JSON.stringify({ decision: 'Error', errors: res.errors }, null, 2))
    process.exit(2)
  }
  const one = res.resultType === 'single' ? res.result : undefined
  const a = one?.analysis
  console.log(JSON.stringify({
    decision: res.overallResult, // Allowed | ExplicitlyDenied | ImplicitlyDenied
    resultType: res.resultType,
    sameAccount: a?.sameAccount,
    blockedBy: a?.blockedBy ?? [],
    identity: a?.identityAnalysis?.result,
    resource: a?.resourceAnalysis?.result,
    permissionBoundary: a?.permissionBoundaryAnalysis?.result,
    scp: a?.scpAnalysis?.result,
    rcp: a?.rcpAnalysis?.result,
    session: a?.sessionAnalysis?.result,
    ignoredContextKeys: one?.ignoredContextKeys,
    perPattern: res.resultType === 'wildcard'
      ? res.results.map((r) => ({ pattern: r.resourcePattern, decision: r.analysis?.result })) : undefined
  }, null, 2))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
