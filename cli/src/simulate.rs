//! `iamlog simulate FILE`: decide one request given as an iam-simulate `Simulation` document
//! (aws.md §9.4), with the same rules as the org analysis (no second evaluator).
//!
//! The Simulation is turned into an in-memory [`AwsOrg`] and a [`RequestPoint`]:
//!
//! - `request.principal`: an IAM user or role ARN becomes that user or role; an
//!   `arn:aws:sts::A:assumed-role/R/S` session becomes role `R` of account `A`.
//! - `identityPolicies`: inline policies of the principal, in document order.
//! - `permissionBoundaryPolicies`: at most one; a customer-managed policy set as the boundary.
//! - `serviceControlPolicies` (root first, account last): an [`OrgStructure`] whose first level
//!   is the root, middle levels OUs and last level the principal's account, each parented to
//!   the previous, with the level's policies attached as SCPs (one level: attached at both the
//!   root and the account). Ids are synthesized (`r-sim0`, `ou-sim0-00000001`,
//!   `p-sim00000001`); `orgIdentifier` and the policy `name` are what the output shows.
//! - `request.contextVariables`: the request context (keys lowercased). Keys it does not give
//!   are derived as in `explain` from the synthesized principal (`aws:username`,
//!   `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
//!   `aws:PrincipalIsAWSService` `false`, `kms:CallerAccount`); the principal and the
//!   resource have no tags, so tag keys not given are absent.
//!
//! - `resourceControlPolicies`: only their Denies act (`RCPFullAWSAccess` is the only Allow), so
//!   every RCP of every level is attached at the resource's account (`accountId`).
//! - `resourcePolicy`: for an sts action on a role ARN, the role's trust policy; else the
//!   policy of the bucket (bucket or object ARN; `accountId` is its owner), of the KMS key, or
//!   of the resource itself.
//! - `sessionPolicy`: the session policy of the principal (rules S1, S2).
//! - `additionalSettings.s3.blockPublicAccess`: RestrictPublicBuckets on the bucket.
//! - `request.principal` `{"type": "Anonymous"}`: the anonymous caller.
//!
//! VPC endpoint policies and Discovery mode are not evaluated yet: they are errors, never
//! silently ignored.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{json, Map, Value};

use iamlog_ingest::aws::facts::{RequestPoint, SESSION_NAME_KEY};
use iamlog_ingest::aws::model::{
    AwsOrg, Policy, PolicyKind, Principal, PrincipalKind, Source, ANONYMOUS,
};
use iamlog_ingest::aws::organizations::{
    Account, OrgPolicy, OrgPolicyKind, OrgStructure, Ou, Root,
};
use iamlog_ingest::aws::policy::{self, PolicyDocument, PolicyError};
use iamlog_ingest::aws::resource_policies::{BpaSettings, ResourcePolicy, Service};
use iamlog_ingest::LoadedOrg;

use crate::analysis::{self, Explanation, Org};
use crate::output::Format;
use crate::CliError;

/// Top-level members of a Simulation.
const SIMULATION_KEYS: &[&str] = &[
    "request",
    "identityPolicies",
    "serviceControlPolicies",
    "resourceControlPolicies",
    "resourcePolicy",
    "permissionBoundaryPolicies",
    "sessionPolicy",
    "vpcEndpointPolicies",
    "additionalSettings",
];
const REQUEST_KEYS: &[&str] = &["principal", "action", "resource", "contextVariables"];
const RESOURCE_KEYS: &[&str] = &["resource", "accountId"];
const NAMED_POLICY_KEYS: &[&str] = &["name", "policy"];
const LEVEL_KEYS: &[&str] = &["orgIdentifier", "policies"];

/// The id of the synthesized root.
const ROOT_ID: &str = "r-sim0";
/// The name of the RCP that iam-simulate adds at every level itself.
const RCP_FULL_ACCESS: &str = "RCPFullAWSAccess";

/// One Simulation, converted: the org it describes, the request and its context.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The org: the principal, its policies, and the SCP levels.
    pub org: AwsOrg,
    pub point: RequestPoint,
    /// Request context, keys lowercased.
    pub context: BTreeMap<String, Vec<String>>,
    /// Display names of synthesized ids (SCP levels -> `orgIdentifier`, SCPs -> `name`).
    pub labels: BTreeMap<String, String>,
    /// The number of SCP levels given.
    scp_levels: usize,
    /// Identifies everything but the request: Simulations with equal keys share one org.
    world_key: String,
}

