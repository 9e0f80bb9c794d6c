//! A cursor over parsed JSON that remembers where it is, so that every error can name the file
//! and the JSON pointer of the offending value.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{pointer_token, IngestError, Warning};

/// A JSON value together with its file and JSON pointer.
pub struct Located<'a> {
    pub value: &'a Value,
    pub file: &'a Path,
    pub pointer: String,
}

impl<'a> Located<'a> {
    /// The root of a document.
    pub fn root(value: &'a Value, file: &'a Path) -> Self {
        Located {
            value,
            file,
            pointer: String::new(),
        }
    }

    /// The JSON pointer of this value (`""` for the root, shown as `/`).
    pub fn pointer(&self) -> &str {
        if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        }
    }

    /// An error located at this value.
    pub fn error(&self, message: impl Into<String>) -> IngestError {
        IngestError::invalid(self.file, self.pointer(), message)
    }

    /// A warning located at this value.
    pub fn warning(&self, message: impl Into<String>) -> Warning {
        Warning {
            file: self.file.to_path_buf(),
            pointer: self.pointer().to_string(),
            message: message.into(),
        }
    }

    /// The value as an object, or an error saying what was expected.
    pub fn object(&self, what: &str) -> Result<&'a Map<String, Value>, IngestError> {
        self.value.as_object().ok_or_else(|| {
            self.error(format!(
                "expected {what} (a JSON object), found {}",
                kind(self.value)
            ))
        })
    }

    /// The value as a string, or an error.
    pub fn string(&self, what: &str) -> Result<&'a str, IngestError> {
        self.value.as_str().ok_or_else(|| {
            self.error(format!(
                "expected {what} (a string), found {}",
                kind(self.value)
            ))
        })
    }

    /// The value as an array, or an error.
    pub fn array(&self, what: &str) -> Result<Vec<Located<'a>>, IngestError> {
        let items = self.value.as_array().ok_or_else(|| {
            self.error(format!(
                "expected {what} (a JSON array), found {}",
                kind(self.value)
            ))
        })?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Located {
                value: v,
                file: self.file,
                pointer: format!("{}/{i}", self.pointer),
            })
            .collect())
    }

    /// The member `key` of this object, if present and not `null`.
    pub fn get(&self, key: &str) -> Option<Located<'a>> {
        let v = self.value.as_object()?.get(key)?;
        if v.is_null() {
            return None;
        }
        Some(Located {
            value: v,
            file: self.file,
            pointer: format!("{}/{}", self.pointer, pointer_token(key)),
        })
    }

    /// The member `key`, or an error naming it.
    pub fn required(&self, key: &str) -> Result<Located<'a>, IngestError> {
        self.get(key)
            .ok_or_else(|| self.error(format!("missing required field `{key}`")))
    }

    /// The required string member `key`.
    pub fn required_str(&self, key: &str) -> Result<&'a str, IngestError> {
        self.required(key)?.string(&format!("`{key}`"))
    }

    /// The optional string member `key`.
    pub fn optional_str(&self, key: &str) -> Result<Option<&'a str>, IngestError> {
        match self.get(key) {
            Some(v) => Ok(Some(v.string(&format!("`{key}`"))?)),
            None => Ok(None),
        }
    }

    /// The optional array member `key` (empty when absent).
    pub fn optional_array(&self, key: &str) -> Result<Vec<Located<'a>>, IngestError> {
        match self.get(key) {
            Some(v) => v.array(&format!("`{key}`")),
            None => Ok(Vec::new()),
        }
    }

    /// Warns about members of this object that are not in `known`.
    pub fn warn_unknown(&self, known: &[&str], what: &str, warnings: &mut Vec<Warning>) {
        if let Some(map) = self.value.as_object() {
            for key in map.keys() {
                if !known.contains(&key.as_str()) {
                    warnings.push(Warning {
                        file: self.file.to_path_buf(),
                        pointer: format!("{}/{}", self.pointer, pointer_token(key)),
                        message: format!("unknown field `{key}` in {what}, ignored"),
                    });
                }
            }
        }
    }
}

/// A short name of a JSON value's kind, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
