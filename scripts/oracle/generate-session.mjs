// Deterministic generator of session-policy scenarios for iamlog's differential tests: the organization, principals and
// resource policies of generate-resource.mjs (same seed => the same documents as aws-resource/input/), requests from
// role-session ARNs (each with a random session policy, 95%) and IAM users (no session policy: see below).
//
//   node generate-session.mjs [--seed N] [--count N] [--out DIR]
//   node generate-session.mjs --check [DIR]   re-run every simulation of DIR/simulations.jsonl.gz, compare with expected.jsonl
//
// Writes DIR (default ../../tests/fixtures/differential/aws-session): simulations.jsonl.gz (line i = the
// {"simulation": {...}, "mode": "Strict"} given to iam-simulate), expected.jsonl (aws-resource's fields plus `session` =
// sessionAnalysis.result or null), stats.json, README.md. The simulations are self-contained (no input/ directory).
// Same seed => byte-identical output (gzipSync default options: header mtime 0).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { balancedRequests, cliArgs, readSimulationLines, SIMULATIONS, simulationLine, tallyOf, versions, writeSimulations } from './lib/org.mjs'
import {
  ANONYMOUS, MEMBERS, ROLES, SESSIONS, SVC_ACTIONS, arnSession, bucketOf, buildOrg, buildResourceSimulation, candidates, decideResource, featuresOf,
  genResources, isSession, loadResources, principalIdentity, resourceAccountOf, scenario
} from './generate-resource.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const { check: CHECK, args } = cliArgs()
// generate-resource.mjs reads the same --seed (default 20261231): its org and resources are drawn first, from that seed
const SEED = Number(args.seed ?? 20261231)
const TARGET = Number(args.count ?? 800)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-session')
const SHARES = { Allowed: 0.34, ExplicitlyDenied: 0.33, ImplicitlyDenied: 0.33 }
const MAX_ATTEMPTS = TARGET * 80
// reason = principal kind and session-policy result; caps keep users <= 12% and sessions without a policy <= 4%
const REASON_CAPS = { user: 0.12, 'session:none': 0.04, 'session:Allowed': 0.6, 'session:ImplicitlyDenied': 0.28, 'session:ExplicitlyDenied': 0.25 }
const { chance, pick, pickN, weighted, int } = scenario
const STEERED = 'steered:session-implicit-deny-with-direct-resource-grant'

// ---------------------------------------------------------------------------------------------------------------
// Session policies
const ALL_ACTIONS = [...new Set(Object.values(SVC_ACTIONS).flat())].sort()
const serviceActions = (svc) => ALL_ACTIONS.filter((a) => a.split(':')[0] === svc)
function resourceForms(req, others) {
  const r = req.resource
  const b = bucketOf(r)
  const wide = b !== undefined ? `arn:aws:s3:::${b}*` : `${r.split(':').slice(0, 5).join(':')}:*`
  return weighted([['*', 3], [r, 3], [wide, 2], [pick(others), 2]])
}
function sessionCondition(req) {
  const acct = principalIdentity(req.principal).split(':')[4]
  return weighted([
    [{ IpAddress: { 'aws:SourceIp': pick(['10.0.0.0/8', '203.0.113.0/24']) } }, 3],
    [{ Bool: { 'aws:SecureTransport': 'true' } }, 2],
    [{ StringEquals: { 'aws:ResourceAccount': chance(0.6) ? resourceAccountOf(req) : acct } }, 2],
    [{ StringEquals: { 'aws:PrincipalTag/team': pick(['ops', 'data', 'web']) } }, 2]
  ])
}
/** a random session policy for req: 1-2 Allow statements (the action / its service / other actions; * / the resource /
 *  a wildcard / another resource), a Deny 30% of the time, conditions on about 30% of the statements */
