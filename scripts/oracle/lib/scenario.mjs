// Shared scenario vocabulary and generators of generate.mjs and generate-scp.mjs: the seeded PRNG (mulberry32) and
// its helpers, the resource/action/context vocabulary, the condition templates, the statement and policy generators,
// principal tags and the GAAD managed-policy entry. Both generators draw from one PRNG stream in the same order as
// before this module existed, so the committed fixtures stay byte-identical: keep the order of every rnd() call.
//
// createScenario({ seed, account }) returns a fresh instance; `account` is the account id written into the
// vocabulary's ARNs (generate.mjs: the fixture's 111122223333; generate-scp.mjs: the placeholder 000000000000 that
// is substituted per account).

// ---------------------------------------------------------------------------------------------------------------
// PRNG (mulberry32)
export function mulberry32(a) {
  return function () {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Glob (`*`, `?`) to an anchored RegExp; an action pattern matches case-insensitively.
export const globRe = (p, flags = '') => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', flags)
export const actionMatches = (pattern, action) => pattern === '*' || globRe(pattern, 'i').test(action)

export function createScenario({ seed, account }) {
  // -------------------------------------------------------------------------------------------------------------
  // PRNG helpers
  const rnd = mulberry32(seed)
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
  const A = account
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

  // -------------------------------------------------------------------------------------------------------------
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

  // -------------------------------------------------------------------------------------------------------------
  // One GAAD `Policies` entry (the CLI lists the newest version first). `created` is the CreateDate; when the caller
  // omits it, it is drawn after the PolicyId (generate.mjs draws it before, and so passes it in).
  function managedEntry(name, path, versions, { aws = false, defaultIndex, created } = {}) {
    const arn = aws ? `arn:aws:iam::aws:policy${path}${name}` : `arn:aws:iam::${A}:policy${path}${name}`
    const def = defaultIndex ?? versions.length - 1
    const PolicyId = idOf('ANPA')
    return {
      PolicyName: name, PolicyId, Arn: arn, Path: path, DefaultVersionId: `v${def + 1}`, AttachmentCount: 0,
      PermissionsBoundaryUsageCount: 0, IsAttachable: true, CreateDate: created ?? isoDate(2019, 2022), UpdateDate: isoDate(2023, 2024),
      PolicyVersionList: versions.map((d, i) => ({
        Document: d, VersionId: `v${i + 1}`, IsDefaultVersion: i === def, CreateDate: isoDate(2019 + Math.min(i, 4), 2020 + Math.min(i, 4))
      })).reverse()
    }
  }

  // A request action (with its resource kind) that statement `st` names (Action) or leaves out (NotAction);
  // undefined when there is none.
  function pickActionFor(st) {
    const pats = [st.Action ?? st.NotAction].flat()
    const matching = ACTIONS.filter(([a]) => pats.some((pt) => actionMatches(pt, a)))
    const pool = st.NotAction ? ACTIONS.filter((x) => !matching.includes(x)) : matching
    return pool.length === 0 ? undefined : pick(pool)
  }

  return {
    rnd, int, between, chance, pick, pickN, weighted, idOf, isoDate, oneOrMany,
    A, TEAMS, ENVS, PROJECTS, REGIONS, S3_BUCKETS, S3_KEYS, RES, ACTIONS, svcOf, ACTION_PATTERNS, SERVICE_WEIGHTS, RESOURCE_PATTERNS,
    IPS, VPCES, MFA_AGES, ISO_TIMES, EPOCHS, REQ_REGIONS, TAG_KEYS, REQUEST_TAG_VALUES,
    C, cond, genCondition, genStatement, genPolicy, genTags, managedEntry, pickActionFor
  }
}
