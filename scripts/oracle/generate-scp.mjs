// Deterministic generator of multi-account AWS scenarios with SCPs for iamlog's differential tests.
//
//   node generate-scp.mjs [--seed N] [--count N] [--out DIR]
//   node generate-scp.mjs --check [DIR]     rebuild every simulation from DIR's files and compare with expected.jsonl
//
// Writes DIR (default ../../tests/fixtures/differential/aws-scp):
//   input/aws/<account>-iam.json          one `aws iam get-account-authorization-details` output per account
//   input/aws/<account>-tags.json         one `aws resourcegroupstaggingapi get-resources` output per account
//   input/aws/organizations/*.json        the AWS Organizations exports (see README)
//   requests.jsonl, expected.jsonl, stats.json, README.md
//
// Same seed => byte-identical output. Every request is decided by iam-simulate from a model rebuilt from the
// written documents (loadModel), i.e. exactly as the Rust replay must derive it. The vocabulary, condition and
// policy generators are shared with generate.mjs (lib/scenario.mjs), instantiated for a placeholder account
// 000000000000 that is replaced textually by each real account id.
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  PH, SCP, balancedRequests, buildSimulation, checkFixture, cliArgs, createOrgKit, decideOrg, doc, exemptProbe, exemptReason, levelKind, orgPath,
  scpExempt, scpLevels, tallyOf, versions, writeFixture
} from './lib/org.mjs'
import { createScenario } from './lib/scenario.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const { check: CHECK, args } = cliArgs()
const SEED = Number(args.seed ?? 20261127)
const TARGET = Number(args.count ?? 2400)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-scp')
const SHARES = { Allowed: 0.36, ExplicitlyDenied: 0.3, ImplicitlyDenied: 0.34 }
const MAX_ATTEMPTS = TARGET * 40
const VARIANT = {} // SCPs only: no RCPs passed, no org context keys

const scenario = createScenario({ seed: SEED, account: PH })
const { pick, ACTIONS } = scenario

// ---------------------------------------------------------------------------------------------------------------
// Extra actions for the SCP statements
ACTIONS.push(['iam:CreateUser', 'iamuser'], ['s3:DeleteBucket', 's3bucket'])

