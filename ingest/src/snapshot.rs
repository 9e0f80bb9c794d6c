//! Snapshots: a [`LoadedOrg`] saved to one compact binary file (`iamlog ingest ORG --out FILE`)
//! so that later questions (`--snapshot FILE`) skip reading and checking the exports.
//!
//! # Format
//!
//! ```text
//! magic            16 bytes  "IAMLOG-SNAPSHOT\n"
//! format version   u32, little-endian (FORMAT_VERSION)
//! iamlog version   u16 little-endian length + UTF-8 (CARGO_PKG_VERSION of iamlog-ingest)
//! catalogue        u16 little-endian length + UTF-8 (the embedded action catalogue's source)
//! body             gzip of the postcard encoding of the LoadedOrg
//! ```
//!
//! A snapshot is only read by the iamlog that wrote it: any other magic, format version, iamlog
//! version or catalogue version is an error asking to re-run `iamlog ingest` (the model and the
//! catalogue the facts are built with may have changed). The gzip CRC catches corruption of
//! the body; a truncated or corrupt file is an error, never a panic.

use std::io::{Read, Write};
use std::path::Path;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::aws::catalogue::Catalogue;
use crate::error::IngestError;
use crate::org::LoadedOrg;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 16] = b"IAMLOG-SNAPSHOT\n";

/// The version of the snapshot layout; bump it when the header or the encoding changes.
pub const FORMAT_VERSION: u32 = 1;

/// The iamlog version that writes and reads snapshots.
pub const IAMLOG_VERSION: &str = env!("CARGO_PKG_VERSION");

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
    let payload =
        postcard::to_stdvec(org).map_err(|e| format!("cannot encode the snapshot: {e}"))?;
    let header = Header::current();
    let mut out = Vec::with_capacity(payload.len() / 4 + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header.format.to_le_bytes());
    put_str(&mut out, &header.iamlog)?;
    put_str(&mut out, &header.catalogue)?;
    let mut gz = GzEncoder::new(out, Compression::fast());
    gz.write_all(&payload)
        .map_err(|e| format!("cannot compress the snapshot: {e}"))?;
    gz.finish()
        .map_err(|e| format!("cannot compress the snapshot: {e}"))
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
    let mut payload = Vec::new();
    GzDecoder::new(cursor)
        .read_to_end(&mut payload)
        .map_err(|e| format!("corrupt or truncated snapshot ({e}): {rerun}"))?;
    let (org, trailing) = postcard::take_from_bytes::<LoadedOrg>(&payload)
        .map_err(|e| format!("corrupt snapshot ({e}): {rerun}"))?;
    if !trailing.is_empty() {
        return Err(format!(
            "corrupt snapshot ({} unexpected bytes after the org): {rerun}",
            trailing.len()
        ));
    }
    Ok(org)
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
