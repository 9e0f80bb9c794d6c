//! An account's IAM as `aws iam get-account-authorization-details` prints it (AWS CLI JSON:
//! documents decoded into objects, dates as `2014-07-30T17:09:20Z`, fields in the API's order).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::managed::AwsManaged;
use super::resources::Resource;
use super::Stats;
use crate::rng;

/// An inline policy.
#[derive(Debug, Clone)]
pub struct Inline {
    pub name: String,
    pub doc: Value,
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub path: String,
    pub created: String,
    pub groups: Vec<String>,
    pub inline: Vec<Inline>,
    pub managed: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub created: String,
    pub inline: Vec<Inline>,
    pub managed: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub created: String,
    pub trust: Value,
    pub inline: Vec<Inline>,
    pub managed: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    /// The role has an EC2 instance profile of the same name.
    pub instance_profile: bool,
    /// (date, region) of the last use, if any.
    pub last_used: Option<(String, String)>,
}

/// A policy version; `PolicyVersionList` lists them newest first.
#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub doc: Value,
    pub created: String,
}

/// A customer-managed policy; `versions[0]` is the default.
#[derive(Debug, Clone)]
pub struct CustomerPolicy {
    pub name: String,
    pub path: String,
    pub versions: Vec<Version>,
}

/// Everything of one account the exports show.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub policies: Vec<CustomerPolicy>,
    /// The AWS-managed policies the principals may reference (only attached ones are written).
    pub aws_managed: Vec<AwsManaged>,
    pub resources: Vec<Resource>,
}

impl Account {
    pub fn user_arn(&self, name: &str, path: &str) -> String {
        format!("arn:aws:iam::{}:user{path}{name}", self.id)
    }
    pub fn role_arn(&self, name: &str, path: &str) -> String {
        format!("arn:aws:iam::{}:role{path}{name}", self.id)
    }
    pub fn group_arn(&self, name: &str, path: &str) -> String {
        format!("arn:aws:iam::{}:group{path}{name}", self.id)
    }
    pub fn policy_arn(&self, name: &str, path: &str) -> String {
        format!("arn:aws:iam::{}:policy{path}{name}", self.id)
    }
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An IAM unique id: the kind's prefix (AIDA user, AGPA group, AROA role, ANPA policy, AIPA
/// instance profile) and 17 characters derived from the ARN.
pub fn unique_id(prefix: &str, arn: &str) -> String {
    let mut h = rng::hash(&format!("{prefix}|{arn}"));
    let mut s = String::from(prefix);
    for i in 0..17 {
        if i == 12 {
            h = rng::mix(h ^ 0x5bd1_e995);
        }
        s.push(char::from(B32[(h & 31) as usize]));
        h >>= 5;
    }
    s
}

/// `2019-03-04T05:06:07Z` for `days` after 1970-01-01 and `secs` into the day.
pub fn timestamp(days: i64, secs: u32) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

fn inline_json(list: &[Inline]) -> Value {
    Value::Array(
        list.iter()
            .map(|i| json!({"PolicyName": i.name, "PolicyDocument": i.doc}))
            .collect(),
    )
}

fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn attached_json(list: &[String]) -> Value {
    Value::Array(
        list.iter()
            .map(|a| json!({"PolicyName": policy_name(a), "PolicyArn": a}))
            .collect(),
    )
}

fn boundary_json(arn: &str) -> Value {
    json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn})
}

/// The number of statements of a policy document.
pub fn statement_count(doc: &Value) -> usize {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.len(),
        Some(_) => 1,
        None => 0,
    }
}

