//! Snapshots: a [`LoadedOrg`] saved to one compact binary file (`iamlog ingest ORG --out FILE`)
//! so that later questions (`--snapshot FILE`) skip reading and checking the exports.
//!
//! # Format
//!
//! ```text
//! magic            16 bytes  "IAMLOG-SNAPSHOT\n"
//! format version   u32, little-endian (FORMAT_VERSION)
//! iamlog version   u16 little-endian length + UTF-8 (CARGO_PKG_VERSION of iamlog-ingest,
//!                  `+` and the fingerprint of the sources that decide the content)
//! catalogue        u16 little-endian length + UTF-8 (the embedded action catalogue's source)
//! org              body: the LoadedOrg but its resources (`AwsOrg::resources`)
//! resources        RESOURCE_PARTS bodies: the resources in ARN order, cut into consecutive
//!                  parts, each a sequence of (ARN, resource)
//! derived          body: what `iamlog ingest` derived from the org (`derived::Derived`: the
//!                  role-assumption edges); it ends the file
//! ```
//!
//! A body is its length (u64, little-endian) and an LZ4 frame (with content checksum) of a
//! postcard encoding. The bodies are decoded at once, on threads of their own: a large org's
//! resources (1,000,000 of them, three quarters of its snapshot) are most of the work.
//!
//! A snapshot is only read by the iamlog that wrote it: any other magic, format version, iamlog
//! version (a build from other sources included) or catalogue version is an error asking to re-run `iamlog ingest` (the model and the
//! catalogue the facts are built with may have changed). The body lengths catch a truncated
//! file (an LZ4 decoder takes a frame cut at a block boundary for a whole one), the frames'
//! content checksums a corrupt body: either is an error, never a panic.
//!
//! LZ4 rather than gzip (format 1): the large synthetic org's 336 MB body took 0.9 s to
//! inflate, about 40% of reading the snapshot; LZ4 decodes it in about a quarter of that, for
//! a 30% larger file.

use std::io::{Read, Write};
use std::path::Path;

use lz4_flex::frame::{BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

use crate::aws::catalogue::Catalogue;
use crate::aws::model::Resource;
use crate::derived::Derived;
use crate::error::IngestError;
use crate::org::LoadedOrg;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 16] = b"IAMLOG-SNAPSHOT\n";

/// The version of the snapshot layout; bump it when the header or the encoding changes.
pub const FORMAT_VERSION: u32 = 3;

/// The iamlog version that writes and reads snapshots: the crate version and the fingerprint
/// of the sources that decide a snapshot's content (`build.rs`). The version alone did not
/// change when the model, the rules or the chain search did, and a snapshot written before
/// such a change was read as if current.
pub const IAMLOG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("IAMLOG_SOURCE_FINGERPRINT")
);

/// The version of the action catalogue recorded in snapshots (its `source:` header line).
pub fn catalogue_version() -> &'static str {
    Catalogue::embedded().data_version()
}

/// What a snapshot header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format: u32,
    pub iamlog: String,
    pub catalogue: String,
}

impl Header {
    /// The header this build writes.
    pub fn current() -> Header {
        Header {
            format: FORMAT_VERSION,
            iamlog: IAMLOG_VERSION.to_string(),
            catalogue: catalogue_version().to_string(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "iamlog {} (snapshot format {}, action catalogue `{}`)",
            self.iamlog, self.format, self.catalogue
        )
    }
}

/// Writes `org` to `path` as a snapshot (replacing the file).
pub fn write(org: &LoadedOrg, path: &Path) -> Result<(), IngestError> {
    let bytes = encode(org).map_err(|message| IngestError::Io {
        file: path.to_path_buf(),
        message,
    })?;
    std::fs::write(path, bytes).map_err(|e| IngestError::Io {
        file: path.to_path_buf(),
        message: format!("cannot write snapshot: {e}"),
    })
}

/// Reads the snapshot at `path`.
pub fn read(path: &Path) -> Result<LoadedOrg, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::Io {
        file: path.to_path_buf(),
        message: format!("cannot read snapshot: {e}"),
    })?;
    decode(&bytes).map_err(|message| IngestError::Io {
        file: path.to_path_buf(),
        message,
    })
}

