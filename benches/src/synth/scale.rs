//! Multi-account orgs (`medium`, `large`): an Organizations tree with SCPs and RCPs, hub
//! accounts whose roles chain into every workload account, resource policies, and a streaming
//! writer (one account in memory at a time; `tags.json` written entry by entry).
//!
//! Layout below the output directory:
//!
//! - `input/aws/<account>-iam.json`: the GAAD of every account (as for `small`);
//! - `input/aws/tags.json`: `get-resources` of every account, streamed;
//! - `input/aws/organizations/`: `describe-organization`, `list-roots`, per parent
//!   `list-organizational-units-for-parent` (`ous-<parent>.json`) and `list-accounts-for-parent`
//!   (`accounts-<parent>.json`) with the user-added `ParentId`, per policy `describe-policy`
//!   (`scp-<name>.json` / `rcp-<name>.json`) and `list-targets-for-policy` with `PolicyId`
//!   (`targets-<name>.json`);
//! - `input/aws/resources/<account>.json`: a JSON list of the account's resource-policy
//!   exports (S3 `get-bucket-policy` + `Bucket`/`AccountId`, the account's
//!   `get-public-access-block` + `AccountId`, KMS `get-key-policy` + `KeyArn`, SQS and SNS
//!   attributes, Secrets Manager `get-resource-policy`, Lambda `get-policy` + `FunctionArn`, ECR
//!   `get-repository-policy` + `repositoryArn`) for the ~3% of resources that have one.
//!
//! Every account is stamped out by [`account::generate`] from its own forked stream, so the
//! output depends on the seed alone; the counts of users, groups and roles are exact.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use super::account::{self, AccountShape, OrgContext, TEAMS};
use super::docs::{allow, deny, doc, trust_aws, trust_saml, trust_service};
use super::gaad::{self, timestamp, Account, Inline, Role};
use super::managed::{self, Catalogue};
use super::resources::{Kind, Resource};
use super::{Size, Stats, SynthError};
use crate::rng::Rng;

/// What a multi-account size holds over the whole org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub accounts: usize,
    pub users: usize,
    /// Users + groups + roles (`None`: roles are fixed instead, groups come on top).
    pub principals: Option<usize>,
    /// Roles (when `principals` is `None`).
    pub roles: usize,
    pub resources: usize,
    /// Customer-managed policies per account (average).
    pub customer_policies: usize,
    /// Teams per account, lowest and highest.
    pub teams: (usize, usize),
    /// Business-unit OUs under each of Prod and NonProd.
    pub business_units: usize,
}

pub const MEDIUM: Totals = Totals {
    accounts: 100,
    users: 2_000,
    principals: Some(10_000),
    roles: 0,
    resources: 100_000,
    customer_policies: 35,
    teams: (3, 6),
    business_units: 3,
};

pub const LARGE: Totals = Totals {
    accounts: 1_000,
    users: 10_000,
    principals: None,
    roles: 50_000,
    resources: 1_000_000,
    customer_policies: 25,
    teams: (2, 4),
    business_units: 6,
};