/// A located error in a Simulation document.
fn located(origin: &str, pointer: &str, message: impl std::fmt::Display) -> CliError {
    CliError(format!("{origin}: at {pointer}: {message}"))
}

fn policy_error(origin: &str, e: PolicyError) -> CliError {
    located(origin, &e.pointer, e.message)
}

fn not_supported(origin: &str, pointer: &str, layer: &str) -> CliError {
    located(
        origin,
        pointer,
        format!("{layer} is not supported yet: iamlog does not evaluate this layer, so it cannot decide this request"),
    )
}

fn object<'a>(
    origin: &str,
    v: &'a Value,
    pointer: &str,
    what: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, CliError> {
    let Value::Object(m) = v else {
        return Err(located(
            origin,
            pointer,
            format!("expected {what} (a JSON object)"),
        ));
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(located(
                origin,
                &format!("{pointer}/{}", escape(k)),
                format!(
                    "unknown member `{k}` of {what}: expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(m)
}

fn string<'a>(
    origin: &str,
    m: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
) -> Result<&'a str, CliError> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(located(
            origin,
            &format!("{pointer}/{key}"),
            "expected a string",
        )),
        None => Err(located(origin, pointer, format!("missing `{key}`"))),
    }
}

fn array<'a>(
    origin: &str,
    m: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
) -> Result<&'a [Value], CliError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(located(
            origin,
            &format!("{pointer}/{key}"),
            "expected a list",
        )),
    }
}

/// JSON pointer escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// `{name, policy}` entries of a list, parsed.
fn named_policies(
    origin: &str,
    items: &[Value],
    pointer: &str,
) -> Result<Vec<(String, PolicyDocument)>, CliError> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{pointer}/{i}");
        let m = object(origin, item, &ip, "a named policy", NAMED_POLICY_KEYS)?;
        let name = string(origin, m, "name", &ip)?;
        let Some(doc) = m.get("policy") else {
            return Err(located(origin, &ip, "missing `policy`"));
        };
        let doc = policy::parse_policy(doc, &format!("{ip}/policy"))
            .map_err(|e| policy_error(origin, e))?;
        out.push((name.to_string(), doc));
    }
    Ok(out)
}

/// The principal of a request ARN: (kind, ARN, name, path, account).
fn principal_of(
    origin: &str,
    arn: &str,
    pointer: &str,
) -> Result<(PrincipalKind, String, String, String, String), CliError> {
    if arn == "anonymousPrincipal" || arn == ANONYMOUS {
        return Err(located(
            origin,
            pointer,
            "the anonymous principal is written `{\"type\": \"Anonymous\"}`",
        ));
    }
    let bad = || {
        located(
            origin,
            pointer,
            format!("principal `{arn}`: expected an IAM user or role ARN (`arn:aws:iam::ACCOUNT:user/NAME`, `…:role/NAME`) or a role session ARN (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`); other principals are not supported yet"),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if *prefix != "arn" || partition.is_empty() || !region.is_empty() || !account_ok {
        return Err(bad());
    }
    let split_path = |rest: &str| -> Option<(String, String)> {
        let (path, name) = match rest.rsplit_once('/') {
            Some((p, n)) => (format!("/{p}/"), n),
            None => ("/".to_string(), rest),
        };
        (!name.is_empty()).then(|| (name.to_string(), path))
    };
    match *service {
        "iam" => {
            let (kind, rest) = if let Some(r) = resource.strip_prefix("user/") {
                (PrincipalKind::User, r)
            } else if let Some(r) = resource.strip_prefix("role/") {
                (PrincipalKind::Role, r)
            } else {
                return Err(bad());
            };
            let (name, path) = split_path(rest).ok_or_else(bad)?;
            Ok((kind, arn.to_string(), name, path, account.to_string()))
        }
        "sts" => {
            let rest = resource.strip_prefix("assumed-role/").ok_or_else(bad)?;
            let (role, session) = rest.split_once('/').ok_or_else(bad)?;
            if role.is_empty() || session.is_empty() {
                return Err(bad());
            }
            let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
            Ok((
                PrincipalKind::Role,
                role_arn,
                role.to_string(),
                "/".to_string(),
                account.to_string(),
            ))
        }
        _ => Err(bad()),
    }
}

/// Context values: a string, number or boolean, or a list of strings.
fn context_of(
    origin: &str,
    v: Option<&Value>,
    pointer: &str,
) -> Result<BTreeMap<String, Vec<String>>, CliError> {
    let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let m = match v {
        None | Some(Value::Null) => return Ok(ctx),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(located(
                origin,
                pointer,
                "expected an object of context keys",
            ))
        }
    };
    for (k, v) in m {
        let kp = format!("{pointer}/{}", escape(k));
        let values = match v {
            Value::String(s) => vec![s.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Array(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => vals.push(s.clone()),
                        _ => {
                            return Err(located(
                                origin,
                                &format!("{kp}/{i}"),
                                "expected a string (a multivalued key is a list of strings)",
                            ))
                        }
                    }
                }
                vals
            }
            _ => {
                return Err(located(
                    origin,
                    &kp,
                    "expected a string, a number, a boolean or a list of strings",
                ))
            }
        };
        let key = k.to_ascii_lowercase();
        if ctx.insert(key, values).is_some() {
            return Err(located(
                origin,
                &kp,
                format!("context key `{k}` is given twice (keys are case-insensitive)"),
            ));
        }
    }
    Ok(ctx)
}

