//! Turning an ingested AWS org and a question into the input facts of the core rules.
//!
//! This is where matching happens (DESIGN.md §2): each distinct action pattern is expanded once
//! against the catalogue, each statement's Resource is compared with the destinations in
//! question, and each Condition block is evaluated in three values. The rules then only join.
//!
//! A question fixes three things:
//! - the sources: every user and role, or a few;
//! - the points: for whole-org questions, every grant's own actions and resource patterns (the
//!   universe is built from the Allow statements, `*` staying one symbol); for targeted
//!   questions, the exact (source, action, resource) triples asked;
//! - the context: `Static` (request keys such as `aws:SourceIp` are unknown, so conditions on
//!   them leave a residual) or `Request` (the request's keys are known and every other key is
//!   absent, as in a real request).

use std::collections::{BTreeMap, BTreeSet};

// Fx hashing: the maps here are keyed by the ARNs, patterns and ids of the org under analysis,
// which its own exports supply, and no output depends on their order.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

use iamlog_engine::{
    ActionId, ConditionId, Facts, PolicyId, PrincipalId, ResourceId, ScopeId, StatementId, SymbolId,
};

use crate::aws::catalogue::{Catalogue, Expander};
use crate::aws::condition::{self, ExportIds, KeyValue, Outcome};
use crate::aws::glob;
use crate::aws::model::{
    anonymous, arn_account, AwsOrg, Policy, Principal, PrincipalKind, ANONYMOUS,
};
use crate::aws::policy::{
    ActionBlock, ConditionClause, Effect, PolicyDocument, PrincipalBlock,
    PrincipalKind as PolicyPrincipalKind, ResourceBlock, Statement,
};
use crate::aws::resource_policies::{ResourcePolicy, Service};
use crate::aws::variables::{self, Substitution};

/// The condition that always holds.
pub const TRUE_CONDITION: &str = "true";
/// The action point standing for every action.
pub const ANY_ACTION: &str = "*";
/// The pseudo-policy that grants the actions AWS always allows.
pub const IMPLICIT_POLICY: &str = "aws:implicit/always-allowed";
/// Actions that no IAM policy can grant or deny ("no permissions are required", and an
/// explicit Deny does not stop them: GetCallerIdentity API reference).
pub const ALWAYS_ALLOWED: &[&str] = &["sts:GetCallerIdentity"];
/// The pseudo-policy and condition that limit a grant on another account's resource whose
/// resource-based policy was not read: that account's policy must allow the request too
/// (aws.md §5).
pub const CROSS_ACCOUNT_POLICY: &str = "aws:implicit/cross-account";
pub const CROSS_ACCOUNT_CONDITION: &str =
    "the resource's account must also allow it in a resource-based policy (none was read)";
/// Pseudo-policies for the resource policies that must grant explicitly (aws.md §4.2): a grant
/// of such an action on a key or role whose policy was not read is limited.
pub const KMS_KEY_POLICY: &str = "aws:implicit/kms-key-policy";
pub const KMS_KEY_POLICY_CONDITION: &str =
    "the key policy must allow it too (the key's policy was not read)";
pub const ROLE_TRUST_POLICY: &str = "aws:implicit/role-trust-policy";
pub const ROLE_TRUST_POLICY_CONDITION: &str =
    "the role's trust policy must allow it too (the role was not read)";
/// The pseudo-policy and condition that limit access of a principal outside the export: its
/// own account's policies (identity policies, boundary, SCPs) must allow it too.
pub const EXTERNAL_POLICY: &str = "aws:implicit/outside-principal";
pub const EXTERNAL_CONDITION: &str =
    "the principal's own account must allow it too (its policies are not in the export)";
pub const EXTERNAL_SERVICE_CONDITION: &str =
    "an AWS service acts only for whoever configures it with this resource (e.g. passes the role)";
/// The pseudo-policy that records S3 Block Public Access (RestrictPublicBuckets) denying a
/// caller outside the bucket owner's account access a public bucket policy grants.
pub const S3_BPA_POLICY: &str = "aws:implicit/s3-block-public-access";
/// The request-context entry (never a real AWS key) that carries the session name of a
/// request made by a role session (`arn:aws:sts::A:assumed-role/R/SESSION`): it decides
/// resource policies that name session ARNs and gives `aws:userid` (`RoleId:SESSION`).
pub const SESSION_NAME_KEY: &str = "iamlog:session-name";
/// The display suffix of a resource's policy id (`arn:...:bucket#resource-policy`) and of a
/// role's trust policy id.
pub const RESOURCE_POLICY_SUFFIX: &str = "#resource-policy";
pub const TRUST_POLICY_SUFFIX: &str = "#trust-policy";
/// The condition text of a grant that caveats limit (rule A18 reads `condition_with_caveat`), alone
/// or after the grant's own condition.
pub const LIMITED_CONDITION: &str = "(limited: see caveats)";
/// The actions a role's trust policy decides.
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
];
/// Display prefix of the action point of an Allow with `NotAction` in whole-org questions.
pub const NOT_ACTION_PREFIX: &str = "NotAction:";
/// Suffix of the statement id of the copy of an Allow that acts as a check in whole-org
/// questions (a policy that is some source's identity policy and another's boundary).
pub const CHECK_COPY_SUFFIX: &str = "/as-limit";
/// Display prefix of the destination of an Allow with `NotResource`.
pub const NOT_RESOURCE_PREFIX: &str = "NotResource:";

/// Which sources a question is about.
#[derive(Debug, Clone)]
pub enum Sources {
    /// Every user and role.
    All,
    /// These principal ARNs (users or roles).
    Only(Vec<String>),
    /// A slice of a whole-org question, as user rules read it (`check`, `query`): these
    /// sources (ARNs, as [`whole_org_sources`] lists them), every resource-policy statement's
    /// match of them kept (a question about some sources drops the matches that decide
    /// nothing), and with `inventory` the org's inventory a whole-org question writes: every
    /// group, tag, account of a resource, role, attachment and resource policy. The slices of
    /// [`whole_org_sources`], one of them with the inventory, write together the facts and
    /// derive the rows of one whole-org question (tests), each in memory of its own size.
    ///
    /// With `open_scps` false, an SCP's statements that allow everything (`FullAWSAccess`)
    /// are not planned, as in a question about some sources: the levels they are attached at
    /// stay open (`aws_scp_level_open`), so only `scp_level_permits` and `scp_level_touches`
    /// (one row per access point and open level) and relations with a statement column lose
    /// rows. A program that reads neither needs none of those rows.
    Slice {
        sources: Vec<String>,
        inventory: bool,
        open_scps: bool,
        /// Whether the resource-policy matches no access point of their source can read
        /// ([`unread_foreign_match`]) are left out, as in a question about some sources. They
        /// change only the relations with a statement column and a few intermediate ones
        /// (`access_point`, `rp_point_foreign`, `rp_consent_partial`, `rp_consent_some`,
        /// `condition_with_caveat`); `effective` and `effective_caveat` are the same. Over the
        /// slices, the policies' statements and destinations are written as without it: the
        /// slice that writes the inventory writes every statement some source names.
        skip_unread: bool,
    },
}

impl Sources {
    /// The sources listed, `None` for every one.
    pub fn listed(&self) -> Option<&[String]> {
        match self {
            Sources::All => None,
            Sources::Only(arns) | Sources::Slice { sources: arns, .. } => Some(arns),
        }
    }

    /// Whether the question writes the org's inventory for user rules.
    pub fn inventory(&self) -> bool {
        match self {
            Sources::All => true,
            Sources::Only(_) => false,
            Sources::Slice { inventory, .. } => *inventory,
        }
    }

    /// Whether user rules read the question's relations (a whole-org question or a slice of
    /// one): every resource-policy match of the sources is kept and their tags are written, as
    /// a whole-org question does.
    pub fn for_rules(&self) -> bool {
        !matches!(self, Sources::Only(_))
    }

    /// Whether every resource-policy match of the sources is kept: in whole-org questions,
    /// and in their slices unless they skip unread matches.
    pub fn keeps_every_match(&self) -> bool {
        match self {
            Sources::All => true,
            Sources::Only(_) => false,
            Sources::Slice { skip_unread, .. } => !*skip_unread,
        }
    }

    /// Whether an SCP's statements that allow everything are planned, as a whole-org
    /// question's relations have them; a question about some sources leaves them out.
    pub fn open_scps(&self) -> bool {
        match self {
            Sources::All => true,
            Sources::Only(_) => false,
            Sources::Slice { open_scps, .. } => *open_scps,
        }
    }
}

/// One (source, action, resource) triple asked about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestPoint {
    pub source: String,
    pub action: String,
    pub resource: String,
    /// The account that owns the resource, for ARNs without one (S3).
    pub resource_account: Option<String>,
}

/// Which accesses a question is about.
#[derive(Debug, Clone)]
pub enum Points {
    /// Everything the sources' grants name.
    All,
    /// Exactly these triples.
    Only(Vec<RequestPoint>),
}

/// What is known of the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// Nothing: request keys are unknown.
    Static,
    /// A concrete request: these keys (lowercased) have these values, every other request key is
    /// absent. Keys given here override those iamlog derives from the principal or resource.
    Request(BTreeMap<String, Vec<String>>),
    /// Concrete requests, contexts given per source (by principal ARN, as [`Sources::Only`]
    /// names it) and per resource it asks: each request is made in the context of its source
    /// at its resource, as with [`Context::Request`]. Every statement with a condition is then
    /// evaluated per source and destination, so that no outcome found for one request's
    /// context is given to another.
    PerRequest(BTreeMap<String, SourceContext>),
}

/// A request context (lowercased keys).
pub type ContextValues = BTreeMap<String, Vec<String>>;

/// The contexts of one source's requests in a [`Context::PerRequest`] question.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceContext {
    /// What is read of the source whatever the resource: the session name (for `aws:userid`
    /// and for matching session ARNs in resource policies) and the policy variables of
    /// Resource / NotResource entries. Every context of `at` agrees with it on these keys.
    pub own: std::sync::Arc<ContextValues>,
    /// The context of the source's requests on each resource (as the points name it), read
    /// by conditions there.
    pub at: BTreeMap<std::sync::Arc<str>, std::sync::Arc<ContextValues>>,
}

/// A question put to the core rules.
#[derive(Debug, Clone)]
pub struct Question {
    pub sources: Sources,
    pub points: Points,
    pub context: Context,
}

impl Question {
    /// Each of `sources` asked about `action` on `resource` (owned by `resource_account`, for
    /// ARNs without one), request keys unknown: the question of `who-can`.
    pub fn at_one_point(
        sources: Vec<String>,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
    ) -> Self {
        let points = sources
            .iter()
            .map(|s| RequestPoint {
                source: s.clone(),
                action: action.to_string(),
                resource: resource.to_string(),
                resource_account: resource_account.map(str::to_string),
            })
            .collect();
        Question {
            sources: Sources::Only(sources),
            points: Points::Only(points),
            context: Context::Static,
        }
    }

    /// Every source, every grant, request keys unknown: the whole effective-access table.
    pub fn whole_org() -> Self {
        Question {
            sources: Sources::All,
            points: Points::All,
            context: Context::Static,
        }
    }
}

/// What a condition key depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Principal,
    Resource,
    Request,
}

fn key_class(key_lower: &str) -> KeyClass {
    const PRINCIPAL: &[&str] = &[
        "aws:username",
        "aws:userid",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:principalservicenameslist",
        "kms:calleraccount",
    ];
    if PRINCIPAL.contains(&key_lower) || key_lower.starts_with("aws:principaltag/") {
        KeyClass::Principal
    } else if key_lower.starts_with("aws:resourcetag/")
        || key_lower.starts_with("iam:resourcetag/")
        || key_lower == "aws:resourceaccount"
        || key_lower == "aws:resourceorgid"
        || key_lower == "aws:resourceorgpaths"
    {
        KeyClass::Resource
    } else {
        KeyClass::Request
    }
}

/// The keys a clause reads: its own key and the policy variables in its values.
fn clause_keys(clause: &ConditionClause, variables_enabled: bool) -> Vec<String> {
    let mut keys = vec![clause.key.to_ascii_lowercase()];
    if variables_enabled {
        for v in &clause.values {
            keys.extend(variable_names(v));
        }
    }
    keys
}

/// The entries of sorted `all` that sorted `some` also holds, with their index in `all`.
fn sorted_meet<T: Ord + Copy>(all: &[T], some: &[T]) -> Vec<(usize, T)> {
    let mut out = Vec::new();
    let mut rest = some.iter().peekable();
    for (k, &d) in all.iter().enumerate() {
        while rest.next_if(|x| **x < d).is_some() {}
        if rest.peek().is_some_and(|x| **x == d) {
            out.push((k, d));
        }
    }
    out
}

/// Whether sorted `a` and sorted `b` have an entry in common.
fn sorted_share<T: Ord>(a: &[T], b: &[T]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// The (lowercased) keys of the `${...}` variables in `s`, defaults and escapes excluded.
fn variable_names(s: &str) -> Vec<String> {
    variables::referenced_keys(s)
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .collect()
}

/// A destination point.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Dest {
    /// A resource exactly as a request names it (matched, never treated as a pattern: a
    /// request on `*` is a request on the resource `*`, as for wildcard-only actions).
    Exact(String),
    /// A resource ARN pattern: every resource it matches.
    Pattern(String),
    /// Everything except these patterns (the grant of an Allow with NotResource).
    Not(Vec<String>),
}

impl Dest {
    fn display(&self) -> String {
        match self {
            Dest::Exact(p) | Dest::Pattern(p) => p.clone(),
            Dest::Not(list) => format!("{NOT_RESOURCE_PREFIX}{}", list.join(",")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    None,
    Partial,
    Full,
}

impl Coverage {
    /// The coverage of the complement: what a NotResource list covers when the listed patterns
    /// cover `self`.
    fn complement(self) -> Coverage {
        match self {
            Coverage::Full => Coverage::None,
            Coverage::Partial => Coverage::Partial,
            Coverage::None => Coverage::Full,
        }
    }
}

/// How a list of Resource / NotResource patterns covers a destination. `matchers` are the
/// same patterns split once ([`glob::ResourceMatcher`]: the matches of
/// [`glob::resource_matches`]), for the concrete destinations.
fn resource_coverage(
    block: &ResourceBlock,
    patterns: &[String],
    matchers: &[glob::ResourceMatcher<'_>],
    dest: &Dest,
) -> Coverage {
    let covers_all = |p: &str| p == "*" || glob::resource_covers(p, "*");
    let matched = |d: &str| matchers.iter().any(|m| m.matches(d));
    // How the listed patterns, taken as a Resource list, cover a concrete or pattern destination.
    let listed = |d: &str, exact: bool| {
        if exact {
            if matched(d) {
                Coverage::Full
            } else {
                Coverage::None
            }
        } else if patterns.iter().any(|p| glob::resource_covers(p, d)) {
            Coverage::Full
        } else if patterns.iter().any(|p| glob::resource_overlaps(p, d)) {
            Coverage::Partial
        } else {
            Coverage::None
        }
    };
    match (block, dest) {
        (ResourceBlock::Resource(_), Dest::Exact(d)) => listed(d, true),
        (ResourceBlock::NotResource(_), Dest::Exact(d)) => listed(d, true).complement(),
        (ResourceBlock::Resource(_), Dest::Pattern(d)) => listed(d, false),
        (ResourceBlock::NotResource(_), Dest::Pattern(d)) => listed(d, false).complement(),
        (ResourceBlock::Resource(_), Dest::Not(_)) => {
            if patterns.iter().any(|p| covers_all(p)) {
                Coverage::Full
            } else {
                Coverage::Partial
            }
        }
        (ResourceBlock::NotResource(_), Dest::Not(excluded)) => {
            // The point is the complement of `excluded`; the statement covers the complement
            // of `patterns`: the point is inside when every pattern is inside `excluded`.
            if patterns
                .iter()
                .all(|p| excluded.iter().any(|e| glob::resource_covers(e, p)))
            {
                Coverage::Full
            } else if patterns.iter().any(|p| covers_all(p)) {
                Coverage::None
            } else {
                Coverage::Partial
            }
        }
    }
}

/// How lowercased action patterns cover a lowercased action point that the catalogue does
/// not know (kept as written: a literal, or a pattern such as `foo:*`). Patterns whose literal
/// prefixes diverge cannot meet, which skips the glob work for almost every pair.
fn action_glob_coverage(patterns: &[String], point: &str) -> Coverage {
    let literal_prefix = |s: &str| -> usize { s.find(['*', '?']).unwrap_or(s.len()) };
    let point_prefix = point.get(..literal_prefix(point)).unwrap_or(point);
    let mut best = Coverage::None;
    for p in patterns {
        let prefix = p.get(..literal_prefix(p)).unwrap_or(p);
        if !(prefix.starts_with(point_prefix) || point_prefix.starts_with(prefix)) {
            continue;
        }
        if glob::glob_covers(p, point) {
            return Coverage::Full;
        }
        if best == Coverage::None && glob::glob_overlaps(p, point) {
            best = Coverage::Partial;
        }
    }
    best
}

/// The action universe of a question.
#[derive(Default)]
struct ActionUniverse {
    any: bool,
    catalogued: CatalogueSet,
    /// Action points the catalogue does not know (kept as written).
    extra: BTreeSet<String>,
    /// Symbolic points "every action except these patterns" (Allow with NotAction), by their
    /// sorted lowercased patterns: the display name and the excluded catalogue actions.
    not_actions: BTreeMap<Vec<String>, (String, CatalogueSet)>,
    /// Symbolic points of whole-org questions for Allow patterns with a wildcard
    /// (`s3:Get*`), kept as their statement writes them: the catalogue actions each matches.
    globs: BTreeMap<String, std::rc::Rc<[u32]>>,
    /// Targeted questions: the catalogue actions each source asks (sorted).
    asked_by: HashMap<String, Vec<u32>>,
}

/// At most this many sources: a statement is matched against only the actions they ask.
const FEW_SOURCES: usize = 8;

/// A targeted question about at most this many distinct resources has its statements' Resource
/// compared with them before they are planned ([`Builder::may_cover_asked`]).
const FEW_RESOURCES: usize = 8;

/// True when an action pattern has a wildcard (and so may name many actions).
fn is_action_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// A set of catalogue action indices: a bitmap for membership plus the sorted members.
#[derive(Default)]
struct CatalogueSet {
    /// One bit per catalogue action (a bitset: a set per statement stays small).
    member: Vec<u64>,
    sorted: Vec<u32>,
}

impl CatalogueSet {
    fn with_capacity(n: usize) -> Self {
        CatalogueSet {
            member: vec![0; n.div_ceil(64)],
            sorted: Vec::new(),
        }
    }

    fn insert(&mut self, i: u32) {
        let (word, bit) = ((i / 64) as usize, i % 64);
        if let Some(w) = self.member.get_mut(word) {
            if *w & (1 << bit) == 0 {
                *w |= 1 << bit;
                self.sorted.push(i);
            }
        }
    }

    fn extend(&mut self, items: impl IntoIterator<Item = u32>) {
        for i in items {
            self.insert(i);
        }
    }

    fn contains(&self, i: u32) -> bool {
        let (word, bit) = ((i / 64) as usize, i % 64);
        self.member.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn finish(&mut self) {
        self.sorted.sort_unstable();
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.sorted.iter().copied()
    }
}

impl<'o> StatementPlan<'o> {
    /// The statement's `Resource` / `NotResource`, or what a resource policy's statement
    /// without one stands for.
    fn resource_block(&self) -> Option<&ResourceBlock> {
        self.statement
            .resource
            .as_ref()
            .or_else(|| self.rp.as_ref().and_then(|r| r.implied.as_ref()))
    }

    /// True for an Allow statement that produces rows from its own grants in whole-org
    /// questions (identity policies and resource policies).
    fn grants_own(&self) -> bool {
        self.identity_allow || (self.rp.is_some() && matches!(self.statement.effect, Effect::Allow))
    }

    /// The sources whose Resource patterns must be resolved separately (policy variables), or
    /// one `None` when the patterns are the same for every source.
    fn resource_variants(&self) -> Vec<Option<&'o str>> {
        if self.resource_has_variables {
            self.sources.iter().map(|s| Some(*s)).collect()
        } else {
            vec![None]
        }
    }
}

/// Sources, sorted and distinct (the order of a `BTreeSet`), shared by the statements of a
/// policy: a policy that speaks for thousands of sources (an AWS managed policy, an SCP) gives
/// each of its statements the same list without a copy.
type Reach<'o> = std::rc::Rc<Vec<&'o str>>;

/// Sources as a [`Reach`], sorted and made distinct.
fn reach_of<'o>(mut sources: Vec<&'o str>) -> Reach<'o> {
    sources.sort_unstable();
    sources.dedup();
    std::rc::Rc::new(sources)
}

/// Per-policy source lists as [`Reach`]es.
fn reaches<'o>(lists: HashMap<&'o str, Vec<&'o str>>) -> HashMap<&'o str, Reach<'o>> {
    lists.into_iter().map(|(k, v)| (k, reach_of(v))).collect()
}

/// Per-statement facts computed once.
#[derive(Clone)]
struct StatementPlan<'o> {
    id: StatementId,
    statement: &'o Statement,
    variables_enabled: bool,
    /// Sources the statement speaks for (identity policy reach, or boundary).
    sources: Reach<'o>,
    identity_allow: bool,
    check: bool,
    resource_has_variables: bool,
    depends_on_principal: bool,
    depends_on_resource: bool,
    /// The condition reads a resource key (its outcome may differ between destinations in one
    /// context).
    reads_resource: bool,
    /// For a Deny of a resource control policy: the resource accounts it governs.
    rcp_accounts: Option<BTreeSet<String>>,
    /// The statement names specific principals (`Principal` / `NotPrincipal`): it holds only
    /// for the sources it names.
    principal_filter: bool,
    /// For a statement of a resource-based policy: the resource and whom it names.
    rp: Option<RpPlan<'o>>,
}

/// How a resource-policy statement names a caller (aws.md §4.1), weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RpHow {
    /// The caller's account (root ARN or bare id): delegates to the caller's IAM policies.
    Account,
    /// The role ARN, the caller being a session of the role.
    Role,
    /// The user ARN, the session ARN, `*`, or a NotPrincipal that does not list the caller.
    Direct,
}

/// What a resource-policy statement needs beyond an identity statement.
#[derive(Clone)]
struct RpPlan<'o> {
    /// The resource the policy is attached to.
    resource: &'o str,
    /// The resource is an S3 bucket: its objects are governed too.
    bucket: bool,
    /// The `Resource` a statement without one stands for (trust and ECR policies): the
    /// resource itself.
    implied: Option<ResourceBlock>,
    /// Source ARN -> how the statement names it, and the residual condition of the match
    /// (a session ARN when the session name is not known).
    matches: BTreeMap<&'o str, (RpHow, Option<String>)>,
}

/// The action that assumes a role.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// The `sts:AssumeRole` points worth deciding to follow role chains: every (principal, role)
/// where the role's trust policy has an Allow of `sts:AssumeRole` that names the principal (its
/// ARN, session, role, account or `*`). Deciding them (rule C1) gives `can_assume`.
///
/// What finding `sts:AssumeRole` candidates needs of the org, built once for the steps of a
/// chain search: every caller (users, roles and the principals outside the export), indexed by
/// ARN, account and role name, and which identity policies may allow `sts:AssumeRole`.
pub struct AssumeCandidates<'o> {
    org: &'o AwsOrg,
    callers: Vec<&'o Principal>,
    /// Every caller, indexed on first use by [`AssumeCandidates::into_roles`].
    index: Option<CallerIndex<'o>>,
    assume: IdentityAllows<'o>,
}

impl<'o> AssumeCandidates<'o> {
    pub fn new(org: &'o AwsOrg) -> Self {
        let callers: Vec<&'o Principal> =
            org.users_and_roles().chain(org.external.values()).collect();
        AssumeCandidates {
            org,
            callers,
            index: None,
            assume: IdentityAllows::new(org, ASSUME_ROLE),
        }
    }

    /// [`AssumeCandidates::new`] with every caller indexed now (as the first
    /// [`AssumeCandidates::into_roles`] would), so that the index can be built on a thread of
    /// its own while the caller does other work.
    pub fn indexed(org: &'o AwsOrg) -> Self {
        let mut candidates = Self::new(org);
        candidates.index = Some(CallerIndex::new(&candidates.callers));
        candidates
    }

