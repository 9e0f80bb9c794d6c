//! The tagged resource inventory of an account (`aws resourcegroupstaggingapi get-resources`),
//! named so that the account's policies (team prefixes, env names) match it.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::account::OrgContext;
use crate::rng::Rng;

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Bucket,
    Table,
    Queue,
    Topic,
    Function,
    Instance,
    Volume,
    Db,
    Key,
    Secret,
    LogGroup,
    Repo,
}

/// One tagged resource.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: Kind,
    /// Index into `OrgContext::teams` (None: shared).
    pub team: Option<usize>,
    /// Index into `OrgContext::envs` (None: shared).
    pub env: Option<usize>,
    /// The short name (bucket, table, function name, instance id, ...).
    pub name: String,
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

/// The per team-and-env kinds, in the order they are stamped out: a team's env first gets a
/// data bucket, then a table, a queue, ... (so a small inventory has the common kinds).
const ROUND: &[Kind] = &[
    Kind::Bucket,
    Kind::Table,
    Kind::Queue,
    Kind::Function,
    Kind::Instance,
    Kind::Secret,
    Kind::LogGroup,
    Kind::Key,
    Kind::Topic,
    Kind::Db,
    Kind::Volume,
    Kind::Repo,
    Kind::Bucket,
    Kind::Function,
    Kind::Instance,
    Kind::Table,
    Kind::Queue,
    Kind::Volume,
];

const BUCKET_PURPOSES: &[&str] = &[
    "data",
    "artifacts",
    "exports",
    "uploads",
    "reports",
    "backups",
];
const TABLES: &[&str] = &[
    "orders",
    "sessions",
    "events",
    "customers",
    "ledger",
    "jobs",
    "profiles",
];
const QUEUES: &[&str] = &["events", "jobs", "events-dlq", "notifications", "ingest"];
const FUNCTIONS: &[&str] = &[
    "api",
    "worker",
    "ingest",
    "notifier",
    "scheduler",
    "resizer",
    "webhook",
];
const INSTANCE_ROLES: &[&str] = &["web", "worker", "batch", "bastion", "api"];
const SECRETS: &[&str] = &["db-credentials", "api-key", "oauth-client", "signing-key"];
const DB_ENGINES: &[&str] = &["postgres", "mysql", "aurora"];
const REPO_SERVICES: &[&str] = &["api", "worker", "frontend", "migrations"];

fn nth(xs: &[&'static str], n: usize) -> String {
    let base = xs.get(n % xs.len().max(1)).copied().unwrap_or("x");
    match n / xs.len().max(1) {
        0 => base.to_string(),
        k => format!("{base}-{}", k + 1),
    }
}

fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        rng.hex(8),
        rng.hex(4),
        rng.hex(4),
        rng.hex(4),
        rng.hex(12)
    )
}

fn alnum(rng: &mut Rng, n: usize) -> String {
    const CH: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| char::from(CH.get(rng.below(CH.len())).copied().unwrap_or(b'a')))
        .collect()
}

/// Builds resource ARNs of one account.
struct Namer<'a> {
    ctx: &'a OrgContext,
    account: &'a str,
}