// ---------------------------------------------------------------------------------------------------------------
// Organization
const ORG_ID = 'o-a1b2c3d4e5'
const ROOT_ID = 'r-a1b2'
const MGMT = '210987654321'
const OUS = [
  { id: 'ou-a1b2-prod0001', name: 'Production', parent: ROOT_ID },
  { id: 'ou-a1b2-papps001', name: 'ProdApps', parent: 'ou-a1b2-prod0001' },
  { id: 'ou-a1b2-sbox0001', name: 'Sandbox', parent: ROOT_ID },
  { id: 'ou-a1b2-sbexp001', name: 'Experiments', parent: 'ou-a1b2-sbox0001' },
  { id: 'ou-a1b2-sec00001', name: 'Security', parent: ROOT_ID }
]
// users, roles: generated principals (special ones are added on top)
const ACCOUNTS = [
  { id: MGMT, name: 'management', parent: ROOT_ID, users: 12, roles: 8, joined: 'INVITED' },
  { id: '312345678901', name: 'prod-app', parent: 'ou-a1b2-papps001', users: 13, roles: 11, slr: false },
  { id: '423456789012', name: 'prod-data', parent: 'ou-a1b2-papps001', users: 12, roles: 11, slr: true },
  { id: '534567890123', name: 'prod-shared', parent: 'ou-a1b2-prod0001', users: 12, roles: 10 },
  { id: '645678901234', name: 'sandbox-exp', parent: 'ou-a1b2-sbexp001', users: 13, roles: 10 },
  { id: '756789012345', name: 'sandbox-dev', parent: 'ou-a1b2-sbox0001', users: 13, roles: 10, slr: true },
  { id: '867890123456', name: 'security', parent: 'ou-a1b2-sec00001', users: 11, roles: 11 }
]
const REGION_EXEMPT = ['iam:*', 'sts:*', 'organizations:*', 's3:ListAllMyBuckets', 'cloudwatch:Describe*', 'support:*']
// [id, name, description, content, targets]
const SCPS = [
  ['p-FullAWSAccess', 'FullAWSAccess', 'Allows access to every operation', doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
    [ROOT_ID, 'ou-a1b2-prod0001', 'ou-a1b2-papps001', 'ou-a1b2-sbexp001', 'ou-a1b2-sec00001', MGMT, '312345678901', '534567890123',
      '645678901234', '756789012345', '867890123456']],
  ['p-dnyiamusr1', 'DenyIamUserCreation', 'No IAM users or access keys outside the management account',
    doc({ Sid: 'NoIamUsers', Effect: 'Deny', Action: ['iam:CreateUser', 'iam:CreateAccessKey', 'IAM:DeleteUser'], Resource: '*' }), [ROOT_ID]],
  ['p-dnyregion1', 'DenyOutsideApprovedRegions', 'Deny regional services outside us-east-1 and eu-west-1',
    doc({ Sid: 'DenyAllOutsideRegions', Effect: 'Deny', NotAction: REGION_EXEMPT, Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } }),
    ['ou-a1b2-prod0001', 'ou-a1b2-sbexp001']],
  ['p-dnys3del01', 'DenyS3DeleteUnlessAdmin', 'Only principals tagged role=admin may delete buckets',
    doc({ Effect: 'Deny', Action: ['s3:DeleteBucket', 's3:DeleteObject'], Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalTag/role': 'admin' } } }), ['ou-a1b2-papps001', '756789012345']],
  ['p-brkglass01', 'ProtectIamExceptBreakGlass', 'IAM and destructive changes only through the break-glass role',
    doc({ Sid: 'OnlyBreakGlass', Effect: 'Deny',
      Action: ['iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:Delete*', 'iam:PassRole', 'ec2:TerminateInstances', 'dynamodb:DeleteTable',
        'secretsmanager:DeleteSecret', 'kms:ScheduleKeyDeletion'],
      Resource: '*', Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/BreakGlass*', 'arn:aws:iam::*:role/admin/*'] } } }),
    ['ou-a1b2-prod0001', '867890123456']],
  ['p-secmfa0001', 'SecurityReadOnlyWithoutMfa', 'Without MFA only read and logging actions',
    doc({ Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*', 's3:Get*', 's3:List*', 'logs:*', 'cloudwatch:*', 'ec2:Describe*', 'kinesis:Get*'],
      Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }), ['ou-a1b2-sec00001']],
  ['p-sbxallow01', 'SandboxAllowList', 'Sandbox: only these services (no FullAWSAccess on this OU)',
    doc(
      { Sid: 'Storage', Effect: 'Allow', Action: ['s3:*', 'logs:*', 'cloudwatch:*'], Resource: '*' },
      { Sid: 'Compute', Effect: 'Allow', Action: ['ec2:Describe*', 'ec2:StartInstances', 'ec2:StopInstances', 'lambda:*'], Resource: '*' },
      { Sid: 'IamRead', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
      { Sid: 'TablesNarrow', Effect: 'Allow', Action: 'dynamodb:*', Resource: ['arn:aws:dynamodb:*:*:table/*-events', 'arn:aws:dynamodb:us-east-1:*:table/Orders*'] },
      { Sid: 'QueuesOverTls', Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }
    ), ['ou-a1b2-sbox0001']],
  ['p-dataallow1', 'ProdDataAllowList', 'prod-data: narrow allow list instead of FullAWSAccess',
    doc(
      { Sid: 'DataBuckets', Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::data-*', 'arn:aws:s3:::data-*/*', 'arn:aws:s3:::logs-archive/*'] },
      { Sid: 'BucketListing', Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 's3:ListBucket'], Resource: '*' },
      { Sid: 'Tables', Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:*:423456789012:table/Orders*' },
      { Sid: 'Observability', Effect: 'Allow', Action: ['logs:*', 'cloudwatch:*', 'kinesis:*', 'iam:Get*', 'iam:List*', 'iam:PassRole'], Resource: '*' },
      { Sid: 'ProdSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:us-east-1:*:secret:prod/*' },
      { Sid: 'ParamsButProd', Effect: 'Allow', Action: 'ssm:*', NotResource: 'arn:aws:ssm:*:*:parameter/app/prod/*' }
    ), ['423456789012']],
  ['p-sbxcost001', 'SandboxDevCostGuard', 'sandbox-dev: no new tables, no terminate, region-locked lambda',
    doc(
      { Effect: 'Deny', Action: ['dynamodb:CreateTable', 'ec2:TerminateInstances', 'sns:*'], Resource: '*' },
      { Effect: 'Deny', Action: 'lambda:*', Resource: '*', Condition: { StringNotEqualsIfExists: { 'aws:RequestedRegion': 'us-east-1' } } }
    ), ['756789012345']]
]

// Per-account GAAD and tags, Organizations exports, request candidates: lib/org.mjs
const kit = createOrgKit(scenario, { ORG_ID, ROOT_ID, MGMT, OUS, ACCOUNTS, POLICIES: SCPS.map((p) => [...p, SCP]) })

// Model rebuilt from the documents (the contract the Rust replay mirrors): lib/org.mjs (loadModel, scpLevels,
// scpExempt, buildSimulation) with VARIANT
export const decideScp = (sim) => decideOrg(sim, false)

async function main() {
  const { built, orgFiles, model } = kit.buildOrg(VARIANT)
  const scpStatements = (acct) => scpLevels(model, acct).flatMap((l) => l.policies.flatMap((p) => [p.policy.Statement].flat()))
  const candidate = kit.candidates({
    built, model, identityShare: 0.45, orgShare: 0.85,
    orgStatements: (acct) => scpStatements(acct).filter((s) => !(s.Action === '*')), fallbackAction: () => pick(ACTIONS)
  })
  function reasonOf(rec, exempt, counter) {
    if (exempt) return exemptReason(rec, exempt, counter)
    if (rec.scp === 'ExplicitlyDenied') return rec.identity === 'ExplicitlyDenied' || rec.permissionBoundary === 'ExplicitlyDenied' ? 'scp-deny+other-deny' : 'scp-deny'
    if (rec.scp === 'ImplicitlyDenied') return rec.decision === 'ExplicitlyDenied' ? 'scp-missing-allow+other-deny' : 'scp-missing-allow'
    return 'scp-allows'
  }
  const run = await balancedRequests({
    target: TARGET, shares: SHARES, maxAttempts: MAX_ATTEMPTS, candidate, decideFn: decideScp, build: (req) => buildSimulation(model, req),
    exempt: (req) => scpExempt(model, req.principal), counterfactual: (req) => decideScp(buildSimulation(model, req, { applyScps: true })),
    reasonOf, reasonCaps: { 'scp-allows': 0.5 },
    metaOf: ({ req, out, reason, exempt, counter }) => {
      const levels = out.analysis.scpAnalysis?.ouAnalysis ?? []
      return {
        reason, exempt, counterfactual: counter, account: model.principalAccount.get(req.principal),
        denyLevels: levels.filter((l) => l.result === 'ExplicitlyDenied').map((l) => [levelKind(l.orgIdentifier), l.denyStatements.map((s) => s.policyId)]),
        noAllowLevels: levels.filter((l) => l.allowStatements.length === 0).map((l) => l.orgIdentifier)
      }
    }
  })
  const { requests, expected, meta, counts, dropped, ignoredKeys, attempts, rejectedForBalance, duplicates } = run

  // ---- probes of iam-simulate's SCP handling
  const someReq = requests.find((r, i) => meta[i].reason === 'scp-allows' && expected[i].decision === 'Allowed')
  const probe = async (mut) => { const s = buildSimulation(model, someReq); mut(s); const o = await decideScp(s); return o.error ? { error: o.error } : o.record }
  const probes = {
    request: someReq,
    asIs: await probe(() => {}),
    emptyLevelAppended: await probe((s) => s.serviceControlPolicies.push({ orgIdentifier: 'ou-a1b2-empty000', policies: [] })),
    noLevels: await probe((s) => { s.serviceControlPolicies = [] }),
    allowWithFalseConditionOnly: await probe((s) => { for (const l of s.serviceControlPolicies) l.policies = [{ name: 'CondAllow', policy: doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/nope': 'x' } } }) }] })
  }
  // SLR / management principals with the SCPs applied anyway: does iam-simulate exempt them by itself?
  const exemptProbes = exemptProbe(run, 'scps')

  // ---- statistics
  const tally = tallyOf(requests.length)
  const stats = {
    seed: SEED, requests: requests.length, decisions: counts, attempts, dropped, rejectedForBalance, duplicates, ignoredContextKeys: ignoredKeys,
    reasons: tally((i) => meta[i].reason),
    reasonByDecision: tally((i) => `${meta[i].reason} -> ${expected[i].decision}`),
    scp: tally((i) => String(expected[i].scp)),
    identity: tally((i) => String(expected[i].identity)),
    permissionBoundary: tally((i) => String(expected[i].permissionBoundary)),
    blockedBy: tally((i) => expected[i].blockedBy.length ? expected[i].blockedBy.join('+') : '(none)'),
    scpDenyBy: tally((i) => meta[i].denyLevels.flatMap(([kind, ps]) => ps.map((p) => `${kind}:${p}`))),
    scpMissingAllowAt: tally((i) => meta[i].noAllowLevels),
    byAccount: tally((i) => `${meta[i].account} ${expected[i].decision}`),
    exemptProbe: exemptProbes, probes,
    accounts: built.map((b) => ({ id: b.acct.id, name: b.acct.name, users: b.gaad.UserDetailList.length, roles: b.gaad.RoleDetailList.length, groups: b.gaad.GroupDetailList.length,
      managedPolicies: b.gaad.Policies.length, principalsWithBoundary: [...b.gaad.UserDetailList, ...b.gaad.RoleDetailList].filter((p) => p.PermissionsBoundary).length,
      serviceLinkedRoles: b.gaad.RoleDetailList.filter((r) => r.Path.startsWith('/aws-service-role/')).map((r) => r.Arn), taggedResources: b.tags.ResourceTagMappingList.length,
      path: orgPath(model, b.acct.id) })),
    scps: SCPS.map(([id, name, , , targets]) => ({ id, name, targets })),
    versions: await versions(HERE)
  }

  const { renderScpReadme } = await import('./readme-scp.mjs')
  writeFixture(OUT, { built, orgFiles, requests, expected, stats, readme: renderScpReadme(stats, Object.keys(orgFiles).sort()) })
  console.log(JSON.stringify({ decisions: counts, reasons: stats.reasons, blockedBy: stats.blockedBy, probes, exemptProbe: exemptProbes, dropped, attempts, rejectedForBalance }, null, 1))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (CHECK) await checkFixture(process.argv[3] ?? OUT, VARIANT, decideScp)
  else await main()
}
