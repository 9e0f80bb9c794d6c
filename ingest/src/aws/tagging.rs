//! Reader for `aws resourcegroupstaggingapi get-resources` output: the inventory of tagged
//! resources, `{"ResourceTagMappingList": [{"ResourceARN": "...", "Tags": [{"Key", "Value"}]}]}`.

use std::path::Path;

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

/// A get-resources document in the shape `aws resourcegroupstaggingapi get-resources` writes,
/// read straight into its fields. Large estates export a million resources here: as generic
/// JSON (an ordered map per mapping and per tag, a located pointer formatted for every member
/// read) the file took several times as long as its parse. Anything else in it (an unknown or
/// duplicate member, a value of another type, `null` where a string is required, a
/// `ResourceARN` that is not an ARN) fails this shape or [`Document::is_clean`]: such a file
/// is read as generic JSON by [`read`], which names the member at fault.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(rename = "ResourceTagMappingList")]
    list: Vec<Mapping>,
    #[serde(rename = "PaginationToken", default)]
    _pagination: Option<serde::de::IgnoredAny>,
    #[serde(rename = "ResponseMetadata", default)]
    _metadata: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    #[serde(rename = "ResourceARN")]
    arn: String,
    #[serde(rename = "Tags", default)]
    tags: Option<Vec<Tag>>,
    #[serde(rename = "ComplianceDetails", default)]
    _compliance: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

impl Document {
    /// Parses `text` as a get-resources document that [`apply`] can take whole: `None` for
    /// any other text (read it as generic JSON). A text of another kind fails at its first
    /// member other than these three.
    pub fn parse(text: &str) -> Option<Document> {
        serde_json::from_str::<Document>(text)
            .ok()
            .filter(Document::is_clean)
    }

    /// True when every mapping names an ARN (the one check [`read`] makes beyond the shape).
    fn is_clean(&self) -> bool {
        self.list.iter().all(|m| m.arn.starts_with("arn:"))
    }
}

/// Adds a get-resources document parsed by [`Document::parse`] to `org`: what [`read`] does
/// with the same document, which has nothing to warn about.
pub fn apply(doc: Document, file: &Path, org: &mut AwsOrg) {
    for (i, m) in doc.list.into_iter().enumerate() {
        let tags = m.tags.unwrap_or_default().into_iter().map(|t| {
            let value = t.value.unwrap_or_default();
            (t.key, value)
        });
        let entry = match org.resources.entry(m.arn) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let arn = e.key().clone();
                e.insert(Resource {
                    arn,
                    tags: Vec::new(),
                    source: Source {
                        file: file.to_path_buf(),
                        pointer: format!("/ResourceTagMappingList/{i}"),
                    },
                })
            }
        };
        merge_tags(entry, tags);
    }
}

