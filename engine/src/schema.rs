//! The relation schema: every relation iamlog knows, declared once with its typed columns and a
//! one-line `relation(args): meaning` doc.
//!
//! The `relations!` invocation below generates three things from one declaration list, so they
//! cannot drift apart: the [`Facts`] struct (one `Vec` per input relation), the [`Derived`] struct
//! (one `Vec` per relation the core rules compute), and the [`SCHEMA`] table used by
//! `iamlog rules --relations`, `iamlog facts`, the canonical printer and the `.dl` checker. A
//! test in `rules/` checks that `rules/core/*.dl` declares exactly these relations.

use crate::ids::{
    ActionId, ConditionId, Interner, PolicyId, PrincipalId, ResourceId, ScopeId, StatementId, Sym,
    SymbolId,
};

/// The type of one column. Each maps to one typed id (and to a Soufflé `.type ... <: symbol`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    Principal,
    Action,
    Resource,
    Policy,
    Statement,
    Scope,
    Condition,
    Symbol,
}

impl ColumnType {
    /// The type's name in `.dl` files.
    pub fn dl_name(self) -> &'static str {
        match self {
            ColumnType::Principal => "Principal",
            ColumnType::Action => "Action",
            ColumnType::Resource => "Resource",
            ColumnType::Policy => "Policy",
            ColumnType::Statement => "Statement",
            ColumnType::Scope => "Scope",
            ColumnType::Condition => "Condition",
            ColumnType::Symbol => "Symbol",
        }
    }

    /// The Rust id type the column holds.
    pub fn rust_type(self) -> &'static str {
        match self {
            ColumnType::Principal => "PrincipalId",
            ColumnType::Action => "ActionId",
            ColumnType::Resource => "ResourceId",
            ColumnType::Policy => "PolicyId",
            ColumnType::Statement => "StatementId",
            ColumnType::Scope => "ScopeId",
            ColumnType::Condition => "ConditionId",
            ColumnType::Symbol => "SymbolId",
        }
    }

    /// Every column type.
    pub const ALL: [ColumnType; 8] = [
        ColumnType::Principal,
        ColumnType::Action,
        ColumnType::Resource,
        ColumnType::Policy,
        ColumnType::Statement,
        ColumnType::Scope,
        ColumnType::Condition,
        ColumnType::Symbol,
    ];

    /// The column type named `name` in `.dl` files.
    pub fn from_dl_name(name: &str) -> Option<ColumnType> {
        Self::ALL.into_iter().find(|t| t.dl_name() == name)
    }
}

/// Whether a relation is filled by ingest or computed by the core rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RelationKind {
    /// Filled by ingest (a field of [`Facts`]).
    Input,
    /// Computed by `rules/core/*.dl` (a field of [`Derived`]).
    Derived,
}

/// One relation's schema entry.
#[derive(Clone, Copy, Debug)]
pub struct RelationSchema {
    pub name: &'static str,
    pub kind: RelationKind,
    pub columns: &'static [(&'static str, ColumnType)],
    /// One line, `relation(args): meaning`.
    pub doc: &'static str,
}

impl RelationSchema {
    /// The relation's signature, `name(col: Type, ...)`.
    pub fn signature(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|(n, t)| format!("{n}: {}", t.dl_name()))
            .collect();
        format!("{}({})", self.name, cols.join(", "))
    }
}

/// The schema entry of relation `name`.
pub fn relation(name: &str) -> Option<&'static RelationSchema> {
    SCHEMA.iter().find(|r| r.name == name)
}

/// A tuple of typed ids viewed as untyped symbols, for generic printing.
pub trait Row {
    fn syms(&self) -> Vec<Sym>;
}

macro_rules! impl_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Copy + Into<Sym>),+> Row for ($($t,)+) {
            fn syms(&self) -> Vec<Sym> {
                vec![$(self.$i.into()),+]
            }
        }
    };
}
impl_row!(A 0);
impl_row!(A 0, B 1);
impl_row!(A 0, B 1, C 2);
impl_row!(A 0, B 1, C 2, D 3);
impl_row!(A 0, B 1, C 2, D 3, E 4);
impl_row!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