/// Converts one Simulation document (bare, or `{"simulation": {...}}` as the oracle takes it).
/// `origin` names the document in messages (the file).
pub fn parse_simulation(value: &Value, origin: &str) -> Result<Simulation, CliError> {
    let (sim, base) = match value {
        Value::Object(m) if m.contains_key("simulation") => {
            let w = object(
                origin,
                value,
                "",
                "a simulation file",
                &["simulation", "mode"],
            )?;
            if let Some(mode) = w.get("mode") {
                if mode != "Strict" {
                    return Err(located(
                        origin,
                        "/mode",
                        "only \"Strict\" mode is supported (Discovery mode is not supported yet)",
                    ));
                }
            }
            (w.get("simulation").unwrap_or(&Value::Null), "/simulation")
        }
        _ => (value, ""),
    };
    let m = object(origin, sim, base, "a Simulation", SIMULATION_KEYS)?;

    // Layers not evaluated yet: refuse rather than ignore.
    if !is_empty(m.get("vpcEndpointPolicies")) {
        return Err(not_supported(
            origin,
            &format!("{base}/vpcEndpointPolicies"),
            "VPC endpoint policies (`vpcEndpointPolicies`)",
        ));
    }
    let mut block_public_access = false;
    if let Some(settings) = m.get("additionalSettings").filter(|v| !v.is_null()) {
        let sp = format!("{base}/additionalSettings");
        let sm = object(origin, settings, &sp, "additional settings", &["s3"])?;
        if let Some(s3) = sm.get("s3").filter(|v| !v.is_null()) {
            let s3p = format!("{sp}/s3");
            let s3m = object(
                origin,
                s3,
                &s3p,
                "S3 settings",
                &["bucketAbacEnabled", "blockPublicAccess"],
            )?;
            match s3m.get("blockPublicAccess") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => block_public_access = true,
                Some(_) => {
                    return Err(located(
                        origin,
                        &format!("{s3p}/blockPublicAccess"),
                        "expected a boolean (RestrictPublicBuckets in force for the bucket)",
                    ))
                }
            }
        }
    }

    // The request.
    let rp = format!("{base}/request");
    let Some(request) = m.get("request") else {
        return Err(located(origin, base, "missing `request`"));
    };
    let req = object(origin, request, &rp, "a request", REQUEST_KEYS)?;
    let anonymous = req
        .get("principal")
        .and_then(Value::as_object)
        .is_some_and(|o| o.get("type").and_then(Value::as_str) == Some("Anonymous"));
    let principal_arn = if anonymous {
        ANONYMOUS
    } else {
        string(origin, req, "principal", &rp)?
    };
    let action = string(origin, req, "action", &rp)?;
    let resp = format!("{rp}/resource");
    let Some(resource) = req.get("resource") else {
        return Err(located(origin, &rp, "missing `resource`"));
    };
    let res = object(origin, resource, &resp, "a request resource", RESOURCE_KEYS)?;
    let resource_arn = string(origin, res, "resource", &resp)?;
    let resource_account = match res.get("accountId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(located(
                origin,
                &format!("{resp}/accountId"),
                "expected a string",
            ))
        }
    };
    let mut context = context_of(
        origin,
        req.get("contextVariables"),
        &format!("{rp}/contextVariables"),
    )?;
    let (kind, arn, name, path, account) = if anonymous {
        (
            PrincipalKind::Anonymous,
            ANONYMOUS.to_string(),
            ANONYMOUS.to_string(),
            String::new(),
            String::new(),
        )
    } else {
        principal_of(origin, principal_arn, &format!("{rp}/principal"))?
    };
    // A role session: its name decides resource policies that name session ARNs.
    if let Some((_, session)) = principal_arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split_once('/'))
    {
        context
            .entry(SESSION_NAME_KEY.to_string())
            .or_insert_with(|| vec![session.to_string()]);
    }

    let mut org = AwsOrg::default();
    let mut labels = BTreeMap::new();
    let src = |pointer: String| Source {
        file: Path::new(origin).to_path_buf(),
        pointer,
    };

    // Identity policies: inline, in document order.
    let ip = format!("{base}/identityPolicies");
    let identity = named_policies(origin, array(origin, m, "identityPolicies", base)?, &ip)?;
    let mut policy_ids = Vec::with_capacity(identity.len());
    for (i, (pname, doc)) in identity.into_iter().enumerate() {
        let pointer = format!("{ip}/{i}/policy");
        policy::validate_identity_policy(&doc, &pointer).map_err(|e| policy_error(origin, e))?;
        let mut id = AwsOrg::inline_policy_id(&arn, &pname);
        let mut n = 2;
        while org.policies.contains_key(&id) {
            id = AwsOrg::inline_policy_id(&arn, &format!("{pname} ({n})"));
            n += 1;
        }
        policy_ids.push(id.clone());
        org.policies.insert(
            id.clone(),
            Policy {
                id,
                name: pname,
                kind: PolicyKind::Inline {
                    holder: arn.clone(),
                },
                version: None,
                document: doc,
                source: src(pointer),
            },
        );
    }

    // The permissions boundary: at most one.
    let bp = format!("{base}/permissionBoundaryPolicies");
    let boundaries = named_policies(
        origin,
        array(origin, m, "permissionBoundaryPolicies", base)?,
        &bp,
    )?;
    if boundaries.len() > 1 {
        return Err(located(
            origin,
            &format!("{bp}/1"),
            format!(
                "{} permissions boundaries: a principal has at most one",
                boundaries.len()
            ),
        ));
    }
    let mut boundary = None;
    if let Some((bname, doc)) = boundaries.into_iter().next() {
        let pointer = format!("{bp}/0/policy");
        policy::validate_identity_policy(&doc, &pointer).map_err(|e| policy_error(origin, e))?;
        let mut id = bname.clone();
        while org.policies.contains_key(&id) {
            id.push_str(" (boundary)");
        }
        boundary = Some(id.clone());
        org.policies.insert(
            id.clone(),
            Policy {
                id,
                name: bname,
                kind: PolicyKind::CustomerManaged,
                version: None,
                document: doc,
                source: src(pointer),
            },
        );
    }

    if !anonymous {
        org.principals.insert(
            arn.clone(),
            Principal {
                arn: arn.clone(),
                kind,
                name,
                unique_id: String::new(),
                account: account.clone(),
                path,
                tags: Vec::new(),
                groups: Vec::new(),
                policies: policy_ids,
                boundary,
                trust_policy: None,
                instance_profiles: Vec::new(),
                source: src(format!("{rp}/principal")),
            },
        );
    }

    // The session policy.
    if let Some(doc) = m.get("sessionPolicy").filter(|v| !is_empty(Some(v))) {
        let pointer = format!("{base}/sessionPolicy");
        let doc = policy::parse_policy(doc, &pointer).map_err(|e| policy_error(origin, e))?;
        policy::validate_identity_policy(&doc, &pointer).map_err(|e| policy_error(origin, e))?;
        if anonymous {
            return Err(located(
                origin,
                &pointer,
                "an anonymous request has no session policy",
            ));
        }
        let id = format!("{arn}#session-policy");
        org.session_policies.insert(arn.clone(), id.clone());
        org.policies.insert(
            id.clone(),
            Policy {
                id,
                name: "sessionPolicy".to_string(),
                kind: PolicyKind::Session,
                version: None,
                document: doc,
                source: src(pointer),
            },
        );
    }

    // SCP levels: root, OUs, the principal's account.
    let scp_ptr = format!("{base}/serviceControlPolicies");
    let levels = array(origin, m, "serviceControlPolicies", base)?;
    if !levels.is_empty() {
        let mut structure = OrgStructure::default();
        let last = levels.len() - 1;
        let mut parent = ROOT_ID.to_string();
        let mut policy_count = 0usize;
        for (i, level) in levels.iter().enumerate() {
            let lp = format!("{scp_ptr}/{i}");
            let lm = object(origin, level, &lp, "an SCP level", LEVEL_KEYS)?;
            let label = string(origin, lm, "orgIdentifier", &lp)?.to_string();
            let policies = named_policies(
                origin,
                array(origin, lm, "policies", &lp)?,
                &format!("{lp}/policies"),
            )?;
            // The targets of this level: the root, an OU, the account (a single level is both
            // the root and the account).
            let mut targets = Vec::new();
            if i == 0 {
                structure.roots.insert(
                    ROOT_ID.to_string(),
                    Root {
                        id: ROOT_ID.to_string(),
                        name: Some(label.clone()),
                        // SCP levels in a Simulation mean SCPs are enabled.
                        policy_types: vec![(
                            "SERVICE_CONTROL_POLICY".to_string(),
                            "ENABLED".to_string(),
                        )],
                        source: src(lp.clone()),
                        ..Root::default()
                    },
                );
                targets.push(ROOT_ID.to_string());
            } else if i < last {
                let id = format!("ou-sim0-{i:08}");
                structure.ous.insert(
                    id.clone(),
                    Ou {
                        id: id.clone(),
                        arn: None,
                        name: Some(label.clone()),
                        parent: Some(parent.clone()),
                        source: src(lp.clone()),
                    },
                );
                parent.clone_from(&id);
                targets.push(id);
            }
            if i == last {
                structure.accounts.insert(
                    account.clone(),
                    Account {
                        id: account.clone(),
                        name: Some(label.clone()),
                        parent: Some(parent.clone()),
                        source: src(lp.clone()),
                        ..Account::default()
                    },
                );
                targets.push(account.clone());
            }
            for t in &targets {
                labels.insert(t.clone(), label.clone());
            }
            for (j, (pname, doc)) in policies.into_iter().enumerate() {
                let pointer = format!("{lp}/policies/{j}/policy");
                for st in &doc.statements {
                    let sp = doc.statement_pointer(&pointer, st.index);
                    for (present, key) in [
                        (st.principal.is_some(), "Principal"),
                        (st.not_principal.is_some(), "NotPrincipal"),
                    ] {
                        if present {
                            return Err(located(
                                origin,
                                &format!("{sp}/{key}"),
                                format!("expected no `{key}` in a service control policy"),
                            ));
                        }
                    }
                }
                policy_count += 1;
                let id = format!("p-sim{policy_count:08}");
                labels.insert(id.clone(), pname.clone());
                for t in &targets {
                    structure.attachments.insert((id.clone(), t.clone()));
                }
                structure.policies.insert(
                    id.clone(),
                    OrgPolicy {
                        id,
                        arn: None,
                        name: Some(pname),
                        description: None,
                        kind: OrgPolicyKind::Scp,
                        aws_managed: false,
                        document: Some(doc),
                        source: src(pointer),
                    },
                );
            }
        }
        org.organization = structure;
    }

    // RCPs: only their Denies act (RCPFullAWSAccess is the only Allow), so every RCP of every
    // level is attached at the resource's account, under the root.
    let rcp_ptr = format!("{base}/resourceControlPolicies");
    let mut rcps: Vec<(String, String, PolicyDocument)> = Vec::new();
    for (i, level) in array(origin, m, "resourceControlPolicies", base)?
        .iter()
        .enumerate()
    {
        let lp = format!("{rcp_ptr}/{i}");
        let lm = object(origin, level, &lp, "an RCP level", LEVEL_KEYS)?;
        string(origin, lm, "orgIdentifier", &lp)?;
        for (j, (name, doc)) in named_policies(
            origin,
            array(origin, lm, "policies", &lp)?,
            &format!("{lp}/policies"),
        )?
        .into_iter()
        .enumerate()
        {
            if name != RCP_FULL_ACCESS {
                rcps.push((name, format!("{lp}/policies/{j}/policy"), doc));
            }
        }
    }
    if !rcps.is_empty() {
        let Some(resource_account) = resource_account.clone() else {
            return Err(located(
                origin,
                &resp,
                "resource control policies need `accountId`: they govern the resources of that account",
            ));
        };
        let structure = &mut org.organization;
        let root = structure
            .roots
            .entry(ROOT_ID.to_string())
            .or_insert_with(|| Root {
                id: ROOT_ID.to_string(),
                source: src(rcp_ptr.clone()),
                ..Root::default()
            });
        root.policy_types
            .push(("RESOURCE_CONTROL_POLICY".to_string(), "ENABLED".to_string()));
        structure
            .accounts
            .entry(resource_account.clone())
            .or_insert_with(|| Account {
                id: resource_account.clone(),
                parent: Some(ROOT_ID.to_string()),
                source: src(rcp_ptr.clone()),
                ..Account::default()
            });
        for (n, (name, pointer, doc)) in rcps.into_iter().enumerate() {
            let id = format!("p-simrcp{:04}", n + 1);
            labels.insert(id.clone(), name.clone());
            structure
                .attachments
                .insert((id.clone(), resource_account.clone()));
            structure.policies.insert(
                id.clone(),
                OrgPolicy {
                    id,
                    arn: None,
                    name: Some(name),
                    description: None,
                    kind: OrgPolicyKind::Rcp,
                    aws_managed: false,
                    document: Some(doc),
                    source: src(pointer),
                },
            );
        }
    }

    // The resource-based policy: a role's trust policy for sts actions on a role, else the
    // policy of the bucket (for a bucket or object), the key, or the resource itself.
    if let Some(doc) = m.get("resourcePolicy").filter(|v| !is_empty(Some(v))) {
        let pointer = format!("{base}/resourcePolicy");
        let doc = policy::parse_policy(doc, &pointer).map_err(|e| policy_error(origin, e))?;
        attach_resource_policy(
            &mut org,
            action,
            resource_arn,
            resource_account.as_deref(),
            doc,
            src(pointer),
        );
    }
    if block_public_access {
        if let Some(bucket) = bucket_of(resource_arn) {
            org.resource_policies.s3_block_public_access.insert(
                bucket,
                BpaSettings {
                    restrict_public_buckets: true,
                    ..BpaSettings::default()
                },
            );
        }
    }

    let world_key = json!([
        principal_arn,
        m.get("identityPolicies"),
        m.get("permissionBoundaryPolicies"),
        m.get("serviceControlPolicies"),
        m.get("resourceControlPolicies"),
        m.get("resourcePolicy"),
        m.get("sessionPolicy"),
        m.get("additionalSettings"),
        resource_arn,
        resource_account,
    ])
    .to_string();
    Ok(Simulation {
        org,
        point: RequestPoint {
            source: arn,
            action: action.to_string(),
            resource: resource_arn.to_string(),
            resource_account,
        },
        context,
        labels,
        scp_levels: levels.len(),
        world_key,
    })
}

