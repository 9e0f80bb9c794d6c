//! Loading an org: every `*.json` file under the given directories (recursively, in sorted path
//! order), each recognised by its content rather than its name.

use std::path::{Path, PathBuf};

use crate::aws::model::AwsOrg;
use crate::aws::organizations::OrgStructure;
use crate::aws::{gaad, organizations, resource_policies, tagging};
use crate::derived::Derived;
use crate::error::{IngestError, Warning};
use crate::json::Located;

/// An org loaded from exports, with the warnings collected on the way.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadedOrg {
    pub aws: AwsOrg,
    pub warnings: Vec<Warning>,
    /// The files that were read, in order.
    pub files: Vec<PathBuf>,
    /// What was derived from the org and kept with it: nothing for an org read from exports
    /// (a body of its own in a snapshot, see `snapshot`).
    #[serde(skip)]
    pub derived: Derived,
}

/// Loads every export under `dirs` (a file may also be named directly).
pub fn load(dirs: &[PathBuf]) -> Result<LoadedOrg, IngestError> {
    let mut files = Vec::new();
    for dir in dirs {
        collect(dir, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut org = LoadedOrg::default();
    // Files are read and parsed on a second thread while this one turns each parsed document
    // into the model, in file order (a bounded channel keeps at most two documents waiting).
    // The first error in file order stops the load, as one thread would.
    std::thread::scope(|scope| -> Result<(), IngestError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Parsed, IngestError>>(2);
        let parsing = &files;
        scope.spawn(move || {
            for file in parsing {
                let parsed = parse_file(file);
                let failed = parsed.is_err();
                // The reader stopped (an error earlier): nothing more is wanted.
                if tx.send(parsed).is_err() || failed {
                    break;
                }
            }
        });
        // The action catalogue (about 40 ms to decompress and parse) is read by the first
        // AWS document applied: it is parsed here while the first file is, rather than after
        // it. Only for inputs large enough that their parse takes as long.
        if total_bytes(&files) >= WARM_CATALOGUE_BYTES {
            crate::aws::catalogue::Catalogue::embedded();
        }
        for file in &files {
            // A parser that ended early has sent its error first.
            let parsed = match rx.recv() {
                Ok(parsed) => parsed?,
                Err(_) => break,
            };
            apply_parsed(file, parsed, &mut org)?;
        }
        Ok(())
    })?;
    if org.aws.principals.is_empty() && org.aws.policies.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(IngestError::Io {
            file: dirs.first().cloned().unwrap_or_default(),
            message: format!(
                "no IAM export found in {} (expected `aws iam get-account-authorization-details` output in a *.json file; see docs/inputs.md)",
                shown.join(", ")
            ),
        });
    }
    check_scp_content(&org.aws.organization, dirs)?;
    org.aws.index_external();
    not_yet_evaluated(&mut org, dirs);
    org.files = files;
    Ok(org)
}

/// Inputs of at least this many bytes have the action catalogue parsed while they are.
const WARM_CATALOGUE_BYTES: u64 = 4 << 20;