/// The snapshot bytes of `org`.
pub fn encode(org: &LoadedOrg) -> Result<Vec<u8>, String> {
    let encoding = |e: postcard::Error| format!("cannot encode the snapshot: {e}");
    // `AwsOrg::resources` is not part of the org's serde encoding: it is in the parts after.
    // The org's body is encoded and compressed on one thread, the resources' on another (the
    // same bytes: each body is made alone).
    let resource_bodies = || -> Result<Vec<Vec<u8>>, String> {
        let resources: Vec<(&String, &Resource)> = org.aws.resources.iter().collect();
        let size = resources.len().div_ceil(RESOURCE_PARTS).max(1);
        let mut parts: Vec<Vec<u8>> = resources
            .chunks(size)
            .map(postcard::to_stdvec)
            .collect::<Result<_, _>>()
            .map_err(encoding)?;
        // Always RESOURCE_PARTS bodies, empty ones for a small org.
        while parts.len() < RESOURCE_PARTS {
            parts.push(postcard::to_stdvec(&Vec::<(&String, &Resource)>::new()).map_err(encoding)?);
        }
        parts.iter().map(|p| body(p)).collect()
    };
    let (rest, parts, derived) = std::thread::scope(|scope| {
        let other = scope.spawn(resource_bodies);
        let rest = postcard::to_stdvec(org)
            .map_err(encoding)
            .and_then(|r| body(&r));
        let derived = postcard::to_stdvec(&org.derived)
            .map_err(encoding)
            .and_then(|d| body(&d));
        let parts = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (rest, parts, derived)
    });
    let (rest, parts, derived) = (rest?, parts?, derived?);
    let header = Header::current();
    let bodies = std::iter::once(&rest)
        .chain(&parts)
        .chain(std::iter::once(&derived));
    let total: usize = bodies.clone().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total + 256);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header.format.to_le_bytes());
    put_str(&mut out, &header.iamlog)?;
    put_str(&mut out, &header.catalogue)?;
    for b in bodies {
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// How many bodies a snapshot's resources are cut into (decoded on as many threads).
const RESOURCE_PARTS: usize = 4;

/// `payload` as a body: its compressed length (u64, little-endian), then its LZ4 frame.
fn body(payload: &[u8]) -> Result<Vec<u8>, String> {
    let compressing = |e: lz4_flex::frame::Error| format!("cannot compress the snapshot: {e}");
    let info = FrameInfo::new()
        .block_size(BlockSize::Max4MB)
        .content_checksum(true)
        .content_size(u64::try_from(payload.len()).ok());
    let mut lz = FrameEncoder::with_frame_info(info, Vec::with_capacity(payload.len() / 4));
    lz.write_all(payload)
        .map_err(|e| format!("cannot compress the snapshot: {e}"))?;
    let body = lz.finish().map_err(compressing)?;
    let len = u64::try_from(body.len()).map_err(|_| "snapshot too large".to_string())?;
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes snapshot bytes; the error says what is wrong and what to do.
pub fn decode(bytes: &[u8]) -> Result<LoadedOrg, String> {
    let rerun = "re-run `iamlog ingest ORG --out FILE` to write a new one";
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return Err(format!(
            "not an iamlog snapshot (wrong magic header): {rerun}"
        ));
    };
    let mut cursor = rest;
    let truncated = || format!("truncated snapshot header: {rerun}");
    let format = take_u32(&mut cursor).ok_or_else(truncated)?;
    let current = Header::current();
    if format != FORMAT_VERSION {
        return Err(format!(
            "snapshot format {format} is not supported by this iamlog (format {}): {rerun}",
            FORMAT_VERSION
        ));
    }
    let iamlog = take_str(&mut cursor).ok_or_else(truncated)?;
    let catalogue = take_str(&mut cursor).ok_or_else(truncated)?;
    let found = Header {
        format,
        iamlog,
        catalogue,
    };
    if found != current {
        return Err(format!(
            "snapshot was written by {}, this is {}: {rerun}",
            found.describe(),
            current.describe()
        ));
    }
    let rest_body = take_body(&mut cursor).map_err(|e| format!("{e}: {rerun}"))?;
    let mut part_bodies = Vec::with_capacity(RESOURCE_PARTS);
    for _ in 0..RESOURCE_PARTS {
        part_bodies.push(take_body(&mut cursor).map_err(|e| format!("{e}: {rerun}"))?);
    }
    let derived_body = take_body(&mut cursor).map_err(|e| format!("{e}: {rerun}"))?;
    if !cursor.is_empty() {
        return Err(format!(
            "corrupt snapshot ({} unexpected bytes after the org): {rerun}",
            cursor.len()
        ));
    }
    // Every body at once, the resource parts on threads of their own.
    let (org, parts, derived) = std::thread::scope(|scope| {
        let handles: Vec<_> = part_bodies
            .iter()
            .map(|body| scope.spawn(move || read_body::<Vec<(String, Resource)>>(body)))
            .collect();
        // (The edges' index by role is worked out here too, while the org is read.)
        let derived = scope.spawn(|| {
            read_body::<Derived>(derived_body).map(|mut d| {
                d.index_edges();
                d
            })
        });
        let org = read_body::<LoadedOrg>(rest_body);
        let parts: Vec<Result<Vec<(String, Resource)>, String>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        let derived = derived
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (org, parts, derived)
    });
    let mut org = org.map_err(|e| format!("{e}: {rerun}"))?;
    org.derived = derived.map_err(|e| format!("{e}: {rerun}"))?;
    let parts: Vec<Vec<(String, Resource)>> = parts
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{e}: {rerun}"))?;
    let mut resources = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        resources.extend(part);
    }
    // Written in ARN order: built in bulk, one comparison per resource (a repeated ARN, which
    // only a corrupt file could hold, keeps its last resource).
    org.aws.resources = resources.into_iter().collect();
    Ok(org)
}