    /// The candidates into `roles` (one step back along chains), in order. Many roles are
    /// looked at in two halves on two threads when `threads` > 1 (a role's candidates depend on
    /// its trust policy and the callers only).
    pub fn into_roles(&mut self, roles: &BTreeSet<String>, threads: usize) -> Vec<RequestPoint> {
        let org = self.org;
        let roles: Vec<&'o Principal> =
            roles.iter().filter_map(|r| org.principals.get(r)).collect();
        let callers = &self.callers;
        let index = self.index.get_or_insert_with(|| CallerIndex::new(callers));
        if threads < 2 || roles.len() < SPLIT_ROLES {
            return Self::candidates(&mut self.assume, index, callers, &roles);
        }
        let (first, second) = roles.split_at(roles.len() / 2);
        let assume = &mut self.assume;
        let index: &CallerIndex<'o> = index;
        let mut out = std::thread::scope(|scope| {
            let other = scope.spawn(move || {
                let mut assume = IdentityAllows::new(org, ASSUME_ROLE);
                Self::candidates(&mut assume, index, callers, second)
            });
            let mut out = Self::candidates(assume, index, callers, first);
            out.extend(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
            out
        });
        // (The halves' points differ in their role: no point is in both.)
        out.sort_unstable();
        out
    }

    /// The candidates from `callers` (one step forward). Only
    /// those callers are indexed: a trust statement naming `*` then names a few of them, not
    /// every caller of the org.
    pub fn from_callers(&mut self, callers: &BTreeSet<String>) -> Vec<RequestPoint> {
        let org = self.org;
        let few: Vec<&'o Principal> = self
            .callers
            .iter()
            .copied()
            .filter(|p| callers.contains(&p.arn))
            .collect();
        let index = CallerIndex::new(&few);
        let roles: Vec<&'o Principal> = org.principals.values().collect();
        Self::candidates(&mut self.assume, &index, &few, &roles)
    }

    fn candidates(
        assume: &mut IdentityAllows<'o>,
        index: &CallerIndex<'o>,
        callers: &[&'o Principal],
        roles: &[&'o Principal],
    ) -> Vec<RequestPoint> {
        // A trust statement that names a caller only through its account delegates to the
        // caller's IAM policies, and one of another account needs them too: such a pair is a
        // candidate only when the caller has an identity Allow that may cover sts:AssumeRole (a
        // caller outside the export always is: its policies are unknown).
        // Found once per caller (an account-wide trust names every caller of the account).
        let mut known: HashMap<*const Principal, bool> = HashMap::default();
        let mut may_assume = |p: &'o Principal| {
            *known
                .entry(std::ptr::from_ref(p))
                .or_insert_with(|| p.kind == PrincipalKind::External || assume.may_allow(p))
        };
        let mut out: BTreeSet<RequestPoint> = BTreeSet::new();
        for role in roles {
            let Some(trust) = &role.trust_policy else {
                continue;
            };
            for st in &trust.statements {
                if !matches!(st.effect, Effect::Allow)
                    || !action_block_covers(&st.action, ASSUME_ROLE)
                {
                    continue;
                }
                // A caller named only through its account needs an identity Allow: whether it
                // has one is known (once per caller) before its entries are matched.
                // (caller index, whether only through its account)
                let named_callers: Vec<(usize, bool)> = match index.hits(st) {
                    Some((direct, account)) => direct
                        .into_iter()
                        .map(|i| (i, false))
                        .chain(account.into_iter().map(|i| (i, true)))
                        .collect(),
                    None => (0..callers.len()).map(|i| (i, false)).collect(),
                };
                for (i, through_account) in named_callers {
                    let Some(p) = callers.get(i) else {
                        continue;
                    };
                    if through_account && !may_assume(p) {
                        continue;
                    }
                    let named = match rp_match(st, p, None) {
                        None => false,
                        Some((RpHow::Account, _)) => may_assume(p),
                        Some(_) if p.account != role.account => may_assume(p),
                        Some(_) => true,
                    };
                    if named {
                        out.insert(RequestPoint {
                            source: p.arn.clone(),
                            action: ASSUME_ROLE.to_string(),
                            resource: role.arn.clone(),
                            resource_account: None,
                        });
                    }
                }
            }
        }
        out.into_iter().collect()
    }
}

/// [`AssumeCandidates::into_roles`] looks at at least this many roles on two threads.
const SPLIT_ROLES: usize = 1024;

/// The callers a `Principal` entry may name, looked up by ARN, account and role name instead
/// of comparing every caller with every entry ([`entry_match`] still decides each).
struct CallerIndex<'o> {
    by_arn: HashMap<&'o str, Vec<usize>>,
    by_account: HashMap<&'o str, Vec<usize>>,
    /// Roles by (account, lowercased name).
    roles: HashMap<(&'o str, String), Vec<usize>>,
}

impl<'o> CallerIndex<'o> {
    fn new(callers: &[&'o Principal]) -> Self {
        // (Sized for the callers up front: a part of large `who-can` has 7,700 of them.)
        let mut index = CallerIndex {
            by_arn: HashMap::with_capacity_and_hasher(callers.len(), Default::default()),
            by_account: HashMap::default(),
            roles: HashMap::with_capacity_and_hasher(callers.len(), Default::default()),
        };
        for (i, p) in callers.iter().enumerate() {
            index.by_arn.entry(p.arn.as_str()).or_default().push(i);
            index
                .by_account
                .entry(p.account.as_str())
                .or_default()
                .push(i);
            if p.kind == PrincipalKind::Role {
                index
                    .roles
                    .entry((p.account.as_str(), p.name.to_ascii_lowercase()))
                    .or_default()
                    .push(i);
            }
        }
        index
    }

    /// Whether `st` names one of `callers` ([`CallerIndex::named_by`], then [`rp_match`]),
    /// stopping at the first.
    fn names_one<'s>(
        &self,
        st: &Statement,
        callers: &[&'o Principal],
        session: &dyn Fn(&Principal) -> Option<Option<&'s str>>,
    ) -> bool {
        let named = |p: &&'o Principal| rp_match(st, p, session(p)).is_some();
        match self.hits(st) {
            None => callers.iter().any(named),
            Some((direct, account)) => direct
                .union(&account)
                .filter_map(|&i| callers.get(i))
                .any(named),
        }
    }

    /// The callers that statement `st` may name, in caller order: a superset of those
    /// [`rp_match`] matches. `*`, `NotPrincipal` and a missing `Principal` may name anyone.
    fn named_by<'c>(&self, st: &Statement, callers: &'c [&'o Principal]) -> Vec<&'c &'o Principal> {
        match self.hits(st) {
            None => callers.iter().collect(),
            Some((direct, account)) => direct
                .union(&account)
                .filter_map(|&i| callers.get(i))
                .collect(),
        }
    }

    /// The indices of the callers `st` may name (`None`: anyone): those an entry may name
    /// directly (by ARN, role name or session), and those it names only through their account
    /// (an account id or root ARN), whom [`rp_match`] can match only by account.
    fn hits(&self, st: &Statement) -> Option<(BTreeSet<usize>, BTreeSet<usize>)> {
        let block = match (&st.principal, &st.not_principal) {
            (Some(b), None) => b,
            _ => return None,
        };
        let entries = aws_entries(block, true);
        if entries.contains(&"*") {
            return None;
        }
        let (mut direct, mut account) = (BTreeSet::new(), BTreeSet::new());
        let add = |set: &mut BTreeSet<usize>, v: Option<&Vec<usize>>| {
            set.extend(v.into_iter().flatten().copied());
        };
        for v in entries {
            add(&mut direct, self.by_arn.get(v));
            add(&mut account, self.by_account.get(v));
            if let Some(id) = v
                .strip_prefix("arn:aws:iam::")
                .and_then(|r| r.strip_suffix(":root"))
            {
                add(&mut account, self.by_account.get(id));
            }
            if let Some(role) = named_role(v) {
                add(&mut direct, self.roles.get(&role));
            }
        }
        account.retain(|i| !direct.contains(i));
        Some((direct, account))
    }
}

/// The role a `Principal` entry names by role or role-session ARN, as (account, lowercased
/// role name): `arn:aws:iam::A:role/path/NAME` or `arn:aws:sts::A:assumed-role/NAME/SESSION`.
/// [`entry_match`] decides the match; this finds the candidates (case-insensitively).
pub(crate) fn named_role(v: &str) -> Option<(&str, String)> {
    if let Some((account, path)) = v
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":role/"))
    {
        let name = path.rsplit('/').next().unwrap_or(path);
        return Some((account, name.to_ascii_lowercase()));
    }
    let (account, path) = v
        .strip_prefix("arn:aws:sts::")
        .and_then(|r| r.split_once(":assumed-role/"))?;
    let name = path.split('/').next().unwrap_or(path);
    Some((account, name.to_ascii_lowercase()))
}

/// True when action point `point` (as `effective` holds them: a catalogue action, `*`, a
/// symbolic `NotAction:p1,p2`, or an uncatalogued pattern) covers the concrete `action`
/// (case-insensitive).
pub fn action_point_covers(point: &str, action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    if point == ANY_ACTION {
        return true;
    }
    if let Some(list) = point.strip_prefix(NOT_ACTION_PREFIX) {
        return !list
            .split(',')
            .any(|p| glob::glob_match(&p.to_ascii_lowercase(), &lower));
    }
    glob::glob_match(&point.to_ascii_lowercase(), &lower)
}

/// The callers (users and roles, principals outside the export, the anonymous caller) that
/// may be granted `action` on `resource`: those with an identity-policy Allow (their own or a
/// group's) whose Action / NotAction may cover the action and whose Resource may cover the
/// resource (an entry that matches it or names a variable, or a NotResource; any Resource when
/// the resource has a wildcard), and those a resource or trust
/// policy that may govern the resource names in an Allow. Every other caller has no Allow on
/// either path, so a `who-can` question need not ask about it (the answer is the same; the
/// question is a fraction of the size). An action with a wildcard, or an action AWS always
/// allows, keeps every caller.
pub fn may_be_granted(
    org: &AwsOrg,
    callers: &[String],
    action: &str,
    resource: &str,
) -> Vec<String> {
    may_be_granted_in(org, callers, action, resource, None)
}

/// [`may_be_granted`], with the account that owns the resource when the question names it
/// (`who-can --resource-account`). It also drops the callers of another account than the
/// resource's that its resource policy does not name: where a resource policy governs the
/// resource, such a caller needs the policy's consent (rule R6), and a statement that does not
/// name it gives none.
pub fn may_be_granted_in(
    org: &AwsOrg,
    callers: &[String],
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
) -> Vec<String> {
    let found: Vec<Option<&Principal>> = callers
        .iter()
        .map(|arn| {
            org.principals
                .get(arn.as_str())
                .or_else(|| org.external.get(arn.as_str()))
                .or_else(|| (arn.as_str() == ANONYMOUS).then(anonymous))
        })
        .collect();
    let known: Vec<&Principal> = found.iter().flatten().copied().collect();
    let mut kept =
        may_be_granted_among(org, &known, action, resource, resource_account).into_iter();
    // A caller the org does not know is kept.
    callers
        .iter()
        .zip(&found)
        .filter(|(_, p)| p.is_none() || kept.next().unwrap_or(true))
        .map(|(arn, _)| arn.clone())
        .collect()
}

/// [`may_be_granted_in`] for callers already looked up: whether each may be granted, in order.
/// (`who-can` sorts out every caller of the org: looking each up by ARN was about a quarter of
/// the work.)
pub fn may_be_granted_among(
    org: &AwsOrg,
    callers: &[&Principal],
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
) -> Vec<bool> {
    GrantFinder::new(org, action, resource, resource_account, None).among(callers)
}

/// [`GrantFinder::scanning`] looks at the policies in two halves on two threads from this many
/// policies on (fewer are not worth a thread).
const SCAN_SPLIT: usize = 4096;

/// [`may_be_granted_among`] prepared once for many callers, on any number of threads.
pub struct GrantFinder<'o> {
    org: &'o AwsOrg,
    /// Every caller is kept (a wildcard or always-allowed action).
    all: bool,
    /// The identity policies with an Allow that may cover the action and resource, when every
    /// policy of the org was looked at in advance ([`GrantFinder::scanning`]); else each policy
    /// is looked at when a caller first holds it.
    allowing: Option<HashSet<&'o str>>,
    action: &'o str,
    resource: &'o str,
    /// The Allow statements of the resource and trust policies that may govern the resource.
    rp_allows: Vec<&'o Statement>,
    /// Whether a resource policy governs all of the resource (then another account's caller
    /// needs its consent).
    governed: bool,
    owner: Option<String>,
}

impl<'o> GrantFinder<'o> {
    fn new(
        org: &'o AwsOrg,
        action: &'o str,
        resource: &'o str,
        resource_account: Option<&str>,
        allowing: Option<HashSet<&'o str>>,
    ) -> Self {
        let always = ALWAYS_ALLOWED
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action));
        let mut finder = GrantFinder {
            org,
            all: always || action.contains(['*', '?']),
            allowing,
            action,
            resource,
            rp_allows: Vec::new(),
            governed: false,
            owner: None,
        };
        if finder.all {
            return finder;
        }
        let dest = if resource.contains(['*', '?']) {
            Dest::Pattern(resource.to_string())
        } else {
            Dest::Exact(resource.to_string())
        };
        // An exact resource is governed only by the policy of itself or, for an object, of its
        // bucket: those are looked up, not the org's every policy and role.
        let exact = match &dest {
            Dest::Exact(a) => Some([a.as_str()]),
            _ => None,
        };
        let (policies, trusting) = governing(org, exact);
        for rp in policies {
            let bucket = rp.service == Service::S3Bucket;
            if rp_may_govern(&rp.arn, &dest) && rp_governs(&rp.arn, bucket, &dest) != Coverage::None
            {
                finder.governed |=
                    !resource.contains(['*', '?']) && rp_governs_fully(&rp.arn, bucket, &dest);
                finder.rp_allows.extend(
                    rp.document
                        .statements
                        .iter()
                        .filter(|st| matches!(st.effect, Effect::Allow)),
                );
            }
        }
        for p in trusting {
            if let Some(doc) = &p.trust_policy {
                if rp_may_govern(&p.arn, &dest)
                    && rp_governs(&p.arn, false, &dest) != Coverage::None
                {
                    finder.rp_allows.extend(
                        doc.statements
                            .iter()
                            .filter(|st| matches!(st.effect, Effect::Allow)),
                    );
                }
            }
        }
        finder.owner = resource_owner(org, resource, resource_account);
        finder
    }

    /// A finder for many callers (every caller of an org): every identity policy of the org is
    /// looked at first, each once, in the order the org keeps them (a caller's policies looked
    /// up one by one were mostly inline policies held by no one else, each a search of the
    /// policy map and an entry in a memo never read again), in halves on two threads when
    /// `threads` > 1. A caller is then a few set lookups.
    pub fn scanning(
        org: &'o AwsOrg,
        action: &'o str,
        resource: &'o str,
        resource_account: Option<&str>,
        threads: usize,
    ) -> Self {
        Self::scanning_split(org, action, resource, resource_account, threads, SCAN_SPLIT)
    }

    /// [`GrantFinder::scanning`], in halves from `split` policies on.
    fn scanning_split(
        org: &'o AwsOrg,
        action: &'o str,
        resource: &'o str,
        resource_account: Option<&str>,
        threads: usize,
        split: usize,
    ) -> Self {
        let scan = |policies: &mut dyn Iterator<Item = (&'o String, &'o Policy)>| {
            let allows = IdentityAllows::at(org, action, resource);
            policies
                .filter(|(_, policy)| allows.policy_allows(policy))
                .map(|(id, _)| id.as_str())
                .collect::<Vec<&'o str>>()
        };
        let mut allowing: HashSet<&'o str> = HashSet::default();
        let middle = org.policies.keys().nth(org.policies.len() / 2);
        match middle {
            Some(middle) if threads >= 2 && org.policies.len() >= split => {
                let (first, second) = std::thread::scope(|scope| {
                    let other =
                        scope.spawn(|| scan(&mut org.policies.range::<String, _>(middle..)));
                    let first = scan(&mut org.policies.range::<String, _>(..middle));
                    let second = other
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e));
                    (first, second)
                });
                allowing.extend(first);
                allowing.extend(second);
            }
            _ => allowing.extend(scan(&mut org.policies.iter())),
        }
        Self::new(org, action, resource, resource_account, Some(allowing))
    }

    /// Whether each of `callers` may be granted, in order.
    pub fn among(&self, callers: &[&'o Principal]) -> Vec<bool> {
        if self.all {
            return vec![true; callers.len()];
        }
        // Each policy looked at when a caller first holds it, unless all were in advance (the
        // memo is made on first use).
        let mut memo: Option<IdentityAllows<'o>> = None;
        callers
            .iter()
            .map(|&p| {
                let named = || {
                    self.rp_allows
                        .iter()
                        .any(|st| rp_match(st, p, None).is_some())
                };
                let foreign = self.governed
                    && matches!(p.kind, PrincipalKind::User | PrincipalKind::Role)
                    && self.owner.as_deref().is_some_and(|o| o != p.account);
                if foreign {
                    return named();
                }
                let identity = match &self.allowing {
                    Some(allowing) => self
                        .org
                        .identity_policies(p)
                        .any(|pol| allowing.contains(pol)),
                    None => memo
                        .get_or_insert_with(|| {
                            IdentityAllows::at(self.org, self.action, self.resource)
                        })
                        .may_allow(p),
                };
                identity || named()
            })
            .collect()
    }
}

/// The account that owns `resource`: the one the question names, else the bucket owner of an
/// S3 ARN when the export names it, else the ARN's own account.
fn resource_owner(org: &AwsOrg, resource: &str, named: Option<&str>) -> Option<String> {
    if let Some(a) = named {
        return Some(a.to_string());
    }
    // (Bytes, not chars: a check asks for the owner of millions of ARNs.)
    let wild = |s: &str| s.bytes().any(|b| b == b'*' || b == b'?');
    const S3: &str = "arn:aws:s3:::";
    if let Some(rest) = resource.strip_prefix(S3) {
        let end = memchr::memchr(b'/', rest.as_bytes()).unwrap_or(rest.len());
        let bucket = rest.get(..end).unwrap_or_default();
        if !bucket.is_empty() && !wild(bucket) {
            // (The bucket's ARN is where `resource` starts.)
            let key = resource.get(..S3.len() + bucket.len()).unwrap_or_default();
            if let Some(acct) = org.resource_policies.s3_bucket_account.get(key) {
                return Some(acct.clone());
            }
        }
    }
    arn_account(resource)
        .filter(|a| !a.is_empty() && !wild(a) && *a != "aws")
        .map(str::to_string)
}

/// Whether `p` is a principal of the export in another account than `account` (a principal
/// outside the export, or the anonymous caller, which has no account, never is).
fn of_another_account(p: &Principal, account: &str) -> bool {
    p.kind != PrincipalKind::External && !p.account.is_empty() && p.account != account
}

/// The accounts whose resources a source's identity Allows name, in a question about some
/// sources at every point (`what-can`): the owners of their Resource patterns where one is
/// known (`arn:aws:s3:::bucket/*` of an exported bucket, an ARN with an account). `None`: any
/// account, for a grant that resolves to the inventory's resources it hits (tag-scoped) on a
/// pattern whose account is open.
type GrantAccounts = Option<BTreeSet<String>>;

/// Whether a resource policy's statement of `owner`'s resource, naming `p`, can decide
/// nothing for `p` in a question about some sources at every point, `reach` the accounts of
/// each source's grants ([`Builder::grant_accounts`]). Every rule that reads a resource
/// policy's statement for a caller joins it with an access point of that caller's: where the
/// policy governs (`aws_rp_governs`, `aws_trust_governs`: its resource, or a destination
/// inside it, so of `owner`'s account), or, for a Deny, any destination it covers. A caller of
/// another account has access points only at its identity grants' own destinations (rule R2:
/// `rp_point_foreign`), and at those whose account is open (`*`, `arn:aws:s3:::*`, a
/// NotResource) the policy's Denies limit only the resource's own callers
/// (`statement_resource_partial_for`). So without a grant on a destination of `owner`'s
/// account, the match is never read. On the large synthetic org, `what-can` of one role
/// planned every `Principal: "*"` statement of the organization's 15,000 bucket and key
/// policies (8.3 G instructions after the load; 0.6 G without them).
fn unread_foreign_match(p: &Principal, owner: &str, reach: &HashMap<&str, GrantAccounts>) -> bool {
    if !of_another_account(p, owner) {
        return false;
    }
    match reach.get(p.arn.as_str()) {
        None => true,
        Some(None) => false,
        Some(Some(accounts)) => !accounts.contains(owner),
    }
}

/// Whether a principal's identity policies (its own and its groups') have an Allow statement
/// whose Action / NotAction may cover one action; each policy is looked at once.
struct IdentityAllows<'o> {
    org: &'o AwsOrg,
    action: &'o str,
    /// A resource without wildcards the Allow must be able to cover, if any.
    resource: Option<String>,
    by_policy: HashMap<&'o str, bool>,
}

impl<'o> IdentityAllows<'o> {
    fn new(org: &'o AwsOrg, action: &'o str) -> Self {
        IdentityAllows {
            org,
            action,
            resource: None,
            by_policy: HashMap::default(),
        }
    }

    /// Allows of `action` that may cover `resource` too: a `Resource` entry that matches it
    /// or names a variable, or a `NotResource` (whose coverage depends on more than this).
    fn at(org: &'o AwsOrg, action: &'o str, resource: &str) -> Self {
        IdentityAllows {
            resource: (!resource.contains(['*', '?'])).then(|| resource.to_string()),
            ..IdentityAllows::new(org, action)
        }
    }

    fn may_allow(&mut self, p: &'o Principal) -> bool {
        let org = self.org;
        for pol in org.identity_policies(p) {
            let allows = match self.by_policy.get(pol) {
                Some(&known) => known,
                None => {
                    let allows = org
                        .policies
                        .get(pol)
                        .is_some_and(|policy| self.policy_allows(policy));
                    self.by_policy.insert(pol, allows);
                    allows
                }
            };
            if allows {
                return true;
            }
        }
        false
    }

    /// Whether `policy` has an Allow statement whose Action / NotAction may cover the action
    /// (and whose Resource may cover the resource, for [`IdentityAllows::at`]).
    fn policy_allows(&self, policy: &Policy) -> bool {
        let resource = self.resource.as_deref();
        let covers = |block: &Option<ResourceBlock>| match (block, resource) {
            (Some(ResourceBlock::Resource(patterns)), Some(r)) => patterns
                .iter()
                .any(|p| variables::opens_variable(p) || glob::ResourceMatcher::new(p).matches(r)),
            _ => true,
        };
        policy.document.statements.iter().any(|st| {
            matches!(st.effect, Effect::Allow)
                && action_block_covers(&st.action, self.action)
                && covers(&st.resource)
        })
    }
}

/// True when an Action / NotAction block covers `action` (case-insensitive globs).
fn action_block_covers(block: &ActionBlock, action: &str) -> bool {
    // (The same as matching both lowercased, without allocating.)
    let hit = |patterns: &Vec<String>| {
        patterns
            .iter()
            .any(|p| glob::glob_match_ascii_ci(p, action))
    };
    match block {
        ActionBlock::Action(p) => hit(p),
        ActionBlock::NotAction(p) => !hit(p),
    }
}

/// The distinct actions a targeted question asks, the concrete ones by service: an `Action`
/// pattern whose service is written out is compared with the actions of that service only
/// (a statement of hundreds of patterns against a run's tens of actions).
#[derive(Debug)]
struct AskedActions {
    /// Actions without wildcards, by lowercased service.
    by_service: HashMap<String, Vec<String>>,
    /// Every action without wildcards.
    concrete: Vec<String>,
    /// Actions with a wildcard (`s3:Get*`), compared with every pattern.
    wild: Vec<String>,
}

impl AskedActions {
    fn new<'a>(actions: impl Iterator<Item = &'a str>) -> Self {
        let distinct: BTreeSet<&str> = actions.collect();
        let mut asked = AskedActions {
            by_service: HashMap::default(),
            concrete: Vec::new(),
            wild: Vec::new(),
        };
        for a in distinct {
            if a.contains(['*', '?']) {
                asked.wild.push(a.to_string());
                continue;
            }
            let service = a.split(':').next().unwrap_or(a).to_ascii_lowercase();
            asked
                .by_service
                .entry(service)
                .or_default()
                .push(a.to_string());
            asked.concrete.push(a.to_string());
        }
        asked
    }

    /// Whether `block` may touch one of the actions ([`action_block_may_touch`] of any).
    fn touched_by(&self, block: &ActionBlock) -> bool {
        if self.wild.iter().any(|a| action_block_may_touch(block, a)) {
            return true;
        }
        match block {
            ActionBlock::Action(patterns) => patterns.iter().any(|p| {
                // A pattern `service:...` with no wildcard before the colon matches only
                // actions of that service (compared case-insensitively).
                let service = p
                    .split_once(':')
                    .map(|(svc, _)| svc)
                    .filter(|svc| !svc.contains(['*', '?']));
                let candidates = match service {
                    Some(svc) => self
                        .by_service
                        .get(svc.to_ascii_lowercase().as_str())
                        .map_or(&[][..], Vec::as_slice),
                    None => self.concrete.as_slice(),
                };
                candidates.iter().any(|a| glob::glob_match_ascii_ci(p, a))
            }),
            ActionBlock::NotAction(_) => {
                self.concrete.iter().any(|a| action_block_covers(block, a))
            }
        }
    }
}

/// Whether an Action / NotAction block covers at least part of `asked`: a concrete action, or
/// a pattern asked as such (`who-can 's3:Get*'`), which a statement may cover only in part
/// (`s3:GetObject` of `s3:Get*`).
pub(crate) fn action_block_may_touch(block: &ActionBlock, asked: &str) -> bool {
    if !asked.contains(['*', '?']) {
        return action_block_covers(block, asked);
    }
    let asked = asked.to_ascii_lowercase();
    match block {
        ActionBlock::Action(p) => p
            .iter()
            .any(|p| glob::glob_overlaps(&p.to_ascii_lowercase(), &asked)),
        ActionBlock::NotAction(p) => !p
            .iter()
            .any(|p| glob::glob_covers(&p.to_ascii_lowercase(), &asked)),
    }
}

/// Whether a resource policy may grant the anonymous caller something: an Allow naming `*`
/// or written with NotPrincipal.
fn anonymous_reachable(org: &AwsOrg) -> bool {
    org.resource_policies.policies.values().any(|rp| {
        rp.document.statements.iter().any(|st| {
            matches!(st.effect, Effect::Allow)
                && (principal_is_anyone(st) || st.not_principal.is_some())
        })
    })
}

/// The sources of a whole-org question ([`Sources::All`]) by ARN, sorted: every user and role,
/// the principals outside the export that resource policies name, and the anonymous caller
/// where a resource policy may reach it. Asking about them in slices (`Sources::Only`) gives,
/// slice by slice, the rows the whole-org question gives for them.
pub fn whole_org_sources(org: &AwsOrg) -> Vec<String> {
    let mut out: Vec<String> = org
        .users_and_roles()
        .chain(org.external.values())
        .map(|p| p.arn.clone())
        .collect();
    if anonymous_reachable(org) {
        out.push(ANONYMOUS.to_string());
    }
    out.sort();
    out.dedup();
    out
}

/// Builds the facts for `question` over `org`.
pub fn build(org: &AwsOrg, question: &Question, catalogue: &Catalogue) -> Facts {
    Builder::new(org, question, catalogue).run()
}

/// The tags of a resource or principal: (key, value) pairs.
type Tags = [(String, String)];

struct Builder<'o> {
    org: &'o AwsOrg,
    question: &'o Question,
    expander: Expander<'o>,
    facts: Facts,
    true_condition: ConditionId,
    allow_conditions: BTreeSet<ConditionId>,
    resource_accounts: HashMap<String, String>,
    /// Interned ids of catalogue actions, by catalogue index.
    /// (A map, not a vector by index: a targeted question touches a few of the 22,000.)
    action_ids: HashMap<u32, ActionId>,
    /// The resource policies in play: (id, resource, is a bucket policy, is a trust policy).
    rp_policies: Vec<(PolicyId, &'o str, bool, bool)>,
    /// The facts of each resource policy in play (its kind, granter, whether it must grant
    /// explicitly, whether it is a trust policy), written by [`Builder::emit_rp_policy_facts`]:
    /// in questions about some sources only for the policies that name a source or decide a
    /// destination in question; in whole-org questions for every one (user rules read them).
    rp_facts: Vec<(PolicyId, SymbolId, PrincipalId, bool, bool)>,
    /// The resource policies that name a source or decide a destination in question.
    rp_used: HashSet<PolicyId>,
    /// The destinations in question (their display strings), set by `emit_destinations`.
    universe_names: HashSet<String>,
    /// The distinct actions a targeted question asks about (`None` for whole-org questions).
    asked_actions: Option<AskedActions>,
    /// The actions each source of a targeted question asks (sorted, distinct).
    asked_by_source: HashMap<&'o str, Vec<&'o str>>,
    /// The resources a targeted question asks, when they are few and without wildcards
    /// (sorted, distinct): a statement whose Resource can cover none of them touches no point
    /// in question ([`Builder::may_cover_asked`]).
    asked_resources: Option<Vec<&'o str>>,
    /// Some request's context differs from its source's own ([`SourceContext::at`]): then
    /// conditions are evaluated per source and destination. Otherwise each source has one
    /// context, and a condition is evaluated per source as its keys require.
    per_destination: bool,
    /// The ids no outsider's `aws:userid` is or begins with, built when first needed
    /// ([`KeyValue::Outside`]).
    export_ids: std::sync::OnceLock<ExportIds>,
    /// The destinations whose tags [`Builder::lookup`] read, and the tags of the inventory
    /// resource (else the principal) each is, if any ([`Builder::tags_of`]).
    tags_memo: std::cell::RefCell<HashMap<String, Option<&'o Tags>>>,
}

