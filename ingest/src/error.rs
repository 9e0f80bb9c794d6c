//! Ingest errors and warnings. Every one names the file and, where it applies, the JSON location
//! (a JSON pointer such as `/UserDetailList/3/UserPolicyList/0/PolicyDocument/Statement/1`) or
//! the line and column of a syntax error.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error that stops ingest: the input cannot be read or does not mean anything valid.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file or directory could not be read.
    #[error("{}: {message}", file.display())]
    Io { file: PathBuf, message: String },
    /// The file is not well-formed JSON.
    #[error("{}:{line}:{column}: malformed JSON: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is well-formed but a value is not what the format requires.
    #[error("{}: at {pointer}: {message}", file.display())]
    Invalid {
        file: PathBuf,
        pointer: String,
        message: String,
    },
}

impl IngestError {
    /// An [`IngestError::Invalid`] at `pointer` of `file`.
    pub fn invalid(file: &Path, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        IngestError::Invalid {
            file: file.to_path_buf(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// The error for a `serde_json` syntax error in `file`.
    pub fn syntax(file: &Path, err: &serde_json::Error) -> Self {
        IngestError::Syntax {
            file: file.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        }
    }
}

/// Something harmless but worth telling: an unknown field, an unrecognised file, a reference to
/// a policy the export does not contain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    pub file: PathBuf,
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: at {}: {}",
                self.file.display(),
                self.pointer,
                self.message
            )
        }
    }
}

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