/// The total size of `files` (those that cannot be read count for nothing: reading them
/// reports the error).
fn total_bytes(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::Io {
        file: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| IngestError::Io {
        file: path.to_path_buf(),
        message: format!("cannot list directory: {e}"),
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| IngestError::Io {
            file: path.to_path_buf(),
            message: format!("cannot list directory: {e}"),
        })?;
        let p = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect(&p, out)?;
        } else if name.ends_with(".json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads one export file into `org`, recognising its kind by content.
pub fn load_file(file: &Path, org: &mut LoadedOrg) -> Result<(), IngestError> {
    let parsed = parse_file(file)?;
    apply_parsed(file, parsed, org)
}

/// A parsed export file.
enum Parsed {
    /// A get-resources document in its usual shape, read straight into its fields
    /// ([`tagging::Document`]).
    Tagging(tagging::Document),
    /// Any other document, as generic JSON.
    Json(serde_json::Value),
}

/// Reads and parses one file.
fn parse_file(file: &Path) -> Result<Parsed, IngestError> {
    let text = std::fs::read_to_string(file).map_err(|e| IngestError::Io {
        file: file.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    // (Only these three members make a document a get-resources one: no other kind has
    // any of them, and the other kinds' detection looks for members it does not have.)
    if let Some(doc) = tagging::Document::parse(&text) {
        return Ok(Parsed::Tagging(doc));
    }
    serde_json::from_str(&text)
        .map(Parsed::Json)
        .map_err(|e| IngestError::syntax(file, &e))
}

/// Adds one parsed export to the org.
fn apply_parsed(file: &Path, parsed: Parsed, org: &mut LoadedOrg) -> Result<(), IngestError> {
    match parsed {
        Parsed::Tagging(doc) => {
            tagging::apply(doc, file, &mut org.aws);
            Ok(())
        }
        Parsed::Json(value) => apply_value(file, &value, org),
    }
}

/// Adds one parsed export to the org, recognised by its content.
fn apply_value(
    file: &Path,
    value: &serde_json::Value,
    org: &mut LoadedOrg,
) -> Result<(), IngestError> {
    let root = Located::root(value, file);
    // Organizations first: `list-policies` output also has a top-level `Policies` list.
    if let Some(kind) = organizations::detect(value) {
        organizations::read(&root, kind, &mut org.aws.organization, &mut org.warnings)
    } else if gaad::is_gaad(value) {
        gaad::read(&root, &mut org.aws, &mut org.warnings)
    } else if tagging::is_tagging(value) {
        tagging::read(&root, &mut org.aws, &mut org.warnings)
    } else if let Some(kind) = resource_policies::detect(value) {
        resource_policies::read(
            &root,
            kind,
            &mut org.aws.resource_policies,
            &mut org.warnings,
        )
    } else {
        org.warnings.push(Warning {
            file: file.to_path_buf(),
            pointer: String::new(),
            message: "not a recognised export (see docs/inputs.md), skipped".to_string(),
        });
        Ok(())
    }
}

/// Organizations data and resource-based policies are read and checked, but the rules do not
/// evaluate them yet: say so once, loudly, instead of answering as if they were not there.
fn not_yet_evaluated(org: &mut LoadedOrg, dirs: &[PathBuf]) {
    let file = dirs.first().cloned().unwrap_or_default();
    let structure = &org.aws.organization;
    for issue in structure.validate() {
        org.warnings.push(Warning {
            file: file.clone(),
            pointer: String::new(),
            message: format!("organization structure: {issue}"),
        });
    }
    if (!structure.accounts.is_empty() || !structure.roots.is_empty())
        && !structure.attachments.iter().any(|(p, _)| {
            structure
                .policies
                .get(p)
                .is_some_and(|p| p.kind == organizations::OrgPolicyKind::Scp)
        })
    {
        org.warnings.push(Warning {
            file: file.clone(),
            pointer: String::new(),
            message: "the Organizations exports attach no SCP (no `list-targets-for-policy` output, or SCPs are not enabled): SCPs are not evaluated".to_string(),
        });
    }
}

/// An attached SCP or RCP whose content was not exported would make every answer below it wrong
/// (a missing Deny fails open, a missing allow list fails closed): that is an error.
fn check_scp_content(structure: &OrgStructure, dirs: &[PathBuf]) -> Result<(), IngestError> {
    for (policy_id, target) in &structure.attachments {
        let known = structure.policies.get(policy_id);
        let has_content = known.is_some_and(|p| p.document.is_some());
        // The AWS managed full-access policies are known without their content.
        let full_access = policy_id == "p-FullAWSAccess" || policy_id == "p-RCPFullAWSAccess";
        if !has_content && !full_access {
            return Err(IngestError::Io {
                file: dirs.first().cloned().unwrap_or_default(),
                message: format!(
                    "policy `{policy_id}` is attached to `{target}` but its content is missing: add `aws organizations describe-policy --policy-id {policy_id}` output (see docs/inputs.md)"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Files are parsed on another thread, but the first error in file order is the one
    /// reported: a model error in `a.json` wins over a syntax error in `b.json`, and a syntax
    /// error in `a.json` over anything after it.
    #[test]
    fn the_first_error_in_file_order_is_reported() {
        let dir = std::env::temp_dir().join(format!("iamlog-org-order-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bad_model = r#"{"UserDetailList": [{"UserName": 3}], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
        std::fs::write(dir.join("a.json"), bad_model).unwrap();
        std::fs::write(dir.join("b.json"), "{ not json").unwrap();
        match load(std::slice::from_ref(&dir)) {
            Err(IngestError::Invalid { file, .. }) => assert!(file.ends_with("a.json"), "{file:?}"),
            other => panic!("expected the model error of a.json, got {other:?}"),
        }
        std::fs::write(dir.join("a.json"), "[1,").unwrap();
        std::fs::write(dir.join("b.json"), bad_model).unwrap();
        match load(std::slice::from_ref(&dir)) {
            Err(IngestError::Syntax { file, .. }) => assert!(file.ends_with("a.json"), "{file:?}"),
            other => panic!("expected the syntax error of a.json, got {other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