/// The bucket ARN of an S3 bucket or object ARN.
fn bucket_of(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:s3:::")?;
    let bucket = rest.split('/').next().unwrap_or_default();
    (!bucket.is_empty()).then(|| format!("arn:aws:s3:::{bucket}"))
}

/// Attaches a Simulation's `resourcePolicy` to what it governs in the synthesized org.
fn attach_resource_policy(
    org: &mut AwsOrg,
    action: &str,
    resource: &str,
    account: Option<&str>,
    document: PolicyDocument,
    source: Source,
) {
    let sts = action.to_ascii_lowercase().starts_with("sts:");
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if let (true, [_, _, "iam", _, acct, tail]) = (sts, parts.as_slice()) {
        if let Some(rest) = tail.strip_prefix("role/") {
            let (path, name) = match rest.rsplit_once('/') {
                Some((p, n)) => (format!("/{p}/"), n.to_string()),
                None => ("/".to_string(), rest.to_string()),
            };
            let role = org
                .principals
                .entry(resource.to_string())
                .or_insert_with(|| Principal {
                    path,
                    source: source.clone(),
                    ..Principal::bare(
                        resource.to_string(),
                        PrincipalKind::Role,
                        name,
                        (*acct).to_string(),
                    )
                });
            role.trust_policy = Some(document);
            return;
        }
    }
    let (arn, service) = if let Some(bucket) = bucket_of(resource) {
        if let Some(a) = account {
            org.resource_policies
                .s3_bucket_account
                .insert(bucket.clone(), a.to_string());
        }
        (bucket, Service::S3Bucket)
    } else if matches!(parts.as_slice(), [_, _, "kms", _, _, tail] if tail.starts_with("key/")) {
        (resource.to_string(), Service::KmsKey)
    } else {
        (resource.to_string(), Service::Other)
    };
    org.resource_policies.policies.insert(
        arn.clone(),
        ResourcePolicy {
            arn,
            service,
            document,
            source,
        },
    );
}