impl Namer<'_> {
    fn make(
        &self,
        kind: Kind,
        team: usize,
        env: usize,
        n: usize,
        rng: &mut Rng,
    ) -> (String, String) {
        let ctx = self.ctx;
        let acct = self.account;
        let t = ctx.team(team);
        let e = ctx.env(env);
        // Most resources live in the primary region, some in the secondary one.
        let region = if rng.chance(0.2) {
            ctx.regions[1]
        } else {
            ctx.regions[0]
        };
        match kind {
            Kind::Bucket => {
                let mut name = format!("{}-{t}-{e}-{}", ctx.company, nth(BUCKET_PURPOSES, n));
                if ctx.bucket_suffix {
                    name = format!("{name}-{acct}");
                }
                let arn = format!("arn:aws:s3:::{name}");
                (name, arn)
            }
            Kind::Table => {
                let name = format!("{t}-{e}-{}", nth(TABLES, n + team));
                let arn = format!("arn:aws:dynamodb:{region}:{acct}:table/{name}");
                (name, arn)
            }
            Kind::Queue => {
                let name = format!("{t}-{e}-{}", nth(QUEUES, n));
                let arn = format!("arn:aws:sqs:{region}:{acct}:{name}");
                (name, arn)
            }
            Kind::Topic => {
                let name = match n {
                    0 => format!("{t}-{e}-alerts"),
                    n => format!("{t}-{e}-alerts-{}", n + 1),
                };
                let arn = format!("arn:aws:sns:{region}:{acct}:{name}");
                (name, arn)
            }
            Kind::Function => {
                let name = format!("{t}-{e}-{}", nth(FUNCTIONS, n + team));
                let arn = format!("arn:aws:lambda:{region}:{acct}:function:{name}");
                (name, arn)
            }
            Kind::Instance => {
                let name = format!("i-0{}", rng.hex(16));
                let arn = format!("arn:aws:ec2:{region}:{acct}:instance/{name}");
                (name, arn)
            }
            Kind::Volume => {
                let name = format!("vol-0{}", rng.hex(16));
                let arn = format!("arn:aws:ec2:{region}:{acct}:volume/{name}");
                (name, arn)
            }
            Kind::Db => {
                let name = format!("{t}-{e}-{}", nth(DB_ENGINES, n + team));
                let arn = format!("arn:aws:rds:{region}:{acct}:db:{name}");
                (name, arn)
            }
            Kind::Key => {
                let name = uuid(rng);
                let arn = format!("arn:aws:kms:{region}:{acct}:key/{name}");
                (name, arn)
            }
            Kind::Secret => {
                let name = format!("{t}/{e}/{}", nth(SECRETS, n));
                let arn = format!(
                    "arn:aws:secretsmanager:{region}:{acct}:secret:{name}-{}",
                    alnum(rng, 6)
                );
                (name, arn)
            }
            Kind::LogGroup => {
                let name = format!("/aws/lambda/{t}-{e}-{}", nth(FUNCTIONS, n + team));
                let arn = format!("arn:aws:logs:{region}:{acct}:log-group:{name}");
                (name, arn)
            }
            Kind::Repo => {
                let name = format!("{t}/{}-{e}", nth(REPO_SERVICES, n + team));
                let arn = format!("arn:aws:ecr:{region}:{acct}:repository/{name}");
                (name, arn)
            }
        }
    }
}