impl<'o> Builder<'o> {
    fn new(org: &'o AwsOrg, question: &'o Question, catalogue: &'o Catalogue) -> Self {
        let mut facts = Facts::default();
        let true_condition = facts.interner.id(TRUE_CONDITION);
        let mut resource_accounts = HashMap::default();
        if let Points::Only(points) = &question.points {
            for p in points {
                if let Some(acct) = &p.resource_account {
                    resource_accounts.insert(p.resource.clone(), acct.clone());
                }
            }
        }
        let asked_actions = match &question.points {
            Points::Only(points) => {
                Some(AskedActions::new(points.iter().map(|p| p.action.as_str())))
            }
            Points::All => None,
        };
        let asked_resources = match &question.points {
            Points::Only(points) => {
                let mut r: Vec<&'o str> = points.iter().map(|p| p.resource.as_str()).collect();
                r.sort_unstable();
                r.dedup();
                (r.len() <= FEW_RESOURCES && r.iter().all(|x| !x.contains(['*', '?']))).then_some(r)
            }
            Points::All => None,
        };
        let mut asked_by_source: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        if let Points::Only(points) = &question.points {
            for p in points {
                asked_by_source
                    .entry(p.source.as_str())
                    .or_default()
                    .push(p.action.as_str());
            }
            for v in asked_by_source.values_mut() {
                v.sort_unstable();
                v.dedup();
            }
        }
        let per_destination = match &question.context {
            Context::PerRequest(by_source) => by_source.values().any(|c| !c.at.is_empty()),
            Context::Static | Context::Request(_) => false,
        };
        Builder {
            org,
            question,
            per_destination,
            asked_actions,
            asked_resources,
            asked_by_source,
            expander: Expander::new(catalogue),
            facts,
            true_condition,
            allow_conditions: BTreeSet::from([true_condition]),
            resource_accounts,
            action_ids: HashMap::default(),
            rp_policies: Vec::new(),
            rp_facts: Vec::new(),
            rp_used: HashSet::default(),
            universe_names: HashSet::default(),
            export_ids: std::sync::OnceLock::new(),
            tags_memo: std::cell::RefCell::new(HashMap::default()),
        }
    }