/// Groups per account in `large` (fixed; users and roles follow the numbers).
pub const LARGE_GROUPS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Env {
    Prod,
    NonProd,
    Sandbox,
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hub {
    Management,
    Security,
    Tooling,
    Data,
    Workload(Env),
}

#[derive(Debug, Clone)]
struct Ou {
    id: String,
    name: String,
    parent: String,
    depth: usize,
}

#[derive(Debug, Clone)]
struct Planned {
    id: String,
    name: String,
    parent: String,
    hub: Hub,
    shape: AccountShape,
    teams: usize,
}

/// The whole org before any account is generated: ids, the OU tree, every account's shape.
struct Plan {
    ctx: OrgContext,
    root: String,
    ous: Vec<Ou>,
    accounts: Vec<Planned>,
    /// Workload accounts (not suspended): the peers of cross-account grants.
    peers: Vec<String>,
}

const BUSINESS_UNITS: &[&str] = &[
    "retail",
    "platform",
    "finance",
    "media",
    "logistics",
    "health",
    "gaming",
    "ads",
];

/// `total` split over `n` parts of at least `min`, skewed (a few big accounts, many small).
fn split(total: usize, n: usize, min: usize, rng: &mut Rng) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let min = min.min(total / n);
    let weights: Vec<f64> = (0..n)
        .map(|_| {
            let u = rng.below(1_000_000) as f64 / 1e6;
            0.4 + 2.5 * u * u
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let free = total - min * n;
    let mut v: Vec<usize> = weights
        .iter()
        .map(|w| min + (free as f64 * w / sum).floor() as usize)
        .collect();
    let mut rest = total.saturating_sub(v.iter().sum());
    let mut i = 0;
    while rest > 0 {
        if let Some(x) = v.get_mut(i % n) {
            *x += 1;
        }
        rest -= 1;
        i += 1;
    }
    v
}

/// Roles the generator adds to an account after [`account::generate`] (taken off its shape so
/// the totals stay exact).
fn extra_roles(hub: Hub) -> usize {
    match hub {
        Hub::Management => 1,
        Hub::Security => 1,
        Hub::Tooling => 3 + TEAMS.len(),
        Hub::Data => TEAMS.len(),
        Hub::Workload(Env::Suspended) => 0,
        Hub::Workload(_) => 1,
    }
}

impl Plan {
    fn new(t: &Totals, rng: &Rng) -> Plan {
        let n = t.accounts.max(5);
        let mut ctx = OrgContext::new(&mut rng.fork("org"), n - 4);
        ctx.bucket_suffix = true;
        let mut r = rng.fork("plan");
        let root = format!("r-{}", r.hex(4));
        let root_part = root.trim_start_matches("r-").to_string();
        let mut ous: Vec<Ou> = Vec::new();
        let new_ou = |ous: &mut Vec<Ou>, r: &mut Rng, name: &str, parent: &str, depth| {
            let id = format!("ou-{root_part}-{}", r.hex(8));
            ous.push(Ou {
                id: id.clone(),
                name: name.to_string(),
                parent: parent.to_string(),
                depth,
            });
            id
        };
        let security = new_ou(&mut ous, &mut r, "Security", &root, 1);
        let infra = new_ou(&mut ous, &mut r, "Infrastructure", &root, 1);
        let workloads = new_ou(&mut ous, &mut r, "Workloads", &root, 1);
        let sandbox = new_ou(&mut ous, &mut r, "Sandbox", &root, 1);
        let suspended = new_ou(&mut ous, &mut r, "Suspended", &root, 1);
        // Workloads / {Prod, NonProd} / business unit / team / pci: depth 5.
        let mut leaves: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for env in ["Prod", "NonProd"] {
            let env_ou = new_ou(&mut ous, &mut r, env, &workloads, 2);
            let mut under = vec![env_ou.clone()];
            for bu in BUSINESS_UNITS.iter().take(t.business_units) {
                let bu_ou = new_ou(&mut ous, &mut r, bu, &env_ou, 3);
                under.push(bu_ou.clone());
                let n_teams = r.range(1, 3);
                for team in r.sample(TEAMS, n_teams) {
                    let team_ou = new_ou(&mut ous, &mut r, team, &bu_ou, 4);
                    under.push(team_ou.clone());
                    if env == "Prod" && r.chance(0.35) {
                        under.push(new_ou(&mut ous, &mut r, "pci", &team_ou, 5));
                    }
                }
            }
            leaves.insert(env, under);
        }

        let mut hubs = vec![
            (
                ctx.management_account.clone(),
                Hub::Management,
                root.clone(),
            ),
            (ctx.security_account.clone(), Hub::Security, security),
            (ctx.tooling_account.clone(), Hub::Tooling, infra.clone()),
            (ctx.data_account.clone(), Hub::Data, infra),
        ];
        for (i, id) in ctx.workload_accounts.iter().enumerate() {
            let x = r.below(1000);
            let env = match (i, x) {
                (0, _) => Env::Sandbox,
                (1, _) => Env::Suspended,
                (_, 0..=39) => Env::Sandbox,
                (_, 40..=49) => Env::Suspended,
                (_, 50..=499) => Env::Prod,
                _ => Env::NonProd,
            };
            let parent = match env {
                Env::Sandbox => sandbox.clone(),
                Env::Suspended => suspended.clone(),
                Env::Prod | Env::NonProd => {
                    let key = if env == Env::Prod { "Prod" } else { "NonProd" };
                    let pool = leaves.get(key).cloned().unwrap_or_default();
                    // Mostly in team and pci OUs, some directly in a business unit or env OU.
                    let deep: Vec<&String> = pool
                        .iter()
                        .filter(|id| ous.iter().any(|o| &o.id == *id && o.depth >= 4))
                        .collect();
                    if r.chance(0.8) && !deep.is_empty() {
                        r.pick(&deep).map(|s| s.to_string()).unwrap_or_default()
                    } else {
                        r.pick(&pool).cloned().unwrap_or_default()
                    }
                }
            };
            hubs.push((id.clone(), Hub::Workload(env), parent));
        }

        // Shapes: exact totals, skewed per account.
        let teams: Vec<usize> = hubs.iter().map(|_| r.range(t.teams.0, t.teams.1)).collect();
        let groups: Vec<usize> = match t.principals {
            Some(_) => teams.iter().map(|k| 5 + k).collect(),
            None => vec![LARGE_GROUPS; n],
        };
        let users = split(t.users, n, 3, &mut r);
        let roles_total = match t.principals {
            Some(p) => p - t.users - groups.iter().sum::<usize>(),
            None => t.roles,
        };
        let roles = split(roles_total, n, 40, &mut r);
        let resources = split(t.resources, n, 60, &mut r);
        let policies = split(t.customer_policies * n, n, 12, &mut r);
        let mut accounts = Vec::new();
        let mut peers = Vec::new();
        let mut counter: BTreeMap<String, usize> = BTreeMap::new();
        for (i, (id, hub, parent)) in hubs.into_iter().enumerate() {
            let name = match hub {
                Hub::Management => "management".to_string(),
                Hub::Security => "security".to_string(),
                Hub::Tooling => "shared-tooling".to_string(),
                Hub::Data => "data-lake".to_string(),
                Hub::Workload(env) => {
                    let ou = ous
                        .iter()
                        .find(|o| o.id == parent)
                        .map_or("workload", |o| o.name.as_str());
                    let env = match env {
                        Env::Prod => "prod",
                        Env::NonProd => "nonprod",
                        Env::Sandbox => "sandbox",
                        Env::Suspended => "suspended",
                    };
                    let k = counter.entry(format!("{ou}-{env}")).or_default();
                    *k += 1;
                    format!("{ou}-{env}-{k:03}")
                }
            };
            if matches!(hub, Hub::Workload(e) if e != Env::Suspended) {
                peers.push(id.clone());
            }
            let shape = AccountShape {
                users: users.get(i).copied().unwrap_or(3),
                groups: groups.get(i).copied().unwrap_or(3),
                roles: roles
                    .get(i)
                    .copied()
                    .unwrap_or(40)
                    .saturating_sub(extra_roles(hub)),
                customer_policies: policies.get(i).copied().unwrap_or(12),
                resources: resources.get(i).copied().unwrap_or(60),
            };
            accounts.push(Planned {
                id,
                name,
                parent,
                hub,
                shape,
                teams: teams.get(i).copied().unwrap_or(3),
            });
        }
        Plan {
            ctx,
            root,
            ous,
            accounts,
            peers,
        }
    }

    fn email(&self, name: &str) -> String {
        format!("aws+{name}@{}.example.com", self.ctx.company)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// JSON as the AWS CLI prints it, to a buffered file.
pub(super) fn write_json(path: &Path, v: &Value) -> Result<(), SynthError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SynthError::Io(parent.to_path_buf(), e))?;
    }
    let file = File::create(path).map_err(|e| SynthError::Io(path.to_path_buf(), e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut w, fmt);
    v.serialize(&mut ser)
        .map_err(|e| SynthError::Json(path.to_path_buf(), e))?;
    w.write_all(b"\n")
        .and_then(|()| w.flush())
        .map_err(|e| SynthError::Io(path.to_path_buf(), e))
}

/// `get-resources` output written entry by entry (never the whole list in memory).
struct TagStream {
    path: PathBuf,
    w: BufWriter<File>,
    n: usize,
    buf: Vec<u8>,
}

impl TagStream {
    fn create(path: PathBuf) -> Result<TagStream, SynthError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SynthError::Io(parent.to_path_buf(), e))?;
        }
        let file = File::create(&path).map_err(|e| SynthError::Io(path.clone(), e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        w.write_all(b"{\n    \"PaginationToken\": \"\",\n    \"ResourceTagMappingList\": [")
            .map_err(|e| SynthError::Io(path.clone(), e))?;
        Ok(TagStream {
            path,
            w,
            n: 0,
            buf: Vec::new(),
        })
    }

    fn push(&mut self, r: &Resource) -> Result<(), SynthError> {
        let entry = json!({
            "ResourceARN": r.arn,
            "Tags": r.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        });
        self.buf.clear();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut self.buf, fmt);
        entry
            .serialize(&mut ser)
            .map_err(|e| SynthError::Json(self.path.clone(), e))?;
        let sep: &[u8] = if self.n == 0 { b"\n" } else { b",\n" };
        let mut out = Vec::with_capacity(self.buf.len() + 64);
        out.extend_from_slice(sep);
        out.extend_from_slice(b"        ");
        for &b in &self.buf {
            out.push(b);
            if b == b'\n' {
                out.extend_from_slice(b"        ");
            }
        }
        self.w
            .write_all(&out)
            .map_err(|e| SynthError::Io(self.path.clone(), e))?;
        self.n += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<usize, SynthError> {
        let tail: &[u8] = if self.n == 0 {
            b"]\n}\n"
        } else {
            b"\n    ]\n}\n"
        };
        self.w
            .write_all(tail)
            .and_then(|()| self.w.flush())
            .map_err(|e| SynthError::Io(self.path.clone(), e))?;
        Ok(self.n)
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub files: usize,
    pub stats: Stats,
}

/// Generates the org of `size` (medium or large) from `seed`, writing it below `dir` as it goes.
pub fn write_org(size: Size, seed: u64, dir: &Path) -> Result<Written, SynthError> {
    let totals = match size {
        Size::Medium => MEDIUM,
        Size::Large => LARGE,
        Size::Small | Size::Ape => return Err(SynthError::NotYet(size)),
    };
    write_totals(&totals, seed, dir)
}

/// [`write_org`] for any totals (the tests use a tiny org).
pub fn write_totals(totals: &Totals, seed: u64, dir: &Path) -> Result<Written, SynthError> {
    let catalogue = managed::catalogue()?;
    let rng = Rng::new(seed);
    let plan = Plan::new(totals, &rng);
    let aws = dir.join("input/aws");
    let mut out = Written::default();
    out.files += write_organizations(&plan, &aws.join("organizations"), &mut out.stats)?;
    let mut tags = TagStream::create(aws.join("tags.json"))?;
    out.files += 1;
    for acct in &plan.accounts {
        let actx = plan
            .ctx
            .for_account(&mut rng.fork(&format!("teams/{}", acct.id)), acct.teams);
        let mut arng = rng.fork(&format!("account/{}", acct.id));
        let mut account = account::generate(&actx, &acct.id, &acct.shape, &catalogue, &mut arng);
        add_roles(
            &plan,
            acct,
            &mut account,
            &catalogue,
            &mut rng.fork(&format!("hub/{}", acct.id)),
        );
        account.roles.sort_by(|a, b| a.name.cmp(&b.name));
        let (gaad_json, st) = gaad::render(&account);
        out.stats.add(&st);
        write_json(&aws.join(format!("{}-iam.json", acct.id)), &gaad_json)?;
        drop(gaad_json);
        out.files += 1;
        for r in &account.resources {
            tags.push(r)?;
        }
        let policies = resource_policies(
            &plan,
            acct,
            &actx,
            &account,
            &mut rng.fork(&format!("resource-policies/{}", acct.id)),
        );
        // The account's public access block is not a resource policy.
        out.stats.resource_policies += policies
            .iter()
            .filter(|p| p.get("PublicAccessBlockConfiguration").is_none())
            .count();
        if !policies.is_empty() {
            write_json(
                &aws.join("resources").join(format!("{}.json", acct.id)),
                &Value::Array(policies),
            )?;
            out.files += 1;
        }
    }
    out.stats.tagged_resources = tags.finish()?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Hub roles: the other end of the cross-account trust every workload account carries, so role
// chains resolve (GitHub OIDC -> ci-runner -> terraform-runner -> terraform-deploy ->
// cross-account-reader; SAML -> org-admin -> OrganizationAccountAccessRole; Glue -> <team>-etl
// -> <team>-data-pipeline; security-tooling -> security-audit).

fn hub_role(
    rng: &mut Rng,
    name: &str,
    trust: Value,
    managed: &[&str],
    catalogue: &Catalogue,
    inline: Vec<Inline>,
    tags: Vec<(String, String)>,
) -> Role {
    let created = timestamp(17_532 + rng.below(2_737) as i64, rng.below(86_400) as u32);
    let last_used = rng.chance(0.8).then(|| {
        (
            timestamp(20_330 + rng.below(60) as i64, rng.below(86_400) as u32),
            "us-east-1".to_string(),
        )
    });
    Role {
        name: name.to_string(),
        path: "/".into(),
        created,
        trust,
        inline,
        managed: managed
            .iter()
            .map(|m| managed::arn(m))
            .filter(|a| catalogue.contains_key(a))
            .collect(),
        boundary: None,
        tags,
        instance_profile: false,
        last_used,
    }
}

fn assume(sid: &str, targets: &[String]) -> Inline {
    Inline {
        name: sid.to_string(),
        doc: doc(vec![allow()
            .sid(sid)
            .action(&["sts:AssumeRole", "sts:TagSession"])
            .resource(targets)
            .build()]),
    }
}

fn t(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn add_roles(
    plan: &Plan,
    acct: &Planned,
    account: &mut Account,
    catalogue: &Catalogue,
    rng: &mut Rng,
) {
    let ctx = &plan.ctx;
    let a = acct.id.as_str();
    let org = ctx.org_id.clone();
    let mut roles = Vec::new();
    match acct.hub {
        Hub::Management => {
            let trust = trust_saml(a, &ctx.idp);
            roles.push(hub_role(
                rng,
                "org-admin",
                trust,
                &["AdministratorAccess"],
                catalogue,
                vec![assume(
                    "AssumeMemberAccess",
                    &["arn:aws:iam::*:role/OrganizationAccountAccessRole".to_string()],
                )],
                vec![t("owner", "cloud-platform")],
            ));
        }
        Hub::Security => {
            let root = format!("arn:aws:iam::{a}:root");
            let trust = trust_aws(
                &[root.as_str()],
                &[(
                    "Bool",
                    "aws:MultiFactorAuthPresent",
                    vec!["true".to_string()],
                )],
            );
            roles.push(hub_role(
                rng,
                "security-tooling",
                trust,
                &["SecurityAudit"],
                catalogue,
                vec![assume(
                    "AssumeAuditRoles",
                    &["arn:aws:iam::*:role/security/security-audit".to_string()],
                )],
                vec![t("owner", "security")],
            ));
        }
        Hub::Tooling => {
            let oidc =
                format!("arn:aws:iam::{a}:oidc-provider/token.actions.githubusercontent.com");
            let trust = doc(vec![allow()
                .principal("Federated", &[oidc.as_str()])
                .action(&["sts:AssumeRoleWithWebIdentity"])
                .when(
                    "StringEquals",
                    "token.actions.githubusercontent.com:aud",
                    &["sts.amazonaws.com"],
                )
                .when(
                    "StringLike",
                    "token.actions.githubusercontent.com:sub",
                    &[format!("repo:{}/*", ctx.github_org)],
                )
                .build()]);
            let gha = format!("arn:aws:iam::{a}:role/github-actions");
            roles.push(hub_role(
                rng,
                "github-actions",
                trust,
                &[],
                catalogue,
                vec![assume(
                    "AssumeRunners",
                    &[format!("arn:aws:iam::{a}:role/ci-runner-*")],
                )],
                vec![t("owner", "platform")],
            ));
            let shared = format!("arn:aws:iam::{a}:role/ci-runner-shared");
            roles.push(hub_role(
                rng,
                "ci-runner-shared",
                trust_aws(&[gha.as_str()], &[]),
                &["AmazonEC2ContainerRegistryReadOnly"],
                catalogue,
                vec![assume(
                    "AssumeDeployRoles",
                    &[
                        "arn:aws:iam::*:role/ci/*".to_string(),
                        format!("arn:aws:iam::{a}:role/terraform-runner"),
                    ],
                )],
                vec![t("owner", "platform")],
            ));
            for team in TEAMS {
                let inline = Inline {
                    name: "AssumeTeamDeploy".into(),
                    doc: doc(vec![
                        allow()
                            .action(&["sts:AssumeRole"])
                            .resource(&[format!("arn:aws:iam::*:role/ci/{team}-ci-deploy")])
                            .when("StringEquals", "aws:ResourceOrgID", &[org.as_str()])
                            .build(),
                        deny()
                            .sid("OnlyTeamRoles")
                            .action(&["sts:AssumeRole"])
                            .not_resource(&[format!("arn:aws:iam::*:role/ci/{team}-*")])
                            .build(),
                    ]),
                };
                roles.push(hub_role(
                    rng,
                    &format!("ci-runner-{team}"),
                    trust_aws(&[gha.as_str()], &[]),
                    &[],
                    catalogue,
                    vec![inline],
                    vec![t("team", team), t("owner", "platform")],
                ));
            }
            roles.push(hub_role(
                rng,
                "terraform-runner",
                trust_aws(&[shared.as_str()], &[]),
                &[],
                catalogue,
                vec![assume(
                    "AssumeTerraformDeploy",
                    &["arn:aws:iam::*:role/platform/terraform-deploy".to_string()],
                )],
                vec![t("managed-by", "terraform"), t("owner", "platform")],
            ));
        }
        Hub::Data => {
            for team in TEAMS {
                roles.push(hub_role(
                    rng,
                    &format!("{team}-etl"),
                    trust_service(&["glue.amazonaws.com"], &[]),
                    &["service-role/AWSGlueServiceRole", "AmazonS3ReadOnlyAccess"],
                    catalogue,
                    vec![assume(
                        "AssumeTeamPipelines",
                        &[format!("arn:aws:iam::*:role/teams/{team}-data-pipeline")],
                    )],
                    vec![t("team", team), t("data-flow", "inbound")],
                ));
            }
        }
        Hub::Workload(Env::Suspended) => {}
        Hub::Workload(_) => {
            // Read access for one to three peers' deploy roles (and a peer account by root,
            // limited to its platform team by a principal tag).
            let k = rng.range(1, 3);
            let mut principals = Vec::new();
            for _ in 0..k {
                if let Some(p) = rng.pick(&plan.peers) {
                    if p != a {
                        principals.push(format!("arn:aws:iam::{p}:role/platform/terraform-deploy"));
                    }
                }
            }
            let mut conditions = vec![("StringEquals", "aws:PrincipalOrgID", vec![org.clone()])];
            if principals.is_empty() || rng.chance(0.3) {
                if let Some(p) = rng.pick(&plan.peers) {
                    principals.push(format!("arn:aws:iam::{p}:root"));
                    conditions.push((
                        "StringEquals",
                        "aws:PrincipalTag/team",
                        vec!["platform".to_string()],
                    ));
                }
            }
            principals.sort();
            principals.dedup();
            let guard = Inline {
                name: "no-restricted-data".into(),
                doc: doc(vec![deny()
                    .sid("DenyRestrictedData")
                    .action(&[
                        "s3:GetObject",
                        "secretsmanager:GetSecretValue",
                        "kms:Decrypt",
                        "dynamodb:GetItem",
                        "dynamodb:Scan",
                    ])
                    .any()
                    .when(
                        "StringEquals",
                        "aws:ResourceTag/data-classification",
                        &["restricted"],
                    )
                    .build()]),
            };
            roles.push(hub_role(
                rng,
                "cross-account-reader",
                trust_aws(&principals, &conditions),
                &["ReadOnlyAccess"],
                catalogue,
                vec![guard],
                vec![t("owner", "platform"), t("access", "cross-account")],
            ));
        }
    }
    account.roles.extend(roles);
}

// ---------------------------------------------------------------------------------------------
// Resource policies

fn policy_text(statements: Vec<Value>) -> String {
    serde_json::to_string(&doc(statements)).unwrap_or_default()
}

fn resource_policies(
    plan: &Plan,
    acct: &Planned,
    ctx: &OrgContext,
    account: &Account,
    rng: &mut Rng,
) -> Vec<Value> {
    let a = acct.id.as_str();
    let org = ctx.org_id.as_str();
    let root = format!("arn:aws:iam::{a}:root");
    let mut out = Vec::new();
    if rng.chance(0.9) {
        out.push(json!({
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true,
                "IgnorePublicAcls": true,
                "BlockPublicPolicy": true,
                "RestrictPublicBuckets": true
            },
            "AccountId": a
        }));
    }
    let roles: Vec<String> = account
        .roles
        .iter()
        .filter(|r| !r.path.starts_with("/aws-service-role/"))
        .map(|r| account.role_arn(&r.name, &r.path))
        .collect();
    let peer = |rng: &mut Rng| -> String {
        rng.pick(&plan.peers)
            .cloned()
            .unwrap_or_else(|| ctx.data_account.clone())
    };
    let trail = ctx.cloudtrail_bucket(a);
    for r in &account.resources {
        let team = r.team.map(|i| ctx.team(i).to_string());
        let team = team.as_deref().unwrap_or("platform");
        let p = match r.kind {
            Kind::Bucket if r.name == trail => 1.0,
            Kind::Bucket => 0.10,
            Kind::Key => 0.15,
            Kind::Queue => 0.04,
            Kind::Topic => 0.05,
            Kind::Secret => 0.04,
            Kind::Function => 0.02,
            Kind::Repo => 0.05,
            _ => 0.0,
        };
        if p == 0.0 || !rng.chance(p) {
            continue;
        }
        let own_role = rng.pick(&roles).cloned().unwrap_or_else(|| root.clone());
        let arn = r.arn.as_str();
        match r.kind {
            Kind::Bucket => {
                let b = r.name.as_str();
                let objects = format!("{arn}/*");
                let mut sts = vec![deny()
                    .sid("DenyInsecureTransport")
                    .anyone()
                    .action(&["s3:*"])
                    .resource(&[arn, objects.as_str()])
                    .when("Bool", "aws:SecureTransport", &["false"])
                    .build()];
                if b == trail {
                    sts.push(
                        allow()
                            .sid("AWSCloudTrailAclCheck")
                            .principal("Service", &["cloudtrail.amazonaws.com"])
                            .action(&["s3:GetBucketAcl"])
                            .resource(&[arn])
                            .build(),
                    );
                    sts.push(
                        allow()
                            .sid("AWSCloudTrailWrite")
                            .principal("Service", &["cloudtrail.amazonaws.com"])
                            .action(&["s3:PutObject"])
                            .resource(&[format!("{arn}/AWSLogs/*")])
                            .when(
                                "StringEquals",
                                "s3:x-amz-acl",
                                &["bucket-owner-full-control"],
                            )
                            .when("StringEquals", "aws:SourceOrgID", &[org])
                            .build(),
                    );
                } else {
                    match rng.below(5) {
                        0 => sts.push(
                            allow()
                                .sid("OrgRead")
                                .anyone()
                                .action(&["s3:GetObject", "s3:ListBucket"])
                                .resource(&[arn, objects.as_str()])
                                .when("StringEquals", "aws:PrincipalOrgID", &[org])
                                .build(),
                        ),
                        1 => {
                            let p = peer(rng);
                            sts.push(
                                allow()
                                    .sid("PeerReader")
                                    .principal(
                                        "AWS",
                                        &[format!("arn:aws:iam::{p}:role/cross-account-reader")],
                                    )
                                    .action(&["s3:GetObject", "s3:GetObjectTagging"])
                                    .resource(&[objects.as_str()])
                                    .build(),
                            );
                        }
                        2 => {
                            let p = peer(rng);
                            sts.push(
                                allow()
                                    .sid("PeerAccountWrite")
                                    .principal("AWS", &[format!("arn:aws:iam::{p}:root")])
                                    .action(&["s3:PutObject"])
                                    .resource(&[format!("{arn}/incoming/*")])
                                    .when(
                                        "StringEquals",
                                        "s3:x-amz-acl",
                                        &["bucket-owner-full-control"],
                                    )
                                    .build(),
                            );
                        }
                        3 => sts.push(
                            deny()
                                .sid("OnlyTeamDeletes")
                                .anyone()
                                .action(&["s3:DeleteObject", "s3:DeleteObjectVersion"])
                                .resource(&[objects.as_str()])
                                .when("StringNotEqualsIfExists", "aws:PrincipalTag/team", &[team])
                                .build(),
                        ),
                        _ => {
                            let public = r
                                .tags
                                .iter()
                                .any(|(k, v)| k == "data-classification" && v == "public");
                            if public {
                                sts.push(
                                    allow()
                                        .sid("PublicRead")
                                        .anyone()
                                        .action(&["s3:GetObject"])
                                        .resource(&[objects.as_str()])
                                        .build(),
                                );
                            } else {
                                sts.push(
                                    allow()
                                        .sid("AppRole")
                                        .principal("AWS", &[own_role.as_str()])
                                        .action(&["s3:GetObject", "s3:PutObject"])
                                        .resource(&[objects.as_str()])
                                        .build(),
                                );
                            }
                        }
                    }
                }
                out.push(json!({
                    "Policy": policy_text(sts),
                    "Bucket": b,
                    "AccountId": a
                }));
            }
            Kind::Key => {
                let mut sts = vec![
                    allow()
                        .sid("Enable IAM User Permissions")
                        .principal("AWS", &[root.as_str()])
                        .action(&["kms:*"])
                        .any()
                        .build(),
                    allow()
                        .sid("Allow use of the key")
                        .principal("AWS", &[own_role.as_str()])
                        .action(&[
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:DescribeKey",
                        ])
                        .any()
                        .build(),
                ];
                if rng.chance(0.4) {
                    let p = peer(rng);
                    sts.push(
                        allow()
                            .sid("PeerDecryptViaS3")
                            .principal("AWS", &[format!("arn:aws:iam::{p}:root")])
                            .action(&["kms:Decrypt", "kms:DescribeKey"])
                            .any()
                            .when(
                                "StringEquals",
                                "kms:ViaService",
                                &[format!("s3.{}.amazonaws.com", ctx.regions[0])],
                            )
                            .build(),
                    );
                }
                if rng.chance(0.3) {
                    sts.push(
                        deny()
                            .sid("DenyOutsideTeam")
                            .anyone()
                            .action(&["kms:Decrypt"])
                            .any()
                            .when("StringNotEquals", "aws:PrincipalTag/team", &[team])
                            .when("StringEquals", "aws:PrincipalAccount", &[a])
                            .build(),
                    );
                }
                out.push(json!({
                    "Policy": policy_text(sts),
                    "PolicyName": "default",
                    "KeyArn": arn
                }));
            }
            Kind::Queue => {
                let topic = format!("arn:aws:sns:{}:{a}:{team}-alerts", ctx.regions[0]);
                let p = peer(rng);
                let sts = vec![
                    allow()
                        .sid("TopicDelivers")
                        .principal("Service", &["sns.amazonaws.com"])
                        .action(&["sqs:SendMessage"])
                        .resource(&[arn])
                        .when("ArnEquals", "aws:SourceArn", &[topic.as_str()])
                        .build(),
                    allow()
                        .sid("PeerSends")
                        .principal("AWS", &[format!("arn:aws:iam::{p}:root")])
                        .action(&["sqs:SendMessage", "sqs:GetQueueUrl"])
                        .resource(&[arn])
                        .build(),
                ];
                out.push(json!({
                    "Attributes": {
                        "QueueArn": arn,
                        "Policy": policy_text(sts),
                        "ApproximateNumberOfMessages": "0",
                        "CreatedTimestamp": "1704067200",
                        "VisibilityTimeout": "30"
                    }
                }));
            }
            Kind::Topic => {
                let sts = vec![
                    allow()
                        .sid("__default_statement_ID")
                        .principal("AWS", &["*"])
                        .action(&[
                            "SNS:GetTopicAttributes",
                            "SNS:SetTopicAttributes",
                            "SNS:Subscribe",
                            "SNS:Publish",
                        ])
                        .resource(&[arn])
                        .when("StringEquals", "AWS:SourceOwner", &[a])
                        .build(),
                    allow()
                        .sid("EventsPublish")
                        .principal(
                            "Service",
                            &["events.amazonaws.com", "cloudwatch.amazonaws.com"],
                        )
                        .action(&["sns:Publish"])
                        .resource(&[arn])
                        .build(),
                ];
                out.push(json!({
                    "Attributes": {
                        "TopicArn": arn,
                        "Owner": a,
                        "Policy": policy_text(sts),
                        "SubscriptionsConfirmed": "1"
                    }
                }));
            }
            Kind::Secret => {
                let p = peer(rng);
                let sts = vec![
                    allow()
                        .sid("PeerReads")
                        .principal(
                            "AWS",
                            &[format!("arn:aws:iam::{p}:role/cross-account-reader")],
                        )
                        .action(&["secretsmanager:GetSecretValue"])
                        .any()
                        .build(),
                    deny()
                        .sid("OnlyTeam")
                        .anyone()
                        .action(&["secretsmanager:GetSecretValue"])
                        .any()
                        .when("StringNotEquals", "aws:PrincipalTag/team", &[team])
                        .when("StringEquals", "aws:PrincipalAccount", &[a])
                        .build(),
                ];
                out.push(json!({
                    "ARN": arn,
                    "Name": r.name,
                    "ResourcePolicy": policy_text(sts)
                }));
            }
            Kind::Function => {
                let api = format!(
                    "arn:aws:execute-api:{}:{a}:{}/*",
                    ctx.regions[0],
                    rng.hex(10)
                );
                let sts = vec![allow()
                    .sid("ApiGatewayInvoke")
                    .principal("Service", &["apigateway.amazonaws.com"])
                    .action(&["lambda:InvokeFunction"])
                    .resource(&[arn])
                    .when("ArnLike", "AWS:SourceArn", &[api.as_str()])
                    .build()];
                out.push(json!({
                    "Policy": serde_json::to_string(&json!({
                        "Version": "2012-10-17", "Id": "default", "Statement": sts
                    })).unwrap_or_default(),
                    "RevisionId": format!("{}-{}", rng.hex(8), rng.hex(12)),
                    "FunctionArn": arn
                }));
            }
            Kind::Repo => {
                let sts = vec![allow()
                    .sid("OrgPull")
                    .anyone()
                    .action(&[
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                    ])
                    .when("StringEquals", "aws:PrincipalOrgID", &[org])
                    .build()];
                out.push(json!({
                    "registryId": a,
                    "repositoryName": r.name,
                    "policyText": policy_text(sts),
                    "repositoryArn": arn
                }));
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Organizations

struct OrgPolicy {
    id: String,
    name: String,
    rcp: bool,
    aws_managed: bool,
    content: Value,
    targets: Vec<String>,
}

fn write_organizations(plan: &Plan, dir: &Path, stats: &mut Stats) -> Result<usize, SynthError> {
    let ctx = &plan.ctx;
    let mgmt = ctx.management_account.as_str();
    let org = ctx.org_id.as_str();
    let root = plan.root.as_str();
    let types = json!([
        {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}
    ]);
    let mut files = 0;
    write_json(
        &dir.join("describe-organization.json"),
        &json!({"Organization": {
            "Id": org,
            "Arn": format!("arn:aws:organizations::{mgmt}:organization/{org}"),
            "FeatureSet": "ALL",
            "MasterAccountArn": format!("arn:aws:organizations::{mgmt}:account/{org}/{mgmt}"),
            "MasterAccountId": mgmt,
            "MasterAccountEmail": plan.email("management"),
            "AvailablePolicyTypes": types
        }}),
    )?;
    write_json(
        &dir.join("list-roots.json"),
        &json!({"Roots": [{
            "Id": root,
            "Arn": format!("arn:aws:organizations::{mgmt}:root/{org}/{root}"),
            "Name": "Root",
            "PolicyTypes": types
        }]}),
    )?;
    files += 2;
    let ou_arn = |id: &str| format!("arn:aws:organizations::{mgmt}:ou/{org}/{id}");
    let account_arn = |id: &str| format!("arn:aws:organizations::{mgmt}:account/{org}/{id}");
    // Children per parent, in plan order.
    let mut parents: Vec<String> = vec![plan.root.clone()];
    parents.extend(plan.ous.iter().map(|o| o.id.clone()));
    for parent in &parents {
        let ous: Vec<Value> = plan
            .ous
            .iter()
            .filter(|o| &o.parent == parent)
            .map(|o| json!({"Id": o.id, "Arn": ou_arn(&o.id), "Name": o.name}))
            .collect();
        if !ous.is_empty() {
            write_json(
                &dir.join(format!("ous-{parent}.json")),
                &json!({"ParentId": parent, "OrganizationalUnits": ous}),
            )?;
            files += 1;
        }
        let accounts: Vec<Value> = plan
            .accounts
            .iter()
            .filter(|a| &a.parent == parent)
            .map(|a| {
                let suspended = a.hub == Hub::Workload(Env::Suspended);
                json!({
                    "Id": a.id,
                    "Arn": account_arn(&a.id),
                    "Email": plan.email(&a.name),
                    "Name": a.name,
                    "Status": if suspended { "SUSPENDED" } else { "ACTIVE" },
                    "JoinedMethod": if a.hub == Hub::Management { "INVITED" } else { "CREATED" },
                    "JoinedTimestamp": "2021-06-01T09:00:00Z"
                })
            })
            .collect();
        if !accounts.is_empty() {
            write_json(
                &dir.join(format!("accounts-{parent}.json")),
                &json!({"ParentId": parent, "Accounts": accounts}),
            )?;
            files += 1;
        }
    }
    stats.ous = plan.ous.len();

    let policies = org_policies(plan);
    for p in &policies {
        let (kind, prefix, file) = if p.rcp {
            ("RESOURCE_CONTROL_POLICY", "resource_control_policy", "rcp")
        } else {
            ("SERVICE_CONTROL_POLICY", "service_control_policy", "scp")
        };
        if p.rcp {
            stats.rcps += 1;
        } else {
            stats.scps += 1;
        }
        let arn = if p.aws_managed {
            format!("arn:aws:organizations::aws:policy/{prefix}/{}", p.id)
        } else {
            format!(
                "arn:aws:organizations::{mgmt}:policy/{org}/{prefix}/{}",
                p.id
            )
        };
        write_json(
            &dir.join(format!("{file}-{}.json", p.name)),
            &json!({"Policy": {
                "PolicySummary": {
                    "Id": p.id,
                    "Arn": arn,
                    "Name": p.name,
                    "Description": p.name,
                    "Type": kind,
                    "AwsManaged": p.aws_managed
                },
                "Content": serde_json::to_string(&p.content).unwrap_or_default()
            }}),
        )?;
        let targets: Vec<Value> = p
            .targets
            .iter()
            .map(|id| {
                if id.starts_with("r-") {
                    json!({"TargetId": id, "Arn": format!("arn:aws:organizations::{mgmt}:root/{org}/{id}"), "Name": "Root", "Type": "ROOT"})
                } else if id.starts_with("ou-") {
                    let name = plan.ous.iter().find(|o| &o.id == id).map_or("", |o| o.name.as_str());
                    json!({"TargetId": id, "Arn": ou_arn(id), "Name": name, "Type": "ORGANIZATIONAL_UNIT"})
                } else {
                    let name = plan.accounts.iter().find(|a| &a.id == id).map_or("", |a| a.name.as_str());
                    json!({"TargetId": id, "Arn": account_arn(id), "Name": name, "Type": "ACCOUNT"})
                }
            })
            .collect();
        write_json(
            &dir.join(format!("targets-{}.json", p.name)),
            &json!({"PolicyId": p.id, "Targets": targets}),
        )?;
        files += 2;
    }
    Ok(files)
}

fn org_policies(plan: &Plan) -> Vec<OrgPolicy> {
    let ctx = &plan.ctx;
    let mut rng = Rng::new(crate::rng::hash(&ctx.org_id));
    let pid = |rng: &mut Rng| format!("p-{}", rng.hex(8));
    let ou_named = |name: &str| -> Vec<String> {
        plan.ous
            .iter()
            .filter(|o| o.name == name)
            .map(|o| o.id.clone())
            .collect()
    };
    let sandbox = ou_named("Sandbox");
    let suspended = ou_named("Suspended");
    let workloads = ou_named("Workloads");
    let prod = ou_named("Prod");
    let nonprod = ou_named("NonProd");
    let pci = ou_named("pci");
    let prod_bus: Vec<String> = plan
        .ous
        .iter()
        .filter(|o| o.depth == 3 && prod.contains(&o.parent))
        .map(|o| o.id.clone())
        .collect();
    let accounts: Vec<String> = plan.accounts.iter().map(|a| a.id.clone()).collect();
    let everything: Vec<String> = std::iter::once(plan.root.clone())
        .chain(plan.ous.iter().map(|o| o.id.clone()))
        .chain(accounts.iter().cloned())
        .collect();
    let not_sandbox: Vec<String> = everything
        .iter()
        .filter(|id| !sandbox.contains(id))
        .cloned()
        .collect();
    let admin_roles = [
        "arn:aws:iam::*:role/OrganizationAccountAccessRole",
        "arn:aws:iam::*:role/security/security-audit",
    ];
    let regions: Vec<&str> = ctx.regions.to_vec();
    let mut vendor_accounts: Vec<String> = ctx.vendors.iter().map(|v| v.account.clone()).collect();
    vendor_accounts.sort();

    let mut out = vec![OrgPolicy {
        id: "p-FullAWSAccess".into(),
        name: "FullAWSAccess".into(),
        rcp: false,
        aws_managed: true,
        content: doc(vec![allow().action(&["*"]).any().build()]),
        targets: not_sandbox,
    }];
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "DenyLeaveOrgAndSecurityTampering".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![
            deny()
                .sid("NoLeavingTheOrg")
                .action(&["organizations:LeaveOrganization"])
                .any()
                .build(),
            deny()
                .sid("ProtectSecurityServices")
                .action(&[
                    "cloudtrail:StopLogging",
                    "cloudtrail:DeleteTrail",
                    "cloudtrail:UpdateTrail",
                    "guardduty:DeleteDetector",
                    "guardduty:DisassociateFromMasterAccount",
                    "config:DeleteConfigurationRecorder",
                    "config:StopConfigurationRecorder",
                    "securityhub:DisableSecurityHub",
                ])
                .any()
                .when("ArnNotLike", "aws:PrincipalARN", &admin_roles)
                .build(),
            deny()
                .sid("NoLongTermCredentials")
                .action(&["iam:CreateUser", "iam:CreateAccessKey"])
                .any()
                .when(
                    "ArnNotLike",
                    "aws:PrincipalARN",
                    &[
                        "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                        "arn:aws:iam::*:role/platform/terraform-deploy",
                    ],
                )
                .build(),
        ]),
        targets: vec![plan.root.clone()],
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "RegionRestriction".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![deny()
            .sid("DenyOutsideApprovedRegions")
            .not_action(&[
                "iam:*",
                "organizations:*",
                "sts:*",
                "support:*",
                "route53:*",
                "cloudfront:*",
                "budgets:*",
                "waf:*",
                "health:*",
                "trustedadvisor:*",
                "globalaccelerator:*",
            ])
            .any()
            .when("StringNotEquals", "aws:RequestedRegion", &regions)
            .when("ArnNotLike", "aws:PrincipalARN", &admin_roles[..1])
            .build()]),
        targets: workloads,
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "ProdGuardrails".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![
            deny()
                .sid("NoDestructiveDataOps")
                .action(&[
                    "kms:ScheduleKeyDeletion",
                    "secretsmanager:DeleteSecret",
                    "s3:DeleteBucket",
                    "rds:DeleteDBInstance",
                    "dynamodb:DeleteTable",
                ])
                .any()
                .build(),
            deny()
                .sid("NoTerminatingProdWithoutPlatform")
                .action(&["ec2:TerminateInstances", "ec2:DeleteVolume"])
                .any()
                .when("StringEquals", "aws:ResourceTag/env", &["prod"])
                .when(
                    "ArnNotLike",
                    "aws:PrincipalARN",
                    &["arn:aws:iam::*:role/platform/*"],
                )
                .build(),
            deny()
                .sid("KeepPublicAccessBlocked")
                .action(&[
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutAccountPublicAccessBlock",
                ])
                .any()
                .build(),
        ]),
        targets: prod.clone(),
    });
    if !prod_bus.is_empty() {
        let k = prod_bus.len().div_ceil(2);
        let targets = rng.sample(&prod_bus, k);
        out.push(OrgPolicy {
            id: pid(&mut rng),
            name: "ProtectRestrictedData".into(),
            rcp: false,
            aws_managed: false,
            content: doc(vec![deny()
                .sid("RestrictedDataOnlyForOwners")
                .action(&[
                    "s3:GetObject",
                    "secretsmanager:GetSecretValue",
                    "kms:Decrypt",
                    "dynamodb:Scan",
                    "dynamodb:Query",
                ])
                .any()
                .when(
                    "StringEquals",
                    "aws:ResourceTag/data-classification",
                    &["restricted"],
                )
                .when(
                    "StringNotEqualsIfExists",
                    "aws:PrincipalTag/department",
                    &["security", "data"],
                )
                .build()]),
            targets,
        });
    }
    if !pci.is_empty() {
        out.push(OrgPolicy {
            id: pid(&mut rng),
            name: "PciAllowedServices".into(),
            rcp: false,
            aws_managed: false,
            content: doc(vec![
                deny()
                    .sid("OnlyApprovedServices")
                    .not_action(&[
                        "s3:*",
                        "kms:*",
                        "dynamodb:*",
                        "lambda:*",
                        "logs:*",
                        "cloudwatch:*",
                        "sts:*",
                        "iam:*",
                        "ec2:Describe*",
                        "sqs:*",
                        "secretsmanager:*",
                    ])
                    .any()
                    .build(),
                deny()
                    .sid("WritesOnlyToProdBuckets")
                    .action(&["s3:PutObject"])
                    .not_resource(&[format!("arn:aws:s3:::{}-*-prod-*/*", ctx.company)])
                    .build(),
            ]),
            targets: pci.clone(),
        });
    }
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "NonProdRequireTags".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![
            deny()
                .sid("RequireTeamTag")
                .action(&["ec2:RunInstances", "ec2:CreateVolume"])
                .resource(&["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"])
                .when("Null", "aws:RequestTag/team", &["true"])
                .build(),
            deny()
                .sid("SmallInstancesOnly")
                .action(&["ec2:RunInstances"])
                .resource(&["arn:aws:ec2:*:*:instance/*"])
                .when(
                    "StringNotLike",
                    "ec2:InstanceType",
                    &["t3.*", "t4g.*", "m5.large"],
                )
                .build(),
        ]),
        targets: nonprod,
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "SandboxAllowList".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![allow()
            .sid("SandboxServices")
            .action(&[
                "s3:*",
                "ec2:*",
                "lambda:*",
                "dynamodb:*",
                "sqs:*",
                "sns:*",
                "logs:*",
                "cloudwatch:*",
                "sts:*",
                "kms:*",
                "secretsmanager:*",
                "cloudformation:*",
                "iam:Get*",
                "iam:List*",
                "iam:PassRole",
            ])
            .any()
            .build()]),
        targets: sandbox,
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "DenyAll".into(),
        rcp: false,
        aws_managed: false,
        content: doc(vec![deny().sid("Suspended").action(&["*"]).any().build()]),
        targets: suspended,
    });

    // RCPs.
    out.push(OrgPolicy {
        id: "p-RCPFullAWSAccess".into(),
        name: "RCPFullAWSAccess".into(),
        rcp: true,
        aws_managed: true,
        content: doc(vec![allow().anyone().action(&["*"]).any().build()]),
        targets: everything,
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "DataPerimeter".into(),
        rcp: true,
        aws_managed: false,
        content: doc(vec![deny()
            .sid("OrgAndVendorsOnly")
            .anyone()
            .action(&[
                "s3:*",
                "sqs:*",
                "kms:*",
                "secretsmanager:*",
                "sts:AssumeRole",
            ])
            .any()
            .when(
                "StringNotEqualsIfExists",
                "aws:PrincipalOrgID",
                &[ctx.org_id.as_str()],
            )
            .when(
                "StringNotEqualsIfExists",
                "aws:PrincipalAccount",
                &vendor_accounts,
            )
            .when("BoolIfExists", "aws:PrincipalIsAWSService", &["false"])
            .build()]),
        targets: vec![plan.root.clone()],
    });
    out.push(OrgPolicy {
        id: pid(&mut rng),
        name: "EnforceSecureTransport".into(),
        rcp: true,
        aws_managed: false,
        content: doc(vec![deny()
            .sid("TlsOnly")
            .anyone()
            .action(&["s3:*", "sqs:*", "secretsmanager:*", "kms:*"])
            .any()
            .when("BoolIfExists", "aws:SecureTransport", &["false"])
            .build()]),
        targets: prod,
    });
    if !pci.is_empty() {
        out.push(OrgPolicy {
            id: pid(&mut rng),
            name: "PciTeamRolesOnly".into(),
            rcp: true,
            aws_managed: false,
            content: doc(vec![deny()
                .sid("OnlyTeamAndPlatformRoles")
                .anyone()
                .action(&["s3:GetObject", "secretsmanager:GetSecretValue"])
                .any()
                .when(
                    "ArnNotLikeIfExists",
                    "aws:PrincipalArn",
                    &[
                        "arn:aws:iam::*:role/teams/*",
                        "arn:aws:iam::*:role/platform/*",
                        "arn:aws:iam::*:role/service-role/*",
                    ],
                )
                .when("BoolIfExists", "aws:PrincipalIsAWSService", &["false"])
                .build()]),
            targets: pci,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact() {
        let mut r = Rng::new(3);
        for (total, n, min) in [(10_000, 100, 40), (50_000, 1_000, 40), (7, 3, 1)] {
            let v = split(total, n, min, &mut r);
            assert_eq!(v.len(), n);
            assert_eq!(v.iter().sum::<usize>(), total);
        }
    }

    #[test]
    fn plans_meet_the_totals() {
        for t in [MEDIUM, LARGE] {
            let plan = Plan::new(&t, &Rng::new(1));
            assert_eq!(plan.accounts.len(), t.accounts);
            let users: usize = plan.accounts.iter().map(|a| a.shape.users).sum();
            assert_eq!(users, t.users);
            let resources: usize = plan.accounts.iter().map(|a| a.shape.resources).sum();
            assert_eq!(resources, t.resources);
            let principals: usize = plan
                .accounts
                .iter()
                .map(|a| a.shape.users + a.shape.groups + a.shape.roles + extra_roles(a.hub))
                .sum();
            if let Some(p) = t.principals {
                assert_eq!(principals, p);
            }
            assert!(plan.ous.iter().any(|o| o.depth == 5));
        }
    }

    fn files(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }

    #[test]
    fn tiny_org_is_deterministic_and_parses() {
        let tiny = Totals {
            accounts: 8,
            users: 40,
            principals: Some(800),
            roles: 0,
            resources: 1_600,
            customer_policies: 15,
            teams: (2, 3),
            business_units: 2,
        };
        let base = std::env::temp_dir().join(format!("iamlog-synth-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        let wa = write_totals(&tiny, 7, &a).unwrap();
        write_totals(&tiny, 7, &b).unwrap();
        let (mut fa, mut fb) = (BTreeMap::new(), BTreeMap::new());
        files(&a, &mut fa);
        files(&b, &mut fb);
        assert_eq!(fa.len(), wa.files);
        assert_eq!(fa.len(), fb.len());
        for ((pa, xa), xb) in fa.iter().zip(fb.values()) {
            assert!(xa == xb, "{} differs between runs", pa.display());
            let v: Value = serde_json::from_slice(xa).unwrap();
            assert!(v.is_object() || v.is_array(), "{}", pa.display());
        }
        let s = &wa.stats;
        assert_eq!(s.users, 40);
        assert_eq!(s.users + s.groups + s.roles, 800);
        assert_eq!(s.tagged_resources, 1_600);
        assert!(s.resource_policies > 0 && s.scps > 0 && s.rcps > 0, "{s}");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
