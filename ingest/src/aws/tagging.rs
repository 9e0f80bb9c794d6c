//! Reader for `aws resourcegroupstaggingapi get-resources` output: the inventory of tagged
//! resources, `{"ResourceTagMappingList": [{"ResourceARN": "...", "Tags": [{"Key", "Value"}]}]}`.

use crate::aws::model::{AwsOrg, Resource, Source};
use crate::error::{IngestError, Warning};
use crate::json::Located;

const TOP: &[&str] = &[
    "ResourceTagMappingList",
    "PaginationToken",
    "ResponseMetadata",
];
const MAPPING: &[&str] = &["ResourceARN", "Tags", "ComplianceDetails"];
const TAG: &[&str] = &["Key", "Value"];

/// True when a JSON document looks like a get-resources output.
pub fn is_tagging(value: &serde_json::Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.contains_key("ResourceTagMappingList"))
}

/// Reads one get-resources document into `org`.
pub fn read(
    root: &Located<'_>,
    org: &mut AwsOrg,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-resources document")?;
    root.warn_unknown(TOP, "the get-resources output", warnings);
    for m in root
        .required("ResourceTagMappingList")?
        .array("`ResourceTagMappingList`")?
    {
        m.object("a resource tag mapping")?;
        m.warn_unknown(MAPPING, "a resource tag mapping", warnings);
        let arn = m.required_str("ResourceARN")?.to_string();
        if !arn.starts_with("arn:") {
            return Err(m
                .required("ResourceARN")?
                .error(format!("`{arn}` is not an ARN")));
        }
        let mut tags = Vec::new();
        for t in m.optional_array("Tags")? {
            t.object("a tag")?;
            t.warn_unknown(TAG, "a tag", warnings);
            tags.push((
                t.required_str("Key")?.to_string(),
                t.optional_str("Value")?.unwrap_or_default().to_string(),
            ));
        }
        let entry = org
            .resources
            .entry(arn.clone())
            .or_insert_with(|| Resource {
                arn,
                tags: Vec::new(),
                source: Source {
                    file: m.file.to_path_buf(),
                    pointer: m.pointer().to_string(),
                },
            });
        for (k, v) in tags {
            if let Some(slot) = entry.tags.iter_mut().find(|(ek, _)| *ek == k) {
                slot.1 = v;
            } else {
                entry.tags.push((k, v));
            }
        }
    }
    Ok(())
}