    /// The tags of the inventory resource `arn` names, else of the principal it names; `None`
    /// when it names neither. Kept by destination: a check of the medium org reads the tags of
    /// a destination 3 million times, each a search of the org's 100,000 resources by ARN,
    /// comparing ARNs that differ only far into them.
    fn tags_of(&self, arn: &str) -> Option<&'o Tags> {
        let mut memo = self.tags_memo.borrow_mut();
        if let Some(tags) = memo.get(arn) {
            return *tags;
        }
        let org: &'o AwsOrg = self.org;
        let tags = match org.resources.get(arn) {
            Some(r) => Some(&r.tags[..]),
            None => org.principals.get(arn).map(|p| &p.tags[..]),
        };
        memo.insert(arn.to_string(), tags);
        tags
    }

    /// [`Builder::export_ids`]: the unique IDs of the export's users and roles, and its
    /// accounts.
    fn export_ids(&self) -> ExportIds {
        self.export_ids
            .get_or_init(|| {
                let mut ids = std::collections::HashSet::default();
                for p in self.org.principals.values() {
                    if !p.unique_id.is_empty() {
                        ids.insert(p.unique_id.clone());
                    }
                    if !p.account.is_empty() {
                        ids.insert(p.account.clone());
                    }
                }
                ExportIds(std::sync::Arc::new(ids))
            })
            .clone()
    }

    /// Writes the facts of the resource policies in play that the question uses (see
    /// `rp_facts`).
    fn emit_rp_policy_facts(&mut self) {
        let trust_kind: PolicyId = self.sym(ROLE_TRUST_POLICY);
        for (polid, kind_id, granter, explicit, trust) in std::mem::take(&mut self.rp_facts) {
            if !self.rp_used.contains(&polid) {
                continue;
            }
            self.facts.policy.push((polid, kind_id));
            self.facts.aws_rp_granter.push((polid, granter));
            if explicit {
                self.facts.aws_rp_explicit.push((polid,));
            }
            if trust {
                self.facts.aws_explicit_grant_kind.push((polid, trust_kind));
            }
        }
    }

    fn sym<T: From<iamlog_engine::Sym>>(&mut self, s: &str) -> T {
        self.facts.interner.id(s)
    }

    /// Whether a statement may matter to the question: in a targeted question, its Action /
    /// NotAction must cover one of the actions asked. A statement that covers none of them
    /// neither grants, denies nor limits any point asked, so it is not planned (its facts
    /// would join with nothing).
    fn may_matter(&self, st: &Statement) -> bool {
        self.asked_actions
            .as_ref()
            .is_none_or(|asked| asked.touched_by(&st.action))
    }

    /// Whether a statement's Resource may cover a resource the question asks: in a targeted
    /// question about a few exact resources, a `Resource` list none of whose patterns matches
    /// one of them (and names no variable) covers no point in question, and none other is in
    /// question. (`NotResource`, or no Resource block, may cover anything.)
    fn may_cover_asked(&self, st: &Statement) -> bool {
        let (Some(asked), Some(ResourceBlock::Resource(patterns))) =
            (&self.asked_resources, &st.resource)
        else {
            return true;
        };
        patterns.iter().any(|p| {
            variables::opens_variable(p) || {
                let m = glob::ResourceMatcher::new(p);
                asked.iter().any(|r| m.matches(r))
            }
        })
    }

    /// [`Builder::may_matter`] for a statement that speaks for the sources `reach` only: in a
    /// targeted question, when they are few, matched against the actions they ask.
    fn may_matter_for(&self, st: &Statement, reach: &[&'o str]) -> bool {
        if self.asked_actions.is_none() || reach.is_empty() || reach.len() > FEW_SOURCES {
            return self.may_matter(st);
        }
        reach
            .iter()
            .filter_map(|s| self.asked_by_source.get(s))
            .flatten()
            .any(|a| action_block_may_touch(&st.action, a))
    }

    fn run(mut self) -> Facts {
        let org = self.org;
        // Sources and the principals they bring along (their groups).
        let sources: Vec<&'o Principal> = match self.question.sources.listed() {
            None => org.users_and_roles().collect(),
            Some(arns) => arns
                .iter()
                .filter_map(|a| org.principals.get(a).or_else(|| org.external.get(a)))
                .collect(),
        };
        // Principals outside the export that resource policies name, in whole-org questions.
        let sources: Vec<&'o Principal> = match self.question.sources.listed() {
            None => sources.into_iter().chain(org.external.values()).collect(),
            Some(_) => sources,
        };
        // The anonymous caller, where a resource policy may reach it.
        let sources: Vec<&'o Principal> = {
            let mut sources = sources;
            let wanted = match self.question.sources.listed() {
                None => anonymous_reachable(org),
                Some(arns) => arns.iter().any(|a| a == ANONYMOUS),
            };
            if wanted {
                sources.push(anonymous());
            }
            sources
        };
        // The principals of the export among the sources, and their groups (every group in
        // whole-org questions: a rule may ask who can add users to a group, whatever its
        // members), each once. (The sources are principals already: only groups are looked
        // up, each once.)
        let whole_org = self.question.sources.inventory();
        let mut holders: Vec<&'o Principal> = Vec::new();
        let mut seen: HashSet<&'o str> = HashSet::default();
        for s in &sources {
            // The principals outside the export and the anonymous caller hold no policy.
            if !matches!(s.kind, PrincipalKind::External | PrincipalKind::Anonymous)
                && seen.insert(&s.arn)
            {
                holders.push(s);
            }
        }
        let groups: Vec<&'o Principal> = if whole_org {
            org.principals
                .values()
                .filter(|p| p.kind == PrincipalKind::Group)
                .collect()
        } else {
            let mut names: Vec<&'o str> = sources
                .iter()
                .flat_map(|s| s.groups.iter().map(String::as_str))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
                .iter()
                .filter_map(|g| org.principals.get(*g))
                .collect()
        };
        for g in groups {
            if seen.insert(&g.arn) {
                holders.push(g);
            }
        }
        let cloud: SymbolId = self.sym("aws");
        // The identity policies of each holder. A question about some sources writes only the
        // attachments of policies with a statement planned (below): the others' rows would
        // join with no statement (rule A3), and user rules, which read every attachment, run
        // over whole-org questions only. (A large org's `who-can` attached 44,000 policies,
        // most of them without a statement about the action asked.)
        let mut attached: Vec<(PrincipalId, PolicyId)> = Vec::new();
        for p in holders {
            let pid: PrincipalId = self.sym(&p.arn);
            let kind: SymbolId = self.sym(p.kind.as_str());
            self.facts.principal.push((pid, kind, cloud));
            let scope = self.sym(&p.account);
            self.facts.principal_in_scope.push((pid, scope));
            for g in &p.groups {
                let gid = self.sym(g);
                self.facts.member_of_direct.push((pid, gid));
            }
            // Tags are read by user rules, over whole-org questions and their slices only
            // (the core rules do not read them: conditions read tags from the org itself).
            if self.question.sources.for_rules() {
                for (k, v) in &p.tags {
                    let row = (self.sym(&p.arn), self.sym(k), self.sym(v));
                    self.facts.tag.push(row);
                }
            }
            for pol in &p.policies {
                let polid = self.sym(pol);
                attached.push((pid, polid));
            }
            for profile in &p.instance_profiles {
                let prid: ResourceId = self.sym(profile);
                self.facts.aws_instance_profile.push((prid, pid));
            }
        }
        for s in &sources {
            let sid: PrincipalId = self.sym(&s.arn);
            self.facts.query_source.push((sid,));
            if s.kind == PrincipalKind::Anonymous {
                let (kind, cloud): (SymbolId, SymbolId) = (self.sym(ANONYMOUS), self.sym("aws"));
                self.facts.principal.push((sid, kind, cloud));
                self.facts.aws_anonymous.push((sid,));
            }
            if s.kind == PrincipalKind::External {
                let (kind, cloud): (SymbolId, SymbolId) =
                    (self.sym(s.kind.as_str()), self.sym("aws"));
                self.facts.principal.push((sid, kind, cloud));
                self.facts.aws_external.push((sid,));
                if !s.account.is_empty() {
                    let scope: ScopeId = self.sym(&s.account);
                    self.facts.principal_in_scope.push((sid, scope));
                }
            }
            if let Some(b) = &s.boundary {
                let bid = self.sym(b);
                self.facts.aws_permission_boundary.push((sid, bid));
            }
        }
        // The inventory's tags and accounts, for whole-org questions (user rules read them);
        // other questions get the accounts of the destinations they touch
        // (emit_destinations), and conditions read tags from the org itself.
        let inventory: &'o BTreeMap<String, _> = &org.resources;
        // (Not a filter over the inventory: a question about some sources should not walk a
        // million resources to write none of them.)
        if whole_org {
            for r in inventory.values() {
                for (k, v) in &r.tags {
                    let row = (self.sym(&r.arn), self.sym(k), self.sym(v));
                    self.facts.tag.push(row);
                }
                if let Some(acct) = arn_account(&r.arn).filter(|a| !a.is_empty()) {
                    let row = (self.sym(&r.arn), self.sym(acct));
                    self.facts.resource_in_scope.push(row);
                }
            }
        }

        // Which sources each policy speaks for.
        // (Hashed lists, sorted once: thousands of sources share an AWS managed policy, and
        // ARNs of one account share long prefixes that a sorted map compares over and over.)
        let mut identity_reach: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        let mut boundary_reach: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        for s in &sources {
            for pol in org.identity_policies(s) {
                identity_reach.entry(pol).or_default().push(&s.arn);
            }
            if let Some(b) = &s.boundary {
                boundary_reach.entry(b).or_default().push(&s.arn);
            }
        }
        let (identity_reach, boundary_reach) = (reaches(identity_reach), reaches(boundary_reach));

        // Organizations: the scope tree, the accounts SCPs govern, the exempt principals and
        // which sources each SCP speaks for.
        let (scp_reach, rcp_accounts) = self.emit_organization(&sources);
        // The callers RCPs limit: all but service-linked roles ("RCPs do not apply to calls made
        // by service-linked roles", RCP page, "Resources and entities not restricted by RCPs").
        let rcp_sources: Reach<'o> = reach_of(
            sources
                .iter()
                .filter(|p| !is_service_linked(p))
                .map(|p| p.arn.as_str())
                .collect(),
        );

        // Plan every statement of every policy in play.
        let mut plans: Vec<StatementPlan<'o>> = Vec::new();
        // (display id, kind, document, reach key, is an SCP)
        let mut in_play: Vec<(String, &'static str, &'o PolicyDocument, &'o str, bool)> =
            Vec::new();
        let mut policy_ids: Vec<&'o str> = identity_reach
            .keys()
            .chain(boundary_reach.keys())
            .copied()
            .collect();
        policy_ids.sort_unstable();
        policy_ids.dedup();
        for pol_id in policy_ids {
            if let Some(policy) = org.policies.get(pol_id) {
                in_play.push((
                    policy.id.clone(),
                    policy.kind.as_str(),
                    &policy.document,
                    pol_id,
                    false,
                ));
            }
        }
        // Session policies: each limits its own source (rules S1, S2).
        let mut session_reach: BTreeMap<&'o str, Vec<&'o str>> = BTreeMap::new();
        for src in &sources {
            if let Some(pol) = org.session_policies.get(&src.arn) {
                session_reach.entry(pol).or_default().push(&src.arn);
            }
        }
        let session_reach: BTreeMap<&'o str, Reach<'o>> = session_reach
            .into_iter()
            .map(|(k, v)| (k, reach_of(v)))
            .collect();
        for pol_id in session_reach.keys() {
            if let Some(policy) = org.policies.get(*pol_id) {
                in_play.push((
                    policy.id.clone(),
                    policy.kind.as_str(),
                    &policy.document,
                    pol_id,
                    false,
                ));
            }
        }
        let mut scp_ids: Vec<&'o str> = scp_reach.keys().copied().collect();
        scp_ids.sort_unstable();
        for pol_id in scp_ids {
            if let Some((name, doc)) = scp_document(org, pol_id) {
                in_play.push((name, "aws_scp", doc, pol_id, true));
            }
        }
        for pol_id in rcp_accounts.keys() {
            if let Some(policy) = org.organization.policies.get(*pol_id) {
                if let Some(doc) = &policy.document {
                    let name = policy.arn.clone().unwrap_or_else(|| policy.id.clone());
                    in_play.push((name, "aws_rcp", doc, pol_id, false));
                }
            }
        }
        for (name, kind, document, pol_id, is_scp) in in_play {
            let rcp = rcp_accounts.get(pol_id).filter(|_| kind == "aws_rcp");
            let is_session = kind == "aws_session";
            let polid: PolicyId = self.sym(&name);
            let kind: SymbolId = self.sym(kind);
            self.facts.policy.push((polid, kind));
            let scp = scp_reach.get(pol_id).filter(|_| is_scp);
            let identity = identity_reach
                .get(pol_id)
                .filter(|_| !is_scp && rcp.is_none());
            let boundary = boundary_reach
                .get(pol_id)
                .filter(|_| !is_scp && rcp.is_none())
                .or_else(|| session_reach.get(pol_id).filter(|_| is_session));
            if is_session {
                for src in session_reach.get(pol_id).into_iter().flat_map(|r| r.iter()) {
                    let sid: PrincipalId = self.sym(src);
                    self.facts.aws_session_policy.push((sid, polid));
                }
            }
            let variables_enabled = document.variables_enabled();
            // The sources the policy's statements speak for.
            // An RCP limits every caller of the resources it governs. (Most policies speak for
            // their sources in one way only: that list, shared.)
            let lists: Vec<&Reach<'o>> = [identity, boundary, scp]
                .into_iter()
                .flatten()
                .chain(rcp.is_some().then_some(&rcp_sources))
                .collect();
            let policy_reach: Reach<'o> = match lists.as_slice() {
                [] => Reach::default(),
                [one] => std::rc::Rc::clone(one),
                _ => reach_of(lists.iter().flat_map(|r| r.iter().copied()).collect()),
            };
            for st in &document.statements {
                // Not planned: an RCP's Allow (only RCPFullAWSAccess may Allow in an RCP,
                // aws.md §3.1: RCPs act through their Denies); an SCP's Allow of everything,
                // which leaves the levels it is attached at open (`aws_scp_level_open`), so the
                // rules need not check it source by source (whole-org questions plan it, and
                // the slices of one whose program reads `scp_level_permits` or
                // `scp_level_touches`: [`Sources::open_scps`]).
                if (rcp.is_some() && matches!(st.effect, Effect::Allow))
                    || (is_scp && !self.question.sources.open_scps() && scp_statement_is_open(st))
                    || !self.may_matter_for(st, &policy_reach)
                    || !self.may_cover_asked(st)
                {
                    continue;
                }
                let stid: StatementId = self.sym(&format!("{name}#{}", st.index));
                self.facts.policy_statement.push((polid, stid));
                let is_allow = matches!(st.effect, Effect::Allow);
                if is_allow {
                    self.facts.allow_statement.push((stid,));
                } else {
                    self.facts.deny_statement.push((stid,));
                }
                let reach = std::rc::Rc::clone(&policy_reach);
                if rcp.is_some() {
                    self.facts.aws_rcp_statement.push((stid,));
                }
                let resource_has_variables = variables_enabled
                    && st.resource.as_ref().is_some_and(|r| match r {
                        ResourceBlock::Resource(v) | ResourceBlock::NotResource(v) => {
                            v.iter().any(|x| variables::has_variables(x))
                        }
                    });
                // An RCP statement naming specific principals applies per caller.
                let mut depends_on_principal = rcp.is_some() && !principal_is_anyone(st);
                let mut depends_on_resource = false;
                for clause in &st.condition {
                    for key in clause_keys(clause, variables_enabled) {
                        if self.key_is_fixed_by_context(&key) {
                            continue;
                        }
                        match key_class(&key) {
                            KeyClass::Principal => depends_on_principal = true,
                            KeyClass::Resource => depends_on_resource = true,
                            KeyClass::Request => {}
                        }
                    }
                }
                // An RCP statement naming specific principals holds only for them: it is
                // evaluated per caller like a condition.
                let principal_filter = depends_on_principal && rcp.is_some();
                let reads_resource = depends_on_resource;
                // With contexts per request, a condition's outcome may differ per source (and
                // destination, when contexts differ there) whatever keys it reads.
                if matches!(self.question.context, Context::PerRequest(_))
                    && !st.condition.is_empty()
                {
                    depends_on_principal = true;
                    depends_on_resource |= self.per_destination;
                }
                let unconditional = st.condition.is_empty() && !principal_filter;
                if unconditional {
                    self.facts.statement_unconditional.push((stid,));
                }
                let identity_allow = is_allow && identity.is_some();
                let check = (!is_allow && identity.is_some())
                    || boundary.is_some()
                    || scp.is_some()
                    || rcp.is_some();
                let plan = StatementPlan {
                    id: stid,
                    statement: st,
                    variables_enabled,
                    sources: reach,
                    identity_allow,
                    check,
                    resource_has_variables,
                    depends_on_principal,
                    depends_on_resource,
                    reads_resource,
                    rcp_accounts: rcp.cloned(),
                    principal_filter,
                    rp: None,
                };
                if identity_allow && check && matches!(self.question.points, Points::All) {
                    // An Allow of a policy that is one source's identity policy and another's
                    // boundary (or session policy): in whole-org questions a grant produces
                    // rows at its own points only, while a check is compared with every point
                    // in question. One statement id cannot carry both (the boundary's coverage
                    // of other sources' points would become this grant's rows, and a source's
                    // rows would depend on who else is asked), so the check gets its own copy.
                    let copy: StatementId =
                        self.sym(&format!("{name}#{}{CHECK_COPY_SUFFIX}", st.index));
                    self.facts.policy_statement.push((polid, copy));
                    self.facts.allow_statement.push((copy,));
                    if unconditional {
                        self.facts.statement_unconditional.push((copy,));
                    }
                    let check_reach: Reach<'o> = reach_of(
                        [boundary, scp]
                            .into_iter()
                            .flatten()
                            .flat_map(|r| r.iter().copied())
                            .collect(),
                    );
                    plans.push(StatementPlan {
                        id: copy,
                        sources: check_reach,
                        identity_allow: false,
                        ..plan.clone()
                    });
                    plans.push(StatementPlan {
                        check: false,
                        sources: identity.cloned().unwrap_or_default(),
                        ..plan
                    });
                } else {
                    plans.push(plan);
                }
            }
        }

        if whole_org {
            self.facts.policy_attached = attached;
        } else {
            let planned: HashSet<PolicyId> = self
                .facts
                .policy_statement
                .iter()
                .map(|&(pol, _)| pol)
                .collect();
            self.facts.policy_attached = attached
                .into_iter()
                .filter(|(_, pol)| planned.contains(pol))
                .collect();
        }

        self.plan_resource_policies(&sources, &mut plans);

        let universe = self.action_universe(&plans);
        // The asked actions each plan covers at least in part (targeted questions).
        let plan_actions: Vec<Option<Vec<ActionId>>> = plans
            .iter()
            .map(|plan| self.emit_actions(plan, &universe))
            .collect();
        self.emit_explicit_grant_actions(&universe);
        let point_actions = self.point_actions();
        self.emit_destinations(&plans, &sources, &plan_actions, &point_actions);

        // Points asked and the always-allowed actions.
        let implicit: PolicyId = self.sym(IMPLICIT_POLICY);
        match &self.question.points {
            Points::All => {
                let d: ResourceId = self.sym("*");
                for name in ALWAYS_ALLOWED {
                    let a: ActionId = self.sym(name);
                    self.facts.implicit_grant.push((a, d, implicit));
                }
            }
            Points::Only(points) => {
                for p in points {
                    let Some(&(a, always)) = point_actions.get(p.action.as_str()) else {
                        continue;
                    };
                    let (s, d) = (self.sym(&p.source), self.sym(&p.resource));
                    self.facts.query_point.push((s, a, d));
                    if always {
                        self.facts.implicit_grant.push((a, d, implicit));
                    }
                }
            }
        }

        // Role assumption, for chains (rules C1, C2).
        let assume = self.display_action(ASSUME_ROLE);
        let assume: ActionId = self.sym(&assume);
        self.facts.aws_assume_action.push((assume,));
        // Rule C1 reads it of effective destinations only: a question about some sources
        // names the roles among its destinations.
        // (Looked up, in the principals' order: a question about one object does not walk
        // every role of the org.)
        let whole_org = self.question.sources.inventory();
        let principals: Vec<&'o Principal> = if whole_org {
            org.principals.values().collect()
        } else {
            let mut names: Vec<&str> = self.universe_names.iter().map(String::as_str).collect();
            names.sort_unstable();
            names
                .iter()
                .filter_map(|n| org.principals.get(*n))
                .collect()
        };
        for p in principals {
            if p.kind == PrincipalKind::Role {
                let row = (self.sym(&p.arn), self.sym(&p.arn));
                self.facts.aws_role_resource.push(row);
            }
        }

        self.facts.condition_true.push((self.true_condition,));
        let (xpol, xcond): (PolicyId, ConditionId) = (
            self.sym(CROSS_ACCOUNT_POLICY),
            self.sym(CROSS_ACCOUNT_CONDITION),
        );
        self.facts.aws_cross_account_requirement.push((xpol, xcond));
        let epol: PolicyId = self.sym(EXTERNAL_POLICY);
        for p in org.external.values() {
            let text = if is_service_principal(p) {
                EXTERNAL_SERVICE_CONDITION
            } else {
                EXTERNAL_CONDITION
            };
            let row = (self.sym(&p.arn), epol, self.sym(text));
            self.facts.aws_external_requirement.push(row);
        }
        let conditions: Vec<ConditionId> = self.allow_conditions.iter().copied().collect();
        for c in conditions {
            let text = if c == self.true_condition {
                LIMITED_CONDITION.to_string()
            } else {
                format!("{} {LIMITED_CONDITION}", self.facts.interner.resolve(c))
            };
            let c2: ConditionId = self.sym(&text);
            self.facts.condition_with_caveat.push((c, c2));
        }
        self.facts.normalize();
        self.facts
    }

    /// The destination of an asked resource: exact, or, in a static question, a pattern when it
    /// has wildcards (`who-can s3:GetObject arn:aws:s3:::b/*` asks about every object of `b`:
    /// grants on part of it, and Denies of part of it, are partial). A request (`explain`)
    /// names one resource, taken literally.
    fn asked_dest(&self, resource: &str) -> Dest {
        if matches!(self.question.context, Context::Static) && resource.contains(['*', '?']) {
            Dest::Pattern(resource.to_string())
        } else {
            Dest::Exact(resource.to_string())
        }
    }

    /// The context of a request by `source` on `dest`: `None` when requests are not known
    /// (static questions), or when each request has its own and `source` makes none of them.
    /// Without `dest` (or at a resource the source does not ask), with contexts per request,
    /// what the source's requests share: the session name and Resource variables.
    fn request_context(
        &self,
        source: Option<&Principal>,
        dest: Option<&Dest>,
    ) -> Option<&'o ContextValues> {
        let question: &'o Question = self.question;
        match &question.context {
            Context::Static => None,
            Context::Request(ctx) => Some(ctx),
            Context::PerRequest(by_source) => {
                let mine = source.and_then(|p| by_source.get(&p.arn))?;
                let at = match dest {
                    Some(Dest::Exact(a) | Dest::Pattern(a)) => mine.at.get(a.as_str()),
                    _ => None,
                };
                Some(at.unwrap_or(&mine.own))
            }
        }
    }

    /// The session name of a request by `source`, for a request made by a role session: `None`
    /// when requests are not known (static questions), `Some(None)` when the request names none.
    fn session_name(&self, source: Option<&Principal>) -> Option<Option<&'o str>> {
        self.request_context(source, None).map(|ctx| {
            ctx.get(SESSION_NAME_KEY)
                .and_then(|v| v.first())
                .map(String::as_str)
        })
    }

    /// Plans every statement of the resource-based policies in play (bucket, key, queue, topic,
    /// secret, function and repository policies, role trust policies): whom each names and
    /// how, its resource, and the policy facts (rules R1-R10).
    fn plan_resource_policies(
        &mut self,
        sources: &[&'o Principal],
        plans: &mut Vec<StatementPlan<'o>>,
    ) {
        let org = self.org;
        // In targeted questions only the policies of the resources asked about matter.
        // The distinct resources asked (who-can asks one resource for every source).
        let asked: Option<Vec<Dest>> = match &self.question.points {
            Points::Only(points) => Some(
                points
                    .iter()
                    .map(|p| p.resource.as_str())
                    .collect::<BTreeSet<&str>>()
                    .into_iter()
                    .map(|d| self.asked_dest(d))
                    .collect(),
            ),
            Points::All => None,
        };
        // Destinations without wildcards are governed by the policy of exactly their resource
        // (or, for an object, its bucket): looked up, not compared with every policy. The
        // others (rare in targeted questions) are compared one by one.
        let (plain, wild): (BTreeSet<&str>, Vec<&Dest>) = match &asked {
            Some(asked) => {
                let mut plain = BTreeSet::new();
                let mut wild = Vec::new();
                for d in asked {
                    match d {
                        Dest::Exact(a) | Dest::Pattern(a) if !a.contains(['*', '?']) => {
                            plain.insert(a.as_str());
                        }
                        _ => wild.push(d),
                    }
                }
                (plain, wild)
            }
            None => (BTreeSet::new(), Vec::new()),
        };
        // A destination of stars overlaps every resource: every policy is then in play
        // (without comparing it with each policy's resource).
        let everywhere = wild
            .iter()
            .any(|d| matches!(d, Dest::Exact(a) | Dest::Pattern(a) if glob::is_all_stars(a)));
        let relevant = |resource: &str, bucket: bool| {
            if asked.is_none() || everywhere {
                return true;
            }
            let within = plain.contains(resource)
                || (bucket && {
                    let objects = format!("{resource}/");
                    plain
                        .range(objects.as_str()..)
                        .next()
                        .is_some_and(|a| a.starts_with(&objects))
                });
            within
                || wild.iter().any(|d| {
                    rp_may_govern(resource, d) && rp_governs(resource, bucket, d) != Coverage::None
                })
        };
        // In a question about some sources at every point, the accounts whose resources'
        // policies may decide something for them (`None`: any): their own, and those of their
        // grants' destinations ([`unread_foreign_match`]). A policy of another account would
        // match none of them and govern none of their destinations: it is not looked at.
        let grant_accounts = self.grant_accounts(plans);
        // (Slices for user rules write every policy, as their whole-org question does: its
        // facts and its destinations are read by rules; only the matches are left out.)
        let for_rules = self.question.sources.for_rules();
        let wanted: Option<HashSet<String>> = grant_accounts.as_ref().and_then(|reach| {
            if for_rules {
                return None;
            }
            let mut wanted: HashSet<String> = HashSet::default();
            for p in sources {
                if p.kind == PrincipalKind::External || p.account.is_empty() {
                    return None;
                }
                wanted.insert(p.account.clone());
            }
            for accounts in reach.values() {
                wanted.extend(accounts.as_ref()?.iter().cloned());
            }
            Some(wanted)
        });
        let unwanted = |resource: &str| {
            wanted.as_ref().is_some_and(|w| {
                resource_owner(org, resource, None).is_some_and(|o| !w.contains(&o))
            })
        };
        // (policy id, kind, document, resource, bucket, trust, explicit)
        let mut in_play: Vec<(
            String,
            &'static str,
            &'o PolicyDocument,
            &'o str,
            bool,
            bool,
            bool,
        )> = Vec::new();
        // Without wildcard destinations, the policies in play are looked up: a question about
        // one object does not walk every policy of the org.
        let exact = (asked.is_some() && wild.is_empty()).then(|| plain.iter().copied());
        let (policies, trusting) = governing(org, exact);
        for rp in policies {
            let bucket = rp.service == Service::S3Bucket;
            if unwanted(&rp.arn) || !relevant(&rp.arn, bucket) {
                continue;
            }
            in_play.push((
                format!("{}{RESOURCE_POLICY_SUFFIX}", rp.arn),
                "aws_resource",
                &rp.document,
                &rp.arn,
                bucket,
                false,
                rp.service == Service::KmsKey,
            ));
        }
        for p in trusting {
            if let Some(doc) = &p.trust_policy {
                if unwanted(&p.arn) || !relevant(&p.arn, false) {
                    continue;
                }
                in_play.push((
                    format!("{}{TRUST_POLICY_SUFFIX}", p.arn),
                    "aws_trust",
                    doc,
                    &p.arn,
                    false,
                    true,
                    true,
                ));
            }
        }
        let callers = CallerIndex::new(sources);
        let whole_org = self.question.sources.inventory();
        // The slice that writes the inventory, when slices skip unread matches, writes every
        // statement some source of the org names (with its own sources' matches only): the
        // statements' destinations and their facts are then those of the whole-org question,
        // while the other slices leave out a statement whose every match is unread.
        let everyone: Option<(Vec<&'o Principal>, CallerIndex<'o>)> =
            (whole_org && !self.question.sources.keeps_every_match()).then(|| {
                let mut all: Vec<&'o Principal> =
                    org.users_and_roles().chain(org.external.values()).collect();
                if anonymous_reachable(org) {
                    all.push(anonymous());
                }
                let index = CallerIndex::new(&all);
                (all, index)
            });
        for (name, kind, document, resource, bucket, trust, explicit) in in_play {
            // The account of the resource, for the callers its statements may leave out.
            let owner = grant_accounts
                .as_ref()
                .and_then(|_| resource_owner(org, resource, None));
            let polid: PolicyId = self.sym(&name);
            let kind_id: SymbolId = self.sym(kind);
            let granter: PrincipalId = self.sym(resource);
            // Whole-org questions write every policy's facts (user rules read them).
            if whole_org {
                self.rp_used.insert(polid);
            }
            self.rp_facts
                .push((polid, kind_id, granter, explicit, trust));
            self.rp_policies.push((polid, resource, bucket, trust));
            let variables_enabled = document.variables_enabled();
            for st in &document.statements {
                if !self.may_matter(st) {
                    continue;
                }
                let is_allow = matches!(st.effect, Effect::Allow);
                let mut matches: BTreeMap<&'o str, (RpHow, Option<String>)> = BTreeMap::new();
                for p in callers.named_by(st, sources) {
                    if let Some(m) = rp_match(st, p, self.session_name(Some(p))) {
                        let unread = match (&grant_accounts, &owner) {
                            (Some(reach), Some(owner)) => unread_foreign_match(p, owner, reach),
                            _ => false,
                        };
                        if !unread {
                            matches.insert(p.arn.as_str(), m);
                        }
                    }
                }
                let named_in_org = || {
                    everyone.as_ref().is_some_and(|(all, index)| {
                        index.names_one(st, all, &|p| self.session_name(Some(p)))
                    })
                };
                if matches.is_empty() && !named_in_org() {
                    continue;
                }
                let stid: StatementId = self.sym(&format!("{name}#{}", st.index));
                self.rp_used.insert(polid);
                self.facts.policy_statement.push((polid, stid));
                self.facts.aws_rp_statement.push((stid,));
                if is_allow {
                    self.facts.allow_statement.push((stid,));
                } else {
                    self.facts.deny_statement.push((stid,));
                }
                for (arn, (how, _)) in &matches {
                    let pid: PrincipalId = self.sym(arn);
                    match how {
                        RpHow::Direct => self.facts.aws_rp_match_direct.push((stid, pid)),
                        RpHow::Role => self.facts.aws_rp_match_role.push((stid, pid)),
                        RpHow::Account => self.facts.aws_rp_match_account.push((stid, pid)),
                    }
                }
                let resource_has_variables = variables_enabled
                    && st.resource.as_ref().is_some_and(|r| match r {
                        ResourceBlock::Resource(v) | ResourceBlock::NotResource(v) => {
                            v.iter().any(|x| variables::has_variables(x))
                        }
                    });
                let mut reads_resource = false;
                for clause in &st.condition {
                    for key in clause_keys(clause, variables_enabled) {
                        if !self.key_is_fixed_by_context(&key)
                            && key_class(&key) == KeyClass::Resource
                        {
                            reads_resource = true;
                        }
                    }
                }
                // With contexts per request, a condition is evaluated per destination too.
                let depends_on_resource =
                    reads_resource || (self.per_destination && !st.condition.is_empty());
                let implied = st
                    .resource
                    .is_none()
                    .then(|| ResourceBlock::Resource(vec![resource.to_string()]));
                plans.push(StatementPlan {
                    id: stid,
                    statement: st,
                    variables_enabled,
                    sources: std::rc::Rc::new(matches.keys().copied().collect()),
                    identity_allow: false,
                    check: true,
                    resource_has_variables,
                    depends_on_principal: true,
                    depends_on_resource,
                    reads_resource,
                    rcp_accounts: None,
                    principal_filter: true,
                    rp: Some(RpPlan {
                        resource,
                        bucket,
                        implied,
                        matches,
                    }),
                });
            }
        }
    }

    /// The accounts of each source's identity grants ([`GrantAccounts`]), in questions about
    /// some sources at every point: their destinations as `emit_destinations` places them.
    /// `None` for other questions.
    fn grant_accounts(
        &self,
        plans: &[StatementPlan<'o>],
    ) -> Option<HashMap<&'o str, GrantAccounts>> {
        if !matches!(self.question.points, Points::All) || self.question.sources.keeps_every_match()
        {
            return None;
        }
        let org = self.org;
        let mut reach: HashMap<&'o str, GrantAccounts> = HashMap::default();
        for plan in plans.iter().filter(|p| p.identity_allow) {
            let Some(block) = plan.resource_block() else {
                continue;
            };
            for src in plan.resource_variants() {
                let owners: &[&'o str] = match &src {
                    Some(s) => std::slice::from_ref(s),
                    None => &plan.sources,
                };
                let principal =
                    src.and_then(|s| org.principals.get(s).or_else(|| org.external.get(s)));
                let (patterns, _) = self.resolved_patterns(plan, principal, true);
                let accounts: GrantAccounts = match block {
                    ResourceBlock::Resource(_) => {
                        let owners: Vec<Option<String>> =
                            patterns.iter().map(|p| self.arn_owner(p)).collect();
                        // A tag-scoped grant's resources lie in its patterns' accounts (an
                        // ARN's account is matched as a segment), where each pattern has one.
                        if plan.depends_on_resource && owners.iter().any(Option::is_none) {
                            None
                        } else {
                            Some(owners.into_iter().flatten().collect())
                        }
                    }
                    ResourceBlock::NotResource(_) if plan.depends_on_resource => None,
                    ResourceBlock::NotResource(_) => Some(BTreeSet::new()),
                };
                for &s in owners {
                    match (
                        reach.entry(s).or_insert_with(|| Some(BTreeSet::new())),
                        &accounts,
                    ) {
                        (slot @ Some(_), None) => *slot = None,
                        (Some(mine), Some(more)) => mine.extend(more.iter().cloned()),
                        (None, _) => {}
                    }
                }
            }
        }
        Some(reach)
    }

    /// The destinations a resource policy's Allow statement grants on by itself, in whole-org
    /// questions: its own Resource patterns that lie within the policy's resource, else the
    /// resource itself (and for a bucket, its objects) where the statement covers them.
    fn rp_own_destinations(&self, plan: &StatementPlan<'o>) -> Vec<Dest> {
        let Some(rp) = &plan.rp else {
            return Vec::new();
        };
        let mut out: BTreeSet<Dest> = BTreeSet::new();
        let mut whole = vec![rp.resource.to_string()];
        if rp.bucket {
            whole.push(format!("{}/*", rp.resource));
        }
        match plan.resource_block() {
            Some(ResourceBlock::Resource(patterns)) if !plan.resource_has_variables => {
                for p in patterns {
                    let d = Dest::Pattern(p.clone());
                    if rp_governs(rp.resource, rp.bucket, &d) == Coverage::Full {
                        out.insert(d);
                        continue;
                    }
                    for w in &whole {
                        if glob::glob_overlaps(p, w) {
                            out.insert(Dest::Pattern(w.clone()));
                        }
                    }
                }
            }
            _ => {
                for w in whole {
                    out.insert(Dest::Pattern(w));
                }
            }
        }
        out.into_iter().collect()
    }

    /// Emits which destinations the resource policies in play decide (`aws_rp_governs`,
    /// `aws_trust_governs`) and where S3 Block Public Access restricts a public bucket policy
    /// (`aws_s3_bpa_restricts`); returns the destinations whose key or trust policy was read.
    fn emit_rp_governance(&mut self, universe: &BTreeSet<Dest>) -> BTreeSet<Dest> {
        let org = self.org;
        let mut read: BTreeSet<Dest> = BTreeSet::new();
        let bpa_pol: PolicyId = self.sym(S3_BPA_POLICY);
        let mut bpa_kind_emitted = false;
        let rp_policies = std::mem::take(&mut self.rp_policies);
        // A policy decides all of a destination only when the destination's string is its
        // resource or, for a bucket, starts with the bucket and a `/` (rp_governs_fully): so
        // each destination is looked up by itself and by its prefixes before a `/`, instead of
        // comparing every policy with every destination.
        let mut by_resource: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, &(_, resource, _, _)) in rp_policies.iter().enumerate() {
            by_resource.entry(resource).or_default().push(i);
        }
        // Each (policy, destination) pair is found once: a policy has one resource, and a
        // destination's keys are distinct strings.
        let mut pairs: Vec<(usize, &Dest)> = Vec::new();
        for d in universe {
            let a = match d {
                Dest::Exact(a) | Dest::Pattern(a) => a.as_str(),
                Dest::Not(_) => continue,
            };
            let prefixes = a.match_indices('/').map(|(i, _)| &a[..i]);
            for key in std::iter::once(a).chain(prefixes) {
                for &i in by_resource.get(key).into_iter().flatten() {
                    if let Some(&(_, resource, bucket, _)) = rp_policies.get(i) {
                        if rp_governs_fully(resource, bucket, d) {
                            pairs.push((i, d));
                        }
                    }
                }
            }
        }
        let mut restricted_memo: HashMap<usize, bool> = HashMap::default();
        for (i, d) in pairs {
            let Some(&(polid, resource, bucket, trust)) = rp_policies.get(i) else {
                continue;
            };
            let restricted = *restricted_memo
                .entry(i)
                .or_insert_with(|| bucket && self.bucket_restricts_public(resource));
            let did: ResourceId = self.sym(&d.display());
            self.rp_used.insert(polid);
            if trust {
                self.facts.aws_trust_governs.push((did, polid));
            } else {
                self.facts.aws_rp_governs.push((did, polid));
            }
            if trust
                || org
                    .resource_policies
                    .policies
                    .get(resource)
                    .is_some_and(|rp| rp.service == Service::KmsKey)
            {
                read.insert(d.clone());
            }
            if restricted {
                if !bpa_kind_emitted {
                    let kind: SymbolId = self.sym("aws_s3_bpa");
                    self.facts.policy.push((bpa_pol, kind));
                    bpa_kind_emitted = true;
                }
                self.facts.aws_s3_bpa_restricts.push((did, bpa_pol));
            }
        }
        self.rp_policies = rp_policies;
        read
    }

    /// True when bucket `arn` has a public policy (an Allow statement for `*` without a
    /// condition that limits it to known callers, or without Principal) and Block Public
    /// Access RestrictPublicBuckets on at the bucket or its owner account's level.
    fn bucket_restricts_public(&self, arn: &str) -> bool {
        let rps = &self.org.resource_policies;
        let Some(rp) = rps.policies.get(arn) else {
            return false;
        };
        let restrict = |key: &str| {
            rps.s3_block_public_access
                .get(key)
                .is_some_and(|b| b.restrict_public_buckets)
        };
        let on = restrict(arn)
            || rps
                .s3_bucket_account
                .get(arn)
                .is_some_and(|acct| restrict(acct));
        on && rp
            .document
            .statements
            .iter()
            .any(|st| matches!(st.effect, Effect::Allow) && statement_is_public(st))
    }

    /// Emits the Organizations facts: the scope tree (`scope_parent`), the member accounts
    /// that SCPs govern, the exempt principals, the SCP attachments; returns, for each SCP id,
    /// the sources it speaks for.
    #[allow(clippy::type_complexity)]
    fn emit_organization(
        &mut self,
        sources: &[&'o Principal],
    ) -> (
        HashMap<&'o str, Reach<'o>>,
        BTreeMap<&'o str, BTreeSet<String>>,
    ) {
        let structure = &self.org.organization;
        let mut reach: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        let mut rcp_accounts: BTreeMap<&'o str, BTreeSet<String>> = BTreeMap::new();
        if structure.policies.is_empty() && structure.accounts.is_empty() {
            return (HashMap::default(), rcp_accounts);
        }
        for ou in structure.ous.values() {
            if let Some(parent) = &ou.parent {
                let row = (self.sym(&ou.id), self.sym(parent));
                self.facts.scope_parent.push(row);
            }
        }
        for account in structure.accounts.values() {
            if let Some(parent) = &account.parent {
                let row = (self.sym(&account.id), self.sym(parent));
                self.facts.scope_parent.push(row);
            }
        }
        let management = structure.management_account();
        // SCPs govern when the roots say the SCP policy type is enabled (`list-roots`), or,
        // without roots in the export, when SCPs are attached somewhere. With no SCP
        // attachments at all there is no SCP layer to evaluate (ingest warns).
        let scp_attached = structure.attachments.iter().any(|(p, _)| {
            structure
                .policies
                .get(p)
                .is_some_and(|p| p.kind == crate::aws::organizations::OrgPolicyKind::Scp)
        });
        let scp_enabled = scp_attached
            && if structure.roots.is_empty() {
                true
            } else {
                structure
                    .roots
                    .values()
                    .all(|r| r.enabled(crate::aws::organizations::OrgPolicyKind::Scp))
            };
        let mut governed: BTreeMap<&'o str, Vec<&'o str>> = BTreeMap::new();
        for account in structure.accounts.values() {
            if Some(account.id.as_str()) == management || !scp_enabled {
                continue;
            }
            if let Some(path) = structure.path_to_root(&account.id) {
                let acct: ScopeId = self.sym(&account.id);
                self.facts.aws_scp_account.push((acct,));
                governed.insert(&account.id, path);
            }
        }
        let mut open: BTreeSet<&'o str> = BTreeSet::new();
        for (policy_id, target) in &structure.attachments {
            if let Some((name, doc)) = scp_document(self.org, policy_id) {
                let row = (self.sym(target), self.sym(&name));
                self.facts.aws_scp_attached.push(row);
                if doc.statements.iter().any(scp_statement_is_open) {
                    open.insert(target);
                }
            }
        }
        for target in open {
            let level: ScopeId = self.sym(target);
            self.facts.aws_scp_level_open.push((level,));
        }
        // The SCPs attached at each level, found once (not a scan of every attachment per
        // source and level).
        let mut scps_at: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        for (policy_id, target) in &structure.attachments {
            if structure
                .policies
                .get(policy_id)
                .is_some_and(|p| p.kind == crate::aws::organizations::OrgPolicyKind::Scp)
            {
                scps_at
                    .entry(target.as_str())
                    .or_default()
                    .push(policy_id.as_str());
            }
        }
        let mut scps_of: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
        for s in sources {
            // Service-linked roles are not affected by SCPs (aws.md §3.2).
            if Some(s.account.as_str()) == management || is_service_linked(s) {
                let pid: PrincipalId = self.sym(&s.arn);
                self.facts.aws_scp_exempt.push((pid,));
                continue;
            }
            // The SCPs of each account's levels, found once per account.
            let scps = scps_of.entry(s.account.as_str()).or_insert_with(|| {
                governed
                    .get(s.account.as_str())
                    .into_iter()
                    .flatten()
                    .flat_map(|level| scps_at.get(level).into_iter().flatten())
                    .filter_map(|id| structure.policies.get(*id).map(|p| p.id.as_str()))
                    .collect()
            });
            for id in scps.iter() {
                reach.entry(id).or_default().push(&s.arn);
            }
        }
        // RCPs govern the resources of member accounts (not the management account), through
        // every level of the resource's account path (aws.md §3.2).
        use crate::aws::organizations::OrgPolicyKind;
        let rcp_attached = structure.attachments.iter().any(|(p, _)| {
            structure
                .policies
                .get(p)
                .is_some_and(|p| p.kind == OrgPolicyKind::Rcp)
        });
        let rcp_enabled = rcp_attached
            && (structure.roots.is_empty()
                || structure
                    .roots
                    .values()
                    .all(|r| r.enabled(OrgPolicyKind::Rcp)));
        if rcp_enabled {
            // The RCPs attached at each level, found once (as for SCPs above).
            let mut rcps_at: HashMap<&'o str, Vec<&'o str>> = HashMap::default();
            for (policy_id, target) in &structure.attachments {
                if structure
                    .policies
                    .get(policy_id)
                    .is_some_and(|p| p.kind == OrgPolicyKind::Rcp)
                {
                    rcps_at
                        .entry(target.as_str())
                        .or_default()
                        .push(policy_id.as_str());
                }
            }
            for account in structure.accounts.values() {
                if Some(account.id.as_str()) == management {
                    continue;
                }
                let Some(path) = structure.path_to_root(&account.id) else {
                    continue;
                };
                for level in path {
                    for policy_id in rcps_at.get(level).into_iter().flatten() {
                        if let Some(p) = structure.policies.get(*policy_id) {
                            rcp_accounts
                                .entry(p.id.as_str())
                                .or_default()
                                .insert(account.id.clone());
                        }
                    }
                }
            }
        }
        (reaches(reach), rcp_accounts)
    }

    /// Whole-org questions: an Allow statement that limits nobody produces rows for its own
    /// action points only (`*` stays `*`, a NotAction stays its symbolic point, patterns expand
    /// to their catalogue actions), not for every point of the universe it happens to cover:
    /// those rows would repeat what its own rows already say.
    fn emit_own_actions(&mut self, plan: &StatementPlan<'o>, u: &ActionUniverse) {
        for a in self.own_actions(plan, u) {
            self.facts.statement_action.push((plan.id, a));
        }
    }

    /// The action points a statement names itself, in whole-org questions: `*`, each
    /// wildcard pattern as written, each catalogue action it names, its NotAction point.
    fn own_actions(&mut self, plan: &StatementPlan<'o>, u: &ActionUniverse) -> Vec<ActionId> {
        let mut own: Vec<ActionId> = Vec::new();
        match &plan.statement.action {
            ActionBlock::Action(patterns) => {
                let mut idx: Vec<u32> = Vec::new();
                for pat in patterns {
                    if Catalogue::matches_everything(pat) {
                        own.push(self.sym(ANY_ACTION));
                        continue;
                    }
                    let hits = self.expander.expand(pat);
                    if hits.is_empty() || is_action_glob(pat) {
                        own.push(self.sym(pat));
                    } else {
                        idx.extend(hits.iter().copied());
                    }
                }
                idx.sort_unstable();
                idx.dedup();
                for i in idx {
                    own.push(self.action_id(i));
                }
            }
            ActionBlock::NotAction(patterns) => {
                let mut key: Vec<String> =
                    patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
                key.sort();
                key.dedup();
                if let Some((display, _)) = u.not_actions.get(&key) {
                    own.push(self.sym(display));
                }
            }
        }
        own
    }

    /// How a statement's Action / NotAction covers each symbolic pattern point of `u` (the
    /// catalogue actions the pattern matches: all of them, some, or none).
    fn glob_coverage(
        &mut self,
        block: &ActionBlock,
        u: &ActionUniverse,
    ) -> Vec<(String, Coverage)> {
        let (patterns, negated) = match block {
            ActionBlock::Action(p) => (p, false),
            ActionBlock::NotAction(p) => (p, true),
        };
        let everything = patterns.iter().any(|p| Catalogue::matches_everything(p));
        let mut named = CatalogueSet::with_capacity(self.expander.catalogue().len());
        if !everything {
            for p in patterns {
                named.extend(self.expander.expand(p).iter().copied());
            }
        }
        u.globs
            .iter()
            .map(|(g, hits)| {
                let inside = if everything {
                    hits.len()
                } else {
                    hits.iter().filter(|&&i| named.contains(i)).count()
                };
                // The statement covers the point when it names all of the pattern's actions
                // (Action) or none of them (NotAction).
                let cov = match (negated, inside) {
                    (false, n) if n == hits.len() => Coverage::Full,
                    (false, 0) => Coverage::None,
                    (true, 0) => Coverage::Full,
                    (true, n) if n == hits.len() => Coverage::None,
                    _ => Coverage::Partial,
                };
                (g.clone(), cov)
            })
            .collect()
    }

    /// How a statement's Action / NotAction covers the symbolic point "every action except
    /// `excluded`" (catalogue indices).
    fn not_action_coverage(&mut self, block: &ActionBlock, excluded: &CatalogueSet) -> Coverage {
        match block {
            ActionBlock::Action(patterns) => {
                if patterns.iter().any(|p| Catalogue::matches_everything(p)) {
                    return Coverage::Full;
                }
                for p in patterns {
                    let hits = self.expander.expand(p);
                    if hits.is_empty() || hits.iter().any(|&i| !excluded.contains(i)) {
                        // Uncatalogued patterns may name actions outside the exclusion.
                        return Coverage::Partial;
                    }
                }
                Coverage::None
            }
            ActionBlock::NotAction(patterns) => {
                // all - M contains all - EX exactly when M's actions are all in EX.
                let mut inside = true;
                for p in patterns {
                    let hits = self.expander.expand(p);
                    if hits.is_empty() || hits.iter().any(|&i| !excluded.contains(i)) {
                        inside = false;
                        break;
                    }
                }
                if inside {
                    Coverage::Full
                } else {
                    Coverage::Partial
                }
            }
        }
    }

    /// Marks the action points whose resources must grant explicitly (rule X2): KMS actions
    /// (key policies) and the STS actions a role's trust policy decides. The symbolic points
    /// `*` and `NotAction:...` are not marked: a grant of (almost) every action reads as
    /// administrator access, and `who-can` / `explain` on a concrete key or role decide those
    /// parts exactly (docs/representation.md).
    fn emit_explicit_grant_actions(&mut self, u: &ActionUniverse) {
        let (kms, trust): (PolicyId, PolicyId) =
            (self.sym(KMS_KEY_POLICY), self.sym(ROLE_TRUST_POLICY));
        let (kms_c, trust_c): (ConditionId, ConditionId) = (
            self.sym(KMS_KEY_POLICY_CONDITION),
            self.sym(ROLE_TRUST_POLICY_CONDITION),
        );
        self.facts.aws_explicit_grant_condition.push((kms, kms_c));
        self.facts
            .aws_explicit_grant_condition
            .push((trust, trust_c));
        let kinds = |name: &str| {
            let lower = name.to_ascii_lowercase();
            (
                lower.starts_with("kms:"),
                TRUST_ACTIONS.contains(&lower.as_str()),
            )
        };
        let mut marks: Vec<(ActionId, bool, bool)> = Vec::new();
        for i in u.catalogued.iter() {
            let (k, t) = kinds(self.expander.name(i));
            if k || t {
                let a = self.action_id(i);
                marks.push((a, k, t));
            }
        }
        for (g, hits) in &u.globs {
            // A pattern that matches a KMS action or a trust-policy action carries the
            // requirement (conservatively, for the whole pattern: it is a caveat).
            let (mut k, mut t) = (false, false);
            for &i in hits.iter() {
                let (ki, ti) = kinds(self.expander.name(i));
                k |= ki;
                t |= ti;
            }
            if k || t {
                let a: ActionId = self.sym(g);
                marks.push((a, k, t));
            }
        }
        for e in &u.extra {
            let lower = e.to_ascii_lowercase();
            let k = glob::glob_overlaps(&lower, "kms:*");
            let t = TRUST_ACTIONS.iter().any(|x| glob::glob_overlaps(&lower, x));
            if k || t {
                let a: ActionId = self.sym(e);
                marks.push((a, k, t));
            }
        }
        for (a, k, t) in marks {
            if k {
                self.facts.aws_explicit_grant_action.push((a, kms));
            }
            if t {
                self.facts.aws_explicit_grant_action.push((a, trust));
            }
        }
    }

    /// The id of catalogue action `i`, interned once.
    fn action_id(&mut self, i: u32) -> ActionId {
        if let Some(id) = self.action_ids.get(&i) {
            return *id;
        }
        let id: ActionId = self.facts.interner.id(self.expander.name(i));
        self.action_ids.insert(i, id);
        id
    }

    /// The catalogue spelling of an action, or the action as written.
    fn display_action(&self, action: &str) -> String {
        self.expander
            .catalogue()
            .canonical(action)
            .map_or_else(|| action.to_string(), str::to_string)
    }

    /// Whether the request context gives `key_lower`, whoever makes the request. With one
    /// context per source, no key is taken as given: a condition's principal and resource keys
    /// then still make it depend on them, and the per-source lookup gives the context's value.
    fn key_is_fixed_by_context(&self, key_lower: &str) -> bool {
        match &self.question.context {
            Context::Request(ctx) => ctx.contains_key(key_lower),
            Context::Static | Context::PerRequest(_) => false,
        }
    }

    fn action_universe(&mut self, plans: &[StatementPlan<'o>]) -> ActionUniverse {
        let mut u = ActionUniverse {
            catalogued: CatalogueSet::with_capacity(self.expander.catalogue().len()),
            ..ActionUniverse::default()
        };
        match &self.question.points {
            Points::Only(points) => {
                for p in points {
                    match self.expander.catalogue().index_of(&p.action) {
                        Some(i) => {
                            u.catalogued.insert(i);
                            match u.asked_by.get_mut(p.source.as_str()) {
                                Some(v) => v.push(i),
                                None => {
                                    u.asked_by.insert(p.source.clone(), vec![i]);
                                }
                            }
                        }
                        None => {
                            u.extra.insert(p.action.clone());
                        }
                    }
                }
            }
            Points::All => {
                let all = self.expander.catalogue().len();
                for plan in plans.iter().filter(|p| p.grants_own()) {
                    match &plan.statement.action {
                        ActionBlock::Action(patterns) => {
                            for pat in patterns {
                                if Catalogue::matches_everything(pat) {
                                    u.any = true;
                                    continue;
                                }
                                let hits = self.expander.expand(pat);
                                if hits.is_empty() {
                                    u.extra.insert(pat.clone());
                                } else if is_action_glob(pat) {
                                    // Size discipline: `s3:Get*` stays one point, as `*`
                                    // and NotAction do, instead of a row per action.
                                    u.globs.insert(pat.clone(), hits);
                                } else {
                                    u.catalogued.extend(hits.iter().copied());
                                }
                            }
                        }
                        ActionBlock::NotAction(patterns) => {
                            // Size discipline: an Allow with NotAction grants "everything but
                            // these" as one symbolic point, not ~22,000 concrete rows.
                            let mut key: Vec<String> =
                                patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
                            key.sort();
                            key.dedup();
                            if let std::collections::btree_map::Entry::Vacant(slot) =
                                u.not_actions.entry(key)
                            {
                                let mut excluded = CatalogueSet::with_capacity(all);
                                for pat in slot.key() {
                                    excluded.extend(self.expander.expand(pat).iter().copied());
                                }
                                // Named by the normalized patterns: the same point whichever
                                // statement (and letter case) named it first.
                                let display =
                                    format!("{NOT_ACTION_PREFIX}{}", slot.key().join(","));
                                slot.insert((display, excluded));
                            }
                        }
                    }
                }
            }
        }
        u.catalogued.finish();
        for v in u.asked_by.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        u
    }

    /// Each action a targeted question's points name (as written): its id in catalogue spelling
    /// and whether it is always allowed. Found once per action (points name few actions; the
    /// catalogue's case-blind search is not free).
    fn point_actions(&mut self) -> HashMap<&'o str, (ActionId, bool)> {
        let mut out: HashMap<&'o str, (ActionId, bool)> = HashMap::default();
        let Points::Only(points) = &self.question.points else {
            return out;
        };
        for p in points {
            if out.contains_key(p.action.as_str()) {
                continue;
            }
            let name = self.display_action(&p.action);
            let always = ALWAYS_ALLOWED
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&p.action));
            out.insert(&p.action, (self.sym(&name), always));
        }
        out
    }

    /// Emits the actions a statement covers (`statement_action`, `statement_action_partial`);
    /// for a targeted question, returns them (sorted, distinct).
    fn emit_actions(
        &mut self,
        plan: &StatementPlan<'o>,
        u: &ActionUniverse,
    ) -> Option<Vec<ActionId>> {
        if matches!(self.question.points, Points::All) && plan.identity_allow && !plan.check {
            self.emit_own_actions(plan, u);
            return None;
        }
        if matches!(self.question.points, Points::All) && plan.rp.is_some() && plan.grants_own() {
            // Where a resource policy's Allow grants by itself (rule R2): its own points only,
            // so that a caller's rows do not depend on the points other callers bring.
            for a in self.own_actions(plan, u) {
                self.facts.aws_rp_grant_action.push((plan.id, a));
            }
        }
        let mut full: Vec<String> = Vec::new();
        let mut partial: Vec<String> = Vec::new();
        let mut full_idx: Vec<u32> = Vec::new();
        let targeted = matches!(self.question.points, Points::Only(_));
        // A targeted question asks each source its own actions: a statement that speaks for a
        // few sources (an identity policy's) is matched against theirs only. The rules join a
        // statement's actions only with the points of the sources it speaks for (its
        // `identity_statement`, `check_statement` or resource-policy match rows).
        // (Whole-org questions expand the patterns instead and never read this.)
        let few = plan.sources.len() <= FEW_SOURCES && !plan.sources.is_empty();
        let asked: Vec<u32> = if !targeted {
            Vec::new()
        } else if few {
            let mut v: Vec<u32> = plan
                .sources
                .iter()
                .filter_map(|s| u.asked_by.get(*s))
                .flatten()
                .copied()
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        } else {
            u.catalogued.iter().collect()
        };
        match &plan.statement.action {
            ActionBlock::Action(patterns) => {
                if patterns.iter().any(|p| Catalogue::matches_everything(p)) {
                    full_idx.extend(u.catalogued.iter());
                    full.extend(u.extra.iter().cloned());
                    if u.any {
                        full.push(ANY_ACTION.to_string());
                    }
                } else {
                    if targeted {
                        // A targeted question asks a few actions: each is matched against the
                        // patterns, instead of expanding each pattern over the catalogue.
                        full_idx.extend(asked.iter().copied().filter(|&i| {
                            action_block_covers(&plan.statement.action, self.expander.name(i))
                        }));
                    } else {
                        for pat in patterns {
                            full_idx.extend(
                                self.expander
                                    .expand(pat)
                                    .iter()
                                    .copied()
                                    .filter(|&i| u.catalogued.contains(i)),
                            );
                        }
                    }
                    full_idx.sort_unstable();
                    full_idx.dedup();
                    let lower: Vec<String> =
                        patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
                    for e in &u.extra {
                        match action_glob_coverage(&lower, &e.to_ascii_lowercase()) {
                            Coverage::Full => full.push(e.clone()),
                            Coverage::Partial => partial.push(e.clone()),
                            Coverage::None => {}
                        }
                    }
                    if u.any {
                        partial.push(ANY_ACTION.to_string());
                    }
                }
            }
            ActionBlock::NotAction(patterns) => {
                if targeted {
                    full_idx.extend(asked.iter().copied().filter(|&i| {
                        action_block_covers(&plan.statement.action, self.expander.name(i))
                    }));
                } else {
                    let mut excluded = CatalogueSet::with_capacity(self.expander.catalogue().len());
                    for pat in patterns {
                        excluded.extend(self.expander.expand(pat).iter().copied());
                    }
                    full_idx.extend(u.catalogued.iter().filter(|&i| !excluded.contains(i)));
                }
                let lower: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
                for e in &u.extra {
                    match action_glob_coverage(&lower, &e.to_ascii_lowercase()) {
                        Coverage::Full => {}
                        Coverage::Partial => partial.push(e.clone()),
                        Coverage::None => full.push(e.clone()),
                    }
                }
                if u.any && !patterns.iter().any(|p| Catalogue::matches_everything(p)) {
                    partial.push(ANY_ACTION.to_string());
                }
            }
        }
        if !u.globs.is_empty() {
            let covered = self.glob_coverage(&plan.statement.action, u);
            for (g, cov) in covered {
                match cov {
                    Coverage::Full => full.push(g),
                    Coverage::Partial => partial.push(g),
                    Coverage::None => {}
                }
            }
        }
        for (display, excluded) in u.not_actions.values() {
            match self.not_action_coverage(&plan.statement.action, excluded) {
                Coverage::Full => full.push(display.clone()),
                Coverage::Partial => partial.push(display.clone()),
                Coverage::None => {}
            }
        }
        if plan.rcp_accounts.is_some() {
            // RCPs apply only to the services that support them: a concrete action of another
            // service is not covered, and a symbolic point (`*`, `NotAction:...`) only in part.
            let catalogue = self.expander.catalogue();
            let rcp_service = |a: &str| {
                a.split(':')
                    .next()
                    .is_some_and(|svc| catalogue.is_rcp_service(&svc.to_ascii_lowercase()))
            };
            full_idx.retain(|&i| rcp_service(self.expander.name(i)));
            let symbolic = |a: &String| a == ANY_ACTION || a.starts_with(NOT_ACTION_PREFIX);
            let (sym_full, concrete): (Vec<String>, Vec<String>) =
                full.drain(..).partition(symbolic);
            full = concrete.into_iter().filter(|a| rcp_service(a)).collect();
            partial.extend(sym_full);
            partial.retain(|a| symbolic(a) || rcp_service(a));
        }
        let mut touched: Vec<ActionId> = Vec::new();
        for i in full_idx {
            let a = self.action_id(i);
            self.facts.statement_action.push((plan.id, a));
            touched.push(a);
        }
        for name in full {
            let a: ActionId = self.sym(&name);
            self.facts.statement_action.push((plan.id, a));
            touched.push(a);
        }
        for name in partial {
            let a: ActionId = self.sym(&name);
            self.facts.statement_action_partial.push((plan.id, a));
            touched.push(a);
        }
        if !targeted {
            return None;
        }
        touched.sort_unstable();
        touched.dedup();
        Some(touched)
    }

    /// The Resource patterns of a statement for one source: variables substituted. The flag
    /// is true when some variable could not be resolved statically (then a match is partial).
    /// With `keep_templates`, an entry whose variables cannot be resolved statically is kept
    /// as written (`arn:aws:s3:::b/${aws:userid}/*`), so a whole-org grant shows what it
    /// depends on instead of widening to `*`; otherwise its variables become `*`, for coverage
    /// checks that then count it as partial.
    fn resolved_patterns<'p>(
        &self,
        plan: &'p StatementPlan<'o>,
        source: Option<&Principal>,
        keep_templates: bool,
    ) -> (std::borrow::Cow<'p, [String]>, bool) {
        let Some(block) = plan.resource_block() else {
            return (Vec::new().into(), false);
        };
        let patterns = match block {
            ResourceBlock::Resource(v) | ResourceBlock::NotResource(v) => v,
        };
        if !plan.resource_has_variables {
            // (Borrowed: most statements have no variables.)
            return (patterns.as_slice().into(), false);
        }
        let mut out = Vec::new();
        let mut uncertain = false;
        for p in patterns {
            let lookup = |k: &str| self.lookup(&condition::ascii_lowercase(k), source, None);
            match variables::resource_pattern(p, true, &lookup) {
                Substitution::Resolved(s) => out.push(s),
                Substitution::Missing => {}
                Substitution::Unknown => {
                    uncertain = true;
                    out.push(if keep_templates {
                        p.clone()
                    } else {
                        blank_variables(p)
                    });
                }
            }
        }
        (out.into(), uncertain)
    }

    fn emit_destinations(
        &mut self,
        plans: &[StatementPlan<'o>],
        sources: &[&'o Principal],
        plan_actions: &[Option<Vec<ActionId>>],
        point_actions: &HashMap<&'o str, (ActionId, bool)>,
    ) {
        let org = self.org;
        let by_arn: HashMap<&str, &'o Principal> =
            sources.iter().map(|p| (p.arn.as_str(), *p)).collect();
        // Destinations: asked, or the grants' own patterns.
        let mut universe: BTreeSet<Dest> = BTreeSet::new();
        // Per source, its asked destinations and the actions it asks at each (as the points
        // name them, in catalogue spelling).
        // (Hashed by source: thousands of callers' ARNs share long prefixes.)
        let asked: Option<HashMap<&str, BTreeMap<Dest, Vec<ActionId>>>> =
            match &self.question.points {
                Points::Only(points) => {
                    let mut m: HashMap<&str, BTreeMap<Dest, Vec<ActionId>>> = HashMap::default();
                    for p in points {
                        // (Made once; the universe copies the few distinct ones it lacks.)
                        let d = self.asked_dest(&p.resource);
                        if !universe.contains(&d) {
                            universe.insert(d.clone());
                        }
                        let Some(&(a, _)) = point_actions.get(p.action.as_str()) else {
                            continue;
                        };
                        let actions = m
                            .entry(p.source.as_str())
                            .or_default()
                            .entry(d)
                            .or_default();
                        if !actions.contains(&a) {
                            actions.push(a);
                        }
                    }
                    Some(m)
                }
                Points::All => None,
            };
        // (plan index, source or None, dest) the Allow statement grants on: the destinations a
        // targeted question asks (borrowed), or the grants' own patterns (kept in `own_grants`).
        let mut asked_grants: Vec<(usize, Option<&'o str>, &Dest)> = Vec::new();
        let mut own_grants: Vec<(usize, Option<&'o str>, Dest)> = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            if !plan.identity_allow {
                // A resource policy's Allow grants from its own patterns in whole-org
                // questions (targeted questions ask their points).
                if asked.is_none() && plan.grants_own() {
                    for d in self.rp_own_destinations(plan) {
                        universe.insert(d.clone());
                        own_grants.push((i, None, d));
                    }
                }
                continue;
            }
            let Some(block) = plan.resource_block() else {
                continue;
            };
            let per_source = plan.resource_variants();
            for src in per_source {
                let principal = src.and_then(|s| by_arn.get(s).copied());
                let (patterns, uncertain) =
                    self.resolved_patterns(plan, principal, asked.is_none());
                match &asked {
                    Some(asked) => {
                        if uncertain {
                            continue;
                        }
                        // A targeted question grants only at the points each source asks: a
                        // statement shared by many sources is paired with each source's own
                        // destinations, never with the union of them (sources x destinations).
                        // (Borrowed: a policy may speak for thousands of sources.)
                        let owners: &[&'o str] = match &src {
                            Some(s) => std::slice::from_ref(s),
                            None => &plan.sources,
                        };
                        let mut covers: HashMap<&Dest, bool> = HashMap::default();
                        // Each pattern split once for the destinations of every owner.
                        let matchers: Vec<glob::ResourceMatcher<'_>> = patterns
                            .iter()
                            .map(|p| glob::ResourceMatcher::new(p))
                            .collect();
                        // A grant is placed only where its source asks an action the statement
                        // covers (its `statement_action` rows): elsewhere the rules join it with
                        // no point (rule A8 reads the point's action), and its coverage and
                        // condition are not needed.
                        let touched = plan_actions.get(i).and_then(Option::as_deref);
                        for &s in owners {
                            for (d, actions) in asked.get(s).into_iter().flatten() {
                                let wanted = touched.is_none_or(|t| {
                                    actions.iter().any(|a| t.binary_search(a).is_ok())
                                });
                                if !wanted {
                                    continue;
                                }
                                let full = *covers.entry(d).or_insert_with(|| {
                                    resource_coverage(block, &patterns, &matchers, d)
                                        == Coverage::Full
                                });
                                if full {
                                    asked_grants.push((i, Some(s), d));
                                }
                            }
                        }
                    }
                    None => {
                        let mut own: Vec<Dest> = match block {
                            ResourceBlock::Resource(_) => {
                                patterns.iter().cloned().map(Dest::Pattern).collect()
                            }
                            ResourceBlock::NotResource(_) => vec![Dest::Not(patterns.to_vec())],
                        };
                        if plan.depends_on_resource {
                            // Tag-scoped grants resolve to the inventory resources they hit
                            // (resource_coverage of an exact destination, each pattern split
                            // once for the whole inventory).
                            let matchers: Vec<glob::ResourceMatcher<'_>> = patterns
                                .iter()
                                .map(|p| glob::ResourceMatcher::new(p))
                                .collect();
                            // (Each ARN first searched for the texts a match must contain:
                            // matching every one of large's 1,063,000 ARNs against a pattern
                            // of one account was 0.85 G instructions in each batch of
                            // `what-can` with such a grant.)
                            let required: Vec<Vec<String>> =
                                patterns.iter().map(|p| glob::required_texts(p)).collect();
                            let listed = |arn: &str| {
                                matchers.iter().zip(&required).any(|(m, texts)| {
                                    texts.iter().all(|t| arn.contains(t.as_str())) && m.matches(arn)
                                })
                            };
                            for arn in org.resources.keys().chain(org.principals.keys()) {
                                let full = match block {
                                    ResourceBlock::Resource(_) => listed(arn),
                                    ResourceBlock::NotResource(_) => !listed(arn),
                                };
                                if full {
                                    own.push(Dest::Exact(arn.clone()));
                                }
                            }
                        }
                        for d in own {
                            universe.insert(d.clone());
                            own_grants.push((i, src, d));
                        }
                    }
                }
            }
        }

        let grants: Vec<(usize, Option<&'o str>, &Dest)> = asked_grants
            .into_iter()
            .chain(own_grants.iter().map(|(i, s, d)| (*i, *s, d)))
            .collect();
        // Every destination of the run by its position in the universe's order: the loops
        // below compare, hash and name positions, not ARNs, and each destination's symbol is
        // made once (when first written, as before: `dest_sym`).
        let universe_list: Vec<&Dest> = universe.iter().collect();
        let position: HashMap<&Dest, usize> = universe_list
            .iter()
            .enumerate()
            .map(|(j, d)| (*d, j))
            .collect();
        let at_position = |d: &Dest| position.get(d).copied();
        let mut dids: Vec<Option<ResourceId>> = vec![None; universe_list.len()];

        // Which destinations the resource policies decide, and Block Public Access.
        let read = self.emit_rp_governance(&universe);
        self.emit_rp_policy_facts();
        // Only questions about some sources read it (aws_role_resource); whole-org ones write
        // every role.
        if !self.question.sources.inventory() {
            self.universe_names = universe.iter().map(Dest::display).collect();
        }
        // The account of each destination, where the ARN, the question or the bucket owner
        // names one: callers of another account need the resource's policy too (rule R6, X1).
        let mut dest_accounts: BTreeSet<(String, String)> = BTreeSet::new();
        for d in &universe {
            if let Some(acct) = self.dest_account(d) {
                dest_accounts.insert((d.display(), acct));
            }
        }
        // Destinations that are (or may be) KMS keys or roles whose key or trust policy was not
        // read: a grant there carries the requirement as a caveat (rule X2).
        let (kms, trust): (PolicyId, PolicyId) =
            (self.sym(KMS_KEY_POLICY), self.sym(ROLE_TRUST_POLICY));
        let mut explicit: BTreeSet<(String, bool, bool)> = BTreeSet::new();
        let mut seen: HashSet<&Dest> = HashSet::default();
        for (_, _, d) in &grants {
            if !seen.insert(d) || read.contains(d) {
                continue;
            }
            let (is_key, is_role) = match d {
                Dest::Exact(a) => (
                    glob::glob_match("arn:*:kms:*:*:key/*", a),
                    glob::glob_match("arn:*:iam::*:role/*", a),
                ),
                Dest::Pattern(p) => (
                    glob::glob_overlaps(p, "arn:*:kms:*:*:key/*"),
                    glob::glob_overlaps(p, "arn:*:iam::*:role/*"),
                ),
                Dest::Not(_) => (true, true),
            };
            if is_key || is_role {
                explicit.insert((d.display(), is_key, is_role));
            }
        }
        for (d, is_key, is_role) in explicit {
            let did: ResourceId = self.sym(&d);
            if is_key {
                self.facts.aws_explicit_grant_resource.push((did, kms));
            }
            if is_role {
                self.facts.aws_explicit_grant_resource.push((did, trust));
            }
        }
        for (d, acct) in dest_accounts {
            let row = (self.sym(&d), self.sym(&acct));
            self.facts.resource_in_scope.push(row);
        }

        // Emit grants and the conditions at them.
        for (i, src, d) in &grants {
            let Some(plan) = plans.get(*i) else { continue };
            let Some(j) = at_position(d) else { continue };
            let did = self.dest_sym(&mut dids, &universe_list, j);
            match src {
                Some(s) => {
                    let pid: PrincipalId = self.sym(s);
                    self.facts.grant_destination_for.push((plan.id, pid, did));
                }
                None => self.facts.grant_destination.push((plan.id, did)),
            }
        }
        // Per plan, the destinations its condition is evaluated at: gathered here, sorted and
        // deduplicated where they are read (cheaper than a set kept sorted on every insert).
        let mut condition_points: Vec<Vec<usize>> = vec![Vec::new(); plans.len()];
        for (i, _, d) in &grants {
            if let (Some(at), Some(j)) = (condition_points.get_mut(*i), at_position(d)) {
                at.push(j);
            }
        }

        // Limiting statements: coverage of every destination in question. A resource
        // policy's statement is compared only with the destinations that may reach its
        // resource (rp_may_govern: the destination's literal prefix and the resource are
        // prefixes of one another), found through a sorted index rather than a scan.
        let mut by_literal: Vec<(&str, usize)> = Vec::new();
        let mut everywhere: Vec<usize> = Vec::new();
        for (j, d) in universe_list.iter().enumerate() {
            match d {
                Dest::Exact(a) | Dest::Pattern(a) => {
                    let literal = a.find(['*', '?']).map_or(a.as_str(), |i| &a[..i]);
                    by_literal.push((literal, j));
                }
                Dest::Not(_) => everywhere.push(j),
            }
        }
        by_literal.sort_unstable();
        // The literals by text, and their lengths: a resource's shorter prefixes are looked up
        // only at the lengths some literal has (a role ARN among thousands of role ARNs is
        // the prefix of none of them).
        let mut literal_at: HashMap<&str, Vec<usize>> = HashMap::default();
        for (l, j) in &by_literal {
            literal_at.entry(l).or_default().push(*j);
        }
        let mut literal_lengths: Vec<usize> = literal_at.keys().map(|l| l.len()).collect();
        literal_lengths.sort_unstable();
        literal_lengths.dedup();
        let may_govern = |resource: &str| -> Vec<usize> {
            let mut out = everywhere.clone();
            // Literals that start with the resource: one sorted range.
            let start = by_literal.partition_point(|(l, _)| *l < resource);
            out.extend(
                by_literal[start..]
                    .iter()
                    .take_while(|(l, _)| l.starts_with(resource))
                    .map(|(_, j)| *j),
            );
            // Literals the resource starts with (shorter ones): each prefix looked up.
            for &n in &literal_lengths {
                if n >= resource.len() {
                    break;
                }
                if let Some(js) = resource.get(..n).and_then(|p| literal_at.get(p)) {
                    out.extend(js.iter().copied());
                }
            }
            out.sort_unstable();
            out.dedup();
            out
        };
        // The destinations each resource-policy resource may reach, found once per resource.
        let mut near: HashMap<&str, Vec<usize>> = HashMap::default();
        // The destinations of each source's own access points: in targeted questions the ones
        // it asks; in whole-org questions (rules A9, R2) its grants, and the grants of the
        // resource-policy statements that name it, except on a resource of another account
        // (`rp_point_foreign`, mirrored here with the same accounts). An identity-side limiting statement (a Deny, a boundary, a session
        // policy, an SCP) is compared only with the destinations of the sources it limits, row
        // per source (`statement_resource_for`), where that is fewer rows than the whole
        // universe: a batch then costs the sum of its sources' work, not their product.
        // Whole-org questions: each source's grants by destination, as (position, plan index),
        // sorted: the plans whose action points a source has at a destination.
        let mut grants_at: HashMap<&str, Vec<(usize, usize)>> = HashMap::default();
        let own_dests: HashMap<&str, Vec<usize>> = if asked.is_none() {
            let mut accounts: HashMap<usize, Option<String>> = HashMap::default();
            for (i, src, d) in &grants {
                let Some(plan) = plans.get(*i) else { continue };
                let Some(j) = at_position(d) else { continue };
                let owners: &[&'o str] = match src {
                    Some(s) => std::slice::from_ref(s),
                    None => &plan.sources,
                };
                let account = match plan.rp {
                    Some(_) => accounts
                        .entry(j)
                        .or_insert_with(|| self.dest_account(d))
                        .clone(),
                    None => None,
                };
                for &s in owners {
                    let foreign = account
                        .as_deref()
                        .is_some_and(|y| by_arn.get(s).is_some_and(|p| of_another_account(p, y)));
                    if !foreign {
                        grants_at.entry(s).or_default().push((j, *i));
                    }
                }
            }
            let mut own: HashMap<&str, Vec<usize>> = HashMap::default();
            for (s, at) in grants_at.iter_mut() {
                at.sort_unstable();
                at.dedup();
                let mut ds: Vec<usize> = at.iter().map(|&(j, _)| j).collect();
                ds.dedup();
                own.insert(s, ds);
            }
            own
        } else {
            // Targeted questions: a source's access points are the points it asks (its grants
            // are paired with its own asked destinations only).
            // (The asked destinations are sorted, and so are their positions.)
            asked
                .iter()
                .flatten()
                .map(|(s, ds)| (*s, ds.keys().filter_map(&at_position).collect()))
                .collect()
        };
        // Whole-org questions: the action points each statement's rows name, sorted: the
        // points an identity Allow grants and the points a limiting statement touches
        // (`statement_action`, `statement_action_partial`), and the points a resource policy's
        // Allow grants by itself (`aws_rp_grant_action`).
        // (Gathered only when some limiting statement's Condition reads both the caller and the
        // resource: the only Conditions read per source and destination, below.)
        let mut actions_of: HashMap<StatementId, Vec<ActionId>> = HashMap::default();
        let mut rp_grant_actions: HashMap<StatementId, Vec<ActionId>> = HashMap::default();
        let filtered = |plan: &StatementPlan<'o>| asked.is_none() && !plan.grants_own();
        if plans
            .iter()
            .any(|p| filtered(p) && p.depends_on_principal && p.depends_on_resource)
        {
            for &(st, a) in self
                .facts
                .statement_action
                .iter()
                .chain(&self.facts.statement_action_partial)
            {
                actions_of.entry(st).or_default().push(a);
            }
            for &(st, a) in &self.facts.aws_rp_grant_action {
                rp_grant_actions.entry(st).or_default().push(a);
            }
            for v in actions_of.values_mut().chain(rp_grant_actions.values_mut()) {
                v.sort_unstable();
                v.dedup();
            }
        }
        // The action points a grant plan gives its sources.
        let granted_actions = |plan: &StatementPlan<'o>| -> &[ActionId] {
            let by = if plan.rp.is_some() {
                &rp_grant_actions
            } else {
                &actions_of
            };
            by.get(&plan.id).map_or(&[][..], Vec::as_slice)
        };
        // Whether a pattern destination's account is open (below), found once per destination.
        let mut open_account: HashMap<usize, bool> = HashMap::default();
        // Every position, for the statements compared with the whole universe.
        let every: Vec<usize> = (0..universe_list.len()).collect();
        // Resource-policy Denies and the callers of their resource's account, with whether the
        // Deny covers any destination beyond open patterns (then it may limit any caller it
        // names).
        let mut rp_denies: HashMap<StatementId, (Vec<&'o str>, bool)> = HashMap::default();
        for (i, plan) in plans.iter().enumerate() {
            if !plan.check {
                continue;
            }
            let Some(block) = plan.resource_block() else {
                continue;
            };
            let per_source = plan.resource_variants();
            // The asked actions the statement covers at least in part.
            let touched = plan_actions.get(i).and_then(Option::as_deref);
            for src in per_source {
                let principal = src.and_then(|s| by_arn.get(s).copied());
                let (patterns, uncertain) = self.resolved_patterns(plan, principal, false);
                // `Resource: "*"` (no RCP, no resource policy, no variables): it covers every
                // destination fully, said once (rules A7, A10) instead of once per destination
                // in question. Conditions that read the resource are still evaluated per
                // destination.
                let any = src.is_none()
                    && !uncertain
                    && plan.rp.is_none()
                    && plan.rcp_accounts.is_none()
                    && matches!(block, ResourceBlock::Resource(_))
                    && patterns.iter().any(|p| p == "*");
                if any {
                    self.facts.statement_resource_any.push((plan.id,));
                    if plan.depends_on_resource {
                        if let Some(at) = condition_points.get_mut(i) {
                            at.extend(0..universe_list.len());
                        }
                    }
                    continue;
                }
                let owners: &[&'o str] = match &src {
                    Some(s) => std::slice::from_ref(s),
                    None => &plan.sources,
                };
                let per_source = plan.rp.is_none()
                    && plan.rcp_accounts.is_none()
                    && owners
                        .iter()
                        .map(|s| own_dests.get(s).map_or(0, Vec::len))
                        .sum::<usize>()
                        < universe_list.len();
                // (the source a row is for, if any; the positions of the destinations to
                // compare)
                let pairs: Vec<(Option<&'o str>, std::borrow::Cow<'_, [usize]>)> = if per_source {
                    owners
                        .iter()
                        .map(|&s| {
                            let dests = match asked.as_ref().and_then(|m| m.get(s)) {
                                // A targeted question compares the statement only with the
                                // destinations where the source asks an action it covers at
                                // least in part: every rule that reads these rows joins them
                                // with the point's action (`action_touch`, rules A9 to A11).
                                Some(at) => at
                                    .iter()
                                    .filter(|(_, actions)| {
                                        touched.is_none_or(|t| {
                                            actions.iter().any(|a| t.binary_search(a).is_ok())
                                        })
                                    })
                                    .filter_map(|(d, _)| at_position(d))
                                    .collect::<Vec<usize>>()
                                    .into(),
                                None => own_dests.get(s).map_or(&[][..], Vec::as_slice).into(),
                            };
                            (Some(s), dests)
                        })
                        .collect()
                } else {
                    let candidates: &[usize] = match &plan.rp {
                        Some(rp) => near
                            .entry(rp.resource)
                            .or_insert_with(|| may_govern(rp.resource)),
                        None => &every,
                    };
                    vec![(src, candidates.into())]
                };
                // A resource policy's Deny limits a grant on a pattern that may lie in any
                // account (`*`, `arn:aws:s3:::*`, a NotResource) only for the callers of the
                // resource's own account: from any other account the resource is reached only
                // where its policy allows the caller (aws.md §5), which a grant on a pattern
                // never claims (such a grant carries no cross-account requirement either;
                // `who-can` and `explain` on the resource decide its consent and its Denies
                // together). Its partial cover of such a pattern is written per local caller
                // (`statement_resource_partial_for`). Without it, every `*` grant carried the
                // Denies of every `Principal: "*"` bucket and key policy of the organization:
                // 14,811 caveats on one administrator row of the large synthetic org.
                let local_callers: Option<Vec<&'o str>> = match &plan.rp {
                    Some(rp) if matches!(plan.statement.effect, Effect::Deny) => {
                        resource_owner(org, rp.resource, None).map(|account| {
                            rp.matches
                                .keys()
                                .copied()
                                .filter(|s| {
                                    by_arn
                                        .get(s)
                                        .is_none_or(|p| !of_another_account(p, &account))
                                })
                                .collect()
                        })
                    }
                    _ => None,
                };
                // Whether the statement covers a destination other than such a pattern.
                let mut beyond_open = false;
                // Each destination's coverage, found once for all the sources compared with it,
                // with each pattern split once.
                let mut coverage: HashMap<usize, Coverage> = HashMap::default();
                let matchers: Vec<glob::ResourceMatcher<'_>> = patterns
                    .iter()
                    .map(|p| glob::ResourceMatcher::new(p))
                    .collect();
                for (row_source, candidates) in pairs {
                    for &j in candidates.iter() {
                        let Some(&d) = universe_list.get(j) else {
                            continue;
                        };
                        let cov = match coverage.get(&j) {
                            Some(cov) => *cov,
                            None => {
                                let cov = self.limit_coverage(
                                    plan, block, &patterns, &matchers, uncertain, d,
                                );
                                coverage.insert(j, cov);
                                cov
                            }
                        };
                        if cov == Coverage::None {
                            continue;
                        }
                        if let Some(at) = condition_points.get_mut(i) {
                            at.push(j);
                        }
                        let did = self.dest_sym(&mut dids, &universe_list, j);
                        if let (None, Coverage::Partial, Some(local)) =
                            (row_source, cov, &local_callers)
                        {
                            let open = *open_account.entry(j).or_insert_with(|| {
                                !matches!(d, Dest::Exact(_)) && self.dest_account(d).is_none()
                            });
                            if open {
                                for s in local {
                                    let pid = self.sym(s);
                                    self.facts
                                        .statement_resource_partial_for
                                        .push((plan.id, pid, did));
                                }
                                continue;
                            }
                        }
                        beyond_open = true;
                        match (row_source, cov) {
                            (None, Coverage::Full) => {
                                self.facts.statement_resource.push((plan.id, did))
                            }
                            (None, _) => self.facts.statement_resource_partial.push((plan.id, did)),
                            (Some(s), Coverage::Full) => {
                                let pid = self.sym(s);
                                self.facts.statement_resource_for.push((plan.id, pid, did));
                            }
                            (Some(s), _) => {
                                let pid = self.sym(s);
                                self.facts
                                    .statement_resource_partial_for
                                    .push((plan.id, pid, did));
                            }
                        }
                    }
                }
                if let Some(local) = local_callers {
                    rp_denies.entry(plan.id).or_insert((local, false)).1 |= beyond_open;
                }
            }
        }
        // A resource-policy Deny that covers open patterns only limits the callers of its own
        // account alone: in a question about some sources, the other callers it names are not
        // checked against it at all (their `aws_rp_match_*` rows, and so their
        // `check_statement` rows, are dropped). On the large synthetic org every
        // `Principal: "*"` Deny named every caller asked. (Whole-org questions and the slices
        // that keep every match keep them: user rules read whom a statement names.)
        let keep_all = self.question.sources.keeps_every_match();
        let local_only: HashMap<StatementId, HashSet<PrincipalId>> = rp_denies
            .into_iter()
            .filter(|(_, (_, beyond))| !beyond && !keep_all)
            .map(|(st, (local, _))| (st, local.iter().map(|s| self.sym(s)).collect()))
            .collect();
        if !local_only.is_empty() {
            let keep = |row: &(StatementId, PrincipalId)| {
                local_only.get(&row.0).is_none_or(|l| l.contains(&row.1))
            };
            self.facts.aws_rp_match_direct.retain(keep);
            self.facts.aws_rp_match_role.retain(keep);
            self.facts.aws_rp_match_account.retain(keep);
        }

        // Conditions, evaluated once per what they depend on.
        for (i, plan) in plans.iter().enumerate() {
            if plan.statement.condition.is_empty() && !plan.principal_filter {
                continue;
            }
            let dests: Vec<usize> = match condition_points.get_mut(i) {
                Some(at) => {
                    let mut at = std::mem::take(at);
                    at.sort_unstable();
                    at.dedup();
                    at
                }
                None => Vec::new(),
            };
            // A resource policy's condition for a caller matters only where the caller has an
            // access point its resource may govern (whole-org questions: a statement of `*`
            // names every caller, most of them of other accounts with no grant there).
            let governed: Option<&[usize]> = match (&plan.rp, asked.is_none()) {
                (Some(rp), true) => Some(
                    near.entry(rp.resource)
                        .or_insert_with(|| may_govern(rp.resource)),
                ),
                _ => None,
            };
            let matters = |s: &str| match governed {
                Some(near) => own_dests
                    .get(s)
                    .is_some_and(|ds| near.iter().any(|j| ds.binary_search(j).is_ok())),
                None => true,
            };
            // (Only a condition that reads the caller is evaluated per source.)
            let srcs: Vec<&'o Principal> = if plan.depends_on_principal {
                plan.sources
                    .iter()
                    .filter(|s| matters(s))
                    .filter_map(|s| by_arn.get(s).copied())
                    .collect()
            } else {
                Vec::new()
            };
            match (plan.depends_on_principal, plan.depends_on_resource) {
                (false, false) => {
                    if let Some(c) = self.evaluate(plan, None, None) {
                        self.facts.statement_condition.push((plan.id, c));
                    }
                }
                (true, false) => {
                    // Sources with the same values of every caller key the condition reads
                    // get the same condition part (false, true, or the same residual), found
                    // once for them; the Principal is matched per source.
                    let caller_keys = self.shared_caller_keys(plan);
                    let mut parts: HashMap<Vec<KeyValue>, ConditionPart> = HashMap::default();
                    let mut split = self.split_condition(plan);
                    for p in &srcs {
                        let Some(principal) = principal_gate(plan, Some(p)) else {
                            continue;
                        };
                        let sig: Option<Vec<KeyValue>> = caller_keys.as_ref().map(|keys| {
                            keys.iter().map(|k| self.lookup(k, Some(p), None)).collect()
                        });
                        let part = match sig.as_ref().and_then(|s| parts.get(s)) {
                            Some(part) => part.clone(),
                            None => {
                                let part = match &mut split {
                                    Some(split) => {
                                        self.condition_part_split(plan, split, p, None, 0)
                                    }
                                    None => self.condition_part(plan, Some(p), None),
                                };
                                if let Some(sig) = sig {
                                    parts.insert(sig, part.clone());
                                }
                                part
                            }
                        };
                        if let Some(c) = self.with_principal(plan, &part, principal) {
                            let pid = self.sym(&p.arn);
                            self.facts
                                .statement_condition_principal
                                .push((plan.id, pid, c));
                        }
                    }
                }
                (false, true) => {
                    // Destinations with the same values of the keys the condition reads get
                    // the same condition, found once for them.
                    let dest_keys = self.shared_dest_keys(plan);
                    let mut found: HashMap<Vec<KeyValue>, Option<ConditionId>> = HashMap::default();
                    for &j in &dests {
                        let Some(&d) = universe_list.get(j) else {
                            continue;
                        };
                        let sig = dest_keys.as_ref().map(|keys| self.dest_signature(keys, d));
                        let c = match sig.as_ref().and_then(|s| found.get(s)) {
                            Some(c) => *c,
                            None => {
                                let c = self.evaluate(plan, None, Some(d));
                                if let Some(sig) = sig {
                                    found.insert(sig, c);
                                }
                                c
                            }
                        };
                        if let Some(c) = c {
                            let did = self.dest_sym(&mut dids, &universe_list, j);
                            self.facts
                                .statement_condition_resource
                                .push((plan.id, did, c));
                        }
                    }
                }
                (true, true) => {
                    // Sources with the same values of every caller key the condition reads
                    // get the same condition part at a destination (false, true, or the same
                    // residual: the clauses left to the request, the variable values filled
                    // in), found once for them; the Principal is matched per source.
                    let caller_keys = self.shared_caller_keys(plan);
                    // Each distinct signature's group number (hashed: when a key names the
                    // caller, such as `aws:username`, every source has its own).
                    let mut signatures: HashMap<Vec<KeyValue>, usize> = HashMap::default();
                    // Likewise destinations with the same values of the other keys the
                    // condition reads: the part is decided once per caller group and
                    // destination group (each destination its own group with contexts per
                    // request).
                    let dest_keys = self.shared_dest_keys(plan);
                    let mut dest_signatures: HashMap<Vec<KeyValue>, usize> = HashMap::default();
                    let mut dest_group: Vec<Option<usize>> = vec![None; dests.len()];
                    let mut decided: HashMap<(usize, usize), ConditionPart> = HashMap::default();
                    // With contexts per request, a condition that reads no resource key has
                    // one outcome per source and context: found once for the destinations
                    // where the source's requests share a context (by its address).
                    let per_context = self.per_destination && !plan.reads_resource;
                    let mut in_context: HashMap<usize, ConditionPart> = HashMap::default();
                    let mut split = self.split_condition(plan);
                    // Whole-org questions: a limiting statement's condition is read only at a
                    // point whose action it touches (every rule that reads `condition_at` joins
                    // the point's action with `statement_action`, `statement_action_partial`
                    // or `action_touch`), so a destination where none of the source's grants
                    // name such an action is skipped. (An SCP Deny of `ec2:TerminateInstances`
                    // on tagged resources was evaluated at every resource an ABAC grant of S3
                    // reads reached.)
                    let touch: Option<&[ActionId]> = filtered(plan)
                        .then(|| actions_of.get(&plan.id).map_or(&[][..], Vec::as_slice));
                    // Per grant plan, whether its points include one the statement touches.
                    let mut meets: HashMap<usize, bool> = HashMap::default();
                    for p in &srcs {
                        in_context.clear();
                        let Some(principal) = principal_gate(plan, Some(p)) else {
                            continue;
                        };
                        let group = caller_keys.as_ref().map(|keys| {
                            let sig: Vec<KeyValue> =
                                keys.iter().map(|k| self.lookup(k, Some(p), None)).collect();
                            let n = signatures.len();
                            *signatures.entry(sig).or_insert(n)
                        });
                        // A condition matters only at the source's own access points (rule A7
                        // joins it with them): in whole-org questions they lie among the
                        // destinations of its own grants, in targeted ones they are the
                        // destinations it asks (both lists are sorted). Not the cross product
                        // of a shared statement's sources and every destination of the run.
                        let own = own_dests.get(p.arn.as_str()).map_or(&[][..], Vec::as_slice);
                        let at: Vec<(usize, usize)> = sorted_meet(&dests, own);
                        let granted = grants_at.get(p.arn.as_str()).map_or(&[][..], Vec::as_slice);
                        for (k, j) in at {
                            let Some(&d) = universe_list.get(j) else {
                                continue;
                            };
                            if let Some(touch) = touch {
                                let from = granted.partition_point(|&(x, _)| x < j);
                                let wanted = granted
                                    .get(from..)
                                    .unwrap_or_default()
                                    .iter()
                                    .take_while(|&&(x, _)| x == j)
                                    .any(|&(_, g)| {
                                        *meets.entry(g).or_insert_with(|| {
                                            plans.get(g).is_some_and(|gp| {
                                                sorted_share(granted_actions(gp), touch)
                                            })
                                        })
                                    });
                                if !wanted {
                                    continue;
                                }
                            }
                            let context = per_context
                                .then(|| self.request_context(Some(p), Some(d)))
                                .flatten()
                                .map(|c| std::ptr::from_ref(c) as usize);
                            // The destination's group (or its own index).
                            let at = match (&dest_keys, dest_group.get_mut(k)) {
                                (Some(keys), Some(slot)) => *slot.get_or_insert_with(|| {
                                    let sig = self.dest_signature(keys, d);
                                    let n = dest_signatures.len();
                                    *dest_signatures.entry(sig).or_insert(n)
                                }),
                                _ => k,
                            };
                            let known = group
                                .and_then(|g| decided.get(&(g, at)))
                                .or_else(|| context.and_then(|c| in_context.get(&c)))
                                .cloned();
                            let part = match known {
                                Some(part) => part,
                                None => {
                                    let part = match &mut split {
                                        Some(split) => {
                                            self.condition_part_split(plan, split, p, Some(d), at)
                                        }
                                        None => self.condition_part(plan, Some(p), Some(d)),
                                    };
                                    if let Some(g) = group {
                                        decided.insert((g, at), part.clone());
                                    }
                                    if let Some(c) = context {
                                        in_context.insert(c, part.clone());
                                    }
                                    part
                                }
                            };
                            if let Some(c) = self.with_principal(plan, &part, principal) {
                                let pid = self.sym(&p.arn);
                                let did = self.dest_sym(&mut dids, &universe_list, j);
                                self.facts
                                    .statement_condition_for
                                    .push((plan.id, pid, did, c));
                            }
                        }
                    }
                }
            }
        }
    }

    /// The caller keys whose values decide the condition part of `plan` for a source
    /// ([`Builder::condition_part`]), when sources with the same values share it: `None` with
    /// one context per source, whose request keys differ, and when the condition reads
    /// `aws:PrincipalArn`, which has a value of its own for each source (nothing to share,
    /// and the values would be copied and hashed for each). (Without contexts per source, a
    /// request key is unknown, or given once, for every source; whom a resource or control
    /// policy's statement names is matched per source, outside the part.)
    fn shared_caller_keys(&self, plan: &StatementPlan<'o>) -> Option<Vec<String>> {
        if matches!(self.question.context, Context::PerRequest(_)) {
            return None;
        }
        let keys: Vec<String> = plan
            .statement
            .condition
            .iter()
            .flat_map(|c| clause_keys(c, plan.variables_enabled))
            .filter(|k| self.is_caller_key(k))
            .collect();
        (!keys.iter().any(|k| k == "aws:principalarn")).then_some(keys)
    }

    /// The keys other than the caller's that decide the condition part of `plan` at a
    /// destination ([`Builder::condition_part`]), lowercased as the evaluation looks them up,
    /// when destinations with the same values share it: `None` with contexts per request,
    /// where a request key may differ from one destination to the next. (Without them, a
    /// request key is unknown, or given once, at every destination; a resource key's value
    /// is the destination's own: its tags, its account. A check of the medium org evaluated
    /// the same tag Conditions at each of 100,000 resources with a handful of tag values.)
    fn shared_dest_keys(&self, plan: &StatementPlan<'o>) -> Option<Vec<String>> {
        if matches!(self.question.context, Context::PerRequest(_)) {
            return None;
        }
        let mut keys: Vec<String> = Vec::new();
        for c in &plan.statement.condition {
            keys.push(c.key.to_lowercase());
            if plan.variables_enabled {
                for v in &c.values {
                    keys.extend(
                        variables::referenced_keys(v)
                            .iter()
                            .map(|k| k.to_lowercase()),
                    );
                }
            }
        }
        keys.retain(|k| !self.is_caller_key(k));
        keys.sort_unstable();
        keys.dedup();
        Some(keys)
    }

    /// The values of `keys` ([`Builder::shared_dest_keys`]) at destination `d`.
    fn dest_signature(&self, keys: &[String], d: &Dest) -> Vec<KeyValue> {
        keys.iter().map(|k| self.lookup(k, None, Some(d))).collect()
    }

    /// Whether a (lowercased) condition key has a value of the caller's own: a principal key
    /// the question's context does not fix.
    fn is_caller_key(&self, key_lower: &str) -> bool {
        !self.key_is_fixed_by_context(key_lower) && key_class(key_lower) == KeyClass::Principal
    }

    /// How a limiting statement's Resource / NotResource block covers destination `d`: an RCP
    /// only for the accounts it governs, a resource policy only for its own resource, and a
    /// block with variables blanked to `*` never fully.
    /// The symbol of the destination at position `j` of `list`, made when first asked for
    /// and remembered in `memo` (so symbols are numbered in the order rows first name them).
    fn dest_sym(
        &mut self,
        memo: &mut [Option<ResourceId>],
        list: &[&Dest],
        j: usize,
    ) -> ResourceId {
        if let Some(Some(did)) = memo.get(j) {
            return *did;
        }
        let name = list.get(j).map_or_else(String::new, |d| d.display());
        let did: ResourceId = self.sym(&name);
        if let Some(slot) = memo.get_mut(j) {
            *slot = Some(did);
        }
        did
    }

    fn limit_coverage(
        &self,
        plan: &StatementPlan<'o>,
        block: &ResourceBlock,
        patterns: &[String],
        matchers: &[glob::ResourceMatcher<'_>],
        uncertain: bool,
        d: &Dest,
    ) -> Coverage {
        // An RCP reaches the resources of the accounts it governs; where the
        // destination's account is unknown (an S3 ARN, a pattern), it may.
        let rcp_reach = plan.rcp_accounts.as_ref().map(|a| self.rcp_governs(a, d));
        if rcp_reach == Some(Some(false)) {
            return Coverage::None;
        }
        // A resource policy speaks only for its own resource: skip at once the
        // destinations that cannot reach it.
        if plan
            .rp
            .as_ref()
            .is_some_and(|rp| !rp_may_govern(rp.resource, d))
        {
            return Coverage::None;
        }
        let mut cov = resource_coverage(block, patterns, matchers, d);
        // Variables blanked to `*` make the listed set larger than the real one:
        // a Resource list may then cover only part of what it seems to, and a
        // NotResource list may leave more than it seems to.
        if uncertain {
            cov = match (block, cov) {
                (ResourceBlock::Resource(_), Coverage::Full) => Coverage::Partial,
                (ResourceBlock::NotResource(_), Coverage::None) => Coverage::Partial,
                (_, other) => other,
            };
        }
        if rcp_reach == Some(None) && cov == Coverage::Full {
            cov = Coverage::Partial;
        }
        // A resource policy speaks only for its own resource.
        if let (Some(rp), false) = (&plan.rp, cov == Coverage::None) {
            if !rp_governs_fully(rp.resource, rp.bucket, d) {
                cov = cov.min(rp_governs(rp.resource, rp.bucket, d));
            }
        }
        cov
    }

    /// Evaluates a statement's Condition for a source and destination: `None` when false, the
    /// `true` condition, or the residual of the clauses that depend on the request.
    fn evaluate(
        &mut self,
        plan: &StatementPlan<'o>,
        source: Option<&Principal>,
        dest: Option<&Dest>,
    ) -> Option<ConditionId> {
        let principal = principal_gate(plan, source)?;
        let part = self.condition_part(plan, source, dest);
        self.with_principal(plan, &part, principal)
    }

    /// A statement's own Condition for a source and destination, its Principal aside (see
    /// [`principal_gate`]): false, or true but for the residual of the clauses that depend on
    /// the request. Sources with the same values of every caller key the condition reads
    /// (`shared_caller_keys`) have the same part, so callers may share it.
    fn condition_part(
        &mut self,
        plan: &StatementPlan<'o>,
        source: Option<&Principal>,
        dest: Option<&Dest>,
    ) -> ConditionPart {
        let lookup = |k: &str| self.lookup(&condition::ascii_lowercase(k), source, dest);
        let outcome =
            condition::evaluate(&plan.statement.condition, &lookup, plan.variables_enabled);
        match outcome {
            Outcome::True => self.residual_part(plan, &[], source, dest),
            Outcome::False => ConditionPart::False,
            Outcome::Unknown(indices) => self.residual_part(plan, &indices, source, dest),
        }
    }

    /// [`Builder::condition_part`] for one of many sources (no contexts per source): the
    /// clauses that read no caller key are evaluated once per destination (`at`, the
    /// destination's index; any one number without a destination) and a residual of those
    /// clauses alone is rendered once, in `split`; only the clauses that read the caller are
    /// evaluated for each source. (The same part: a Condition is the conjunction of its
    /// clauses, each decided on its own.)
    fn condition_part_split(
        &mut self,
        plan: &StatementPlan<'o>,
        split: &mut SplitCondition,
        source: &Principal,
        dest: Option<&Dest>,
        at: usize,
    ) -> ConditionPart {
        let clauses = &plan.statement.condition;
        let vars = plan.variables_enabled;
        let lookup = |k: &str| self.lookup(&condition::ascii_lowercase(k), Some(source), dest);
        let reads_caller = &split.reads_caller;
        let shared = split.shared.entry(at).or_insert_with(|| {
            let mut unknown = Vec::new();
            for (i, c) in clauses.iter().enumerate() {
                if reads_caller.get(i).copied().unwrap_or(true) {
                    continue;
                }
                match condition::evaluate_clause(c, &lookup, vars) {
                    Some(true) => {}
                    Some(false) => return None,
                    None => unknown.push(i),
                }
            }
            Some(SharedClauses {
                unknown,
                part: None,
            })
        });
        let Some(shared) = shared else {
            return ConditionPart::False;
        };
        let mut caller_unknown = Vec::new();
        for (i, c) in clauses.iter().enumerate() {
            if !reads_caller.get(i).copied().unwrap_or(true) {
                continue;
            }
            match condition::evaluate_clause(c, &lookup, vars) {
                Some(true) => {}
                Some(false) => return ConditionPart::False,
                None => caller_unknown.push(i),
            }
        }
        if caller_unknown.is_empty() {
            // The residual of the other clauses alone: the same for every source.
            if let Some(part) = &shared.part {
                return part.clone();
            }
            let part = self.residual_part(plan, &shared.unknown, Some(source), dest);
            shared.part = Some(part.clone());
            return part;
        }
        // A residual with a clause that reads the caller shows the caller's values.
        let mut unknown = shared.unknown.clone();
        unknown.extend(caller_unknown);
        unknown.sort_unstable();
        self.residual_part(plan, &unknown, Some(source), dest)
    }

    /// The condition part whose residual is clauses `indices` of a statement's Condition
    /// (none: true), rendered for a source and destination.
    fn residual_part(
        &mut self,
        plan: &StatementPlan<'o>,
        indices: &[usize],
        source: Option<&Principal>,
        dest: Option<&Dest>,
    ) -> ConditionPart {
        if indices.is_empty() {
            return ConditionPart::Holds {
                residual: None,
                alone: self.true_condition,
            };
        }
        let lookup = |k: &str| self.lookup(&condition::ascii_lowercase(k), source, dest);
        // The residual shows policy variables already known for this source resolved
        // (`in ["blue"]`, not `in ["${aws:PrincipalTag/team}"]`), so each row reads on its own.
        let parts: Vec<String> = indices
            .iter()
            .filter_map(|&i| plan.statement.condition.get(i))
            .map(|clause| {
                if !plan.variables_enabled {
                    return condition::render_clause(clause);
                }
                let mut shown = clause.clone();
                for v in &mut shown.values {
                    if variables::has_variables(v) {
                        if let Substitution::Resolved(r) = variables::substitute(v, &lookup) {
                            *v = r;
                        }
                    }
                }
                condition::render_clause(&shown)
            })
            .collect();
        let text = parts.join(" AND ");
        let alone = self.sym(&text);
        ConditionPart::Holds {
            residual: Some(text),
            alone,
        }
    }

    /// How a statement's Condition is split for [`Builder::condition_part_split`]: `None` with
    /// contexts per source (a request key may then differ between sources).
    fn split_condition(&self, plan: &StatementPlan<'o>) -> Option<SplitCondition> {
        if matches!(self.question.context, Context::PerRequest(_)) {
            return None;
        }
        #[cfg(test)]
        if tests::WHOLE_CONDITIONS.with(std::cell::Cell::get) {
            return None;
        }
        let reads_caller = plan
            .statement
            .condition
            .iter()
            .map(|c| {
                clause_keys(c, plan.variables_enabled)
                    .iter()
                    .any(|k| self.is_caller_key(k))
            })
            .collect();
        Some(SplitCondition {
            reads_caller,
            shared: HashMap::default(),
        })
    }

    /// The condition of a statement whose own Condition is `part`, for a source its Principal
    /// lets through with residual `principal` (see [`principal_gate`]).
    fn with_principal(
        &mut self,
        plan: &StatementPlan<'o>,
        part: &ConditionPart,
        principal: Option<&str>,
    ) -> Option<ConditionId> {
        let ConditionPart::Holds { residual, alone } = part else {
            return None;
        };
        let c = match (residual, principal) {
            (_, None) => *alone,
            (None, Some(b)) => self.sym(b),
            (Some(a), Some(b)) => self.sym(&format!("{b} AND {a}")),
        };
        if plan.grants_own() {
            self.allow_conditions.insert(c);
        }
        Some(c)
    }

    /// `aws:PrincipalOrgID` / `aws:ResourceOrgID` (or, with `paths`, the `...OrgPaths` value
    /// `o-id/r-id/ou-id/.../`) of an account, from the Organizations exports. An account the
    /// exports do not list is in no organization (absent); without exports it is `otherwise`.
    fn org_key(&self, account: &str, paths: bool, otherwise: KeyValue) -> KeyValue {
        let structure = &self.org.organization;
        if structure.accounts.is_empty() {
            return otherwise;
        }
        let Some(org_id) = structure.organization_id() else {
            return otherwise;
        };
        if !structure.accounts.contains_key(account) {
            return KeyValue::Absent;
        }
        if !paths {
            return KeyValue::Known(vec![org_id]);
        }
        match structure.path_to_root(account) {
            Some(path) => {
                let mut value = format!("{org_id}/");
                for level in path.iter().take(path.len().saturating_sub(1)) {
                    value.push_str(level);
                    value.push('/');
                }
                KeyValue::Known(vec![value])
            }
            None => otherwise,
        }
    }

    /// Whether an RCP governing `accounts` applies to destination `d`: d belongs to one of
    /// them and is not an AWS managed KMS key (aws.md §3.2); `None` when d's account is unknown.
    fn rcp_governs(&self, accounts: &BTreeSet<String>, d: &Dest) -> Option<bool> {
        let acct = self.dest_account(d)?;
        if !accounts.contains(&acct) {
            return Some(false);
        }
        let arn = match d {
            Dest::Exact(a) | Dest::Pattern(a) => a.as_str(),
            Dest::Not(_) => return Some(true),
        };
        Some(!matches!(
            self.org.resource_policies.kms_key_manager.get(arn),
            Some(crate::aws::resource_policies::KeyManager::Aws)
        ))
    }

    /// The account that owns a destination, when known: the question's `resource_account`, or
    /// the account segment of the ARN (without wildcards).
    fn dest_account(&self, dest: &Dest) -> Option<String> {
        match dest {
            Dest::Exact(a) | Dest::Pattern(a) => self.arn_owner(a),
            Dest::Not(_) => None,
        }
    }

    /// The account of a resource or pattern, as [`Builder::dest_account`] finds it.
    fn arn_owner(&self, arn: &str) -> Option<String> {
        resource_owner(
            self.org,
            arn,
            self.resource_accounts.get(arn).map(String::as_str),
        )
    }

    /// The value of condition key `key` (lowercased) for a request by `source` on `dest`.
    fn lookup(&self, key: &str, source: Option<&Principal>, dest: Option<&Dest>) -> KeyValue {
        // With contexts per request, a request by no source or by one the question gives no
        // context for is not known (never the case: every condition is then evaluated per
        // source and destination).
        let request = match self.request_context(source, dest) {
            Some(ctx) => {
                if let Some(v) = ctx.get(key) {
                    return KeyValue::Known(v.clone());
                }
                true
            }
            None => false,
        };
        let not_known = if request {
            KeyValue::Absent
        } else {
            KeyValue::Unknown
        };
        match key_class(key) {
            KeyClass::Principal => {
                let Some(p) = source else {
                    return KeyValue::Unknown;
                };
                if p.kind == PrincipalKind::Anonymous {
                    // An unauthenticated request carries no principal keys.
                    return KeyValue::Absent;
                }
                // Whether the caller is an AWS service principal (`lambda.amazonaws.com`), and
                // its name: known for every signed request. Users, roles and the principals of
                // other accounts are not services (global condition keys: "false for all IAM
                // principals"; only a service principal carries its service names).
                let service = is_service_principal(p);
                match key {
                    "aws:principalisawsservice" => {
                        return KeyValue::Known(vec![service.to_string()]);
                    }
                    "aws:principalservicename" | "aws:principalservicenameslist" => {
                        return if service {
                            KeyValue::Known(vec![p.arn.clone()])
                        } else {
                            KeyValue::Absent
                        };
                    }
                    // KMS's own key for the caller's account (key policies pair it with
                    // `kms:ViaService`): the account, for every caller that has one.
                    "kms:calleraccount" if !p.account.is_empty() => {
                        return KeyValue::Known(vec![p.account.clone()]);
                    }
                    // (`aws:PrincipalType` and `aws:userid`, "always included", have no
                    // documented value for a service: they stay unknown.)
                    "aws:principaltype" | "aws:userid" if service => return KeyValue::Unknown,
                    // A service principal belongs to no account, organization or user: the keys
                    // of IAM principals are not in its requests (`aws:PrincipalAccount` and the
                    // org keys are "included only if the principal is" in an account / an
                    // organization), so a perimeter Deny on `StringNotEquals
                    // aws:PrincipalAccount` does apply to it.
                    _ if service => return KeyValue::Absent,
                    _ => {}
                }
                if p.kind == PrincipalKind::External {
                    // Outside the export: its account is known, and what its ARN's shape
                    // tells (an account, a user, a role, a role session, a federated user);
                    // nothing else.
                    if crate::aws::model::is_org_outsider(p) {
                        // Any principal of another organization: its id is known, nothing
                        // else.
                        return match key {
                            "aws:principalorgid" => KeyValue::Known(vec![p.arn.clone()]),
                            _ => KeyValue::Unknown,
                        };
                    }
                    let shape = OutsiderShape::of(&p.arn);
                    return match key {
                        "aws:principalarn" if p.account.is_empty() => KeyValue::Absent,
                        // An account (its root ARN) stands for any principal of it: the ARN is
                        // known up to what follows `arn:aws:iam::ACCOUNT:`.
                        "aws:principalarn" => match (shape, p.arn.strip_suffix(":root")) {
                            (_, Some(account)) => KeyValue::Prefixed(format!("{account}:")),
                            // A role session's `aws:PrincipalArn` is its role's ARN, whose path
                            // the session ARN does not show.
                            (OutsiderShape::RoleSession, None) => KeyValue::Unknown,
                            (_, None) => KeyValue::Known(vec![p.arn.clone()]),
                        },
                        // The global condition keys page: `User`, `AssumedRole` (a role
                        // session), `FederatedUser`; an account stands for all of them and its
                        // root user (`Account`).
                        "aws:principaltype" => match shape.principal_type() {
                            Some(t) => KeyValue::Known(vec![t.to_string()]),
                            None => KeyValue::Unknown,
                        },
                        // "Always included for IAM users"; requests of roles do not include it.
                        "aws:username" => match shape {
                            OutsiderShape::User => match p.arn.rsplit_once('/') {
                                Some((_, name)) => KeyValue::Known(vec![name.to_string()]),
                                None => KeyValue::Unknown,
                            },
                            OutsiderShape::Role | OutsiderShape::RoleSession => KeyValue::Absent,
                            _ => KeyValue::Unknown,
                        },
                        // Unknown, but no id of the export's (unique IDs are global).
                        "aws:userid" => KeyValue::Outside(self.export_ids()),
                        "aws:principalaccount" if !p.account.is_empty() => {
                            KeyValue::Known(vec![p.account.clone()])
                        }
                        "aws:principalorgid" => self.org_key(&p.account, false, KeyValue::Unknown),
                        "aws:principalorgpaths" => {
                            self.org_key(&p.account, true, KeyValue::Unknown)
                        }
                        _ => KeyValue::Unknown,
                    };
                }
                let one = |s: &str| KeyValue::Known(vec![s.to_string()]);
                match key {
                    "aws:username" => match p.kind {
                        PrincipalKind::User => one(&p.name),
                        _ => KeyValue::Absent,
                    },
                    "aws:userid" => match (p.kind, self.session_name(Some(p))) {
                        (PrincipalKind::User, _) => one(&p.unique_id),
                        // A role session's userid is `RoleId:session-name`.
                        (PrincipalKind::Role, Some(Some(session))) if !p.unique_id.is_empty() => {
                            one(&format!("{}:{session}", p.unique_id))
                        }
                        // Any session of the role (a whole-org question names none): the
                        // session name, which the caller picks, follows `RoleId:`.
                        (PrincipalKind::Role, None) if !p.unique_id.is_empty() => {
                            KeyValue::Prefixed(format!("{}:", p.unique_id))
                        }
                        _ => not_known,
                    },
                    "aws:principalarn" => one(&p.arn),
                    "aws:principalaccount" => one(&p.account),
                    "aws:principaltype" => one(p.kind.principal_type()),
                    "aws:principalorgid" => self.org_key(&p.account, false, not_known),
                    "aws:principalorgpaths" => self.org_key(&p.account, true, not_known),
                    _ => {
                        let tag = key.strip_prefix("aws:principaltag/").unwrap_or_default();
                        tag_value(&p.tags, tag)
                    }
                }
            }
            KeyClass::Resource => {
                let (arn, exact) = match dest {
                    Some(Dest::Exact(a)) => (a, true),
                    Some(Dest::Pattern(a)) => (a, false),
                    _ => return KeyValue::Unknown,
                };
                if key == "aws:resourceorgid" || key == "aws:resourceorgpaths" {
                    return match dest.and_then(|d| self.dest_account(d)) {
                        Some(acct) => self.org_key(&acct, key == "aws:resourceorgpaths", not_known),
                        None => not_known,
                    };
                }
                if key == "aws:resourceaccount" {
                    if let Some(acct) = self.resource_accounts.get(arn) {
                        return KeyValue::Known(vec![acct.clone()]);
                    }
                    return match arn_account(arn) {
                        Some(a) if !a.is_empty() && !a.contains(['*', '?']) => {
                            KeyValue::Known(vec![a.to_string()])
                        }
                        _ => not_known,
                    };
                }
                if !exact && arn.contains(['*', '?']) {
                    return KeyValue::Unknown;
                }
                if let Some(tag) = key.strip_prefix("iam:resourcetag/") {
                    // `iam:ResourceTag` exists only for IAM users and roles.
                    return match self.org.principals.get(arn) {
                        Some(p) => tag_value(&p.tags, tag),
                        None if arn.contains(":iam::") => not_known,
                        None => KeyValue::Absent,
                    };
                }
                let tag = key.strip_prefix("aws:resourcetag/").unwrap_or_default();
                match self.tags_of(arn) {
                    Some(tags) => tag_value(tags, tag),
                    None => not_known,
                }
            }
            KeyClass::Request => not_known,
        }
    }
}

/// A statement's Condition as [`Builder::condition_part_split`] evaluates it for many sources.
struct SplitCondition {
    /// Per clause: it reads a caller key ([`Builder::is_caller_key`]).
    reads_caller: Vec<bool>,
    /// Per destination index: the clauses that read no caller key (`None`: one is false).
    shared: HashMap<usize, Option<SharedClauses>>,
}

/// The clauses of a Condition that read no caller key, at one destination: those that depend
/// on the request, and, once rendered, the part they make where every other clause holds.
struct SharedClauses {
    unknown: Vec<usize>,
    part: Option<ConditionPart>,
}

/// A statement's own Condition for one source (and destination), its Principal aside.
#[derive(Debug, Clone)]
enum ConditionPart {
    False,
    /// True, or true but for `residual` (the clauses that depend on the request, rendered);
    /// `alone` is the condition when the Principal adds nothing.
    Holds {
        residual: Option<String>,
        alone: ConditionId,
    },
}

/// Whether a statement's Principal lets `source` through: `None` when it does not (a resource
/// policy's statement that does not name the source, a control policy's statement whose
/// Principal / NotPrincipal leaves it out), else the residual condition of the match (a session
/// ARN when the session name is not known), if any.
fn principal_gate<'p>(
    plan: &'p StatementPlan<'_>,
    source: Option<&Principal>,
) -> Option<Option<&'p str>> {
    if let Some(rp) = &plan.rp {
        let (_, residual) = rp.matches.get(source?.arn.as_str())?;
        return Some(residual.as_deref());
    }
    if plan.principal_filter && !source.is_some_and(|p| principal_matches(plan.statement, p)) {
        return None;
    }
    Some(None)
}