/// The GAAD of `account`, and its counts.
pub fn render(account: &Account) -> (Value, Stats) {
    let mut stats = Stats {
        accounts: 1,
        ..Stats::default()
    };
    // Attachment and boundary counts of every managed policy.
    let mut attached: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let users = account.users.iter().map(|u| (&u.managed, &u.boundary));
    let roles = account.roles.iter().map(|r| (&r.managed, &r.boundary));
    for (managed, boundary) in users.chain(roles) {
        for m in managed {
            attached.entry(m).or_default().0 += 1;
        }
        if let Some(b) = boundary {
            attached.entry(b).or_default().1 += 1;
        }
    }
    for g in &account.groups {
        for m in &g.managed {
            attached.entry(m).or_default().0 += 1;
        }
    }

    let mut user_list = Vec::new();
    for u in &account.users {
        let arn = account.user_arn(&u.name, &u.path);
        let mut o = Map::new();
        o.insert("Path".into(), json!(u.path));
        o.insert("UserName".into(), json!(u.name));
        o.insert("UserId".into(), json!(unique_id("AIDA", &arn)));
        o.insert("Arn".into(), json!(arn));
        o.insert("CreateDate".into(), json!(u.created));
        if !u.inline.is_empty() {
            o.insert("UserPolicyList".into(), inline_json(&u.inline));
        }
        o.insert("GroupList".into(), json!(u.groups));
        o.insert("AttachedManagedPolicies".into(), attached_json(&u.managed));
        if let Some(b) = &u.boundary {
            o.insert("PermissionsBoundary".into(), boundary_json(b));
            stats.boundaries += 1;
        }
        o.insert("Tags".into(), tags_json(&u.tags));
        user_list.push(Value::Object(o));
        stats.users += 1;
        stats.inline_policies += u.inline.len();
        stats.statements += u
            .inline
            .iter()
            .map(|i| statement_count(&i.doc))
            .sum::<usize>();
        stats.group_memberships += u.groups.len();
        stats.tagged_principals += usize::from(!u.tags.is_empty());
    }

    let mut group_list = Vec::new();
    for g in &account.groups {
        let arn = account.group_arn(&g.name, &g.path);
        group_list.push(json!({
            "Path": g.path,
            "GroupName": g.name,
            "GroupId": unique_id("AGPA", &arn),
            "Arn": arn,
            "CreateDate": g.created,
            "GroupPolicyList": inline_json(&g.inline),
            "AttachedManagedPolicies": attached_json(&g.managed),
        }));
        stats.groups += 1;
        stats.inline_policies += g.inline.len();
        stats.statements += g
            .inline
            .iter()
            .map(|i| statement_count(&i.doc))
            .sum::<usize>();
    }

    let mut role_list = Vec::new();
    for r in &account.roles {
        let arn = account.role_arn(&r.name, &r.path);
        let role_id = unique_id("AROA", &arn);
        let mut profiles = Vec::new();
        if r.instance_profile {
            let ip_arn = format!("arn:aws:iam::{}:instance-profile/{}", account.id, r.name);
            profiles.push(json!({
                "Path": "/",
                "InstanceProfileName": r.name,
                "InstanceProfileId": unique_id("AIPA", &ip_arn),
                "Arn": ip_arn,
                "CreateDate": r.created,
                "Roles": [{
                    "Path": r.path,
                    "RoleName": r.name,
                    "RoleId": role_id,
                    "Arn": arn,
                    "CreateDate": r.created,
                    "AssumeRolePolicyDocument": r.trust,
                }],
            }));
        }
        let mut o = Map::new();
        o.insert("Path".into(), json!(r.path));
        o.insert("RoleName".into(), json!(r.name));
        o.insert("RoleId".into(), json!(role_id));
        o.insert("Arn".into(), json!(arn));
        o.insert("CreateDate".into(), json!(r.created));
        o.insert("AssumeRolePolicyDocument".into(), r.trust.clone());
        o.insert("InstanceProfileList".into(), Value::Array(profiles));
        o.insert("RolePolicyList".into(), inline_json(&r.inline));
        o.insert("AttachedManagedPolicies".into(), attached_json(&r.managed));
        if let Some(b) = &r.boundary {
            o.insert("PermissionsBoundary".into(), boundary_json(b));
            stats.boundaries += 1;
        }
        o.insert("Tags".into(), tags_json(&r.tags));
        o.insert(
            "RoleLastUsed".into(),
            match &r.last_used {
                Some((date, region)) => json!({"LastUsedDate": date, "Region": region}),
                None => json!({}),
            },
        );
        role_list.push(Value::Object(o));
        stats.roles += 1;
        stats.inline_policies += r.inline.len();
        stats.statements += r
            .inline
            .iter()
            .map(|i| statement_count(&i.doc))
            .sum::<usize>();
        let trust = statement_count(&r.trust);
        stats.statements += trust;
        stats.trust_statements += trust;
        stats.tagged_principals += usize::from(!r.tags.is_empty());
    }

    let mut policies: Vec<(String, Value)> = Vec::new();
    for p in &account.policies {
        let arn = account.policy_arn(&p.name, &p.path);
        let (count, boundary) = attached.get(arn.as_str()).copied().unwrap_or_default();
        let versions: Vec<Value> = p
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                json!({"Document": v.doc, "VersionId": v.id, "IsDefaultVersion": i == 0, "CreateDate": v.created})
            })
            .collect();
        let default = p.versions.first();
        let created = p.versions.last().map(|v| v.created.clone());
        policies.push((
            arn.clone(),
            json!({
                "PolicyName": p.name,
                "PolicyId": unique_id("ANPA", &arn),
                "Arn": arn,
                "Path": p.path,
                "DefaultVersionId": default.map(|v| v.id.clone()),
                "AttachmentCount": count,
                "PermissionsBoundaryUsageCount": boundary,
                "IsAttachable": true,
                "CreateDate": created,
                "UpdateDate": default.map(|v| v.created.clone()),
                "PolicyVersionList": versions,
            }),
        ));
        stats.managed_policies += 1;
        stats.policy_versions += p.versions.len();
        stats.statements += default.map_or(0, |v| statement_count(&v.doc));
    }
    for m in &account.aws_managed {
        let Some(&(count, boundary)) = attached.get(m.arn.as_str()) else {
            continue;
        };
        policies.push((
            m.arn.clone(),
            json!({
                "PolicyName": m.name,
                "PolicyId": unique_id("ANPA", &m.arn),
                "Arn": m.arn,
                "Path": m.path,
                "DefaultVersionId": m.version_id,
                "AttachmentCount": count,
                "PermissionsBoundaryUsageCount": boundary,
                "IsAttachable": true,
                "CreateDate": m.create_date,
                "UpdateDate": m.update_date,
                "PolicyVersionList": [{
                    "Document": m.document,
                    "VersionId": m.version_id,
                    "IsDefaultVersion": true,
                    "CreateDate": m.update_date,
                }],
            }),
        ));
        stats.managed_policies += 1;
        stats.aws_managed_policies += 1;
        stats.policy_versions += 1;
        stats.statements += statement_count(&m.document);
    }
    policies.sort_by(|a, b| a.0.cmp(&b.0));

    let gaad = json!({
        "UserDetailList": user_list,
        "GroupDetailList": group_list,
        "RoleDetailList": role_list,
        "Policies": policies.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    });
    (gaad, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(19_723, 3661), "2024-01-01T01:01:01Z");
        assert_eq!(timestamp(11_016, 86_399), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn unique_ids_look_like_iam_ids() {
        let id = unique_id("AIDA", "arn:aws:iam::111122223333:user/alice");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_ne!(id, unique_id("AIDA", "arn:aws:iam::111122223333:user/bob"));
    }
}