/// Sets each tag on the resource: a key it has already takes the new value.
fn merge_tags(entry: &mut Resource, tags: impl IntoIterator<Item = (String, String)>) {
    for (k, v) in tags {
        if let Some(slot) = entry.tags.iter_mut().find(|(ek, _)| *ek == k) {
            slot.1 = v;
        } else {
            entry.tags.push((k, v));
        }
    }
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
        merge_tags(entry, tags);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const FILE: &str = "tags.json";

    /// The resources (and warnings) of `text` as read from generic JSON.
    fn read_generic(text: &str) -> Result<(AwsOrg, Vec<Warning>), IngestError> {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut org = AwsOrg::default();
        let mut warnings = Vec::new();
        read(
            &Located::root(&value, Path::new(FILE)),
            &mut org,
            &mut warnings,
        )?;
        Ok((org, warnings))
    }

    /// A document in the usual shape is read straight into its fields, to the same resources
    /// (tags, their order, a key set twice, `null` values, the source pointers) as from
    /// generic JSON.
    #[test]
    fn the_usual_shape_is_read_to_the_same_resources_as_generic_json() {
        let text = r#"{
            "PaginationToken": "",
            "ResourceTagMappingList": [
                {"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": null}, {"Key": "env", "Value": "dev"}]},
                {"ResourceARN": "arn:aws:sqs:us-east-1:111122223333:q", "Tags": [], "ComplianceDetails": {"NoncompliantKeys": []}},
                {"ResourceARN": "arn:aws:kms:us-east-1:111122223333:key/k", "Tags": null},
                {"ResourceARN": "arn:aws:kms:us-east-1:111122223333:key/k", "Tags": [{"Key": "owner"}]},
                {"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "team", "Value": "data"}]}
            ],
            "ResponseMetadata": {"RequestId": "x"}
        }"#;
        let doc = Document::parse(text).expect("the usual shape");
        let mut fast = AwsOrg::default();
        apply(doc, Path::new(FILE), &mut fast);
        let (generic, warnings) = read_generic(text).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            format!("{:?}", fast.resources),
            format!("{:?}", generic.resources)
        );
        let b = &fast.resources["arn:aws:s3:::b"];
        assert_eq!(
            b.tags,
            vec![
                ("env".to_string(), "dev".to_string()),
                ("team".to_string(), "data".to_string())
            ]
        );
        assert_eq!(b.source.pointer, "/ResourceTagMappingList/0");
        assert_eq!(
            fast.resources["arn:aws:kms:us-east-1:111122223333:key/k"].tags,
            vec![("owner".to_string(), String::new())]
        );
    }

    /// Anything outside the usual shape is left to the generic reader, which warns about
    /// unknown members and names the member at fault in an error.
    #[test]
    fn other_shapes_are_left_to_the_generic_reader() {
        let list = |items: &str| format!(r#"{{"ResourceTagMappingList": [{items}]}}"#);
        // Read, with a warning naming the member.
        let unknown = [
            (
                list(r#"{"ResourceARN": "arn:aws:s3:::b", "Extra": 1}"#),
                "/ResourceTagMappingList/0/Extra",
            ),
            (
                list(r#"{"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "k", "Note": "n"}]}"#),
                "/ResourceTagMappingList/0/Tags/0/Note",
            ),
            (
                r#"{"ResourceTagMappingList": [], "NextToken": "t"}"#.to_string(),
                "/NextToken",
            ),
        ];
        for (text, pointer) in unknown {
            assert!(Document::parse(&text).is_none(), "{text}");
            let (_, warnings) = read_generic(&text).unwrap();
            assert_eq!(warnings.len(), 1, "{text}");
            assert_eq!(warnings[0].pointer, pointer);
        }
        // Errors, naming the member.
        let bad = [
            (
                list(r#"{"ResourceARN": 3}"#),
                "/ResourceTagMappingList/0/ResourceARN",
            ),
            (
                list(r#"{"ResourceARN": null}"#),
                "/ResourceTagMappingList/0",
            ),
            (
                list(r#"{"ResourceARN": "s3:::b"}"#),
                "/ResourceTagMappingList/0/ResourceARN",
            ),
            (
                list(r#"{"ResourceARN": "arn:aws:s3:::b", "Tags": {}}"#),
                "/ResourceTagMappingList/0/Tags",
            ),
            (
                list(r#"{"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Value": "v"}]}"#),
                "/ResourceTagMappingList/0/Tags/0",
            ),
            (
                list(r#"{"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "k", "Value": 2}]}"#),
                "/ResourceTagMappingList/0/Tags/0/Value",
            ),
            (list(r#""arn:aws:s3:::b""#), "/ResourceTagMappingList/0"),
            (
                r#"{"ResourceTagMappingList": {}}"#.to_string(),
                "/ResourceTagMappingList",
            ),
        ];
        for (text, pointer) in bad {
            assert!(Document::parse(&text).is_none(), "{text}");
            match read_generic(&text) {
                Err(IngestError::Invalid { pointer: p, .. }) => assert_eq!(p, pointer, "{text}"),
                other => panic!("{text}: expected an error at {pointer}, got {other:?}"),
            }
        }
        // A member given twice: generic JSON keeps the last, as the generic reader does.
        let twice = list(r#"{"ResourceARN": "arn:aws:s3:::a", "ResourceARN": "arn:aws:s3:::b"}"#);
        assert!(Document::parse(&twice).is_none());
        let (org, _) = read_generic(&twice).unwrap();
        assert!(org.resources.contains_key("arn:aws:s3:::b"));
        // Other kinds of export are not taken for this one.
        assert!(
            Document::parse(r#"{"UserDetailList": [], "ResourceTagMappingList": []}"#).is_none()
        );
        assert!(Document::parse("[]").is_none());
    }

    /// Loading a file goes through the same readers: a file outside the usual shape still
    /// gets its warning with the file and pointer.
    #[test]
    fn a_loaded_file_outside_the_usual_shape_is_warned_about() {
        let dir = std::env::temp_dir().join(format!("iamlog-tagging-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tags.json");
        std::fs::write(
            &file,
            r#"{"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "k", "Value": "v"}], "Extra": true}]}"#,
        )
        .unwrap();
        let mut org = crate::org::LoadedOrg::default();
        crate::org::load_file(&file, &mut org).unwrap();
        assert_eq!(org.aws.resources["arn:aws:s3:::b"].tags.len(), 1);
        assert_eq!(org.warnings.len(), 1);
        assert_eq!(org.warnings[0].pointer, "/ResourceTagMappingList/0/Extra");
        assert_eq!(org.warnings[0].file, file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