/// False when destination `d` certainly does not reach `resource` (nor, for a bucket, its
/// objects): the literal text before `d`'s first wildcard is not a prefix of the resource, nor
/// the resource a prefix of `d`. String comparisons only, a filter before glob matching.
fn rp_may_govern(resource: &str, d: &Dest) -> bool {
    let a = match d {
        Dest::Exact(a) | Dest::Pattern(a) => a,
        Dest::Not(_) => return true,
    };
    let literal = a.find(['*', '?']).map_or(a.as_str(), |i| &a[..i]);
    resource.starts_with(literal) || literal.starts_with(resource)
}

/// True when the policy of `resource` decides all of destination `d` (string comparisons only:
/// `d` is the resource, or for a bucket lies among its objects with no wildcard before).
fn rp_governs_fully(resource: &str, bucket: bool, d: &Dest) -> bool {
    let a = match d {
        Dest::Exact(a) => a,
        Dest::Pattern(p) if p.find(['*', '?']).is_none_or(|i| i > resource.len()) => p,
        _ => return false,
    };
    a == resource
        || (bucket
            && a.strip_prefix(resource)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// The resource policies and the principals (for their trust policies) that may govern the
/// exact destinations `exact` (`rp_governs`), each in its map's order: the policy of each
/// destination and of each of its prefixes that ends before a `/` (for an object, its
/// bucket), and the principals the destinations name. Looked up, not compared one by one with
/// the destinations; every policy and principal when `exact` is `None`.
fn governing<'o, 'd>(
    org: &'o AwsOrg,
    exact: Option<impl IntoIterator<Item = &'d str>>,
) -> (Vec<&'o ResourcePolicy>, Vec<&'o Principal>) {
    let Some(exact) = exact else {
        return (
            org.resource_policies.policies.values().collect(),
            org.principals.values().collect(),
        );
    };
    let dests: BTreeSet<&str> = exact.into_iter().collect();
    let keys: BTreeSet<&str> = dests
        .iter()
        .flat_map(|a| {
            std::iter::once(*a).chain(a.match_indices('/').filter_map(|(i, _)| a.get(..i)))
        })
        .collect();
    (
        keys.iter()
            .filter_map(|k| org.resource_policies.policies.get(*k))
            .collect(),
        dests
            .iter()
            .filter_map(|d| org.principals.get(*d))
            .collect(),
    )
}

/// How much of destination `d` the policy of `resource` decides: all of it when `d` is the
/// resource (or, for a bucket, lies among its objects), part of it when `d` is a pattern that
/// may include the resource.
fn rp_governs(resource: &str, bucket: bool, d: &Dest) -> Coverage {
    let within = |a: &str| {
        a == resource
            || (bucket
                && a.strip_prefix(resource)
                    .is_some_and(|rest| rest.starts_with('/')))
    };
    match d {
        Dest::Exact(a) => {
            if within(a) {
                Coverage::Full
            } else if a.contains(['*', '?'])
                && (glob::glob_overlaps(a, resource)
                    || (bucket && glob::glob_overlaps(a, &format!("{resource}/*"))))
            {
                Coverage::Partial
            } else {
                Coverage::None
            }
        }
        Dest::Pattern(p) => {
            // Within the resource only if no wildcard reaches before the resource's end.
            let fixed = p.find(['*', '?']).is_none_or(|i| i > resource.len());
            if within(p) && fixed {
                Coverage::Full
            } else if glob::glob_overlaps(p, resource)
                || (bucket && glob::glob_overlaps(p, &format!("{resource}/*")))
            {
                Coverage::Partial
            } else {
                Coverage::None
            }
        }
        Dest::Not(_) => Coverage::Partial,
    }
}

/// How one AWS principal entry of a resource policy names caller `p`.
enum EntryMatch {
    No,
    Yes(RpHow),
    /// A session ARN of `p`'s role, with this session name.
    Session(String),
}

fn entry_match(v: &str, p: &Principal) -> EntryMatch {
    if v == "*" {
        return EntryMatch::Yes(RpHow::Direct);
    }
    if p.kind == PrincipalKind::Anonymous {
        return EntryMatch::No;
    }
    // `v` after `arn:aws:iam::ACCOUNT:` or `arn:aws:sts::ACCOUNT:` for `p`'s account (compared
    // in place: this runs for every caller a statement may name).
    let in_account = |prefix: &str| {
        v.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(p.account.as_str()))
            .and_then(|r| r.strip_prefix(':'))
    };
    let is_root = in_account("arn:aws:iam::") == Some("root");
    if p.kind == PrincipalKind::External {
        // `*` reaches outsiders as the anonymous caller does; an outsider is named by its ARN
        // (or, for an account, its root ARN or id).
        return if v == p.arn {
            EntryMatch::Yes(RpHow::Direct)
        } else if !p.account.is_empty() && (v == p.account || is_root) {
            EntryMatch::Yes(RpHow::Account)
        } else {
            EntryMatch::No
        };
    }
    if v == p.account || is_root {
        return EntryMatch::Yes(RpHow::Account);
    }
    match p.kind {
        PrincipalKind::User if v == p.arn => EntryMatch::Yes(RpHow::Direct),
        PrincipalKind::Role => {
            if let Some(rest) =
                in_account("arn:aws:sts::").and_then(|r| r.strip_prefix("assumed-role/"))
            {
                return match rest.split_once('/') {
                    Some((role, session)) if role == p.name => {
                        EntryMatch::Session(session.to_string())
                    }
                    _ => EntryMatch::No,
                };
            }
            if v == p.arn {
                return EntryMatch::Yes(RpHow::Role);
            }
            // A role ARN names the role whatever the path it is written with (the role's
            // name is unique in its account, case-insensitively).
            match in_account("arn:aws:iam::")
                .and_then(|r| r.strip_prefix("role/"))
                .and_then(|r| r.rsplit('/').next())
            {
                Some(name) if name.eq_ignore_ascii_case(&p.name) => EntryMatch::Yes(RpHow::Role),
                _ => EntryMatch::No,
            }
        }
        _ => EntryMatch::No,
    }
}

/// What an outsider's ARN says of the principals that may make its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutsiderShape {
    /// `arn:aws:iam::A:root` (or a bare account id): any principal of the account.
    Account,
    /// `arn:aws:iam::A:user/...`.
    User,
    /// `arn:aws:iam::A:role/...`: the caller is a session of the role.
    Role,
    /// `arn:aws:sts::A:assumed-role/ROLE/SESSION`.
    RoleSession,
    /// `arn:aws:sts::A:federated-user/NAME`.
    FederatedUser,
    /// Anything else (an AWS service, an ARN of another shape).
    Other,
}