/// The next body of `cursor` (see [`body`]), its length checked against what is left.
fn take_body<'a>(cursor: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = take_u64(cursor).ok_or("truncated snapshot (a body length is missing)")?;
    let body = usize::try_from(len)
        .ok()
        .and_then(|len| cursor.split_at_checked(len));
    let Some((body, rest)) = body else {
        return Err(format!(
            "corrupt or truncated snapshot (a body should be {len} bytes, {} are left)",
            cursor.len()
        ));
    };
    *cursor = rest;
    Ok(body)
}

/// Decompresses a body and decodes it, all of it.
fn read_body<T: serde::de::DeserializeOwned>(frame: &[u8]) -> Result<T, String> {
    let mut payload = Vec::with_capacity(frame_content_size(frame));
    FrameDecoder::new(frame)
        .read_to_end(&mut payload)
        .map_err(|e| format!("corrupt or truncated snapshot ({e})"))?;
    let (value, trailing) =
        postcard::take_from_bytes::<T>(&payload).map_err(|e| format!("corrupt snapshot ({e})"))?;
    if !trailing.is_empty() {
        return Err(format!(
            "corrupt snapshot ({} unexpected bytes in a body)",
            trailing.len()
        ));
    }
    Ok(value)
}

/// The decoded size an LZ4 frame declares (written by [`encode`]), so that the body is read
/// into one allocation rather than a vector doubled a dozen times; 0 when the frame declares
/// none. A corrupt value is bounded by LZ4's largest ratio (255:1), so it never asks for more
/// than the frame could hold; the decoder then checks the frame itself.
fn frame_content_size(frame: &[u8]) -> usize {
    // Magic (4 bytes), FLG, BD, then the content size (8 bytes, little-endian) when FLG's bit 3
    // is set.
    const CONTENT_SIZE_FLAG: u8 = 0x08;
    let declared = match (frame.get(4), frame.get(6..14)) {
        (Some(flg), Some(size)) if flg & CONTENT_SIZE_FLAG != 0 => {
            size.try_into().map_or(0, u64::from_le_bytes)
        }
        _ => 0,
    };
    usize::try_from(declared)
        .unwrap_or(0)
        .min(frame.len().saturating_mul(255))
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
    let len = u16::try_from(s.len()).map_err(|_| format!("header field too long: `{s}`"))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn take_u32(cursor: &mut &[u8]) -> Option<u32> {
    let (head, rest) = cursor.split_first_chunk::<4>()?;
    *cursor = rest;
    Some(u32::from_le_bytes(*head))
}

fn take_u64(cursor: &mut &[u8]) -> Option<u64> {
    let (head, rest) = cursor.split_first_chunk::<8>()?;
    *cursor = rest;
    Some(u64::from_le_bytes(*head))
}

fn take_str(cursor: &mut &[u8]) -> Option<String> {
    let (len, rest) = cursor.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_le_bytes(*len));
    if rest.len() < len {
        return None;
    }
    let (s, rest) = rest.split_at(len);
    *cursor = rest;
    String::from_utf8(s.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Result<Vec<u8>, String> {
        encode(&LoadedOrg::default())
    }

    #[test]
    fn round_trips_an_empty_org() -> Result<(), String> {
        let bytes = sample()?;
        let org = decode(&bytes)?;
        assert!(org.aws.principals.is_empty() && org.files.is_empty());
        Ok(())
    }

    #[test]
    fn resources_come_back_whole_from_their_parts() -> Result<(), String> {
        // 10 resources: parts of 3, 3, 3 and 1.
        let mut org = LoadedOrg::default();
        for i in 0..10 {
            let arn = format!("arn:aws:s3:::bucket-{i}");
            let resource = Resource {
                arn: arn.clone(),
                tags: vec![("team".to_string(), format!("t{i}"))],
                ..Resource::default()
            };
            org.aws.resources.insert(arn, resource);
        }
        let back = decode(&encode(&org)?)?;
        assert_eq!(
            format!("{:?}", back.aws.resources),
            format!("{:?}", org.aws.resources)
        );
        Ok(())
    }

    #[test]
    fn every_truncation_is_an_error() -> Result<(), String> {
        let bytes = sample()?;
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "truncated at {len}");
        }
        Ok(())
    }

    #[test]
    fn other_versions_are_refused() -> Result<(), String> {
        let mut bytes = sample()?;
        bytes[MAGIC.len()] = 99;
        let e = decode(&bytes).err().unwrap_or_default();
        assert!(
            e.contains("format 99") && e.contains("iamlog ingest"),
            "{e}"
        );
        let mut bytes = sample()?;
        // The first byte of the iamlog version string.
        bytes[MAGIC.len() + 6] = b'9';
        let e = decode(&bytes).err().unwrap_or_default();
        assert!(e.contains("written by iamlog 9"), "{e}");
        Ok(())
    }
}