fn tag(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// The account's shared resources (owned by the platform and security teams).
fn shared(ctx: &OrgContext, account: &str, rng: &mut Rng) -> Vec<Resource> {
    let co = &ctx.company;
    let r0 = ctx.regions[0];
    let mut out = Vec::new();
    let mut push = |kind: Kind, name: String, arn: String, tags: Vec<(String, String)>| {
        out.push(Resource {
            kind,
            team: None,
            env: None,
            name,
            arn,
            tags,
        });
    };
    for (name, owner, class) in [
        (ctx.cloudtrail_bucket(account), "security", "restricted"),
        (ctx.audit_bucket(account), "security", "restricted"),
        (ctx.state_bucket(account), "platform", "confidential"),
        (ctx.home_bucket(account), "it", "internal"),
        (
            format!("{co}-shared-artifacts-{account}"),
            "platform",
            "internal",
        ),
    ] {
        let arn = format!("arn:aws:s3:::{name}");
        push(
            Kind::Bucket,
            name,
            arn,
            vec![
                tag("env", "shared"),
                tag("owner", owner),
                tag("data-classification", class),
                tag("managed-by", "terraform"),
            ],
        );
    }
    push(
        Kind::Table,
        "terraform-locks".into(),
        format!("arn:aws:dynamodb:{r0}:{account}:table/terraform-locks"),
        vec![tag("env", "shared"), tag("owner", "platform")],
    );
    let key = uuid(rng);
    push(
        Kind::Key,
        key.clone(),
        format!("arn:aws:kms:{r0}:{account}:key/{key}"),
        vec![
            tag("Name", "org-default"),
            tag("env", "shared"),
            tag("owner", "security"),
        ],
    );
    push(
        Kind::Topic,
        "security-alerts".into(),
        format!("arn:aws:sns:{r0}:{account}:security-alerts"),
        vec![tag("env", "shared"), tag("owner", "security")],
    );
    let suffix = alnum(rng, 6);
    push(
        Kind::Secret,
        "shared/observability-api-key".into(),
        format!(
            "arn:aws:secretsmanager:{r0}:{account}:secret:shared/observability-api-key-{suffix}"
        ),
        vec![tag("env", "shared"), tag("owner", "platform")],
    );
    push(
        Kind::LogGroup,
        format!("/aws/cloudtrail/{co}"),
        format!("arn:aws:logs:{r0}:{account}:log-group:/aws/cloudtrail/{co}"),
        vec![tag("env", "shared"), tag("owner", "security")],
    );
    out
}

/// `target` tagged resources of `account`: the shared ones, then round after round of one
/// resource per (team, env).
pub fn inventory(ctx: &OrgContext, account: &str, target: usize, rng: &mut Rng) -> Vec<Resource> {
    let mut out = shared(ctx, account, rng);
    out.truncate(target);
    let namer = Namer { ctx, account };
    let pairs: Vec<(usize, usize)> = (0..ctx.teams.len())
        .flat_map(|t| (0..ctx.envs.len()).map(move |e| (t, e)))
        .collect();
    if pairs.is_empty() {
        return out;
    }
    let mut made: HashMap<Kind, usize> = HashMap::new();
    let mut round = 0usize;
    while out.len() < target {
        let kind = ROUND
            .get(round % ROUND.len())
            .copied()
            .unwrap_or(Kind::Bucket);
        // The how-manieth resource of this kind each pair gets.
        let counter = made.entry(kind).or_default();
        let n = *counter;
        *counter += 1;
        for &(team, env) in &pairs {
            if out.len() >= target {
                break;
            }
            let (name, arn) = namer.make(kind, team, env, n, rng);
            let t = ctx.team(team);
            let e = ctx.env(env);
            let mut tags = vec![tag("team", t), tag("env", e)];
            if rng.chance(0.6) {
                tags.push(tag("cost-center", &ctx.cost_center(team)));
            }
            match kind {
                Kind::Instance => {
                    let role = nth(INSTANCE_ROLES, n + team);
                    tags.insert(0, tag("Name", &format!("{t}-{e}-{role}")));
                }
                Kind::Volume => {
                    tags.insert(0, tag("Name", &format!("{t}-{e}-root-{n}")));
                }
                Kind::Bucket | Kind::Table | Kind::Db | Kind::Secret => {
                    let class = match (e, rng.below(4)) {
                        ("prod", 0) => "restricted",
                        ("prod", _) => "confidential",
                        (_, 0) => "public",
                        _ => "internal",
                    };
                    tags.push(tag("data-classification", class));
                }
                _ => {}
            }
            if rng.chance(0.5) {
                tags.push(tag("managed-by", "terraform"));
            }
            out.push(Resource {
                kind,
                team: Some(team),
                env: Some(env),
                name,
                arn,
                tags,
            });
        }
        round += 1;
    }
    out
}

/// The `ResourceTagMappingList` entries of `resources`.
pub fn tag_mappings(resources: &[Resource]) -> Vec<Value> {
    resources
        .iter()
        .map(|r| {
            json!({
                "ResourceARN": r.arn,
                "Tags": r.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// `aws resourcegroupstaggingapi get-resources` output.
pub fn get_resources_output(mappings: Vec<Value>) -> Value {
    json!({"PaginationToken": "", "ResourceTagMappingList": mappings})
}