impl OutsiderShape {
    fn of(arn: &str) -> Self {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        let iam = arn.starts_with("arn:aws:iam::");
        let sts = arn.starts_with("arn:aws:sts::");
        if iam && resource == "root" {
            OutsiderShape::Account
        } else if iam && resource.starts_with("user/") {
            OutsiderShape::User
        } else if iam && resource.starts_with("role/") {
            OutsiderShape::Role
        } else if sts && resource.starts_with("assumed-role/") {
            OutsiderShape::RoleSession
        } else if sts && resource.starts_with("federated-user/") {
            OutsiderShape::FederatedUser
        } else {
            OutsiderShape::Other
        }
    }

    /// The `aws:PrincipalType` of every request such an outsider makes, when there is one.
    fn principal_type(self) -> Option<&'static str> {
        match self {
            OutsiderShape::User => Some("User"),
            OutsiderShape::Role | OutsiderShape::RoleSession => Some("AssumedRole"),
            OutsiderShape::FederatedUser => Some("FederatedUser"),
            OutsiderShape::Account | OutsiderShape::Other => None,
        }
    }
}

/// An AWS service principal (`cloudtrail.amazonaws.com`): an outsider with no account and no ARN.
fn is_service_principal(p: &Principal) -> bool {
    p.kind == PrincipalKind::External
        && p.account.is_empty()
        && !p.arn.starts_with("arn:")
        && !crate::aws::model::is_org_outsider(p)
}

