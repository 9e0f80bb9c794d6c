//! One account: users, groups, roles and customer-managed policies stamped out from templates
//! until an [`AccountShape`] is met.
//!
//! The templates follow what real accounts hold (the cloudsplaining example, the AWS docs'
//! sample policies): groups per job function with AWS-managed job policies; developers in a
//! team, tagged `team`, with tag-based (ABAC) and `${aws:username}` policies; contractors behind
//! a permissions boundary with an expiry date; service users with old inline policies;
//! service-linked roles; cross-account roles for the management, security and CI accounts and
//! for vendors (with `sts:ExternalId`); SAML and GitHub OIDC roles; and a long tail of workload
//! roles (Lambda, ECS tasks, EC2 instance profiles, Step Functions) whose inline policies name
//! the team's resources. Guardrails add Deny statements (regions, prod deletes, MFA, network),
//! `NotAction` and `NotResource`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::docs::{allow, deny, doc, doc_single, trust_aws, trust_saml, trust_service};
use super::gaad::{timestamp, Account, CustomerPolicy, Group, Inline, Role, User, Version};
use super::managed::{self, Catalogue};
use super::resources::{self, Kind, Resource};
use crate::rng::Rng;

/// How much one account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountShape {
    pub users: usize,
    pub groups: usize,
    pub roles: usize,
    pub customer_policies: usize,
    pub resources: usize,
}

/// A third party with a cross-account role.
#[derive(Debug, Clone)]
pub struct Vendor {
    pub name: String,
    pub account: String,
    pub external_id: String,
}

/// What every account of an org shares: the company, its teams, the org's other accounts.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub company: String,
    pub teams: Vec<String>,
    pub envs: Vec<String>,
    pub regions: [&'static str; 2],
    pub workload_accounts: Vec<String>,
    pub management_account: String,
    pub security_account: String,
    pub tooling_account: String,
    /// The data lake account whose pipelines read the teams' exports.
    pub data_account: String,
    pub vendors: Vec<Vendor>,
    pub corp_cidrs: Vec<String>,
    pub idp: String,
    pub github_org: String,
    /// The AWS Organizations id (`o-...`).
    pub org_id: String,
    /// Team bucket names end in `-<account>` (S3 names are global: needed once several
    /// accounts hold the same teams; off for the one-account `small`).
    pub bucket_suffix: bool,
    cost_centers: Vec<String>,
}

const COMPANIES: &[&str] = &[
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka", "soylent",
];
pub const TEAMS: &[&str] = &[
    "payments", "search", "checkout", "data", "mobile", "identity", "growth", "ml", "billing",
    "catalog",
];
const VENDORS: &[&str] = &["observa", "sentrix", "costwise"];
const IDPS: &[&str] = &["okta", "azuread", "onelogin"];
const REGION_PAIRS: &[[&str; 2]] = &[
    ["us-east-1", "eu-west-1"],
    ["eu-west-1", "eu-central-1"],
    ["us-west-2", "us-east-1"],
];

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara", "zoe",
    "amir", "bea", "chen", "dmitri", "elena", "farah", "goran", "hana", "igor", "jun", "kofi",
    "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "anderson", "thomas",
    "taylor", "moore", "martin", "lee", "perez", "thompson", "white", "harris", "clark", "lewis",
    "young", "walker", "hall", "allen", "king", "wright", "scott", "green", "baker", "adams",
    "nelson", "hill", "campbell", "mitchell", "roberts", "carter", "phillips", "evans", "turner",
    "torres", "parker",
];

fn account_id(rng: &mut Rng, taken: &mut BTreeSet<String>) -> String {
    loop {
        let id = format!(
            "{:012}",
            100_000_000_000u64 + rng.next_u64() % 899_999_999_999
        );
        if taken.insert(id.clone()) {
            return id;
        }
    }
}

impl OrgContext {
    /// The org of `accounts` workload accounts.
    pub fn new(rng: &mut Rng, accounts: usize) -> Self {
        let company = rng.name(COMPANIES).to_string();
        let n_teams = 5.min(TEAMS.len());
        let teams: Vec<String> = rng
            .sample(TEAMS, n_teams)
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut taken = BTreeSet::new();
        let workload_accounts = (0..accounts).map(|_| account_id(rng, &mut taken)).collect();
        let management_account = account_id(rng, &mut taken);
        let security_account = account_id(rng, &mut taken);
        let tooling_account = account_id(rng, &mut taken);
        let data_account = account_id(rng, &mut taken);
        let vendors = VENDORS
            .iter()
            .map(|v| Vendor {
                name: v.to_string(),
                account: account_id(rng, &mut taken),
                external_id: format!("{}-{}", v, rng.hex(12)),
            })
            .collect();
        let corp_cidrs = vec![
            format!("203.0.{}.0/24", rng.range(1, 250)),
            format!("198.51.{}.0/24", rng.range(1, 250)),
            "10.0.0.0/8".to_string(),
        ];
        let cost_centers = teams
            .iter()
            .map(|_| format!("cc-{}", rng.range(1000, 9999)))
            .collect();
        let regions = rng
            .pick(REGION_PAIRS)
            .copied()
            .unwrap_or(["us-east-1", "eu-west-1"]);
        OrgContext {
            github_org: format!("{company}-eng"),
            org_id: format!("o-{}", rng.hex(10)),
            company,
            teams,
            envs: ["prod", "staging", "dev"].map(str::to_string).to_vec(),
            regions,
            workload_accounts,
            management_account,
            security_account,
            tooling_account,
            data_account,
            vendors,
            corp_cidrs,
            idp: rng.name(IDPS).to_string(),
            bucket_suffix: false,
            cost_centers,
        }
    }

    /// The context of one account of a multi-account org: `n_teams` of the company's teams
    /// (drawn from every team name, so accounts differ), team buckets suffixed by the account.
    pub fn for_account(&self, rng: &mut Rng, n_teams: usize) -> OrgContext {
        let mut ctx = self.clone();
        ctx.teams = rng
            .sample(TEAMS, n_teams.clamp(1, TEAMS.len()))
            .into_iter()
            .map(str::to_string)
            .collect();
        rng.shuffle(&mut ctx.teams);
        ctx.cost_centers = ctx
            .teams
            .iter()
            .map(|t| {
                format!(
                    "cc-{}",
                    1000 + crate::rng::hash(&format!("{}/{t}", self.org_id)) % 9000
                )
            })
            .collect();
        ctx.bucket_suffix = true;
        ctx
    }

    pub fn team(&self, i: usize) -> &str {
        self.teams.get(i).map_or("team", String::as_str)
    }

    pub fn env(&self, i: usize) -> &str {
        self.envs.get(i).map_or("dev", String::as_str)
    }

    pub fn cost_center(&self, team: usize) -> String {
        self.cost_centers
            .get(team)
            .cloned()
            .unwrap_or_else(|| "cc-0000".into())
    }

    pub fn cloudtrail_bucket(&self, account: &str) -> String {
        format!("{}-cloudtrail-{account}", self.company)
    }

    pub fn audit_bucket(&self, account: &str) -> String {
        format!("{}-audit-logs-{account}", self.company)
    }

    pub fn state_bucket(&self, account: &str) -> String {
        format!("{}-terraform-state-{account}", self.company)
    }

    pub fn home_bucket(&self, account: &str) -> String {
        format!("{}-home-{account}", self.company)
    }
}

/// The kinds of human users, with their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Human {
    Developer,
    Contractor,
    Analyst,
    Security,
    Finance,
    Admin,
    Ops,
}

const HUMANS: &[(Human, usize)] = &[
    (Human::Developer, 45),
    (Human::Contractor, 10),
    (Human::Analyst, 12),
    (Human::Security, 8),
    (Human::Finance, 5),
    (Human::Admin, 6),
    (Human::Ops, 7),
];

const ADMINS: &str = "Admins";
const DEVELOPERS: &str = "Developers";
const READ_ONLY: &str = "ReadOnly";
const SECURITY: &str = "SecurityAuditors";
const FINANCE: &str = "Finance";

struct Gen<'a> {
    ctx: &'a OrgContext,
    acct: &'a str,
    shape: &'a AccountShape,
    catalogue: &'a Catalogue,
    rng: &'a mut Rng,
    resources: Vec<Resource>,
    /// Customer-managed policy name -> ARN.
    customer: BTreeMap<String, String>,
    policies: Vec<CustomerPolicy>,
    users: Vec<User>,
    groups: Vec<Group>,
    roles: Vec<Role>,
    names: BTreeSet<String>,
    /// The groups of [`Gen::extra_group_kinds`] this account has (none below `ape`).
    extra_groups: Vec<String>,
}