/// Replaces synthesized SCP ids by their Simulation names.
fn relabel(ex: &mut Explanation, sim: &Simulation) {
    for (level, _) in &mut ex.scp_levels {
        if let Some(l) = sim.labels.get(level.as_str()) {
            *level = l.clone();
        }
    }
    if sim.scp_levels == 1 {
        // One level is both the root and the account: show it once.
        ex.scp_levels.dedup();
    }
    for s in &mut ex.denies {
        if &*s.kind != "aws_scp" && &*s.kind != "aws_rcp" {
            continue;
        }
        let Some(name) = sim.labels.get(&*s.policy) else {
            continue;
        };
        let index = s.statement.rsplit_once('#').map(|(_, i)| i.to_string());
        if let Some(i) = &index {
            s.sid = i.parse::<usize>().ok().and_then(|i| {
                let sid = sim
                    .org
                    .organization
                    .policies
                    .get(&*s.policy)?
                    .document
                    .as_ref()?
                    .statements
                    .get(i)?
                    .sid
                    .as_deref()?;
                Some(sid.into())
            });
            s.statement = format!("{name}#{i}").into();
        }
        s.policy = name.as_str().into();
    }
}

/// Decides many converted Simulations, in order. Simulations that describe the same principal,
/// policies and SCP levels share one org, and `explain_many` decides their requests together.
pub fn simulate_many(sims: &[Simulation]) -> Vec<Explanation> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in sims.iter().enumerate() {
        groups.entry(&s.world_key).or_default().push(i);
    }
    let mut out: Vec<Option<Explanation>> = vec![None; sims.len()];
    for idxs in groups.values() {
        let Some(first) = idxs.first().and_then(|&i| sims.get(i)) else {
            continue;
        };
        let org = Org {
            loaded: LoadedOrg {
                aws: first.org.clone(),
                warnings: Vec::new(),
                files: Vec::new(),
                derived: Default::default(),
            },
        };
        let requests: Vec<_> = idxs
            .iter()
            .filter_map(|&i| sims.get(i))
            .map(|s| (s.point.clone(), s.context.clone()))
            .collect();
        // One world per simulation group is small: its requests are decided on this thread.
        let answers = analysis::explain_many_threads(&org, &requests, 1);
        for (&i, mut ex) in idxs.iter().zip(answers) {
            if let (Some(slot), Some(sim)) = (out.get_mut(i), sims.get(i)) {
                relabel(&mut ex, sim);
                *slot = Some(ex);
            }
        }
    }
    out.into_iter().flatten().collect()
}

/// Converts and decides Simulation documents; `origin` names them in messages.
pub fn simulate_values(values: &[Value], origin: &str) -> Result<Vec<Explanation>, CliError> {
    let sims = values
        .iter()
        .map(|v| parse_simulation(v, origin))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(simulate_many(&sims))
}

/// `iamlog simulate FILE`.
pub fn simulate_file(file: &Path, format: Format, out: &mut dyn Write) -> Result<i32, CliError> {
    let origin = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError(format!("{origin}: cannot read: {e}")))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        CliError(format!(
            "{origin}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let ex = simulate_values(std::slice::from_ref(&value), &origin)?;
    crate::print_decision(ex.first(), format, out)
}