function genSessionPolicy(req, others) {
  const svc = req.action.split(':')[0]
  const sameSvc = serviceActions(svc).filter((a) => a !== req.action)
  const Statement = []
  const n = 1 + (chance(0.35) ? 1 : 0)
  for (let i = 0; i < n; i++) {
    const Action = weighted([[[req.action], 4], [`${svc}:*`, 2], [sameSvc.length ? pickN(sameSvc, 1 + int(Math.min(2, sameSvc.length))).sort() : [req.action], 2],
      [pickN(ALL_ACTIONS.filter((a) => !a.startsWith(svc + ':')), 2).sort(), 1], ['*', 1]])
    const st = { Sid: `SessionAllow${i + 1}`, Effect: 'Allow', Action, Resource: resourceForms(req, others) }
    if (chance(0.3)) st.Condition = sessionCondition(req)
    Statement.push(st)
  }
  if (chance(0.3)) {
    const st = { Sid: 'SessionDeny', Effect: 'Deny', Action: weighted([[[req.action], 3], [`${svc}:*`, 1], [sameSvc.length ? [pick(sameSvc)] : [req.action], 2]]),
      Resource: weighted([['*', 2], [req.resource, 2], [pick(others), 1]]) }
    if (chance(0.4)) st.Condition = sessionCondition(req)
    Statement.push(st)
  }
  return { Version: '2012-10-17', Statement }
}

// ---------------------------------------------------------------------------------------------------------------
// Simulation and decision
/** aws-resource's simulation plus `sessionPolicy` (a plain JSON object) when the request carries one */
export function buildSessionSimulation(model, res, req) {
  const { session_policy: sp, ...base } = req
  const sim = buildResourceSimulation(model, res, base)
  if (sp) sim.sessionPolicy = sp
  return sim
}
/** aws-resource's record plus `session` (iam-simulate sessionAnalysis.result, null without a session policy) */
export async function decideSession(sim) {
  const out = await decideResource(sim)
  if (out.error) return out
  out.record = { ...out.record, session: out.analysis.sessionAnalysis?.result ?? null }
  return out
}
/** requests the oracle decides differently from AWS (see README "Deliberately not covered") */
function steered(sim, out) {
  if (!sim.sessionPolicy || out.record.session !== 'ImplicitlyDenied') return false
  return (out.analysis.resourceAnalysis?.allowStatements ?? []).some((s) => s.principalMatch === 'Match')
}

function sessionFeatures(req, sim, a, rec) {
  const f = []
  if (!isSession(req.principal)) return f
  const s = rec.session ?? 'none'
  const d = rec.decision
  f.push(`session-policy:${s}`, `session-policy:${s}:${d}`)
  const allow = a.resourceAnalysis?.allowStatements ?? []
  const values = (st) => st.statement.isPrincipalStatement() ? st.statement.principals().map((p) => p.value()) : []
  if (allow.some((st) => st.principalMatch === 'Match' && values(st).some((v) => isSession(v)))) f.push(`session-policy:${s}:session-arn-grant:${d}`)
  if (allow.some((st) => st.principalMatch === 'Match' && values(st).some((v) => v === '*'))) f.push(`session-policy:${s}:wildcard-grant:${d}`)
  if (allow.some((st) => st.principalMatch === 'SessionRoleMatch')) f.push(`session-policy:${s}:role-arn-grant:${d}`)
  if (allow.some((st) => st.principalMatch === 'AccountLevelMatch')) f.push(`session-policy:${s}:account-grant:${d}`)
  if (sim.sessionPolicy) {
    const sts = sim.sessionPolicy.Statement
    if (sts.some((st) => st.Effect === 'Deny')) f.push('session-policy-shape:deny')
    if (sts.some((st) => st.Condition)) f.push('session-policy-shape:condition')
    if (sts.filter((st) => st.Effect === 'Allow').length > 1) f.push('session-policy-shape:two-allows')
    if (s === 'Allowed' && rec.identity !== 'Allowed' && d !== 'Allowed') f.push('session-allows-but-identity-does-not')
    if (s !== 'Allowed' && rec.identity === 'Allowed' && d !== 'Allowed') f.push(`identity-allows-session-${s === 'ExplicitlyDenied' ? 'denies' : 'lacks'}`)
  }
  return f
}