fn tag(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Generates one account.
pub fn generate(
    ctx: &OrgContext,
    account_id: &str,
    shape: &AccountShape,
    catalogue: &Catalogue,
    rng: &mut Rng,
) -> Account {
    let resources =
        resources::inventory(ctx, account_id, shape.resources, &mut rng.fork("resources"));
    let mut g = Gen {
        ctx,
        acct: account_id,
        shape,
        catalogue,
        rng,
        resources,
        customer: BTreeMap::new(),
        policies: Vec::new(),
        users: Vec::new(),
        groups: Vec::new(),
        roles: Vec::new(),
        names: BTreeSet::new(),
        extra_groups: Vec::new(),
    };
    g.customer_policies();
    g.groups();
    g.users();
    g.extra_group_members();
    g.roles();
    g.cover_aws_managed();
    g.users.sort_by(|a, b| a.name.cmp(&b.name));
    g.roles.sort_by(|a, b| a.name.cmp(&b.name));
    Account {
        id: account_id.to_string(),
        users: g.users,
        groups: g.groups,
        roles: g.roles,
        policies: g.policies,
        aws_managed: catalogue.values().cloned().collect(),
        resources: g.resources,
    }
}

impl Gen<'_> {
    /// A creation date between 2018 and mid-2025.
    fn created(&mut self) -> String {
        let days = 17_532 + self.rng.below(2_737) as i64;
        timestamp(days, self.rng.below(86_400) as u32)
    }

    fn last_used(&mut self) -> Option<(String, String)> {
        if self.rng.chance(0.7) {
            let days = 20_330 + self.rng.below(60) as i64;
            let region = if self.rng.chance(0.85) {
                self.ctx.regions[0]
            } else {
                self.ctx.regions[1]
            };
            Some((
                timestamp(days, self.rng.below(86_400) as u32),
                region.into(),
            ))
        } else {
            None
        }
    }

    /// The ARNs of the named managed policies that exist (customer-managed first, then
    /// AWS-managed `path/name`).
    fn managed(&self, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .filter_map(|n| {
                self.customer.get(*n).cloned().or_else(|| {
                    let arn = managed::arn(n);
                    self.catalogue.contains_key(&arn).then_some(arn)
                })
            })
            .collect()
    }

    fn resources_of(&self, kind: Kind, team: usize, env: usize) -> Vec<&Resource> {
        self.resources
            .iter()
            .filter(|r| r.kind == kind && r.team == Some(team) && r.env == Some(env))
            .collect()
    }

    /// The ARNs of the resources of one kind, team and env.
    fn arns_of(&self, kind: Kind, team: usize, env: usize) -> Vec<String> {
        self.resources_of(kind, team, env)
            .iter()
            .map(|r| r.arn.clone())
            .collect()
    }

    fn team_tags(&mut self, team: usize, department: &str) -> Vec<(String, String)> {
        let mut tags = vec![
            tag("team", self.ctx.team(team)),
            tag("department", department),
        ];
        if self.rng.chance(0.5) {
            tags.push(tag("cost-center", &self.ctx.cost_center(team)));
        }
        tags
    }

    // -----------------------------------------------------------------------------------------
    // Customer-managed policies

    fn customer_policies(&mut self) {
        let ctx = self.ctx;
        let a = self.acct;
        let co = ctx.company.clone();
        let regions = ctx.regions;
        let mut list: Vec<(String, &'static str, Value)> = Vec::new();
        let mut add = |name: &str, path: &'static str, d: Value| list.push((name.into(), path, d));

        add(
            "SelfManageCredentials",
            "/",
            doc(vec![
                allow()
                    .sid("AllowViewAccountInfo")
                    .action(&["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"])
                    .any()
                    .build(),
                allow()
                    .sid("AllowManageOwnPasswordsAndAccessKeys")
                    .action(&[
                        "iam:ChangePassword",
                        "iam:GetUser",
                        "iam:CreateAccessKey",
                        "iam:DeleteAccessKey",
                        "iam:ListAccessKeys",
                        "iam:UpdateAccessKey",
                        "iam:GetLoginProfile",
                        "iam:UpdateLoginProfile",
                    ])
                    .resource(&["arn:aws:iam::*:user/${aws:username}"])
                    .build(),
                allow()
                    .sid("AllowManageOwnVirtualMFADevice")
                    .action(&["iam:CreateVirtualMFADevice"])
                    .resource(&["arn:aws:iam::*:mfa/*"])
                    .build(),
                allow()
                    .sid("AllowManageOwnUserMFA")
                    .action(&[
                        "iam:DeactivateMFADevice",
                        "iam:EnableMFADevice",
                        "iam:ListMFADevices",
                        "iam:ResyncMFADevice",
                    ])
                    .resource(&["arn:aws:iam::*:user/${aws:username}"])
                    .build(),
                deny()
                    .sid("DenyAllExceptListedIfNoMFA")
                    .not_action(&[
                        "iam:CreateVirtualMFADevice",
                        "iam:EnableMFADevice",
                        "iam:GetUser",
                        "iam:ListMFADevices",
                        "iam:ListVirtualMFADevices",
                        "iam:ResyncMFADevice",
                        "sts:GetSessionToken",
                        "iam:ChangePassword",
                    ])
                    .any()
                    .when("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"])
                    .build(),
            ]),
        );
        add(
            "DeveloperAccess",
            "/",
            doc(vec![
                allow()
                    .sid("ApplicationServices")
                    .action(&[
                        "s3:*",
                        "dynamodb:*",
                        "lambda:*",
                        "logs:*",
                        "cloudwatch:*",
                        "sqs:*",
                        "sns:*",
                        "ecr:*",
                        "ecs:*",
                        "states:*",
                        "xray:*",
                        "apigateway:*",
                        "events:*",
                        "cloudformation:*",
                        "codecommit:*",
                        "codebuild:*",
                        "codepipeline:*",
                    ])
                    .any()
                    .build(),
                allow()
                    .sid("ReadInfrastructure")
                    .action(&[
                        "ec2:Describe*",
                        "ec2:Get*",
                        "ssm:GetParameter*",
                        "ssm:DescribeParameters",
                        "kms:ListAliases",
                        "kms:DescribeKey",
                    ])
                    .any()
                    .build(),
                deny()
                    .sid("NoBucketPolicyChanges")
                    .action(&[
                        "s3:PutBucketPolicy",
                        "s3:DeleteBucketPolicy",
                        "s3:PutBucketPublicAccessBlock",
                        "s3:PutAccountPublicAccessBlock",
                    ])
                    .any()
                    .build(),
            ]),
        );
        add(
            "DenyOutsideApprovedRegions",
            "/guardrails/",
            doc(vec![deny()
                .sid("DenyAllOutsideApprovedRegions")
                .not_action(&[
                    "iam:*",
                    "organizations:*",
                    "route53:*",
                    "cloudfront:*",
                    "support:*",
                    "sts:*",
                    "budgets:*",
                    "waf:*",
                    "health:*",
                    "trustedadvisor:*",
                    "globalaccelerator:*",
                    "account:*",
                    "ce:*",
                ])
                .any()
                .when("StringNotEquals", "aws:RequestedRegion", &regions)
                .build()]),
        );
        add(
            "DeveloperBoundary",
            "/boundaries/",
            doc(vec![
                allow()
                    .sid("AllowEverythingButIdentity")
                    .not_action(&["iam:*", "organizations:*", "account:*"])
                    .any()
                    .build(),
                allow()
                    .sid("AllowReadIdentity")
                    .action(&["iam:Get*", "iam:List*", "iam:SimulatePrincipalPolicy"])
                    .any()
                    .build(),
                allow()
                    .sid("AllowPassServiceRoles")
                    .action(&["iam:PassRole"])
                    .resource(&[format!("arn:aws:iam::{a}:role/service-role/*")])
                    .when(
                        "StringEquals",
                        "iam:PassedToService",
                        &["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"],
                    )
                    .build(),
                deny()
                    .sid("DenyBoundaryChanges")
                    .action(&[
                        "iam:DeleteRolePermissionsBoundary",
                        "iam:PutRolePermissionsBoundary",
                        "iam:DeleteUserPermissionsBoundary",
                        "iam:PutUserPermissionsBoundary",
                    ])
                    .any()
                    .build(),
                deny()
                    .sid("DenyBucketChangesOutsideDev")
                    .action(&["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketAcl"])
                    .not_resource(&[format!("arn:aws:s3:::{co}-*-dev-*")])
                    .build(),
            ]),
        );
        let contract_end = timestamp(20_454 + self.rng.below(200) as i64, 0);
        add(
            "ContractorBoundary",
            "/boundaries/",
            doc(vec![
                allow()
                    .sid("AllowReadOnlyBasics")
                    .action(&[
                        "s3:Get*",
                        "s3:List*",
                        "ec2:Describe*",
                        "cloudwatch:Get*",
                        "cloudwatch:List*",
                        "logs:Get*",
                        "logs:Describe*",
                        "logs:FilterLogEvents",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                    ])
                    .any()
                    .build(),
                allow()
                    .sid("AllowOwnCredentials")
                    .action(&["iam:ChangePassword", "iam:GetUser"])
                    .resource(&["arn:aws:iam::*:user/contractors/${aws:username}"])
                    .build(),
                deny()
                    .sid("DenyAfterContractEnd")
                    .action(&["*"])
                    .any()
                    .when(
                        "DateGreaterThan",
                        "aws:CurrentTime",
                        &[contract_end.as_str()],
                    )
                    .build(),
                deny()
                    .sid("DenyRestrictedData")
                    .action(&["s3:*", "dynamodb:*"])
                    .any()
                    .when(
                        "StringEquals",
                        "aws:ResourceTag/data-classification",
                        &["restricted"],
                    )
                    .build(),
            ]),
        );
        add(
            "WorkloadRoleBoundary",
            "/boundaries/",
            doc(vec![
                allow()
                    .sid("AllowWorkloadServices")
                    .action(&[
                        "s3:*",
                        "dynamodb:*",
                        "sqs:*",
                        "sns:*",
                        "logs:*",
                        "kms:Decrypt",
                        "kms:GenerateDataKey",
                        "secretsmanager:GetSecretValue",
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "cloudwatch:PutMetricData",
                        "ssm:GetParameter",
                        "ssm:GetParameters",
                        "lambda:InvokeFunction",
                    ])
                    .any()
                    .build(),
                deny()
                    .sid("DenyIdentity")
                    .action(&["iam:*", "sts:*"])
                    .any()
                    .build(),
                deny()
                    .sid("DenyForeignBuckets")
                    .action(&["s3:*"])
                    .not_resource(&[
                        format!("arn:aws:s3:::{co}-*"),
                        format!("arn:aws:s3:::{co}-*/*"),
                    ])
                    .build(),
            ]),
        );
        add(
            "TagBasedEC2Access",
            "/",
            doc(vec![
                allow()
                    .sid("DescribeAll")
                    .action(&["ec2:Describe*"])
                    .any()
                    .build(),
                allow()
                    .sid("OperateOwnTeamInstances")
                    .action(&[
                        "ec2:StartInstances",
                        "ec2:StopInstances",
                        "ec2:RebootInstances",
                        "ec2:GetConsoleOutput",
                    ])
                    .resource(&[format!("arn:aws:ec2:*:{a}:instance/*")])
                    .when(
                        "StringEquals",
                        "aws:ResourceTag/team",
                        &["${aws:PrincipalTag/team}"],
                    )
                    .build(),
                allow()
                    .sid("TagOnlyWithOwnTeam")
                    .action(&["ec2:CreateTags"])
                    .resource(&[format!("arn:aws:ec2:*:{a}:instance/*")])
                    .when(
                        "StringEquals",
                        "aws:RequestTag/team",
                        &["${aws:PrincipalTag/team}"],
                    )
                    .when(
                        "ForAllValues:StringEquals",
                        "aws:TagKeys",
                        &["team", "env", "Name"],
                    )
                    .build(),
            ]),
        );
        let home = ctx.home_bucket(a);
        add(
            "HomeFolderAccess",
            "/",
            doc(vec![
                allow()
                    .sid("AllowListBuckets")
                    .action(&["s3:ListAllMyBuckets", "s3:GetBucketLocation"])
                    .any()
                    .build(),
                allow()
                    .sid("AllowListOwnPrefix")
                    .action(&["s3:ListBucket"])
                    .resource(&[format!("arn:aws:s3:::{home}")])
                    .when(
                        "StringLike",
                        "s3:prefix",
                        &["", "home/", "home/${aws:username}/*"],
                    )
                    .build(),
                allow()
                    .sid("AllowOwnHomeFolder")
                    .action(&["s3:*"])
                    .resource(&[
                        format!("arn:aws:s3:::{home}/home/${{aws:username}}"),
                        format!("arn:aws:s3:::{home}/home/${{aws:username}}/*"),
                    ])
                    .build(),
            ]),
        );
        add(
            "DenyProdDestructiveActions",
            "/guardrails/",
            doc_single(
                deny()
                    .action(&[
                        "s3:DeleteBucket",
                        "dynamodb:DeleteTable",
                        "rds:DeleteDBInstance",
                        "ec2:TerminateInstances",
                        "lambda:DeleteFunction",
                        "sqs:DeleteQueue",
                        "kms:ScheduleKeyDeletion",
                    ])
                    .any()
                    .when("StringEquals", "aws:ResourceTag/env", &["prod"])
                    .build(),
            ),
        );
        add(
            "RequireMFAForProdSecrets",
            "/",
            doc(vec![allow()
                .action(&[
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                ])
                .resource(&[format!("arn:aws:secretsmanager:*:{a}:secret:*/prod/*")])
                .when("Bool", "aws:MultiFactorAuthPresent", &["true"])
                .when("NumericLessThan", "aws:MultiFactorAuthAge", &["3600"])
                .build()]),
        );
        add(
            "PassServiceRoles",
            "/",
            doc(vec![
                allow()
                    .action(&["iam:GetRole", "iam:ListRoles"])
                    .any()
                    .build(),
                allow()
                    .action(&["iam:PassRole"])
                    .resource(&[format!("arn:aws:iam::{a}:role/service-role/*")])
                    .when(
                        "StringEquals",
                        "iam:PassedToService",
                        &[
                            "lambda.amazonaws.com",
                            "ecs-tasks.amazonaws.com",
                            "states.amazonaws.com",
                        ],
                    )
                    .build(),
            ]),
        );
        let state = ctx.state_bucket(a);
        add(
            "TerraformStateAccess",
            "/platform/",
            doc(vec![
                allow()
                    .action(&["s3:ListBucket"])
                    .resource(&[format!("arn:aws:s3:::{state}")])
                    .build(),
                allow()
                    .action(&["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                    .resource(&[format!("arn:aws:s3:::{state}/*")])
                    .build(),
                allow()
                    .action(&[
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:DeleteItem",
                    ])
                    .resource(&[format!(
                        "arn:aws:dynamodb:{}:{a}:table/terraform-locks",
                        regions[0]
                    )])
                    .build(),
            ]),
        );
        let trail = ctx.cloudtrail_bucket(a);
        add(
            "CloudTrailLogReader",
            "/security/",
            doc(vec![
                allow()
                    .action(&["s3:ListBucket", "s3:GetBucketLocation"])
                    .resource(&[format!("arn:aws:s3:::{trail}")])
                    .build(),
                allow()
                    .action(&["s3:GetObject"])
                    .resource(&[format!("arn:aws:s3:::{trail}/AWSLogs/{a}/*")])
                    .build(),
                allow()
                    .action(&["logs:FilterLogEvents", "logs:GetLogEvents"])
                    .resource(&[format!("arn:aws:logs:*:{a}:log-group:/aws/cloudtrail/*")])
                    .build(),
            ]),
        );
        add(
            "SecretsByTeamTag",
            "/",
            doc(vec![
                allow()
                    .action(&["secretsmanager:ListSecrets"])
                    .any()
                    .build(),
                allow()
                    .action(&[
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:DescribeSecret",
                    ])
                    .any()
                    .when(
                        "StringEquals",
                        "aws:ResourceTag/team",
                        &["${aws:PrincipalTag/team}"],
                    )
                    .build(),
            ]),
        );
        let start = timestamp(20_300, 0);
        let end = timestamp(20_300 + 90, 0);
        add(
            "TemporaryIncidentAccess",
            "/",
            doc(vec![allow()
                .action(&["ec2:*", "ssm:StartSession", "logs:*", "cloudwatch:*"])
                .any()
                .when("DateGreaterThan", "aws:CurrentTime", &[start.as_str()])
                .when("DateLessThan", "aws:CurrentTime", &[end.as_str()])
                .build()]),
        );
        let audit = ctx.audit_bucket(a);
        add(
            "S3AllButAuditLogs",
            "/",
            doc(vec![allow()
                .action(&["s3:*"])
                .not_resource(&[
                    format!("arn:aws:s3:::{audit}"),
                    format!("arn:aws:s3:::{audit}/*"),
                ])
                .build()]),
        );
        add(
            "DenyUnencryptedUploads",
            "/guardrails/",
            doc(vec![
                deny()
                    .sid("DenyMissingEncryptionHeader")
                    .action(&["s3:PutObject"])
                    .any()
                    .when("Null", "s3:x-amz-server-side-encryption", &["true"])
                    .build(),
                deny()
                    .sid("DenyNonKmsEncryption")
                    .action(&["s3:PutObject"])
                    .any()
                    .when(
                        "StringNotEqualsIfExists",
                        "s3:x-amz-server-side-encryption",
                        &["aws:kms"],
                    )
                    .build(),
            ]),
        );
        let cidrs: Vec<&str> = ctx.corp_cidrs.iter().map(String::as_str).collect();
        add(
            "CorporateNetworkOnly",
            "/guardrails/",
            doc(vec![deny()
                .action(&["*"])
                .any()
                .when("NotIpAddress", "aws:SourceIp", &cidrs)
                .when("Bool", "aws:ViaAWSService", &["false"])
                .build()]),
        );
        add(
            "CostExplorerAccess",
            "/finance/",
            doc(vec![allow()
                .action(&[
                    "ce:*",
                    "cur:DescribeReportDefinitions",
                    "budgets:ViewBudget",
                    "account:GetAccountInformation",
                ])
                .any()
                .build()]),
        );
        add(
            "SessionManagerByTeamTag",
            "/",
            doc(vec![
                allow()
                    .action(&["ssm:StartSession"])
                    .resource(&[format!("arn:aws:ec2:*:{a}:instance/*")])
                    .when(
                        "StringEquals",
                        "aws:ResourceTag/team",
                        &["${aws:PrincipalTag/team}"],
                    )
                    .build(),
                allow()
                    .action(&["ssm:StartSession"])
                    .resource(&["arn:aws:ssm:*::document/AWS-StartSSHSession"])
                    .build(),
                allow()
                    .action(&["ssm:TerminateSession", "ssm:ResumeSession"])
                    .resource(&[format!("arn:aws:ssm:*:{a}:session/${{aws:username}}-*")])
                    .build(),
            ]),
        );
        let org_key = self
            .resources
            .iter()
            .find(|r| r.kind == Kind::Key && r.team.is_none())
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| format!("arn:aws:kms:{}:{a}:key/*", regions[0]));
        add(
            "OrgKeyUsage",
            "/security/",
            doc(vec![allow()
                .action(&[
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ])
                .resource(&[org_key.as_str()])
                .when(
                    "StringEquals",
                    "kms:ViaService",
                    &[
                        format!("s3.{}.amazonaws.com", regions[0]),
                        format!("secretsmanager.{}.amazonaws.com", regions[0]),
                    ],
                )
                .build()]),
        );
        add(
            "EC2LaunchWithTeamTags",
            "/",
            doc(vec![
                allow()
                    .sid("LaunchTaggedInstances")
                    .action(&["ec2:RunInstances"])
                    .resource(&[format!("arn:aws:ec2:*:{a}:instance/*")])
                    .when(
                        "StringEquals",
                        "aws:RequestTag/team",
                        &["${aws:PrincipalTag/team}"],
                    )
                    .build(),
                allow()
                    .sid("LaunchSupportingResources")
                    .action(&["ec2:RunInstances"])
                    .resource(&[
                        "arn:aws:ec2:*::image/*",
                        "arn:aws:ec2:*:*:subnet/*",
                        "arn:aws:ec2:*:*:network-interface/*",
                        "arn:aws:ec2:*:*:security-group/*",
                        "arn:aws:ec2:*:*:volume/*",
                        "arn:aws:ec2:*:*:key-pair/*",
                    ])
                    .build(),
                allow()
                    .sid("TagOnLaunch")
                    .action(&["ec2:CreateTags"])
                    .resource(&[format!("arn:aws:ec2:*:{a}:*/*")])
                    .when("StringEquals", "ec2:CreateAction", &["RunInstances"])
                    .build(),
            ]),
        );

        // Per team.
        for team in &ctx.teams {
            let t = team.as_str();
            add(
                &format!("{t}-data-access"),
                "/teams/",
                doc(vec![
                    allow()
                        .sid("ListTeamBuckets")
                        .action(&["s3:ListBucket", "s3:GetBucketLocation"])
                        .resource(&[format!("arn:aws:s3:::{co}-{t}-*")])
                        .build(),
                    allow()
                        .sid("ReadWriteTeamObjects")
                        .action(&["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"])
                        .resource(&[format!("arn:aws:s3:::{co}-{t}-*/*")])
                        .build(),
                    allow()
                        .sid("TeamTables")
                        .action(&[
                            "dynamodb:GetItem",
                            "dynamodb:Query",
                            "dynamodb:Scan",
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                            "dynamodb:BatchGetItem",
                        ])
                        .resource(&[
                            format!("arn:aws:dynamodb:*:{a}:table/{t}-*"),
                            format!("arn:aws:dynamodb:*:{a}:table/{t}-*/index/*"),
                        ])
                        .build(),
                    allow()
                        .sid("TeamQueues")
                        .action(&[
                            "sqs:SendMessage",
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                        ])
                        .resource(&[format!("arn:aws:sqs:*:{a}:{t}-*")])
                        .build(),
                    deny()
                        .sid("NoProdObjectDeletes")
                        .action(&["s3:DeleteObject", "s3:DeleteObjectVersion"])
                        .resource(&[format!("arn:aws:s3:::{co}-{t}-prod-*/*")])
                        .build(),
                ]),
            );
            add(
                &format!("{t}-deploy"),
                "/teams/",
                doc(vec![
                    allow()
                        .action(&[
                            "lambda:UpdateFunctionCode",
                            "lambda:UpdateFunctionConfiguration",
                            "lambda:PublishVersion",
                            "lambda:GetFunction",
                        ])
                        .resource(&[format!("arn:aws:lambda:*:{a}:function:{t}-*")])
                        .build(),
                    allow().action(&["ecr:GetAuthorizationToken"]).any().build(),
                    allow()
                        .action(&[
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:InitiateLayerUpload",
                            "ecr:UploadLayerPart",
                            "ecr:CompleteLayerUpload",
                            "ecr:PutImage",
                        ])
                        .resource(&[format!("arn:aws:ecr:*:{a}:repository/{t}/*")])
                        .build(),
                    allow()
                        .action(&["ecs:UpdateService", "ecs:DescribeServices"])
                        .resource(&[format!("arn:aws:ecs:*:{a}:service/{t}-*/*")])
                        .build(),
                    allow()
                        .action(&["iam:PassRole"])
                        .resource(&[format!("arn:aws:iam::{a}:role/service-role/{t}-*")])
                        .when(
                            "StringEquals",
                            "iam:PassedToService",
                            &["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"],
                        )
                        .build(),
                ]),
            );
            add(
                &format!("{t}-oncall"),
                "/teams/",
                doc(vec![
                    allow()
                        .action(&[
                            "logs:GetLogEvents",
                            "logs:FilterLogEvents",
                            "logs:StartQuery",
                            "logs:GetQueryResults",
                        ])
                        .resource(&[format!("arn:aws:logs:*:{a}:log-group:/aws/lambda/{t}-*")])
                        .build(),
                    allow()
                        .action(&[
                            "cloudwatch:Describe*",
                            "cloudwatch:Get*",
                            "cloudwatch:List*",
                        ])
                        .any()
                        .build(),
                    allow()
                        .action(&["ssm:StartSession"])
                        .resource(&[format!("arn:aws:ec2:*:{a}:instance/*")])
                        .when("StringEquals", "aws:ResourceTag/team", &[t])
                        .build(),
                    allow()
                        .action(&["sns:Publish"])
                        .resource(&[format!("arn:aws:sns:*:{a}:{t}-*-alerts")])
                        .build(),
                ]),
            );
            // One application policy per (team, env), shared by the team's workload roles.
            for env in &ctx.envs {
                let e = env.as_str();
                add(
                    &format!("{t}-{e}-app"),
                    "/teams/",
                    doc(vec![
                        allow()
                            .action(&["s3:GetObject", "s3:PutObject"])
                            .resource(&[format!("arn:aws:s3:::{co}-{t}-{e}-*/*")])
                            .build(),
                        allow()
                            .action(&[
                                "dynamodb:GetItem",
                                "dynamodb:PutItem",
                                "dynamodb:UpdateItem",
                                "dynamodb:Query",
                            ])
                            .resource(&[format!("arn:aws:dynamodb:*:{a}:table/{t}-{e}-*")])
                            .build(),
                        allow()
                            .action(&["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"])
                            .resource(&[format!("arn:aws:sqs:*:{a}:{t}-{e}-*")])
                            .build(),
                        allow()
                            .action(&["secretsmanager:GetSecretValue"])
                            .resource(&[format!("arn:aws:secretsmanager:*:{a}:secret:{t}/{e}/*")])
                            .build(),
                    ]),
                );
            }
        }
        // The long tail: old policies nobody cleaned up.
        let mut legacy = 0usize;
        while list.len() < self.shape.customer_policies {
            legacy += 1;
            let t = ctx.team(legacy % ctx.teams.len().max(1)).to_string();
            let d = match legacy % 3 {
                0 => doc(vec![allow()
                    .action(&["s3:*"])
                    .resource(&[
                        format!("arn:aws:s3:::{co}-{t}-*"),
                        format!("arn:aws:s3:::{co}-{t}-*/*"),
                    ])
                    .build()]),
                1 => doc(vec![allow().action(&["sqs:*", "sns:*"]).any().build()]),
                _ => doc(vec![allow()
                    .action(&["dynamodb:*"])
                    .resource(&[format!("arn:aws:dynamodb:*:{a}:table/{t}-*")])
                    .build()]),
            };
            list.push((format!("legacy-{t}-policy-{legacy}"), "/", d));
        }
        list.truncate(self.shape.customer_policies);

        for (name, path, d) in list {
            let arn = format!("arn:aws:iam::{a}:policy{path}{name}");
            // About one policy in six has older versions (only the default is in force).
            let n_versions = if self.rng.chance(0.1) {
                self.rng.range(2, 4)
            } else {
                1
            };
            let mut versions = Vec::new();
            let mut dates: Vec<String> = (0..n_versions).map(|_| self.created()).collect();
            dates.sort();
            dates.reverse();
            for (k, date) in dates.into_iter().enumerate() {
                let id = format!("v{}", n_versions - k);
                let document = if k == 0 {
                    d.clone()
                } else {
                    older_version(&d, k)
                };
                versions.push(Version {
                    id,
                    doc: document,
                    created: date,
                });
            }
            self.customer.insert(name.clone(), arn);
            self.policies.push(CustomerPolicy {
                name,
                path: path.to_string(),
                versions,
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Groups

    fn groups(&mut self) {
        let mut kinds: Vec<(String, Vec<&str>, Vec<Inline>)> = vec![
            (
                ADMINS.into(),
                vec!["AdministratorAccess"],
                vec![Inline {
                    name: "AdminsRequireMFA".into(),
                    doc: doc(vec![deny()
                        .sid("DenyWithoutMFA")
                        .not_action(&[
                            "iam:ListMFADevices",
                            "iam:EnableMFADevice",
                            "sts:GetSessionToken",
                        ])
                        .any()
                        .when("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"])
                        .build()]),
                }],
            ),
            (
                DEVELOPERS.into(),
                vec![
                    "DeveloperAccess",
                    "PassServiceRoles",
                    "SelfManageCredentials",
                    "DenyOutsideApprovedRegions",
                    "DenyProdDestructiveActions",
                ],
                vec![],
            ),
            (
                READ_ONLY.into(),
                vec!["ReadOnlyAccess", "SelfManageCredentials"],
                vec![],
            ),
            (
                SECURITY.into(),
                vec![
                    "SecurityAudit",
                    "job-function/ViewOnlyAccess",
                    "SelfManageCredentials",
                ],
                vec![Inline {
                    name: "SecurityHubAnalyst".into(),
                    doc: doc(vec![allow()
                        .action(&[
                            "securityhub:Get*",
                            "securityhub:List*",
                            "securityhub:Describe*",
                            "securityhub:BatchUpdateFindings",
                            "guardduty:Get*",
                            "guardduty:List*",
                            "access-analyzer:*",
                        ])
                        .any()
                        .build()]),
                }],
            ),
            (
                FINANCE.into(),
                vec![
                    "job-function/Billing",
                    "CostExplorerAccess",
                    "SelfManageCredentials",
                ],
                vec![],
            ),
        ];
        // Bigger accounts add one group per team (its data and on-call policies).
        let team_groups: Vec<String> = self
            .ctx
            .teams
            .iter()
            .map(|t| format!("{t}-engineers"))
            .collect();
        for name in &team_groups {
            kinds.push((name.clone(), vec![], vec![]));
        }
        let base = kinds.len();
        for (name, managed, inline) in kinds.into_iter().take(self.shape.groups) {
            let managed = if let Some(team) = name.strip_suffix("-engineers") {
                self.managed(&[&format!("{team}-data-access"), &format!("{team}-oncall")])
            } else {
                self.managed(&managed)
            };
            let created = self.created();
            self.groups.push(Group {
                name,
                path: "/".into(),
                created,
                inline,
                managed,
            });
        }
        // Shapes with more groups than the job-function and team groups (`ape`: 40 in one
        // account) add groups per AWS job function and per team; the other sizes never reach
        // them, so their output is unchanged.
        let extra = self.shape.groups.saturating_sub(base);
        for (name, managed) in self.extra_group_kinds().into_iter().take(extra) {
            let names: Vec<&str> = managed.iter().map(String::as_str).collect();
            let managed = self.managed(&names);
            let created = self.created();
            self.extra_groups.push(name.clone());
            self.groups.push(Group {
                name,
                path: "/".into(),
                created,
                inline: vec![],
                managed,
            });
        }
    }

    /// The groups of large single accounts beyond the job-function and team groups: one per
    /// AWS job function (AWS-managed policies plus the account's guardrails), then per team
    /// leads and analysts, then per team and environment operators.
    fn extra_group_kinds(&self) -> Vec<(String, Vec<String>)> {
        let fixed: &[(&str, &[&str])] = &[
            ("PowerUsers", &["PowerUserAccess", "SelfManageCredentials"]),
            ("IAMAdmins", &["IAMFullAccess", "SelfManageCredentials"]),
            ("IAMAuditors", &["IAMReadOnlyAccess", "CloudTrailLogReader"]),
            (
                "EC2Admins",
                &["AmazonEC2FullAccess", "DenyOutsideApprovedRegions"],
            ),
            ("EC2ReadOnly", &["AmazonEC2ReadOnlyAccess"]),
            (
                "StorageAdmins",
                &["AmazonS3FullAccess", "DenyProdDestructiveActions"],
            ),
            ("StorageReaders", &["AmazonS3ReadOnlyAccess"]),
            ("MessagingAdmins", &["AmazonSQSFullAccess"]),
            ("MessagingReaders", &["AmazonSQSReadOnlyAccess"]),
            (
                "DatabaseAdmins",
                &[
                    "AmazonRDSFullAccess",
                    "AmazonDynamoDBReadOnlyAccess",
                    "AmazonMemoryDBReadOnlyAccess",
                ],
            ),
            (
                "NetworkAdmins",
                &[
                    "AmazonVPCFullAccess",
                    "AmazonRoute53FullAccess",
                    "CorporateNetworkOnly",
                ],
            ),
            ("NetworkReaders", &["AmazonVPCReadOnlyAccess"]),
            ("Monitoring", &["CloudWatchFullAccess"]),
            ("KeyAdmins", &["AWSKeyManagementServicePowerUser"]),
            (
                "CodeCommitters",
                &["AWSCodeCommitPowerUser", "SelfManageCredentials"],
            ),
            (
                "Deployers",
                &["AWSCodeDeployFullAccess", "PassServiceRoles"],
            ),
            (
                "AuditAdmins",
                &["AWSCloudTrail_FullAccess", "SecurityAudit"],
            ),
            (
                "ServerlessDevelopers",
                &["AWSLambda_FullAccess", "PassServiceRoles"],
            ),
            (
                "SecretsAdmins",
                &["SecretsManagerReadWrite", "RequireMFAForProdSecrets"],
            ),
            ("ContainerReaders", &["AmazonEC2ContainerRegistryReadOnly"]),
            (
                "OrgViewers",
                &[
                    "AWSOrganizationsReadOnlyAccess",
                    "job-function/ViewOnlyAccess",
                ],
            ),
            (
                "SupportStaff",
                &["job-function/ViewOnlyAccess", "SelfManageCredentials"],
            ),
            ("ReadOnlyAuditors", &["ReadOnlyAccess", "SecurityAudit"]),
        ];
        let mut kinds: Vec<(String, Vec<String>)> = fixed
            .iter()
            .map(|(n, m)| (n.to_string(), m.iter().map(|s| s.to_string()).collect()))
            .collect();
        for t in &self.ctx.teams {
            kinds.push((
                format!("{t}-leads"),
                vec![
                    format!("{t}-data-access"),
                    format!("{t}-oncall"),
                    "job-function/ViewOnlyAccess".into(),
                ],
            ));
            kinds.push((
                format!("{t}-analysts"),
                vec![
                    "AmazonS3ReadOnlyAccess".into(),
                    "AmazonDynamoDBReadOnlyAccess".into(),
                    "HomeFolderAccess".into(),
                ],
            ));
        }
        for t in &self.ctx.teams {
            for e in &self.ctx.envs {
                kinds.push((
                    format!("{t}-{e}-operators"),
                    vec![format!("{t}-oncall"), "SessionManagerByTeamTag".into()],
                ));
            }
        }
        kinds
    }

    /// The indices of the human users: not under `/service/` and without a boundary.
    fn human_indices(&self) -> Vec<usize> {
        (0..self.users.len())
            .filter(|&i| {
                self.users
                    .get(i)
                    .is_some_and(|u| u.path != "/service/" && u.boundary.is_none())
            })
            .collect()
    }

    /// Members for the groups only large single accounts have (the team `-engineers` groups
    /// and [`Self::extra_group_kinds`]): a few humans each, team groups from the team's
    /// humans. Draws from its own stream, and does nothing when there are no such groups.
    fn extra_group_members(&mut self) {
        if self.extra_groups.is_empty() {
            return;
        }
        let mut rng = self.rng.fork("extra-groups");
        let humans = self.human_indices();
        let team_of = |u: &User| {
            u.tags
                .iter()
                .find(|(k, _)| k == "team")
                .map(|(_, v)| v.clone())
        };
        let mut groups: Vec<String> = self
            .ctx
            .teams
            .iter()
            .map(|t| format!("{t}-engineers"))
            .filter(|g| self.has_group(g))
            .collect();
        groups.extend(self.extra_groups.iter().cloned());
        for g in groups {
            let team = self
                .ctx
                .teams
                .iter()
                .find(|t| g.starts_with(&format!("{t}-")))
                .cloned();
            let pool: Vec<usize> = humans
                .iter()
                .copied()
                .filter(|&i| match &team {
                    Some(t) => self
                        .users
                        .get(i)
                        .and_then(team_of)
                        .is_some_and(|ut| &ut == t),
                    None => true,
                })
                .collect();
            let k = if g.ends_with("-engineers") {
                pool.len() / 2
            } else {
                rng.range(3, 12)
            };
            for i in rng.sample(&pool, k) {
                if let Some(u) = self.users.get_mut(i) {
                    // IAM allows 10 groups per user.
                    if u.groups.len() < 10 && !u.groups.contains(&g) {
                        u.groups.push(g.clone());
                    }
                }
            }
        }
    }

    fn has_group(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.name == name)
    }

    fn groups_named(&self, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .filter(|n| self.has_group(n))
            .map(|n| n.to_string())
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // Users

    fn fresh_name(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut k = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}{k}");
            k += 1;
        }
        name
    }

    fn person_name(&mut self) -> String {
        let first = self.rng.name(FIRST);
        let last = self.rng.name(LAST);
        let base = if self.rng.chance(0.8) {
            format!("{first}.{last}")
        } else {
            format!("{}{last}", first.chars().next().unwrap_or('x'))
        };
        self.fresh_name(base)
    }

    fn users(&mut self) {
        let n_service = (self.shape.users / 5).min(8);
        for i in 0..n_service {
            self.service_user(i);
        }
        let weights: usize = HUMANS.iter().map(|(_, w)| w).sum();
        // The first humans cover every kind, then the mix follows the weights.
        let mut i = 0usize;
        while self.users.len() < self.shape.users {
            let kind = match HUMANS.get(i) {
                Some((k, _)) => *k,
                None => {
                    let mut x = self.rng.below(weights);
                    let mut pick = Human::Developer;
                    for (k, w) in HUMANS {
                        if x < *w {
                            pick = *k;
                            break;
                        }
                        x -= w;
                    }
                    pick
                }
            };
            self.human(kind);
            i += 1;
        }
    }

    fn human(&mut self, kind: Human) {
        let ctx = self.ctx;
        let co = ctx.company.clone();
        let name = self.person_name();
        let team = self.rng.below(ctx.teams.len().max(1));
        let t = ctx.team(team).to_string();
        let created = self.created();
        let mut user = User {
            name: name.clone(),
            path: "/".into(),
            created,
            groups: vec![],
            inline: vec![],
            managed: vec![],
            boundary: None,
            tags: vec![],
        };
        let tagged = self.rng.chance(0.6);
        match kind {
            Human::Developer => {
                if self.rng.chance(0.5) {
                    user.path = "/engineering/".into();
                }
                if self.rng.chance(0.75) {
                    user.groups = self.groups_named(&[DEVELOPERS]);
                } else {
                    // Attached directly, the way accounts grow before anyone makes groups.
                    user.managed =
                        self.managed(&["SelfManageCredentials", "AWSCodeCommitPowerUser"]);
                }
                let mut extra = vec![format!("{t}-data-access"), "TagBasedEC2Access".to_string()];
                if self.rng.chance(0.4) {
                    extra.push("HomeFolderAccess".into());
                }
                if self.rng.chance(0.3) {
                    extra.push("SecretsByTeamTag".into());
                }
                if self.rng.chance(0.2) {
                    extra.push("EC2LaunchWithTeamTags".into());
                }
                if self.rng.chance(0.15) {
                    extra.push("RequireMFAForProdSecrets".into());
                }
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                user.managed.extend(self.managed(&extra));
                if self.rng.chance(0.15) {
                    let bucket = self
                        .resources
                        .iter()
                        .filter(|r| r.kind == Kind::Bucket && r.team.is_some())
                        .map(|r| r.name.clone())
                        .collect::<Vec<_>>();
                    if let Some(b) = self.rng.pick(&bucket).cloned() {
                        user.inline.push(Inline {
                            name: format!("{name}-s3-{}", b.rsplit('-').next().unwrap_or("x")),
                            doc: doc(vec![allow()
                                .action(&["s3:*"])
                                .resource(&[
                                    format!("arn:aws:s3:::{b}"),
                                    format!("arn:aws:s3:::{b}/*"),
                                ])
                                .build()]),
                        });
                    }
                }
                if tagged || self.rng.chance(0.8) {
                    user.tags = self.team_tags(team, "engineering");
                }
            }
            Human::Contractor => {
                user.path = "/contractors/".into();
                user.groups = self.groups_named(&[READ_ONLY]);
                user.boundary = self.managed(&["ContractorBoundary"]).into_iter().next();
                let until = timestamp(20_454 + self.rng.below(120) as i64, 0);
                user.inline.push(Inline {
                    name: "contractor-project-access".into(),
                    doc: doc(vec![
                        allow()
                            .action(&["s3:ListBucket"])
                            .resource(&[format!("arn:aws:s3:::{co}-{t}-dev-*")])
                            .build(),
                        allow()
                            .action(&["s3:GetObject", "s3:PutObject"])
                            .resource(&[format!("arn:aws:s3:::{co}-{t}-dev-*/*")])
                            .when("DateLessThan", "aws:CurrentTime", &[until.as_str()])
                            .build(),
                    ]),
                });
                user.tags = self.team_tags(team, "engineering");
                user.tags.push(tag("employment", "contractor"));
            }
            Human::Analyst => {
                user.groups = self.groups_named(&[READ_ONLY]);
                let picks = ["AmazonDynamoDBReadOnlyAccess", "AmazonS3ReadOnlyAccess"];
                let pick = self.rng.name(&picks);
                user.managed = self.managed(&[pick, "HomeFolderAccess"]);
                if tagged {
                    user.tags = self.team_tags(team, "analytics");
                }
            }
            Human::Security => {
                user.groups = self.groups_named(&[SECURITY]);
                if self.rng.chance(0.5) {
                    user.managed = self.managed(&["IAMReadOnlyAccess", "CloudTrailLogReader"]);
                }
                user.tags = vec![tag("team", "security"), tag("department", "security")];
            }
            Human::Finance => {
                user.groups = self.groups_named(&[FINANCE]);
                if tagged {
                    user.tags = vec![tag("department", "finance")];
                }
            }
            Human::Admin => {
                user.groups = self.groups_named(&[ADMINS]);
                user.tags = vec![tag("team", "platform"), tag("department", "engineering")];
            }
            Human::Ops => {
                let picks = [
                    "AmazonRDSFullAccess",
                    "AmazonVPCFullAccess",
                    "AmazonRoute53FullAccess",
                    "CloudWatchFullAccess",
                ];
                let pick = self.rng.name(&picks);
                user.managed =
                    self.managed(&[pick, "SelfManageCredentials", "SessionManagerByTeamTag"]);
                user.groups = self.groups_named(&[READ_ONLY]);
                if self.rng.chance(0.5) {
                    user.managed.extend(self.managed(&["CorporateNetworkOnly"]));
                }
                user.tags = self.team_tags(team, "operations");
            }
        }
        self.users.push(user);
    }

    fn service_user(&mut self, i: usize) {
        let ctx = self.ctx;
        let a = self.acct;
        let co = ctx.company.clone();
        let cidrs: Vec<String> = ctx.corp_cidrs.clone();
        let created = self.created();
        let mut user = User {
            name: String::new(),
            path: "/service/".into(),
            created,
            groups: vec![],
            inline: vec![],
            managed: vec![],
            boundary: None,
            tags: vec![],
        };
        match i {
            0 => {
                user.name = "svc-jenkins".into();
                user.inline.push(Inline {
                    name: "jenkins-deploy".into(),
                    doc: doc(vec![
                        allow()
                            .action(&["s3:PutObject", "s3:GetObject", "s3:ListBucket"])
                            .resource(&[
                                format!("arn:aws:s3:::{co}-shared-artifacts-{a}"),
                                format!("arn:aws:s3:::{co}-shared-artifacts-{a}/*"),
                            ])
                            .build(),
                        allow()
                            .action(&["lambda:UpdateFunctionCode", "lambda:GetFunction"])
                            .resource(&[format!("arn:aws:lambda:*:{a}:function:*")])
                            .build(),
                        allow()
                            .action(&["iam:PassRole"])
                            .resource(&[format!("arn:aws:iam::{a}:role/service-role/*")])
                            .build(),
                    ]),
                });
                user.tags = vec![tag("purpose", "ci"), tag("owner", "platform")];
            }
            1 => {
                user.name = "svc-backup".into();
                user.managed = self.managed(&["AmazonS3FullAccess"]);
                user.tags = vec![tag("purpose", "backup")];
            }
            2 => {
                user.name = "svc-smtp-relay".into();
                user.inline.push(Inline {
                    name: "ses-send".into(),
                    doc: doc_single(
                        allow()
                            .action(&["ses:SendRawEmail", "ses:SendEmail"])
                            .any()
                            .when(
                                "StringLike",
                                "ses:FromAddress",
                                &[format!("*@{co}.example")],
                            )
                            .build(),
                    ),
                });
            }
            3 => {
                user.name = "svc-reporting".into();
                let bucket = self
                    .resources
                    .iter()
                    .find(|r| r.kind == Kind::Bucket && r.env.is_some_and(|e| ctx.env(e) == "prod"))
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| format!("{co}-reports"));
                user.inline.push(Inline {
                    name: "reporting-read".into(),
                    doc: doc(vec![allow()
                        .action(&["s3:GetObject", "s3:ListBucket"])
                        .resource(&[
                            format!("arn:aws:s3:::{bucket}"),
                            format!("arn:aws:s3:::{bucket}/reports/*"),
                        ])
                        .when("IpAddress", "aws:SourceIp", &cidrs)
                        .build()]),
                });
                user.tags = vec![tag("purpose", "reporting"), tag("owner", "data")];
            }
            4 => {
                user.name = "svc-observa-legacy".into();
                user.managed = self.managed(&["ReadOnlyAccess"]);
            }
            5 => {
                user.name = "svc-terraform-legacy".into();
                user.managed = self.managed(&["AdministratorAccess", "CorporateNetworkOnly"]);
                user.tags = vec![tag("purpose", "iac"), tag("managed-by", "terraform")];
            }
            6 => {
                user.name = "breakglass-admin".into();
                user.path = "/".into();
                user.managed = self.managed(&["AdministratorAccess"]);
                user.tags = vec![tag("purpose", "emergency")];
            }
            _ => {
                user.name = format!(
                    "svc-log-shipper{}",
                    if i > 7 { i.to_string() } else { String::new() }
                );
                user.inline.push(Inline {
                    name: "ship-logs".into(),
                    doc: doc(vec![
                        allow()
                            .action(&[
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ])
                            .resource(&[format!("arn:aws:logs:*:{a}:log-group:*")])
                            .build(),
                        deny()
                            .action(&["logs:DeleteLogGroup", "logs:DeleteLogStream"])
                            .any()
                            .build(),
                    ]),
                });
            }
        }
        let name = self.fresh_name(user.name.clone());
        user.name = name;
        self.users.push(user);
    }

    // -----------------------------------------------------------------------------------------
    // Roles

    fn push_role(&mut self, role: Role) {
        if self.roles.len() < self.shape.roles && self.names.insert(format!("role/{}", role.name)) {
            self.roles.push(role);
        }
    }

    fn role(&mut self, name: &str, path: &str, trust: Value, managed: &[&str]) -> Role {
        let created = self.created();
        let last_used = self.last_used();
        Role {
            name: name.into(),
            path: path.into(),
            created,
            trust,
            inline: vec![],
            managed: self.managed(managed),
            boundary: None,
            tags: vec![],
            instance_profile: false,
            last_used,
        }
    }

    fn roles(&mut self) {
        let ctx = self.ctx;
        let a = self.acct.to_string();
        // Service-linked roles of the AWS-managed service role policies.
        for (svc, role, policy) in [
            (
                "support",
                "AWSServiceRoleForSupport",
                "AWSSupportServiceRolePolicy",
            ),
            (
                "trustedadvisor",
                "AWSServiceRoleForTrustedAdvisor",
                "AWSTrustedAdvisorServiceRolePolicy",
            ),
            (
                "ssm",
                "AWSServiceRoleForAmazonSSM",
                "AmazonSSMServiceRolePolicy",
            ),
            (
                "securityhub",
                "AWSServiceRoleForSecurityHub",
                "AWSSecurityHubServiceRolePolicy",
            ),
            (
                "config",
                "AWSServiceRoleForConfig",
                "AWSConfigServiceRolePolicy",
            ),
            (
                "elasticloadbalancing",
                "AWSServiceRoleForElasticLoadBalancing",
                "AWSElasticLoadBalancingServiceRolePolicy",
            ),
            (
                "organizations",
                "AWSServiceRoleForOrganizations",
                "AWSOrganizationsServiceTrustPolicy",
            ),
        ] {
            let host = format!("{svc}.amazonaws.com");
            let r = self.role(
                role,
                &format!("/aws-service-role/{host}/"),
                trust_service(&[host.as_str()], &[]),
                &[&format!("aws-service-role/{policy}")],
            );
            self.push_role(r);
        }

        // Cross-account and platform roles.
        let mgmt_root = format!("arn:aws:iam::{}:root", ctx.management_account);
        let r = self.role(
            "OrganizationAccountAccessRole",
            "/",
            trust_aws(&[mgmt_root.as_str()], &[]),
            &["AdministratorAccess"],
        );
        self.push_role(r);

        let sec_role = format!(
            "arn:aws:iam::{}:role/security-tooling",
            ctx.security_account
        );
        let mut r = self.role(
            "security-audit",
            "/security/",
            trust_aws(
                &[sec_role.as_str()],
                &[(
                    "StringEquals",
                    "aws:PrincipalOrgID",
                    vec![ctx.org_id.clone()],
                )],
            ),
            &[
                "SecurityAudit",
                "job-function/ViewOnlyAccess",
                "CloudTrailLogReader",
            ],
        );
        r.tags = vec![tag("owner", "security")];
        self.push_role(r);

        for (vi, v) in ctx.vendors.clone().iter().enumerate() {
            // Vendors name the account as `arn:...:root` or as the bare account id.
            let principal = if vi == 1 {
                v.account.clone()
            } else {
                format!("arn:aws:iam::{}:root", v.account)
            };
            let trust = trust_aws(
                &[principal.as_str()],
                &[(
                    "StringEquals",
                    "sts:ExternalId",
                    vec![v.external_id.clone()],
                )],
            );
            let (managed, inline): (Vec<&str>, Option<Inline>) = match vi {
                0 => (
                    vec![
                        "job-function/ViewOnlyAccess",
                        "AmazonSQSReadOnlyAccess",
                        "AmazonEC2ReadOnlyAccess",
                    ],
                    Some(Inline {
                        name: format!("{}-metrics", v.name),
                        doc: doc(vec![allow()
                            .action(&[
                                "cloudwatch:GetMetricData",
                                "cloudwatch:ListMetrics",
                                "tag:GetResources",
                                "logs:FilterLogEvents",
                                "logs:DescribeLogGroups",
                                "xray:BatchGetTraces",
                                "xray:GetTraceSummaries",
                            ])
                            .any()
                            .build()]),
                    }),
                ),
                1 => (
                    vec!["SecurityAudit", "ReadOnlyAccess"],
                    Some(Inline {
                        name: "deny-data-access".into(),
                        doc: doc(vec![deny()
                            .sid("NoDataPlane")
                            .action(&[
                                "s3:GetObject",
                                "dynamodb:GetItem",
                                "dynamodb:Query",
                                "dynamodb:Scan",
                                "secretsmanager:GetSecretValue",
                                "kms:Decrypt",
                            ])
                            .any()
                            .build()]),
                    }),
                ),
                _ => (
                    vec!["job-function/Billing", "AWSOrganizationsReadOnlyAccess"],
                    None,
                ),
            };
            let mut r = self.role(
                &format!("{}-integration", v.name),
                "/vendors/",
                trust,
                &managed,
            );
            r.inline.extend(inline);
            r.tags = vec![tag("vendor", &v.name)];
            self.push_role(r);
        }

        let tf = format!("arn:aws:iam::{}:role/terraform-runner", ctx.tooling_account);
        let mut r = self.role(
            "terraform-deploy",
            "/platform/",
            trust_aws(&[tf.as_str()], &[]),
            &["AdministratorAccess"],
        );
        r.tags = vec![tag("managed-by", "terraform"), tag("owner", "platform")];
        self.push_role(r);

        let admins: Vec<String> = self
            .users
            .iter()
            .filter(|u| u.groups.iter().any(|g| g == ADMINS))
            .map(|u| format!("arn:aws:iam::{a}:user{}{}", u.path, u.name))
            .collect();
        if !admins.is_empty() {
            let r = self.role(
                "break-glass",
                "/",
                trust_aws(
                    &admins,
                    &[("Bool", "aws:MultiFactorAuthPresent", strings(&["true"]))],
                ),
                &["AdministratorAccess"],
            );
            self.push_role(r);
        }

        let saml_trust = trust_saml(&a.to_string(), &ctx.idp);
        let r = self.role(
            &format!("{}-engineering", ctx.idp),
            "/sso/",
            saml_trust,
            &[
                "PowerUserAccess",
                "DenyOutsideApprovedRegions",
                "DenyProdDestructiveActions",
            ],
        );
        self.push_role(r);

        let gh = "token.actions.githubusercontent.com";
        let oidc = format!("arn:aws:iam::{a}:oidc-provider/{gh}");
        let gh_trust = doc(vec![allow()
            .principal("Federated", &[oidc.as_str()])
            .action(&["sts:AssumeRoleWithWebIdentity"])
            .when("StringEquals", &format!("{gh}:aud"), &["sts.amazonaws.com"])
            .when(
                "StringLike",
                &format!("{gh}:sub"),
                &[format!("repo:{}/*:ref:refs/heads/main", ctx.github_org)],
            )
            .build()]);
        let r = self.role(
            "github-actions-deploy",
            "/ci/",
            gh_trust,
            &[
                "AWSLambda_FullAccess",
                "TerraformStateAccess",
                "PassServiceRoles",
            ],
        );
        self.push_role(r);

        let mut r = self.role(
            "vpc-flow-logs",
            "/service-role/",
            trust_service(
                &["vpc-flow-logs.amazonaws.com"],
                &[("StringEquals", "aws:SourceAccount", vec![a.clone()])],
            ),
            &[],
        );
        r.inline.push(Inline {
            name: "flow-logs-delivery".into(),
            doc: doc(vec![allow()
                .action(&[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ])
                .any()
                .build()]),
        });
        self.push_role(r);

        let mut r = self.role(
            "iam-automation",
            "/platform/",
            trust_service(&["lambda.amazonaws.com"], &[]),
            &["IAMFullAccess", "service-role/AWSLambdaBasicExecutionRole"],
        );
        r.boundary = self.managed(&["WorkloadRoleBoundary"]).into_iter().next();
        self.push_role(r);

        // Per team: an admin role assumed by the team's senior engineers (with MFA), a
        // developer role assumed from the account by users tagged with the team, a CI role
        // assumed from the tooling account, a read-only role for the security and management
        // accounts, and a data pipeline role assumed from the data account.
        let root = format!("arn:aws:iam::{a}:root");
        for (ti, team) in ctx.teams.clone().iter().enumerate() {
            let t = team.as_str();
            let members: Vec<String> = self
                .users
                .iter()
                .filter(|u| u.tags.iter().any(|(k, v)| k == "team" && v == t))
                .map(|u| format!("arn:aws:iam::{a}:user{}{}", u.path, u.name))
                .collect();
            let k = self.rng.range(1, 3).min(members.len());
            let mut seniors = self.rng.sample(&members, k);
            if seniors.is_empty() {
                seniors.push(root.clone());
            }
            let admin_policies: Vec<String> = if ti == 0 {
                vec!["PowerUserAccess".into()]
            } else {
                vec![
                    format!("{t}-data-access"),
                    format!("{t}-deploy"),
                    "AmazonEC2FullAccess".into(),
                    "CloudWatchFullAccess".into(),
                ]
            };
            let admin_policies: Vec<&str> = admin_policies.iter().map(String::as_str).collect();
            let mut r = self.role(
                &format!("{t}-admin"),
                "/teams/",
                trust_aws(
                    &seniors,
                    &[("Bool", "aws:MultiFactorAuthPresent", strings(&["true"]))],
                ),
                &admin_policies,
            );
            r.tags = vec![tag("team", t)];
            self.push_role(r);
            let mut r = self.role(
                &format!("{t}-developer"),
                "/teams/",
                trust_aws(
                    &[root.as_str()],
                    &[("StringEquals", "aws:PrincipalTag/team", vec![t.to_string()])],
                ),
                &[
                    &format!("{t}-data-access"),
                    &format!("{t}-oncall"),
                    "AWSCodeCommitPowerUser",
                ],
            );
            r.boundary = self.managed(&["DeveloperBoundary"]).into_iter().next();
            r.tags = vec![tag("team", t), tag("cost-center", &ctx.cost_center(ti))];
            self.push_role(r);
            let runners = [
                format!("arn:aws:iam::{}:role/ci-runner-{t}", ctx.tooling_account),
                format!("arn:aws:iam::{}:role/ci-runner-shared", ctx.tooling_account),
            ];
            let mut r = self.role(
                &format!("{t}-ci-deploy"),
                "/ci/",
                trust_aws(&runners, &[]),
                &[&format!("{t}-deploy"), "AWSCodeDeployFullAccess"],
            );
            r.tags = vec![tag("team", t)];
            self.push_role(r);
            let readers = [
                format!("arn:aws:iam::{}:root", ctx.security_account),
                format!("arn:aws:iam::{}:root", ctx.management_account),
            ];
            let r = self.role(
                &format!("{t}-readonly"),
                "/teams/",
                trust_aws(&readers, &[]),
                &["job-function/ViewOnlyAccess", &format!("{t}-oncall")],
            );
            self.push_role(r);
            let etl = format!("arn:aws:iam::{}:role/{t}-etl", ctx.data_account);
            let mut r = self.role(
                &format!("{t}-data-pipeline"),
                "/teams/",
                trust_aws(
                    &[etl.as_str()],
                    &[(
                        "StringEquals",
                        "aws:PrincipalOrgID",
                        vec![ctx.org_id.clone()],
                    )],
                ),
                &[&format!("{t}-prod-app")],
            );
            if let Some(b) = self
                .resources
                .iter()
                .find(|r| r.kind == Kind::Bucket && r.team == Some(ti))
                .map(|r| r.arn.clone())
            {
                r.inline.push(Inline {
                    name: "export-to-data-lake".into(),
                    doc: doc(vec![
                        allow()
                            .action(&["s3:ListBucket"])
                            .resource(&[b.as_str()])
                            .build(),
                        allow()
                            .action(&["s3:GetObject", "s3:GetObjectTagging"])
                            .resource(&[format!("{b}/exports/*")])
                            .build(),
                    ]),
                });
            }
            r.tags = vec![tag("team", t), tag("data-flow", "outbound")];
            self.push_role(r);
        }

        // Workload roles, round by round over (team, env), until the shape is met.
        let pairs: Vec<(usize, usize)> = (0..ctx.teams.len())
            .flat_map(|t| (0..ctx.envs.len()).map(move |e| (t, e)))
            .collect();
        let mut round = 0usize;
        let mut stalled = 0usize;
        while self.roles.len() < self.shape.roles && stalled < 8 {
            let before = self.roles.len();
            for &(team, env) in &pairs {
                if self.roles.len() >= self.shape.roles {
                    break;
                }
                self.workload_role(team, env, round);
            }
            stalled = if self.roles.len() == before {
                stalled + 1
            } else {
                0
            };
            round += 1;
        }
    }

    fn workload_role(&mut self, team: usize, env: usize, round: usize) {
        let ctx = self.ctx;
        let a = self.acct.to_string();
        let t = ctx.team(team).to_string();
        let e = ctx.env(env).to_string();
        let app = format!("{t}-{e}-app");
        let tables: Vec<String> = self.arns_of(Kind::Table, team, env);
        let queues: Vec<String> = self.arns_of(Kind::Queue, team, env);
        let buckets: Vec<String> = self.arns_of(Kind::Bucket, team, env);
        let functions: Vec<String> = self
            .resources_of(Kind::Function, team, env)
            .iter()
            .map(|r| r.name.clone())
            .collect();
        let function_arns: Vec<String> = self.arns_of(Kind::Function, team, env);
        match round % 4 {
            // A Lambda execution role per function (or a generic one).
            0 => {
                let fname = functions
                    .get(round / 4)
                    .cloned()
                    .unwrap_or_else(|| format!("{t}-{e}-fn{}", round / 4 + 1));
                let mut r = self.role(
                    &format!("{fname}-role"),
                    "/service-role/",
                    trust_service(&["lambda.amazonaws.com"], &[]),
                    &["service-role/AWSLambdaBasicExecutionRole", &app],
                );
                if self.rng.chance(0.45) && !(tables.is_empty() && queues.is_empty()) {
                    let mut sts = Vec::new();
                    if !tables.is_empty() {
                        sts.push(
                            allow()
                                .action(&[
                                    "dynamodb:GetItem",
                                    "dynamodb:PutItem",
                                    "dynamodb:Query",
                                    "dynamodb:DeleteItem",
                                ])
                                .resource(&tables)
                                .build(),
                        );
                    }
                    if !queues.is_empty() {
                        sts.push(
                            allow()
                                .action(&[
                                    "sqs:ReceiveMessage",
                                    "sqs:DeleteMessage",
                                    "sqs:GetQueueAttributes",
                                ])
                                .resource(&queues)
                                .build(),
                        );
                    }
                    r.inline.push(Inline {
                        name: format!("{fname}-access"),
                        doc: doc(sts),
                    });
                }
                if team == 0 && self.rng.chance(0.4) {
                    r.boundary = self.managed(&["WorkloadRoleBoundary"]).into_iter().next();
                }
                if self.rng.chance(0.4) {
                    r.tags = vec![tag("team", &t), tag("env", &e)];
                }
                self.push_role(r);
            }
            // An EC2 instance role with an instance profile.
            1 => {
                let mut managed = vec!["AmazonSSMManagedInstanceCore"];
                if self.rng.chance(0.4) {
                    managed.push("AmazonS3ReadOnlyAccess");
                }
                if self.rng.chance(0.4) {
                    managed.push("AmazonEC2ContainerRegistryReadOnly");
                }
                let mut r = self.role(
                    &format!("{t}-{e}-ec2-{}", round / 4 + 1),
                    "/",
                    trust_service(&["ec2.amazonaws.com"], &[]),
                    &managed,
                );
                r.instance_profile = true;
                if self.rng.chance(0.35) {
                    r.inline.push(Inline {
                        name: "cloudwatch-agent".into(),
                        doc: doc(vec![allow()
                            .action(&[
                                "cloudwatch:PutMetricData",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "ec2:DescribeTags",
                            ])
                            .any()
                            .build()]),
                    });
                }
                if self.rng.chance(0.4) {
                    r.tags = vec![tag("team", &t), tag("env", &e)];
                }
                self.push_role(r);
            }
            // An ECS task role, guarded against the confused deputy.
            2 => {
                let mut r = self.role(
                    &format!("{t}-{e}-ecs-task-{}", round / 4 + 1),
                    "/service-role/",
                    trust_service(
                        &["ecs-tasks.amazonaws.com"],
                        &[
                            (
                                "ArnLike",
                                "aws:SourceArn",
                                vec![format!("arn:aws:ecs:*:{a}:*")],
                            ),
                            ("StringEquals", "aws:SourceAccount", vec![a.clone()]),
                        ],
                    ),
                    &[&app],
                );
                if !buckets.is_empty() && self.rng.chance(0.5) {
                    let objects: Vec<String> = buckets.iter().map(|b| format!("{b}/*")).collect();
                    r.inline.push(Inline {
                        name: "task-s3".into(),
                        doc: doc(vec![
                            allow()
                                .action(&["s3:ListBucket"])
                                .resource(&buckets)
                                .build(),
                            allow()
                                .action(&["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                                .resource(&objects)
                                .build(),
                        ]),
                    });
                }
                if self.rng.chance(0.4) {
                    r.tags = vec![tag("team", &t), tag("env", &e)];
                }
                self.push_role(r);
            }
            // A Step Functions role invoking the team's functions.
            _ => {
                let mut r = self.role(
                    &format!("{t}-{e}-sfn-{}", round / 4 + 1),
                    "/service-role/",
                    trust_service(&["states.amazonaws.com"], &[]),
                    &[],
                );
                let targets = if function_arns.is_empty() {
                    vec![format!("arn:aws:lambda:*:{a}:function:{t}-{e}-*")]
                } else {
                    function_arns.clone()
                };
                r.inline.push(Inline {
                    name: "invoke-functions".into(),
                    doc: doc(vec![
                        allow()
                            .action(&["lambda:InvokeFunction"])
                            .resource(&targets)
                            .build(),
                        allow()
                            .action(&[
                                "xray:PutTraceSegments",
                                "xray:PutTelemetryRecords",
                                "xray:GetSamplingRules",
                            ])
                            .any()
                            .build(),
                    ]),
                });
                self.push_role(r);
            }
        }
    }

    /// Attaches every AWS-managed policy nobody attached yet to some principal, so the
    /// account's GAAD carries all of them (a GAAD only lists attached AWS-managed policies).
    fn cover_aws_managed(&mut self) {
        let mut used: BTreeSet<String> = BTreeSet::new();
        for m in self
            .users
            .iter()
            .flat_map(|u| u.managed.iter().chain(&u.boundary))
        {
            used.insert(m.clone());
        }
        for m in self
            .roles
            .iter()
            .flat_map(|r| r.managed.iter().chain(&r.boundary))
        {
            used.insert(m.clone());
        }
        for m in self.groups.iter().flat_map(|g| &g.managed) {
            used.insert(m.clone());
        }
        let missing: Vec<String> = self
            .catalogue
            .keys()
            .filter(|arn| !used.contains(*arn) && !arn.contains("/aws-service-role/"))
            .cloned()
            .collect();
        for arn in missing {
            let humans = self.human_indices();
            if let Some(&i) = self.rng.pick(&humans) {
                if let Some(u) = self.users.get_mut(i) {
                    u.managed.push(arn);
                }
            }
        }
    }
}

/// An older version of `d`: the first `len - k` statements (a policy that grew over time).
fn older_version(d: &Value, k: usize) -> Value {
    let mut d = d.clone();
    if let Some(Value::Array(sts)) = d.get_mut("Statement") {
        let keep = sts.len().saturating_sub(k).max(1);
        sts.truncate(keep);
    }
    d
}