/// A service-linked role (path `/aws-service-role/`): neither SCPs nor RCPs limit it.
fn is_service_linked(p: &Principal) -> bool {
    p.kind == PrincipalKind::Role && p.path.starts_with("/aws-service-role/")
}

/// The AWS principal entries of a Principal / NotPrincipal block (`"*"` for `Principal: "*"`);
/// federated and canonical-user entries never name an IAM caller, and service entries name
/// only the service principals iamlog knows as outsiders (`service` true).
fn aws_entries(block: &PrincipalBlock, service: bool) -> Vec<&str> {
    let wanted = |kind: &PolicyPrincipalKind| {
        *kind == PolicyPrincipalKind::Aws || (service && *kind == PolicyPrincipalKind::Service)
    };
    match block {
        PrincipalBlock::Any => vec!["*"],
        PrincipalBlock::Map(entries) => entries
            .iter()
            .filter(|(kind, _)| wanted(kind))
            .flat_map(|(_, values)| values.iter().map(String::as_str))
            .collect(),
    }
}

/// Whether, and how, resource-policy statement `st` names caller `p` (aws.md §4.1, §6.3): the
/// strongest of its Principal entries, or `Direct` for a NotPrincipal that lists none of the
/// caller's names. A session ARN decides by the request's session name (`session`): unknown
/// (`None`) leaves the match conditional. A Deny with NotPrincipal applies to every principal
/// that has a permissions boundary, whatever it lists (aws.md §4.2).
fn rp_match(
    st: &Statement,
    p: &Principal,
    session: Option<Option<&str>>,
) -> Option<(RpHow, Option<String>)> {
    let scan = |block: &PrincipalBlock| {
        let mut best: Option<RpHow> = None;
        let mut sessions: Vec<String> = Vec::new();
        for v in aws_entries(block, is_service_principal(p)) {
            // An outsider gets access only from statements that name it (rule R11), not from
            // every `Principal: "*"` Allow; but a `*` Deny applies to it as to anyone (the
            // reason data-perimeter Denies exempt services with `aws:PrincipalIsAWSService`).
            // A `*` Allow whose condition names accounts (`aws:PrincipalAccount`, an
            // `aws:PrincipalArn` of an account) reaches the outsiders of those accounts: the
            // condition then decides for each.
            if v == "*"
                && p.kind == PrincipalKind::External
                && matches!(st.effect, Effect::Allow)
                && !crate::aws::model::condition_accounts(st).contains(&p.account)
                && !(crate::aws::model::is_org_outsider(p)
                    && crate::aws::model::condition_orgs(st).contains(&p.arn))
            {
                continue;
            }
            match entry_match(v, p) {
                EntryMatch::Yes(h) => best = best.max(Some(h)),
                EntryMatch::Session(s) => sessions.push(s),
                EntryMatch::No => {}
            }
        }
        (best, sessions)
    };
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (&st.principal, &st.not_principal) {
        (Some(block), None) => {
            let (best, sessions) = scan(block);
            if best == Some(RpHow::Direct) {
                return Some((RpHow::Direct, None));
            }
            match session {
                Some(Some(name)) if sessions.iter().any(|s| s == name) => {
                    Some((RpHow::Direct, None))
                }
                Some(_) => best.map(|h| (h, None)),
                None => match best {
                    Some(h) => Some((h, None)),
                    None if !sessions.is_empty() => Some((
                        RpHow::Direct,
                        Some(format!("role session name in [{}]", quoted(&sessions))),
                    )),
                    None => None,
                },
            }
        }
        (_, Some(block)) => {
            if matches!(st.effect, Effect::Deny) && p.boundary.is_some() {
                return Some((RpHow::Direct, None));
            }
            let (best, sessions) = scan(block);
            if best.is_some() {
                return None;
            }
            match session {
                Some(Some(name)) if sessions.iter().any(|s| s == name) => None,
                Some(_) => Some((RpHow::Direct, None)),
                None if !sessions.is_empty() => Some((
                    RpHow::Direct,
                    Some(format!("role session name not in [{}]", quoted(&sessions))),
                )),
                None => Some((RpHow::Direct, None)),
            }
        }
        (None, None) => None,
    }
}