// ---------------------------------------------------------------------------------------------------------------
async function main() {
  // the same draw order as generate-resource.mjs main(): org, resources, then requests
  const { built, model } = buildOrg()
  const resFiles = genResources()
  const res = loadResources(Object.keys(resFiles).sort().map((f) => JSON.parse(JSON.stringify(resFiles[f]))))
  const base = candidates({ built, model, res })
  const roleArns = [...model.principalAccount.keys()].filter((a) => /:role\//.test(a))
  const others = [...[...res.policies.keys()].sort(), ...roleArns]
  function candidate() {
    const req = base()
    if (req.principal === ANONYMOUS) req.principal = arnSession(pick(MEMBERS).id, pick(ROLES), pick(SESSIONS))
    if (isSession(req.principal) && chance(0.95)) req.session_policy = genSessionPolicy(req, others)
    return req
  }
  const decideFn = async (sim) => {
    const out = await decideSession(sim)
    if (!out.error && steered(sim, out)) return { error: { message: STEERED } }
    return out
  }
  const build = (req) => buildSessionSimulation(model, res, req)
  const kindOf = (req) => isSession(req.principal) ? `session:${req.session_policy ? 'policy' : 'none'}` : 'user'
  let lastReq
  const run = await balancedRequests({
    target: TARGET, shares: SHARES, maxAttempts: MAX_ATTEMPTS,
    candidate: () => (lastReq = candidate()), decideFn, build,
    exempt: () => undefined, counterfactual: undefined,
    reasonOf: (rec) => kindOf(lastReq) === 'user' ? 'user' : `session:${rec.session ?? 'none'}`, reasonCaps: REASON_CAPS,
    metaOf: async ({ req, out, rec }) => {
      const sim = build(req)
      return { features: [...featuresOf({ ...req }, sim, out.analysis, rec), ...sessionFeatures(req, sim, out.analysis, rec)], ignored: out.ignoredContextKeys }
    }
  })
  const { requests, expected, meta, counts, reasons, dropped, ignoredKeys, attempts, rejectedForBalance, duplicates } = run
  if (Object.keys(ignoredKeys).length > 0) throw new Error(`iam-simulate ignored context keys: ${JSON.stringify(ignoredKeys)}`)
  const sims = requests.map(build)

  // ---- probes: a session policy on an IAM user (GetFederationToken-style) and on a bare role ARN
  const userReq = requests.find((r) => !isSession(r.principal))
  const sessReq = requests.find((r, i) => r.session_policy && expected[i].session === 'Allowed')
  const probe = async (sim) => { const o = await decideSession(sim); return o.error ? { error: o.error } : o.record }
  const probes = {
    userWithSessionPolicy: userReq ? { principal: userReq.principal, action: userReq.action, result: await probe({ ...build(userReq), sessionPolicy: sessReq.session_policy }) } : null,
    roleArnWithSessionPolicy: sessReq ? { principal: principalIdentity(sessReq.principal), action: sessReq.action,
      result: await probe((() => { const s = build(sessReq); s.request.principal = principalIdentity(sessReq.principal); return s })()) } : null,
    sessionWithEmptyAllowPolicy: sessReq ? await probe({ ...build(sessReq), sessionPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }] } }) : null
  }

  const tally = tallyOf(requests.length)
  const withPolicy = requests.filter((r) => r.session_policy).length
  const stats = {
    seed: SEED, requests: requests.length, withSessionPolicy: withPolicy, withSessionPolicyShare: Number((withPolicy / requests.length).toFixed(3)),
    decisions: counts, reasons, attempts, dropped, rejectedForBalance, duplicates, ignoredContextKeys: ignoredKeys,
    principals: tally((i) => kindOf(requests[i])),
    accounts: tally((i) => principalIdentity(requests[i].principal).split(':')[4] === resourceAccountOf(requests[i]) ? 'same' : 'cross'),
    session: tally((i) => String(expected[i].session)),
    sessionByDecision: tally((i) => `${expected[i].session} -> ${expected[i].decision}`),
    features: tally((i) => meta[i].features),
    resource: tally((i) => String(expected[i].resource)),
    identity: tally((i) => String(expected[i].identity)),
    permissionBoundary: tally((i) => String(expected[i].permissionBoundary)),
    scp: tally((i) => String(expected[i].scp)),
    rcp: tally((i) => String(expected[i].rcp)),
    blockedBy: tally((i) => expected[i].blockedBy.length ? expected[i].blockedBy.join('+') : '(none)'),
    byService: tally((i) => `${requests[i].action.split(':')[0]} ${expected[i].decision}`),
    probes,
    versions: await versions(HERE)
  }
  mkdirSync(OUT, { recursive: true })
  writeSimulations(OUT, sims)
  writeFileSync(join(OUT, 'expected.jsonl'), expected.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(OUT, 'stats.json'), JSON.stringify(stats, null, 1) + '\n')
  writeFileSync(join(OUT, 'README.md'), renderReadme(stats))
  console.log(JSON.stringify({ decisions: counts, reasons, session: stats.session, principals: stats.principals, accounts: stats.accounts, dropped, attempts, rejectedForBalance, probes,
    sessionFeatures: Object.fromEntries(Object.entries(stats.features).filter(([k]) => k.startsWith('session'))) }, null, 1))
}