macro_rules! col_type {
    (PrincipalId) => {
        ColumnType::Principal
    };
    (ActionId) => {
        ColumnType::Action
    };
    (ResourceId) => {
        ColumnType::Resource
    };
    (PolicyId) => {
        ColumnType::Policy
    };
    (StatementId) => {
        ColumnType::Statement
    };
    (ScopeId) => {
        ColumnType::Scope
    };
    (ConditionId) => {
        ColumnType::Condition
    };
    (SymbolId) => {
        ColumnType::Symbol
    };
}

macro_rules! relations {
    (
        input { $( #[doc = $idoc:literal] $iname:ident ( $( $icol:ident : $ity:ident ),+ ) ; )* }
        derived { $( #[doc = $ddoc:literal] $dname:ident ( $( $dcol:ident : $dty:ident ),+ ) ; )* }
    ) => {
        /// Every input relation, one `Vec` of typed-id tuples each, plus the interner that names
        /// the ids. Filled by ingest; read by the core rules and by user rules.
        #[derive(Default, Clone, Debug)]
        pub struct Facts {
            /// The string table behind every id in the relations.
            pub interner: Interner,
            $( #[doc = $idoc] pub $iname: Vec<( $( $ity, )+ )>, )*
        }

        /// Every relation the core rules derive.
        #[derive(Default, Clone, Debug)]
        pub struct Derived {
            $( #[doc = $ddoc] pub $dname: Vec<( $( $dty, )+ )>, )*
        }

        /// The schema of every input and derived relation, inputs first, in declaration order.
        pub static SCHEMA: &[RelationSchema] = &[
            $( RelationSchema {
                name: stringify!($iname),
                kind: RelationKind::Input,
                columns: &[ $( (stringify!($icol), col_type!($ity)) ),+ ],
                doc: $idoc,
            }, )*
            $( RelationSchema {
                name: stringify!($dname),
                kind: RelationKind::Derived,
                columns: &[ $( (stringify!($dcol), col_type!($dty)) ),+ ],
                doc: $ddoc,
            }, )*
        ];

        impl Facts {
            /// The rows of input relation `name` as untyped symbols, or `None` if there is no
            /// such input relation.
            pub fn rows(&self, name: &str) -> Option<Vec<Vec<Sym>>> {
                match name {
                    $( stringify!($iname) => Some(self.$iname.iter().map(Row::syms).collect()), )*
                    _ => None,
                }
            }

            /// Sorts and deduplicates every relation, so that equal fact sets compare equal.
            pub fn normalize(&mut self) {
                $( self.$iname.sort_unstable(); self.$iname.dedup(); )*
            }

            /// Total number of rows over every input relation.
            pub fn len(&self) -> usize {
                0 $( + self.$iname.len() )*
            }

            /// True when no relation has a row.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl Derived {
            /// The rows of derived relation `name` as untyped symbols, or `None` if there is
            /// no such derived relation.
            pub fn rows(&self, name: &str) -> Option<Vec<Vec<Sym>>> {
                match name {
                    $( stringify!($dname) => Some(self.$dname.iter().map(Row::syms).collect()), )*
                    _ => None,
                }
            }

            /// Sorts and deduplicates every relation.
            pub fn normalize(&mut self) {
                $( self.$dname.sort_unstable(); self.$dname.dedup(); )*
            }
        }
    };
}

relations! {
    input {
        /// principal(p, kind, cloud): p is an identity or group of the given kind (`user`, `role`, `group`) in cloud (`aws`).
        principal(p: PrincipalId, kind: SymbolId, cloud: SymbolId);
        /// principal_in_scope(p, scope): p belongs to scope (for AWS, the account id).
        principal_in_scope(p: PrincipalId, scope: ScopeId);
        /// member_of_direct(p, group): p is a direct member of group.
        member_of_direct(p: PrincipalId, group: PrincipalId);
        /// scope_parent(child, parent): child scope sits directly under parent scope.
        scope_parent(child: ScopeId, parent: ScopeId);
        /// resource_in_scope(r, scope): inventory resource r belongs to scope (for AWS, its account).
        resource_in_scope(r: ResourceId, scope: ScopeId);
        /// tag(entity, key, value): principal or resource entity carries tag key = value.
        tag(entity: SymbolId, key: SymbolId, value: SymbolId);
        /// query_source(p): p is a source the current question asks about (every identity for whole-org questions).
        query_source(p: PrincipalId);
        /// query_point(s, a, d): the current question asks whether source s can do action a on destination d (empty for whole-org questions).
        query_point(s: PrincipalId, a: ActionId, d: ResourceId);
        /// policy(pol, kind): pol is a policy document of kind `aws_managed`, `customer_managed` or `inline`.
        policy(pol: PolicyId, kind: SymbolId);
        /// policy_attached(holder, pol): identity policy pol is attached to (or inline in) user, group or role holder.
        policy_attached(holder: PrincipalId, pol: PolicyId);
        /// aws_instance_profile(profile, role): EC2 instance profile `profile` carries role `role`.
        aws_instance_profile(profile: ResourceId, role: PrincipalId);
        /// aws_scp_account(account): member account `account` is governed by service control policies.
        aws_scp_account(account: ScopeId);
        /// aws_scp_exempt(p): SCPs do not apply to principal p (management-account principals, service-linked roles).
        aws_scp_exempt(p: PrincipalId);
        /// aws_scp_attached(target, pol): service control policy pol is attached to root, OU or account `target`.
        aws_scp_attached(target: ScopeId, pol: PolicyId);
        /// aws_scp_level_open(target): an SCP attached to root, OU or account `target` allows every action on every resource, unconditionally (`FullAWSAccess`): that level permits every access.
        aws_scp_level_open(target: ScopeId);
        /// aws_rcp_statement(stmt): stmt is a Deny of a resource control policy that governs some destination in question.
        aws_rcp_statement(stmt: StatementId);
        /// aws_permission_boundary(p, pol): pol is the permissions boundary of user or role p.
        aws_permission_boundary(p: PrincipalId, pol: PolicyId);
        /// policy_statement(pol, stmt): stmt is a statement of policy pol.
        policy_statement(pol: PolicyId, stmt: StatementId);
        /// allow_statement(stmt): stmt has `"Effect": "Allow"`.
        allow_statement(stmt: StatementId);
        /// deny_statement(stmt): stmt has `"Effect": "Deny"`.
        deny_statement(stmt: StatementId);
        /// statement_action(stmt, a): stmt's Action / NotAction covers every request for action point a.
        statement_action(stmt: StatementId, a: ActionId);
        /// statement_action_partial(stmt, a): stmt's Action / NotAction covers some but not all of action point a (a is `*`).
        statement_action_partial(stmt: StatementId, a: ActionId);
        /// grant_destination(stmt, d): Allow statement stmt grants on destination d (its own Resource pattern, a tagged inventory resource, or the asked resource).
        grant_destination(stmt: StatementId, d: ResourceId);
        /// grant_destination_for(stmt, p, d): Allow statement stmt, with policy variables resolved for p, grants on destination d.
        grant_destination_for(stmt: StatementId, p: PrincipalId, d: ResourceId);
        /// statement_resource(stmt, d): stmt's Resource / NotResource covers all of destination d, for every principal it limits (ingest writes only the destinations in question; in whole-org questions, identity-side limits may be written per principal instead, as statement_resource_for).
        statement_resource(stmt: StatementId, d: ResourceId);
        /// statement_resource_any(stmt): stmt's Resource is `*`: it covers all of every destination, for every principal (one row instead of one per destination).
        statement_resource_any(stmt: StatementId);
        /// statement_resource_partial(stmt, d): stmt's Resource / NotResource covers part of destination pattern d (a resource policy's Deny on a pattern whose account is open is written per caller of the resource's account instead, as statement_resource_partial_for).
        statement_resource_partial(stmt: StatementId, d: ResourceId);
        /// statement_resource_for(stmt, p, d): stmt's Resource, for principal p (with policy variables resolved for p, or paired with p's own destinations), covers all of d.
        statement_resource_for(stmt: StatementId, p: PrincipalId, d: ResourceId);
        /// statement_resource_partial_for(stmt, p, d): stmt's Resource, for principal p (resolved for p, or paired with p's own destinations, or p of the account of the resource whose policy's Deny stmt is, d's account being open), covers part of pattern d.
        statement_resource_partial_for(stmt: StatementId, p: PrincipalId, d: ResourceId);
        /// statement_unconditional(stmt): stmt has no Condition block.
        statement_unconditional(stmt: StatementId);
        /// statement_condition(stmt, c): stmt's Condition, which depends on neither principal nor resource, is true (c is `true`) or unknown with residual c; absent when false.
        statement_condition(stmt: StatementId, c: ConditionId);
        /// statement_condition_principal(stmt, p, c): stmt's Condition, which depends on the principal only, evaluated for p (absent when false, and for a resource policy's statement where p has no access point it may govern).
        statement_condition_principal(stmt: StatementId, p: PrincipalId, c: ConditionId);
        /// statement_condition_resource(stmt, d, c): stmt's Condition, which depends on the destination only, evaluated for d (absent when false).
        statement_condition_resource(stmt: StatementId, d: ResourceId, c: ConditionId);
        /// statement_condition_for(stmt, p, d, c): stmt's Condition, which depends on principal and destination, evaluated for p on d (absent when false).
        statement_condition_for(stmt: StatementId, p: PrincipalId, d: ResourceId, c: ConditionId);
        /// condition_true(c): c is the condition that always holds.
        condition_true(c: ConditionId);
        /// condition_with_caveat(c, c2): c2 is condition c further limited by the caveats listed in `effective_caveat`.
        condition_with_caveat(c: ConditionId, c2: ConditionId);
        /// aws_cross_account_requirement(pol, c): a grant on a resource of another account is limited by pseudo-policy pol with condition c (the other account's resource policy must allow).
        aws_cross_account_requirement(pol: PolicyId, c: ConditionId);
        /// aws_explicit_grant_action(a, pol): action point a is (or includes) an action whose resource must grant it explicitly in the resource policy pseudo-policy pol stands for (KMS key policies, role trust policies).
        aws_explicit_grant_action(a: ActionId, pol: PolicyId);
        /// aws_explicit_grant_resource(d, pol): destination d is (or may be) a resource of the kind pseudo-policy pol stands for (a KMS key, an IAM role).
        aws_explicit_grant_resource(d: ResourceId, pol: PolicyId);
        /// aws_explicit_grant_condition(pol, c): c says what pseudo-policy pol requires.
        aws_explicit_grant_condition(pol: PolicyId, c: ConditionId);
        /// aws_rp_statement(stmt): stmt is a statement of a resource-based policy (bucket, key, queue, topic, secret, function, repository or role trust policy).
        aws_rp_statement(stmt: StatementId);
        /// aws_rp_match_direct(stmt, p): resource-policy statement stmt names caller p directly: its user ARN, its session ARN, `*`, or a NotPrincipal that does not list it (aws.md §4.1). In a question about some sources, a Deny that covers only patterns whose account is open keeps only the callers of its resource's account; at every point (`what-can`), a statement matches a caller of another account only when one of the caller's grants has a destination of the resource's account (as for the next two).
        aws_rp_match_direct(stmt: StatementId, p: PrincipalId);
        /// aws_rp_match_role(stmt, p): resource-policy statement stmt names role p by its role ARN, the caller being a session of it.
        aws_rp_match_role(stmt: StatementId, p: PrincipalId);
        /// aws_rp_match_account(stmt, p): resource-policy statement stmt names the account of p (its root ARN or bare id), delegating to p's IAM policies.
        aws_rp_match_account(stmt: StatementId, p: PrincipalId);
        /// aws_rp_governs(d, pol): resource policy pol is the policy of the resource destination d is or lies in (a bucket policy for the bucket and its objects).
        aws_rp_governs(d: ResourceId, pol: PolicyId);
        /// aws_trust_governs(d, pol): role trust policy pol is the policy of role d, for the sts actions on it.
        aws_trust_governs(d: ResourceId, pol: PolicyId);
        /// aws_explicit_grant_kind(pol, k): resource policy pol is of the kind pseudo-policy k stands for (a role trust policy).
        aws_explicit_grant_kind(pol: PolicyId, k: PolicyId);
        /// aws_rp_explicit(pol): resource policy pol must grant explicitly even in its own account (KMS key policies, role trust policies).
        aws_rp_explicit(pol: PolicyId);
        /// aws_anonymous(p): p is the anonymous caller (unauthenticated requests).
        aws_anonymous(p: PrincipalId);
        /// aws_s3_bpa_restricts(d, pol): d lies in an S3 bucket whose policy is public and whose Block Public Access (RestrictPublicBuckets, bucket or account level) is on, recorded as pseudo-policy pol.
        aws_s3_bpa_restricts(d: ResourceId, pol: PolicyId);
        /// aws_rp_grant_action(stmt, a): in whole-org questions, a point of Allow statement stmt of a resource policy's own Action / NotAction (where it grants by itself, rule R2; its coverage of other points is statement_action).
        aws_rp_grant_action(stmt: StatementId, a: ActionId);
        /// aws_rp_granter(pol, g): the granter shown for access resource policy pol grants: the resource it is attached to.
        aws_rp_granter(pol: PolicyId, g: PrincipalId);
        /// aws_assume_action(a): action point a assumes a role (`sts:AssumeRole`).
        aws_assume_action(a: ActionId);
        /// aws_role_resource(d, r): destination d is the ARN of role r.
        aws_role_resource(d: ResourceId, r: PrincipalId);
        /// aws_session_policy(s, pol): pol is the session policy of source s (a role session or federated user).
        aws_session_policy(s: PrincipalId, pol: PolicyId);
        /// aws_external(p): p is a principal outside the export that a resource policy names (its own policies are unknown).
        aws_external(p: PrincipalId);
        /// aws_external_requirement(p, pol, c): access of outside principal p is limited by pseudo-policy pol with condition c (its own account must allow it too; a service acts only where it is configured with the resource).
        aws_external_requirement(p: PrincipalId, pol: PolicyId, c: ConditionId);
        /// action_covers(point, action): action point `point` of `effective` (an action, `*`, or `NotAction:...`) covers the concrete action `action`; filled for the actions user rules name (`iamlog query` / `check`).
        action_covers(point: ActionId, action: ActionId);
        /// effective_action(s, a, d, pol, granter, c): like `effective`, for a concrete action a that user rules name, decided exactly for each (s, a, d) whose action point covers a (so an SCP, boundary or Deny that removes a from a `*` grant removes the row); filled for `iamlog query` / `check`.
        effective_action(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, granter: PrincipalId, c: ConditionId);
        /// implicit_grant(a, d, pol): action point a on d is always allowed by the cloud itself (e.g. `sts:GetCallerIdentity`), recorded as pseudo-policy pol.
        implicit_grant(a: ActionId, d: ResourceId, pol: PolicyId);
    }
    derived {
        /// member_of(p, group): p is a member of group, directly or through nested groups.
        member_of(p: PrincipalId, group: PrincipalId);
        /// scope_ancestor(child, ancestor): ancestor is a strict ancestor of child scope.
        scope_ancestor(child: ScopeId, ancestor: ScopeId);
        /// policy_applies(s, pol, granter): identity policy pol applies to source s, attached to granter (s itself or a group of s).
        policy_applies(s: PrincipalId, pol: PolicyId, granter: PrincipalId);
        /// identity_statement(stmt, s, pol, granter): stmt of identity policy pol applies to source s through granter.
        identity_statement(stmt: StatementId, s: PrincipalId, pol: PolicyId, granter: PrincipalId);
        /// check_statement(stmt, s): stmt may limit what s is granted: a Deny of one of its identity policies, or a statement of its boundary.
        check_statement(stmt: StatementId, s: PrincipalId);
        /// grant_at(stmt, s, d): identity Allow statement stmt of s grants on destination d.
        grant_at(stmt: StatementId, s: PrincipalId, d: ResourceId);
        /// point_asker(s): the question asks points of source s (a targeted question): its identity Allows are decided at those points only.
        point_asker(s: PrincipalId);
        /// has_check_statement(s): some limiting statement (a Deny, a boundary statement, a resource-policy statement naming s, an SCP, an RCP, a session policy statement) may limit the grants of source s.
        has_check_statement(s: PrincipalId);
        /// limit_every_grant(s): every grant of s is checked, because a grant its limits do not touch is refused at the point: s is governed by SCPs or has a session policy.
        limit_every_grant(s: PrincipalId);
        /// check_grant_dest(s, d): an identity Allow grants s something on d, and s has limiting statements but is not checked at every grant.
        check_grant_dest(s: PrincipalId, d: ResourceId);
        /// limit_everywhere(stmt, s): limiting statement stmt of s covers every destination (`Resource: "*"`).
        limit_everywhere(stmt: StatementId, s: PrincipalId);
        /// limit_at(stmt, s, d): limiting statement stmt of s reaches destination d of one of its grants, fully or in part.
        limit_at(stmt: StatementId, s: PrincipalId, d: ResourceId);
        /// access_point(s, a, d): the access of s to a on d must be checked against limiting statements: an Allow grants it and s is checked at every grant (limit_every_grant) or one of its limiting statements touches both the action and the destination (limit_at), or the question asks it. A resource policy's own grant is a point only for callers its resource path may allow (not for a caller of another account: rule R2, rp_point_foreign), so relations derived from points hold only where an answer can depend on them.
        access_point(s: PrincipalId, a: ActionId, d: ResourceId);
        /// grant_condition_at(stmt, s, d, c): identity Allow statement stmt grants s on destination d when its Condition holds: always (c is `true`) or with residual c.
        grant_condition_at(stmt: StatementId, s: PrincipalId, d: ResourceId, c: ConditionId);
        /// statement_relevant(stmt, s, d): limiting statement stmt's Resource touches destination d for source s, at an access in question.
        statement_relevant(stmt: StatementId, s: PrincipalId, d: ResourceId);
        /// condition_at(stmt, s, d, c): limiting statement stmt's Condition for source s on destination d (where statement_relevant) is true (c is `true`) or unknown with residual c.
        condition_at(stmt: StatementId, s: PrincipalId, d: ResourceId, c: ConditionId);
        /// action_touch(stmt, a): stmt's Action / NotAction covers all or part of action point a.
        action_touch(stmt: StatementId, a: ActionId);
        /// check_covers(stmt, s, a, d, c): limiting Allow statement stmt of s (of a boundary, a resource policy, an SCP, a session policy) matches all of a on d when c holds; a Deny that does is explicit_deny directly.
        check_covers(stmt: StatementId, s: PrincipalId, a: ActionId, d: ResourceId, c: ConditionId);
        /// check_partial(stmt, s, a, d, c): limiting Allow statement stmt of s matches part of a on d, not all of it, when c holds (its Action or its Resource covers the point only in part); a Deny that does is explicit_deny_partial directly.
        check_partial(stmt: StatementId, s: PrincipalId, a: ActionId, d: ResourceId, c: ConditionId);
        /// identity_allow(s, a, d, pol, stmt, granter, c): an Allow statement of identity policy pol, reaching s through granter, allows a on d when c holds.
        identity_allow(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, granter: PrincipalId, c: ConditionId);
        /// explicit_deny(s, a, d, pol, stmt, c): a Deny statement of an identity policy or boundary pol of s denies all of a on d when c holds.
        explicit_deny(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// explicit_deny_partial(s, a, d, pol, stmt, c): a Deny statement of pol denies part of a on pattern d when c holds.
        explicit_deny_partial(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// boundary_allow(s, a, d, pol, stmt, c): an Allow statement of s's permissions boundary pol allows all of a on d when c holds.
        boundary_allow(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// boundary_allow_partial(s, a, d, pol, stmt, c): an Allow statement of s's boundary pol allows part of a on pattern d when c holds.
        boundary_allow_partial(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// has_boundary(s): source s has a permissions boundary.
        has_boundary(s: PrincipalId);
        /// boundary_permits(s, a, d): the permissions boundary of s allows all of a on d unconditionally.
        boundary_permits(s: PrincipalId, a: ActionId, d: ResourceId);
        /// scp_governed(s, account): SCPs govern source s, of member account `account` (s is not exempt).
        scp_governed(s: PrincipalId, account: ScopeId);
        /// scp_account_level(account, level): the SCPs attached at `level` (`account` itself, or an OU or root above it) govern the sources SCPs govern in `account`.
        scp_account_level(account: ScopeId, level: ScopeId);
        /// scp_closed_level(account, level): a level governing `account` that does not permit every access (not aws_scp_level_open): an access needs one of its Allows.
        scp_closed_level(account: ScopeId, level: ScopeId);
        /// scp_account_statement(account, stmt): stmt is a statement of an SCP attached at a level governing `account`.
        scp_account_statement(account: ScopeId, stmt: StatementId);
        /// scp_level_permits(s, a, d, level): an SCP Allow attached at `level` covers all of a on d for s unconditionally (besides the levels aws_scp_level_open, which permit every access).
        scp_level_permits(s: PrincipalId, a: ActionId, d: ResourceId, level: ScopeId);
        /// scp_level_touches(s, a, d, level): an SCP Allow attached at `level` covers all or part of a on d for s, under some condition.
        scp_level_touches(s: PrincipalId, a: ActionId, d: ResourceId, level: ScopeId);
        /// scp_blocks(s, a, d): some SCP level governing s has no Allow for a on d (an implicit deny by SCP).
        scp_blocks(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_names(stmt, s): resource-policy statement stmt names s (directly, as its role or as its account).
        rp_names(stmt: StatementId, s: PrincipalId);
        /// rp_point_foreign(s, d): a resource-policy statement that names s grants on d, a resource of an account other than the account of s (only the identity path, with its own access points, can reach it).
        rp_point_foreign(s: PrincipalId, d: ResourceId);
        /// rp_allow(s, a, d, pol, stmt, c): an Allow statement of resource policy pol covers s doing a on d (condition c).
        rp_allow(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// rp_allow_partial(s, a, d, pol, stmt, c): an Allow statement of resource policy pol covers part of s doing a on d.
        rp_allow_partial(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, stmt: StatementId, c: ConditionId);
        /// rp_governs(a, d, pol): resource policy pol decides action a on d.
        rp_governs(a: ActionId, d: ResourceId, pol: PolicyId);
        /// rp_governed(a, d): some resource policy decides action a on d.
        rp_governed(a: ActionId, d: ResourceId);
        /// point_same_account(s, d): s and the resource d are in one account.
        point_same_account(s: PrincipalId, d: ResourceId);
        /// point_other_account(s, d): the resource d is in an account other than the account of s.
        point_other_account(s: PrincipalId, d: ResourceId);
        /// rp_consent(s, a, d, pol, c): resource policy pol allows the identity path of s doing a on d (condition c): any match from another account, an account match where the resource must grant explicitly.
        rp_consent(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// rp_consent_partial(s, a, d, pol, c): like rp_consent, for part of the access.
        rp_consent_partial(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// rp_explicit_point(a, d): the resource policy deciding a on d must grant explicitly.
        rp_explicit_point(a: ActionId, d: ResourceId);
        /// rp_consent_needed(s, a, d): the identity grant of a on d to s needs the resource policy's consent.
        rp_consent_needed(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_consent_true(s, a, d): the resource policy consents unconditionally.
        rp_consent_true(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_consent_some(s, a, d): the resource policy consents, at least under a condition or in part.
        rp_consent_some(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_refuses(s, a, d): the identity grant needs the resource policy's consent and has none.
        rp_refuses(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_path(s, a, d, pol, c): resource policy pol allows s to do a on d by itself (same account or anonymous; condition c).
        rp_path(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// rp_path_direct(s, a, d, pol, c): resource policy pol names s directly (ARN, session or `*`) and allows it a on d by itself, past identity, boundary and session policies.
        rp_path_direct(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// rp_path_bounded(s, a, d, pol, c): a role-ARN grant of resource policy pol that the role's boundary allows only under a condition or in part.
        rp_path_bounded(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// allowed_before_bpa(s, a, d): s would be allowed a on d but for S3 Block Public Access, on a destination it restricts (elsewhere it is not asked).
        allowed_before_bpa(s: PrincipalId, a: ActionId, d: ResourceId);
        /// policy_denied(s, a, d): an explicit Deny whose condition holds covers s doing a on d.
        policy_denied(s: PrincipalId, a: ActionId, d: ResourceId);
        /// bpa_blocks(s, a, d): S3 Block Public Access denies s doing a on d.
        bpa_blocks(s: PrincipalId, a: ActionId, d: ResourceId);
        /// can_assume(s, r, c): s can assume role r (condition c): identity side, trust policy and organization policies all allow `sts:AssumeRole`.
        can_assume(s: PrincipalId, r: PrincipalId, c: ConditionId);
        /// reaches(s, r): s can reach role r through a chain of one or more role assumptions.
        reaches(s: PrincipalId, r: PrincipalId);
        /// session_permits(s, a, d): the session policy of s allows it to do a on d unconditionally.
        session_permits(s: PrincipalId, a: ActionId, d: ResourceId);
        /// session_blocks(s, a, d): s has a session policy that does not allow a on d.
        session_blocks(s: PrincipalId, a: ActionId, d: ResourceId);
        /// rp_external(s, a, d, pol, c): resource policy pol allows s, a principal outside the export, to do a on d (condition c), as far as the resource side decides.
        rp_external(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// cross_account(s, a, d): s is granted a on d, a resource of an account other than the account of s.
        cross_account(s: PrincipalId, a: ActionId, d: ResourceId);
        /// granted(s, a, d, pol, granter, c): identity policy pol allows s to do a on d (condition c), and the boundary does not rule it out.
        granted(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, granter: PrincipalId, c: ConditionId);
        /// allowed(s, a, d, pol, granter): some policy pol, reaching s through granter, allows a on d before denies are applied.
        allowed(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, granter: PrincipalId);
        /// denied(s, a, d, pol): policy pol explicitly and unconditionally denies s all of a on d.
        denied(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId);
        /// effective_caveat(s, a, d, pol, c): granted access of s to a on d is limited by pol: a Deny that applies when c holds or to part of d, or a boundary that allows it only when c holds or only in part.
        effective_caveat(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, c: ConditionId);
        /// effective(s, a, d, pol, granter, c): net effective access: s can do a on d through policy pol and granter, when condition c holds (`true` if unconditional).
        effective(s: PrincipalId, a: ActionId, d: ResourceId, pol: PolicyId, granter: PrincipalId, c: ConditionId);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_unique_and_docs_start_with_signature() {
        let mut names: Vec<&str> = SCHEMA.iter().map(|r| r.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate relation name");
        for r in SCHEMA {
            let cols: Vec<&str> = r.columns.iter().map(|(n, _)| *n).collect();
            let head = format!("{}({}):", r.name, cols.join(", "));
            assert!(
                r.doc.trim_start().starts_with(&head),
                "{}: doc must start with `{head}`",
                r.name
            );
        }
    }

    #[test]
    fn rows_round_trip_through_the_interner() {
        let mut f = Facts::default();
        let p: PrincipalId = f.interner.id("arn:aws:iam::1:user/a");
        let g: PrincipalId = f.interner.id("arn:aws:iam::1:group/g");
        f.member_of_direct.push((p, g));
        let rows = f.rows("member_of_direct").unwrap_or_default();
        assert_eq!(rows, vec![vec![p.sym(), g.sym()]]);
        assert!(f.rows("no_such_relation").is_none());
    }
}