/// True for an Allow statement that makes a bucket policy public in the sense of S3 Block
/// Public Access: no Principal element, or `*` without a condition that pins the caller to
/// known accounts, organizations, networks or services (the S3 "public" definition; the same
/// keys iam-simulate 0.1.173 checks).
fn statement_is_public(st: &Statement) -> bool {
    let block = match (&st.principal, &st.not_principal) {
        (None, _) => return true,
        (Some(b), _) => b,
    };
    if !aws_entries(block, false).contains(&"*") {
        return false;
    }
    !st.condition.iter().any(limits_public_access)
}

/// True when a condition clause pins a public statement to known callers (see
/// [`statement_is_public`]).
fn limits_public_access(clause: &ConditionClause) -> bool {
    let key = clause.key.to_ascii_lowercase();
    let op = clause.operator.name();
    let values = &clause.values;
    let wild = |v: &String| v.contains(['*', '?']);
    let fixed_value = || {
        matches!(
            op.as_str(),
            "StringEquals" | "StringEqualsIgnoreCase" | "ForAnyValue:StringEquals"
        ) || (op == "StringLike" && !values.iter().any(wild))
    };
    let arn_fixed_account = |v: &String| {
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        parts
            .get(4)
            .is_some_and(|a| !a.is_empty() && !a.contains(['*', '?']))
    };
    let arn_wild_only_in_resource = |v: &String| {
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        parts.iter().take(5).all(|p| !p.contains(['*', '?']))
    };
    let fixed_org_path = |v: &str| {
        v.starts_with("o-")
            && v.split_once('/').is_some_and(|(_, rest)| !rest.is_empty())
            && !v.contains(['*', '?'])
    };
    match key.as_str() {
        "aws:principalorgid"
        | "aws:principalaccount"
        | "aws:sourcevpce"
        | "aws:sourcevpc"
        | "aws:vpceaccount"
        | "aws:vpceorgid"
        | "aws:sourceaccount" => fixed_value(),
        "aws:principalarn" => match op.as_str() {
            "ArnEquals" => values.iter().all(arn_fixed_account),
            "ArnLike" => values
                .iter()
                .all(|v| arn_fixed_account(v) && arn_wild_only_in_resource(v)),
            _ => false,
        },
        "aws:principalorgpaths" | "aws:vpceorgpaths" => match op.as_str() {
            "StringEquals" => values.iter().all(|v| fixed_org_path(v)),
            "StringLike" => values.iter().all(|v| {
                let base = v.strip_suffix('*').unwrap_or(v);
                fixed_org_path(base)
            }),
            _ => false,
        },
        "aws:principalisawsservice" => {
            matches!(
                op.as_str(),
                "Bool" | "StringEquals" | "StringEqualsIgnoreCase" | "StringLike"
            ) && values.iter().all(|v| v.eq_ignore_ascii_case("true"))
        }
        "aws:principalservicename" | "aws:principalservicenameslist" => {
            matches!(
                op.as_str(),
                "StringEquals"
                    | "ForAnyValue:StringEquals"
                    | "StringLike"
                    | "ForAnyValue:StringLike"
            ) && values.iter().all(|v| {
                v.strip_suffix(".amazonaws.com")
                    .or_else(|| v.strip_suffix(".amazonaws.com.cn"))
                    .is_some_and(|svc| {
                        svc == "*"
                            || (!svc.is_empty()
                                && svc.bytes().all(|b| {
                                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
                                }))
                    })
            })
        }
        "aws:userid" => match op.as_str() {
            "StringEquals" => !values.iter().any(wild),
            "StringLike" => values.iter().all(|v| {
                v.strip_suffix(":*").is_some_and(|id| {
                    !id.is_empty()
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                })
            }),
            _ => false,
        },
        "aws:sourceip" => op == "IpAddress" && values.iter().all(|v| source_ip_is_non_public(v)),
        "aws:sourcearn" | "aws:sourcevpcarn" => {
            op == "ArnEquals" && values.iter().all(arn_fixed_account)
        }
        _ => false,
    }
}

/// True when a CIDR is private or narrow enough not to count as public (S3 BPA rules).
fn source_ip_is_non_public(cidr: &str) -> bool {
    let Some((addr, prefix)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u32>() else {
        return false;
    };
    if addr.contains(':') {
        return prefix >= 32;
    }
    let mut octets = addr.split('.').map(|o| o.parse::<u32>());
    let (Some(Ok(a)), Some(Ok(b))) = (octets.next(), octets.next()) else {
        return false;
    };
    a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) || prefix >= 8
}

/// True when a statement's `Principal` is everyone (`"*"` or `{"AWS": "*"}`), or it names none.
fn principal_is_anyone(st: &Statement) -> bool {
    match (&st.principal, &st.not_principal) {
        (_, Some(_)) => false,
        (None, None) => true,
        (Some(block), None) => block.is_everyone(),
    }
}

/// True when a statement's `Principal` / `NotPrincipal` matches IAM principal `p`: `*`, its
/// ARN, its account id or the account's root ARN (aws.md §6.3).
fn principal_matches(st: &Statement, p: &Principal) -> bool {
    let names = |block: &PrincipalBlock| match block {
        PrincipalBlock::Any => true,
        PrincipalBlock::Map(entries) => entries.iter().any(|(kind, values)| {
            *kind == PolicyPrincipalKind::Aws
                && values.iter().any(|v| {
                    v == "*"
                        || *v == p.arn
                        || *v == p.account
                        || *v == format!("arn:aws:iam::{}:root", p.account)
                })
        }),
    };
    match (&st.principal, &st.not_principal) {
        (_, Some(block)) => !names(block),
        (Some(block), None) => names(block),
        (None, None) => true,
    }
}

/// Whether an SCP statement allows every action on every resource to every caller, always:
/// `Allow` of `"*"` on `"*"` with no Condition (`FullAWSAccess`). It covers every access point
/// fully and unconditionally, so a level it is attached at never blocks nor limits an access
/// (rules O4, A16 read `aws_scp_level_open`).
fn scp_statement_is_open(st: &Statement) -> bool {
    matches!(st.effect, Effect::Allow)
        && matches!(&st.action, ActionBlock::Action(v) if v.iter().any(|a| a == "*"))
        && matches!(&st.resource, Some(ResourceBlock::Resource(v)) if v.iter().any(|r| r == "*"))
        && st.condition.is_empty()
        && st.principal.is_none()
        && st.not_principal.is_none()
}

/// The display id and document of SCP `id`. `FullAWSAccess` (`p-FullAWSAccess`, Allow `*` on
/// `*`) is known even when its `describe-policy` output is missing.
fn scp_document<'o>(org: &'o AwsOrg, id: &str) -> Option<(String, &'o PolicyDocument)> {
    static FULL_AWS_ACCESS: OnceLock<Option<PolicyDocument>> = OnceLock::new();
    let policy = org.organization.policies.get(id)?;
    if policy.kind != crate::aws::organizations::OrgPolicyKind::Scp {
        return None;
    }
    let name = policy.arn.clone().unwrap_or_else(|| policy.id.clone());
    match &policy.document {
        Some(doc) => Some((name, doc)),
        None if policy.id == "p-FullAWSAccess" => {
            let doc = FULL_AWS_ACCESS.get_or_init(|| {
                let json = serde_json::json!({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
                crate::aws::policy::parse_policy(&json, "").ok()
            });
            doc.as_ref().map(|d| (name, d))
        }
        None => None,
    }
}

pub(crate) fn tag_value(tags: &[(String, String)], key_lower: &str) -> KeyValue {
    match tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key_lower)) {
        Some((_, v)) => KeyValue::Known(vec![v.clone()]),
        None => KeyValue::Absent,
    }
}

/// Replaces every `${...}` in `s` with `*`.
fn blank_variables(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push('*');
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_and_blanking() {
        assert_eq!(
            variable_names("arn:aws:s3:::b/${aws:username}/${aws:PrincipalTag/team, 'x'}/${*}"),
            vec![
                "aws:username".to_string(),
                "aws:principaltag/team".to_string()
            ]
        );
        assert_eq!(blank_variables("a/${aws:username}/b"), "a/*/b");
    }

    #[test]
    fn only_an_unconditional_allow_of_everything_opens_an_scp_level() {
        let open = |st: &str| {
            let doc = crate::aws::policy::parse_policy_text(
                &format!(r#"{{"Version": "2012-10-17", "Statement": [{st}]}}"#),
                "",
            )
            .expect("a policy");
            doc.statements.iter().any(scp_statement_is_open)
        };
        assert!(open(
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#
        ));
        assert!(open(
            r#"{"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["arn:aws:s3:::b", "*"]}"#
        ));
        for closed in [
            r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
            r#"{"Effect": "Allow", "Action": "*:*", "Resource": "arn:aws:s3:::*"}"#,
            r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#,
            r#"{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"}"#,
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#,
        ] {
            assert!(!open(closed), "{closed} opens a level");
        }
    }

    #[test]
    fn sorted_meet_keeps_the_shared_entries_with_their_index() {
        let e = |s: &str| Dest::Exact(s.to_string());
        let pat = |s: &str| Dest::Pattern(s.to_string());
        let all = vec![
            e("a"),
            e("c"),
            e("e"),
            pat("a*"),
            pat("z*"),
            Dest::Not(vec!["x".into()]),
        ];
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, all, "the fixture is sorted");
        let (b, c, z, not, extra) = (
            e("b"),
            e("c"),
            pat("z*"),
            Dest::Not(vec!["x".into()]),
            e("zz"),
        );
        let some = vec![&b, &c, &extra, &z, &not];
        let mut some_sorted = some.clone();
        some_sorted.sort();
        let all: Vec<&Dest> = all.iter().collect();
        let met: Vec<(usize, &Dest)> = sorted_meet(&all, &some_sorted);
        assert_eq!(met, vec![(1, &c), (4, &z), (5, &not)]);
        assert!(sorted_meet(&all, &[]).is_empty());
        assert!(sorted_meet(&[], &some_sorted).is_empty());
        assert_eq!(sorted_meet(&all, &all).len(), all.len());
    }

    /// `may_be_granted` drops a caller whose Allows of the action name other resources only,
    /// and keeps one whose Resource names a variable, one with a NotResource and one whose
    /// Resource matches.
    #[test]
    fn may_be_granted_reads_the_resource_of_identity_allows() {
        let user = |name: &str, statement: &str| {
            format!(
                r#"{{"UserName": "{name}", "UserId": "AIDA{:0>17}", "Path": "/",
                "Arn": "arn:aws:iam::111122223333:user/{name}", "GroupList": [],
                "AttachedManagedPolicies": [],
                "UserPolicyList": [{{"PolicyName": "p", "PolicyDocument":
                  {{"Version": "2012-10-17", "Statement": [{statement}]}}}}]}}"#,
                name.len()
            )
        };
        let users = [
            user(
                "other",
                r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}"#,
            ),
            user(
                "bucket-only",
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}"#,
            ),
            user(
                "deny-only",
                r#"{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
            ),
            user(
                "matching",
                r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/r*"}"#,
            ),
            user(
                "variable",
                r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${aws:username}/*"}"#,
            ),
            user(
                "not-resource",
                r#"{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::other/*"}"#,
            ),
        ];
        let gaad = format!(
            r#"{{"UserDetailList": [{}], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}}"#,
            users.join(",")
        );
        let org = crate::aws::gaad::test_org(&gaad);
        let callers: Vec<String> = org.users_and_roles().map(|p| p.arn.clone()).collect();
        let kept = |resource: &str| -> Vec<String> {
            may_be_granted(&org, &callers, "s3:GetObject", resource)
                .iter()
                .filter_map(|a| a.rsplit('/').next().map(str::to_string))
                .collect()
        };
        assert_eq!(
            kept("arn:aws:s3:::b/report"),
            ["matching", "not-resource", "variable"]
        );
        assert_eq!(
            kept("arn:aws:s3:::other/x"),
            ["not-resource", "other", "variable"]
        );
        // A resource pattern in the question keeps every caller with an Allow of the action.
        assert_eq!(
            kept("arn:aws:s3:::b/*"),
            [
                "bucket-only",
                "matching",
                "not-resource",
                "other",
                "variable"
            ]
        );
    }

    /// GAAD group `g` of account 111122223333 with one inline policy `gp` of `statements`.
    fn group_g(statements: &str) -> String {
        format!(
            r#"{{"GroupName": "g", "GroupId": "AGPA00000000000000001",
              "Path": "/", "Arn": "arn:aws:iam::111122223333:group/g",
              "AttachedManagedPolicies": [],
              "GroupPolicyList": [{{"PolicyName": "gp", "PolicyDocument":
                {{"Version": "2012-10-17", "Statement": [{statements}]}}}}]}}"#
        )
    }

    /// A finder that looks at every policy in advance (on one thread or two) keeps the callers
    /// that looking up each caller's policies keeps: own inline and managed policies, a group's,
    /// Action / NotAction, Resource / NotResource, variables, and a bucket policy that names a
    /// caller of another account.
    #[test]
    fn scanning_finders_keep_the_callers_a_lookup_keeps() {
        let user = |account: &str, name: &str, groups: &str, managed: &str, statement: &str| {
            format!(
                r#"{{"UserName": "{name}", "UserId": "AIDA{:0>17}", "Path": "/",
                "Arn": "arn:aws:iam::{account}:user/{name}", "GroupList": [{groups}],
                "AttachedManagedPolicies": [{managed}],
                "UserPolicyList": [{{"PolicyName": "p", "PolicyDocument":
                  {{"Version": "2012-10-17", "Statement": [{statement}]}}}}]}}"#,
                name.len()
            )
        };
        let reads =
            r#"{"PolicyName": "reads", "PolicyArn": "arn:aws:iam::111122223333:policy/reads"}"#;
        let deny = r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#;
        let users = [
            user(
                "111122223333",
                "inline",
                "",
                "",
                r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}"#,
            ),
            user("111122223333", "managed", "", reads, deny),
            user("111122223333", "grouped", r#""g""#, "", deny),
            user(
                "111122223333",
                "not-action",
                "",
                "",
                r#"{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}"#,
            ),
            user(
                "111122223333",
                "variable",
                "",
                "",
                r#"{"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:*:${aws:username}"}"#,
            ),
            user(
                "111122223333",
                "nothing",
                "",
                "",
                r#"{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}"#,
            ),
            user(
                "444455556666",
                "foreign",
                "",
                "",
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
            ),
            user("444455556666", "named", "", "", deny),
        ];
        let gaad = format!(
            r#"{{"UserDetailList": [{}],
                "GroupDetailList": [{}],
                "RoleDetailList": [],
                "Policies": [{{"PolicyName": "reads", "PolicyId": "ANPA00000000000000001",
                  "Arn": "arn:aws:iam::111122223333:policy/reads", "Path": "/",
                  "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
                  "PolicyVersionList": [{{"VersionId": "v1", "IsDefaultVersion": true,
                    "Document": {{"Version": "2012-10-17", "Statement": [
                      {{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}},
                      {{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:q"}}]}}}}]}}]}}"#,
            users.join(","),
            group_g(
                r#"{"Effect": "Allow", "Action": ["kms:Decrypt", "s3:GetObject"], "Resource": "*"}"#
            )
        );
        let mut org = crate::aws::gaad::test_org(&gaad);
        let bucket_policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:user/named"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
        let document = crate::aws::policy::parse_policy_text(bucket_policy, "")
            .unwrap_or_else(|e| panic!("{e}"));
        org.resource_policies.policies.insert(
            "arn:aws:s3:::b".to_string(),
            crate::aws::resource_policies::ResourcePolicy {
                arn: "arn:aws:s3:::b".to_string(),
                service: Service::S3Bucket,
                document,
                source: Default::default(),
            },
        );
        org.resource_policies
            .s3_bucket_account
            .insert("arn:aws:s3:::b".to_string(), "111122223333".to_string());
        org.index_external();
        let callers: Vec<&Principal> = org.users_and_roles().collect();
        assert_eq!(callers.len(), 8);
        let names = |kept: &[bool]| -> Vec<&str> {
            callers
                .iter()
                .zip(kept)
                .filter(|(_, k)| **k)
                .filter_map(|(p, _)| p.arn.rsplit('/').next())
                .collect()
        };
        let asked = [
            ("s3:GetObject", "arn:aws:s3:::b/r"),
            ("s3:ListBucket", "arn:aws:s3:::b"),
            ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"),
            (
                "sqs:SendMessage",
                "arn:aws:sqs:us-east-1:111122223333:other",
            ),
            ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k"),
            ("iam:PassRole", "arn:aws:iam::111122223333:role/r"),
            ("s3:GetObject", "arn:aws:s3:::x"),
            ("s3:Get*", "arn:aws:s3:::b/r"),
        ];
        for (action, resource) in asked {
            let looked_up = may_be_granted_among(&org, &callers, action, resource, None);
            for threads in [1, 2] {
                // (Split in halves whatever the number of policies.)
                let scanned = GrantFinder::scanning_split(&org, action, resource, None, threads, 1)
                    .among(&callers);
                assert_eq!(
                    names(&scanned),
                    names(&looked_up),
                    "{action} on {resource}, {threads} threads"
                );
            }
        }
        // The finders are compared on callers kept and dropped: `foreign` (another account,
        // not named by the bucket policy that governs the bucket and its objects) is always
        // dropped, `managed` (`s3:List*`) is kept for the bucket only, `named` is kept because
        // the bucket policy names it.
        let kept = |action: &str, resource: &str| {
            names(&may_be_granted_among(
                &org, &callers, action, resource, None,
            ))
            .join(" ")
        };
        assert_eq!(
            kept("s3:GetObject", "arn:aws:s3:::b/r"),
            "grouped inline not-action named"
        );
        assert_eq!(
            kept("s3:ListBucket", "arn:aws:s3:::b"),
            "managed not-action named"
        );
    }

    /// A question about some sources attaches only the policies with a statement planned (an
    /// attachment of any other joins with no statement); a whole-org question attaches every
    /// policy, for user rules.
    #[test]
    fn targeted_questions_attach_the_policies_with_a_statement_planned() {
        let gaad = r#"{"UserDetailList": [{"UserName": "u", "UserId": "AIDA00000000000000001",
              "Path": "/", "Arn": "arn:aws:iam::111122223333:user/u", "GroupList": [],
              "AttachedManagedPolicies": [],
              "UserPolicyList": [
                {"PolicyName": "reads", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}},
                {"PolicyName": "launches", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]}}]}],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
        let org = crate::aws::gaad::test_org(gaad);
        let callers = vec!["arn:aws:iam::111122223333:user/u".to_string()];
        let attached = |question: &Question| -> Vec<String> {
            let facts = build(&org, question, Catalogue::embedded());
            named_facts(&facts)
                .remove("policy_attached")
                .unwrap_or_default()
                .into_iter()
                .filter_map(|row| {
                    row.get(1)
                        .and_then(|p| p.rsplit('/').next())
                        .map(str::to_string)
                })
                .collect()
        };
        let question = Question::at_one_point(callers, "s3:GetObject", "arn:aws:s3:::b/k", None);
        assert_eq!(attached(&question), ["reads"]);
        assert_eq!(attached(&Question::whole_org()), ["launches", "reads"]);
    }

    thread_local! {
        /// Set by a test: each source's Condition evaluated whole, never split.
        pub(super) static WHOLE_CONDITIONS: std::cell::Cell<bool> =
            const { std::cell::Cell::new(false) };
    }

    /// Every input relation of `facts`, as sorted rows of names (ids depend on the order in
    /// which names are first met).
    fn named_facts(facts: &Facts) -> BTreeMap<&'static str, Vec<Vec<String>>> {
        iamlog_engine::schema::SCHEMA
            .iter()
            .filter_map(|r| {
                let rows = facts.rows(r.name)?;
                let mut named: Vec<Vec<String>> = rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|s| facts.interner.resolve(*s).to_string())
                            .collect()
                    })
                    .collect();
                named.sort();
                Some((r.name, named))
            })
            .collect()
    }

    /// A statement's Condition evaluated for many sources with its clauses split (those that
    /// read no caller key once, the rest per source) gives the facts of evaluating it whole
    /// for each source: in a targeted question at an exact resource and at a pattern, and in
    /// a whole-org question.
    #[test]
    fn split_conditions_give_the_facts_of_whole_ones() {
        let user = |name: &str, tags: &str| {
            format!(
                r#"{{"UserName": "{name}", "UserId": "AIDA{:0>17}", "Path": "/",
                "Arn": "arn:aws:iam::111122223333:user/{name}", "GroupList": ["g"],
                "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": [{tags}]}}"#,
                name.len()
            )
        };
        let team = |t: &str| format!(r#"{{"Key": "team", "Value": "{t}"}}"#);
        let users = [
            user("admin1", &team("blue")),
            user("u1", &team("blue")),
            user("u2", &team("red")),
            user("u3", ""),
            user("u4", &team("blue")),
        ];
        let statements = [
            // A caller clause and a request clause: the residual is the request's.
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
              "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:user/admin*"]},
                            "Bool": {"aws:SecureTransport": "true"}}}"#,
            // Caller and request keys in one operator.
            r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*",
              "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue",
                                             "aws:SourceVpc": "vpc-1"}}}"#,
            // A request key whose value names the caller's tag: shown resolved per source.
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
              "Condition": {"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}/*"},
                            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}"#,
            // A resource key and a caller key (per source and destination).
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
              "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"},
                            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/u*"}}}"#,
            // Limiting statements: a Deny and its partial cousin.
            r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
              "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "blue"},
                            "Bool": {"aws:MultiFactorAuthPresent": "false"}}}"#,
            r#"{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret*",
              "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/u2"},
                            "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}"#,
        ];
        let gaad = format!(
            r#"{{"UserDetailList": [{}], "GroupDetailList": [{}],
                "RoleDetailList": [], "Policies": []}}"#,
            users.join(","),
            group_g(&statements.join(","))
        );
        let org = crate::aws::gaad::test_org(&gaad);
        let callers: Vec<String> = org.users_and_roles().map(|p| p.arn.clone()).collect();
        assert_eq!(callers.len(), 5);
        // A request that gives some request keys (a clause that reads none of the caller's
        // may then be false for every source).
        let mut request = Question::at_one_point(
            callers.clone(),
            "s3:GetObject",
            "arn:aws:s3:::b/secret1",
            None,
        );
        request.context = Context::Request(
            [
                ("aws:securetransport", "false"),
                ("aws:multifactorauthpresent", "false"),
                ("aws:sourcevpc", "vpc-1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect(),
        );
        let questions = [
            Question::at_one_point(callers.clone(), "s3:GetObject", "arn:aws:s3:::b/x", None),
            Question::at_one_point(callers.clone(), "s3:GetObject", "arn:aws:s3:::b/*", None),
            Question::whole_org(),
            request,
        ];
        let catalogue = Catalogue::embedded();
        for q in &questions {
            let split = named_facts(&build(&org, q, catalogue));
            WHOLE_CONDITIONS.with(|w| w.set(true));
            let whole = named_facts(&build(&org, q, catalogue));
            WHOLE_CONDITIONS.with(|w| w.set(false));
            assert_eq!(split, whole);
            // The conditions were evaluated per source, with residuals of their own.
            let per_source = split
                .get("statement_condition_principal")
                .map_or(0, Vec::len)
                + split.get("statement_condition_for").map_or(0, Vec::len);
            assert!(per_source >= 5, "{per_source}");
        }
        // The residual shows the caller's own tag, and the request's clause alone where
        // the caller's clause holds.
        let facts = named_facts(&build(&org, &questions[0], catalogue));
        let conditions: Vec<&String> = facts
            .get("statement_condition_principal")
            .into_iter()
            .flatten()
            .filter_map(|row| row.get(2))
            .collect();
        assert!(conditions
            .iter()
            .any(|c| c.contains(r#"s3:prefix in ["red/*"]"#)));
        assert!(conditions
            .iter()
            .any(|c| c.as_str() == r#"Bool aws:SecureTransport in ["true"]"#));
    }

    /// The asked actions indexed by service touch a block exactly when one of them does.
    #[test]
    fn asked_actions_by_service_agree_with_each_action() {
        let asked_sets: [&[&str]; 4] = [
            &["s3:GetObject", "EC2:StartInstances", "iam:PassRole"],
            &["s3:getobject", "s3:Get*"],
            &["sqs:SendMessage"],
            &[],
        ];
        let blocks = [
            ActionBlock::Action(vec!["s3:Get*".into()]),
            ActionBlock::Action(vec!["S3:GETOBJECT".into()]),
            ActionBlock::Action(vec!["ec2:start*".into(), "kms:*".into()]),
            ActionBlock::Action(vec!["*".into()]),
            ActionBlock::Action(vec!["s3*".into()]),
            ActionBlock::Action(vec!["*:PassRole".into()]),
            ActionBlock::Action(vec!["s3:Put*".into(), "sqs:Receive*".into()]),
            ActionBlock::Action(vec!["s?:GetObject".into()]),
            ActionBlock::NotAction(vec!["s3:*".into()]),
            ActionBlock::NotAction(vec!["s3:*".into(), "ec2:*".into(), "iam:*".into()]),
            ActionBlock::NotAction(vec!["*".into()]),
        ];
        let mut touched = 0;
        for asked in asked_sets {
            let index = AskedActions::new(asked.iter().copied());
            for block in &blocks {
                let each = asked.iter().any(|a| action_block_may_touch(block, a));
                assert_eq!(index.touched_by(block), each, "{block:?} / {asked:?}");
                touched += usize::from(each);
            }
        }
        assert!(touched > 8, "{touched}");
    }

    #[test]
    fn key_classes() {
        assert_eq!(key_class("aws:principaltag/team"), KeyClass::Principal);
        assert_eq!(key_class("aws:resourcetag/env"), KeyClass::Resource);
        assert_eq!(key_class("aws:sourceip"), KeyClass::Request);
    }
}