async function check(dir) {
  const lines = readSimulationLines(dir)
  if (!lines) throw new Error(`no ${SIMULATIONS} in ${dir}`)
  const expected = readFileSync(join(dir, 'expected.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  if (lines.length !== expected.length) throw new Error(`${lines.length} simulations but ${expected.length} expectations`)
  let bad = 0
  for (let i = 0; i < lines.length; i++) {
    const input = JSON.parse(lines[i])
    if (input.mode !== 'Strict' || simulationLine(input.simulation) !== lines[i]) throw new Error(`line ${i + 1}: not a {"simulation", "mode": "Strict"} line`)
    const o = await decideSession(input.simulation)
    const got = o.error ? { error: o.error } : o.record
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) { if (++bad <= 20) console.log(`line ${i + 1}: expected ${JSON.stringify(expected[i])} got ${JSON.stringify(got)}`) }
  }
  console.log(`${lines.length - bad} passed, ${bad} failed`)
  if (bad) process.exit(1)
}

// ---------------------------------------------------------------------------------------------------------------
function renderReadme(s) {
  const table = (o) => ['| value | requests |', '| --- | ---: |', ...Object.entries(o).map(([k, v]) => `| \`${k}\` | ${v} |`)].join('\n')
  const sessF = Object.fromEntries(Object.entries(s.features).filter(([k]) => k.startsWith('session') || k.startsWith('identity-allows')))
  const otherF = Object.fromEntries(Object.entries(s.features).filter(([k]) => !(k in sessF)))
  const pr = (p) => '`' + JSON.stringify(p) + '`'
  return `# aws-session: session policies (generated)

Generated by \`scripts/oracle/generate-session.mjs\` (seed ${s.seed}); decided by iam-simulate ${s.versions['iam-simulate']}
(iam-data ${s.versions['iam-data']}). Do not edit by hand: regenerate (see \`scripts/oracle/README.md\`).

## Files

| file | content |
| --- | --- |
| \`simulations.jsonl.gz\` | ${s.requests} lines; line i = \`{"simulation": {...}, "mode": "Strict"}\`, exactly the input given to iam-simulate (policies as JSON objects). Replay with \`iamlog simulate\`. |
| \`expected.jsonl\` | line i = iam-simulate's answer: \`decision\`, \`resource\`, \`identity\`, \`scp\`, \`rcp\`, \`permissionBoundary\`, \`blockedBy\` (as \`aws-resource\`) and \`session\` (\`sessionAnalysis.result\`, \`null\` without a session policy) |
| \`stats.json\` | the counts below, probes, pinned versions |

## Scenario

The organization, principals (5 users, 6 roles per account, boundaries, trust policies), SCPs, RCPs and resource
policies are those of \`generate-resource.mjs\` with the same seed, i.e. the documents in \`../aws-resource/input/\`;
each simulation is \`aws-resource\`'s simulation for the request (\`buildResourceSimulation\`) plus, for a role
session \`arn:aws:sts::A:assumed-role/R/S\`, a random \`sessionPolicy\` (95% of sessions): 1-2 Allow statements (the
requested action, its service wildcard, other actions of the service, unrelated actions or \`*\`; on \`*\`, the
resource, a wildcard over the resource's account/bucket, or another resource), a Deny 30% of the time, a condition on
about 30% of the statements (\`aws:SourceIp\`, \`aws:SecureTransport\`, \`aws:ResourceAccount\`, \`aws:PrincipalTag/team\`).
IAM user principals carry no session policy. Requests are same- and cross-account; resource policies name user ARNs,
session ARNs, role ARNs, accounts, \`*\` with conditions and service principals. Decisions are balanced.

- requests: ${s.requests}; with a session policy: ${s.withSessionPolicy} (${(s.withSessionPolicyShare * 100).toFixed(1)}%)
- decisions: ${pr(s.decisions)}
- principals: ${pr(s.principals)}; accounts: ${pr(s.accounts)}
- attempts ${s.attempts}, rejected for balance ${s.rejectedForBalance}, duplicates ${s.duplicates}, dropped ${pr(s.dropped)}

### session (sessionAnalysis.result)

${table(s.session)}

### session -> decision

${table(s.sessionByDecision)}

### Session-policy features

\`session-policy:<session result>:<grant>:<decision>\` counts requests whose resource policy allows the session through
a statement naming the session ARN (\`session-arn-grant\`), \`*\` (\`wildcard-grant\`), the role ARN
(\`role-arn-grant\`, iam-simulate \`SessionRoleMatch\`) or the account (\`account-grant\`).

${table(sessF)}

### Other features (as in aws-resource)

${table(otherF)}

### blockedBy

${table(s.blockedBy)}

## Probed iam-simulate ${s.versions['iam-simulate']} behaviour

- A session policy on an **IAM user** principal is rejected: ${pr(s.probes.userWithSessionPolicy?.result)} (iam-simulate
  accepts \`sessionPolicy\` only for role ARNs, assumed-role ARNs and federated-user ARNs). A GetFederationToken session
  (aws.md 3.1 step 7) is a \`federated-user\` principal, not the user's ARN, so users here carry none.
- A session policy on a bare **role ARN** principal is accepted: ${pr(s.probes.roleArnWithSessionPolicy?.result)}.
- A session policy that does not cover the request: ${pr(s.probes.sessionWithEmptyAllowPolicy)}.
- A session policy that does not allow the request (\`ImplicitlyDenied\`) or denies it decides the request before the
  resource policy is looked at: iam-simulate returns the session result even when the resource policy allows the
  session ARN itself.

## Deliberately not covered

- **Session policy implicitly denies, resource policy names the session directly**: AWS documents that a resource-based
  policy naming the session ARN grants permissions that the session policy does not limit (a \`*\` principal is
  ambiguous), but iam-simulate returns \`ImplicitlyDenied\` whenever the session policy lacks an allow. Candidates with
  session result \`ImplicitlyDenied\` and any resource-policy allow statement that matched the principal directly
  (\`principalMatch: Match\`: session ARN or \`*\`) are dropped (\`${STEERED}\`, counted under \`dropped\`). Session-ARN
  grants with an allowing or explicitly denying session policy, and role-ARN / account grants (which the session policy
  does limit) are covered.
- **Session policies on IAM users** (rejected by iam-simulate, see above), federated-user principals, bare role ARNs as
  request principals, anonymous requests (iam-simulate rejects a session policy on them; none are generated).
- Policy variables, \`NotAction\`/\`NotResource\` and negated operators in session policies; managed session policies
  (\`PolicyArns\`) as separate documents (one inline document only).
- The quirks listed in \`scripts/oracle/README.md\` and \`../aws-resource/README.md\`.
`
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (CHECK) await check(process.argv[3] ?? OUT)
  else await main()
}
