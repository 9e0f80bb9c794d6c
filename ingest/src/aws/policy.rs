//! AWS policy documents: the model, a strict parser that reports the JSON pointer of every
//! problem, validation per policy kind, and serialisation back to canonical JSON.
//!
//! Accepted shapes (the grammar of the IAM JSON policy reference, as iam-policy 0.1.109 /
//! iam-simulate 0.1.173 validate it):
//!
//! * top level: `Version` (`"2012-10-17"` or `"2008-10-17"`), `Id` (string), `Statement`
//!   (required; one statement object or a list of them); nothing else;
//! * statement: `Sid` (string), `Effect` (exactly `Allow` or `Deny`), `Principal` /
//!   `NotPrincipal` (at most one), `Action` / `NotAction` (exactly one), `Resource` /
//!   `NotResource` (at most one; see [`validate_identity_policy`]), `Condition`; nothing else;
//!   element names are case-sensitive;
//! * `Action`, `NotAction`, `Resource`, `NotResource` and principal values: a string or a list
//!   of strings;
//! * principal: `"*"` ([`PrincipalBlock::Any`]), any other string (iam-policy reads it as an
//!   `AWS` principal, e.g. a bare account id), or an object with keys `AWS`, `Service`,
//!   `Federated`, `CanonicalUser`;
//! * `Condition`: an object mapping operators to objects mapping keys to a string, number or
//!   boolean, or a list of them. Operator names are case-insensitive, like in iam-simulate
//!   (`ForAnyValue:stringequalsifexists` is accepted); `NullIfExists` is accepted and means
//!   `Null` (iam-simulate evaluates it as `Null`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A policy document that is not valid, with the JSON pointer of the offending value (or of
/// the object that lacks a required member).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {pointer}: {message}")]
pub struct PolicyError {
    /// JSON pointer, e.g.
    /// `/UserDetailList/3/UserPolicyList/0/PolicyDocument/Statement/1/Effect`.
    pub pointer: String,
    /// Lowercase; says what was expected.
    pub message: String,
}

impl PolicyError {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    /// `Statement` was written as one object rather than a list (it then has no index in JSON
    /// pointers). Kept so that pointers and [`PolicyDocument::to_json`] are faithful.
    pub single_statement: bool,
}

impl PolicyDocument {
    /// Whether policy variables are substituted: only with `Version` `2012-10-17`; otherwise
    /// `${...}` is literal text (AWS; iam-simulate substitutes regardless of the version).
    pub fn variables_enabled(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }

    /// The JSON pointer of statement number `index`, given the pointer of the document.
    pub fn statement_pointer(&self, doc_pointer: &str, index: usize) -> String {
        if self.single_statement {
            format!("{doc_pointer}/Statement")
        } else {
            format!("{doc_pointer}/Statement/{index}")
        }
    }

    /// Canonical JSON: `Version`, `Id`, `Statement` (a list, or one object if it was written
    /// so); every string-or-list value as a list; `Condition` grouped by operator in order of
    /// first appearance, operators by canonical name. `parse_policy(&p.to_json(), ..) == p` for
    /// every parsed `p` (unless one `Condition` spells the same operator two ways, which JSON
    /// cannot group back).
    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        if let Some(v) = &self.version {
            doc.insert("Version".into(), Value::String(v.clone()));
        }
        if let Some(id) = &self.id {
            doc.insert("Id".into(), Value::String(id.clone()));
        }
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_json).collect();
        let statement = match (self.single_statement, <[Value; 1]>::try_from(statements)) {
            (true, Ok([one])) => one,
            (_, Ok(one)) => Value::Array(one.into()),
            (_, Err(many)) => Value::Array(many),
        };
        doc.insert("Statement".into(), statement);
        Value::Object(doc)
    }
}

/// In human-readable formats (JSON output) a document serialises as its canonical JSON
/// ([`PolicyDocument::to_json`]); in binary formats (snapshots) as its fields, so that it reads
/// back exactly (statement indexes, `single_statement` and operator spellings included).
impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.to_json().serialize(serializer)
        } else {
            DocumentFieldsRef {
                version: &self.version,
                id: &self.id,
                statements: &self.statements,
                single_statement: self.single_statement,
            }
            .serialize(serializer)
        }
    }
}

/// The inverse of the [`Serialize`] implementation: canonical JSON is parsed with
/// [`parse_policy`]; binary formats carry the fields.
impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let value = Value::deserialize(deserializer)?;
            parse_policy(&value, "").map_err(serde::de::Error::custom)
        } else {
            let f = DocumentFields::deserialize(deserializer)?;
            Ok(PolicyDocument {
                version: f.version,
                id: f.id,
                statements: f.statements,
                single_statement: f.single_statement,
            })
        }
    }
}

/// The fields of a [`PolicyDocument`], borrowed, for binary serialisation (same layout as
/// [`DocumentFields`]).
#[derive(Serialize)]
struct DocumentFieldsRef<'a> {
    version: &'a Option<String>,
    id: &'a Option<String>,
    statements: &'a [Statement],
    single_statement: bool,
}

/// The fields of a [`PolicyDocument`], for binary deserialisation.
#[derive(Deserialize)]
struct DocumentFields {
    version: Option<String>,
    id: Option<String>,
    statements: Vec<Statement>,
    single_statement: bool,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Position in the `Statement` list (0 for a single statement object).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalBlock>,
    pub not_principal: Option<PrincipalBlock>,
    pub action: ActionBlock,
    /// `None` when neither `Resource` nor `NotResource` is present (trust policies).
    pub resource: Option<ResourceBlock>,
    /// Flattened `Condition`: one clause per (operator, key), in document order.
    pub condition: Vec<ConditionClause>,
}

impl Statement {
    fn to_json(&self) -> Value {
        let mut st = Map::new();
        if let Some(sid) = &self.sid {
            st.insert("Sid".into(), Value::String(sid.clone()));
        }
        st.insert("Effect".into(), Value::String(self.effect.as_str().into()));
        if let Some(p) = &self.principal {
            st.insert("Principal".into(), p.to_json());
        }
        if let Some(p) = &self.not_principal {
            st.insert("NotPrincipal".into(), p.to_json());
        }
        let (name, list) = match &self.action {
            ActionBlock::Action(l) => ("Action", l),
            ActionBlock::NotAction(l) => ("NotAction", l),
        };
        st.insert(name.into(), string_list(list));
        match &self.resource {
            Some(ResourceBlock::Resource(l)) => {
                st.insert("Resource".into(), string_list(l));
            }
            Some(ResourceBlock::NotResource(l)) => {
                st.insert("NotResource".into(), string_list(l));
            }
            None => {}
        }
        if !self.condition.is_empty() {
            let mut cond = Map::new();
            for c in &self.condition {
                let op = cond
                    .entry(c.operator.name())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = op {
                    keys.insert(c.key.clone(), string_list(&c.values));
                }
            }
            st.insert("Condition".into(), Value::Object(cond));
        }
        Value::Object(st)
    }
}

fn string_list(l: &[String]) -> Value {
    Value::Array(l.iter().map(|s| Value::String(s.clone())).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionBlock {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResourceBlock {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrincipalBlock {
    /// `"*"` (a string of stars). `{"AWS": "*"}` is a [`PrincipalBlock::Map`] holding `"*"`.
    Any,
    /// The principals by type, in document order. A bare string other than `"*"` is read as
    /// `{"AWS": [string]}` (iam-policy).
    Map(Vec<(PrincipalKind, Vec<String>)>),
}

impl PrincipalBlock {
    /// Everyone: `"*"` or `{"AWS": "*"}`.
    pub fn is_everyone(&self) -> bool {
        match self {
            PrincipalBlock::Any => true,
            PrincipalBlock::Map(entries) => entries.iter().any(|(kind, values)| {
                *kind == PrincipalKind::Aws && values.iter().any(|v| v == "*")
            }),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            PrincipalBlock::Any => Value::String("*".into()),
            PrincipalBlock::Map(entries) => {
                let mut m = Map::new();
                for (kind, values) in entries {
                    m.insert(kind.as_str().into(), string_list(values));
                }
                Value::Object(m)
            }
        }
    }
}

/// The type of a principal entry (a key of a `Principal` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PrincipalKind {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKind {
    /// The key as written in policies (`AWS`, `Service`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }

    /// The kind for a key (case-sensitive, as iam-policy checks it).
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "AWS" => Some(PrincipalKind::Aws),
            "Service" => Some(PrincipalKind::Service),
            "Federated" => Some(PrincipalKind::Federated),
            "CanonicalUser" => Some(PrincipalKind::CanonicalUser),
            _ => None,
        }
    }
}

/// One condition: operator, key and the values (ORed; NORed for negated operators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionClause {
    pub operator: ConditionOperator,
    /// The key as written.
    pub key: String,
    /// The values; JSON booleans and numbers become their text (as JavaScript's `String()`).
    pub values: Vec<String>,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetModifier {
    ForAllValues,
    ForAnyValue,
}

impl SetModifier {
    pub fn as_str(self) -> &'static str {
        match self {
            SetModifier::ForAllValues => "ForAllValues",
            SetModifier::ForAnyValue => "ForAnyValue",
        }
    }
}

macro_rules! base_operators {
    ($($name:ident),* $(,)?) => {
        /// The 27 base condition operators (aws.md 6.6).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum BaseOperator { $($name),* }

        impl BaseOperator {
            /// Every base operator.
            pub const ALL: &'static [BaseOperator] = &[$(BaseOperator::$name),*];

            /// The canonical name (`StringEquals`, ...).
            pub fn name(self) -> &'static str {
                match self { $(BaseOperator::$name => stringify!($name)),* }
            }
        }
    };
}

base_operators!(
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
);

impl BaseOperator {
    /// The operator with this name, ignoring case (iam-simulate looks operators up lowercased).
    pub fn from_name(name: &str) -> Option<Self> {
        BaseOperator::ALL
            .iter()
            .copied()
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// Negated operators (their name contains `Not`): true when the key is missing; several
    /// values act as NOR.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }
}

/// A full condition operator: optional set modifier, base operator, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConditionOperator {
    pub set: Option<SetModifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Parses an operator name, case-insensitively: `[ForAllValues:|ForAnyValue:]Base[IfExists]`.
    /// Only letters, digits and at most one `:` are allowed (iam-policy).
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == ':') {
            return None;
        }
        let (set, rest) = match s.split_once(':') {
            Some((prefix, rest)) => {
                let set = if prefix.eq_ignore_ascii_case("ForAllValues") {
                    SetModifier::ForAllValues
                } else if prefix.eq_ignore_ascii_case("ForAnyValue") {
                    SetModifier::ForAnyValue
                } else {
                    return None;
                };
                (Some(set), rest)
            }
            None => (None, s),
        };
        if let Some(base) = BaseOperator::from_name(rest) {
            return Some(ConditionOperator {
                set,
                base,
                if_exists: false,
            });
        }
        let cut = rest.len().checked_sub("IfExists".len())?;
        let (base, suffix) = (rest.get(..cut)?, rest.get(cut..)?);
        if !suffix.eq_ignore_ascii_case("IfExists") {
            return None;
        }
        Some(ConditionOperator {
            set,
            base: BaseOperator::from_name(base)?,
            if_exists: true,
        })
    }

    /// The canonical text, e.g. `ForAnyValue:StringEqualsIfExists`.
    pub fn name(&self) -> String {
        let mut s = String::new();
        if let Some(set) = self.set {
            s.push_str(set.as_str());
            s.push(':');
        }
        s.push_str(self.base.name());
        if self.if_exists {
            s.push_str("IfExists");
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Appends one reference token to a JSON pointer (RFC 6901 escaping).
fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

const TOP_LEVEL: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Parses a policy document given as JSON. `pointer` is the JSON pointer of `doc` in its file;
/// errors carry pointers below it.
pub fn parse_policy(doc: &Value, pointer: &str) -> Result<PolicyDocument, PolicyError> {
    let Value::Object(obj) = doc else {
        return Err(PolicyError::new(
            pointer,
            "expected a policy document (a JSON object)",
        ));
    };
    for key in obj.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            return Err(PolicyError::new(
                child(pointer, key),
                format!("unknown policy element `{key}`: expected `Version`, `Id` or `Statement`"),
            ));
        }
    }
    let version = optional_string(obj, "Version", pointer)?;
    if let Some(v) = &version {
        if v != "2012-10-17" && v != "2008-10-17" {
            return Err(PolicyError::new(
                child(pointer, "Version"),
                "expected version \"2012-10-17\" or \"2008-10-17\"",
            ));
        }
    }
    let id = optional_string(obj, "Id", pointer)?;
    let st_ptr = child(pointer, "Statement");
    let (statements, single_statement) = match obj.get("Statement") {
        None => return Err(PolicyError::new(pointer, "missing `Statement`")),
        Some(Value::Object(_)) => (
            vec![parse_statement(obj.get("Statement"), 0, &st_ptr)?],
            true,
        ),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(parse_statement(
                    Some(item),
                    i,
                    &child(&st_ptr, &i.to_string()),
                )?);
            }
            (out, false)
        }
        Some(_) => {
            return Err(PolicyError::new(
                st_ptr,
                "expected a statement object or a list of statement objects",
            ))
        }
    };
    Ok(PolicyDocument {
        version,
        id,
        statements,
        single_statement,
    })
}

/// Parses a policy document given as text: JSON, or the RFC 3986 URL-encoded JSON that the
/// IAM API returns (`%7B%22Version%22...`).
pub fn parse_policy_text(text: &str, pointer: &str) -> Result<PolicyDocument, PolicyError> {
    let decoded;
    let url_encoded = !text.trim_start().starts_with('{');
    let json = if !url_encoded {
        text
    } else {
        decoded = percent_decode(text).ok_or_else(|| {
            PolicyError::new(
                pointer,
                "expected a policy document as JSON or URL-encoded JSON: invalid percent-encoding",
            )
        })?;
        decoded.as_str()
    };
    let value: Value = serde_json::from_str(json).map_err(|e| {
        let what = if url_encoded {
            "the URL-decoded string is not valid JSON (position counted in the decoded text)"
        } else {
            "the string is not valid JSON"
        };
        PolicyError::new(
            pointer,
            format!("expected a policy document as JSON: {what}: {e}"),
        )
    })?;
    parse_policy(&value, pointer)
}

/// RFC 3986 percent-decoding (`+` is not a space); `None` on a bad escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn optional_string(
    obj: &Map<String, Value>,
    key: &str,
    pointer: &str,
) -> Result<Option<String>, PolicyError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PolicyError::new(child(pointer, key), "expected a string")),
    }
}

/// A string or a list of strings.
fn string_or_list(v: &Value, pointer: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::new(
                    child(pointer, &i.to_string()),
                    "expected a string",
                )),
            })
            .collect(),
        _ => Err(PolicyError::new(
            pointer,
            "expected a string or a list of strings",
        )),
    }
}

/// Exactly one of two mutually exclusive elements, or neither.
fn one_of<'a>(
    obj: &'a Map<String, Value>,
    first: &str,
    second: &str,
    pointer: &str,
) -> Result<Option<(bool, &'a Value)>, PolicyError> {
    match (obj.get(first), obj.get(second)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            child(pointer, second),
            format!("expected only one of `{first}` and `{second}`, found both"),
        )),
        (Some(v), None) => Ok(Some((true, v))),
        (None, Some(v)) => Ok(Some((false, v))),
        (None, None) => Ok(None),
    }
}

fn parse_statement(
    v: Option<&Value>,
    index: usize,
    pointer: &str,
) -> Result<Statement, PolicyError> {
    let Some(Value::Object(obj)) = v else {
        return Err(PolicyError::new(pointer, "expected a statement object"));
    };
    for key in obj.keys() {
        if !STATEMENT.contains(&key.as_str()) {
            return Err(PolicyError::new(
                child(pointer, key),
                format!(
                    "unknown statement element `{key}`: expected `Sid`, `Effect`, `Principal`, \
                     `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource` or `Condition`"
                ),
            ));
        }
    }
    let sid = optional_string(obj, "Sid", pointer)?;
    let effect = match obj.get("Effect") {
        None => {
            return Err(PolicyError::new(
                pointer,
                "missing `Effect`: expected \"Allow\" or \"Deny\"",
            ))
        }
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(PolicyError::new(
                child(pointer, "Effect"),
                format!("expected \"Allow\" or \"Deny\", found {other}"),
            ))
        }
    };
    let (principal, not_principal) = match one_of(obj, "Principal", "NotPrincipal", pointer)? {
        Some((true, v)) => (
            Some(parse_principal(v, &child(pointer, "Principal"))?),
            None,
        ),
        Some((false, v)) => (
            None,
            Some(parse_principal(v, &child(pointer, "NotPrincipal"))?),
        ),
        None => (None, None),
    };
    let action = match one_of(obj, "Action", "NotAction", pointer)? {
        Some((true, v)) => ActionBlock::Action(string_or_list(v, &child(pointer, "Action"))?),
        Some((false, v)) => {
            ActionBlock::NotAction(string_or_list(v, &child(pointer, "NotAction"))?)
        }
        None => return Err(PolicyError::new(pointer, "missing `Action` or `NotAction`")),
    };
    let resource = match one_of(obj, "Resource", "NotResource", pointer)? {
        Some((true, v)) => Some(ResourceBlock::Resource(string_or_list(
            v,
            &child(pointer, "Resource"),
        )?)),
        Some((false, v)) => Some(ResourceBlock::NotResource(string_or_list(
            v,
            &child(pointer, "NotResource"),
        )?)),
        None => None,
    };
    let condition = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_condition(c, &child(pointer, "Condition"))?,
    };
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        not_principal,
        action,
        resource,
        condition,
    })
}

fn parse_principal(v: &Value, pointer: &str) -> Result<PrincipalBlock, PolicyError> {
    match v {
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c == '*') => Ok(PrincipalBlock::Any),
        Value::String(s) => Ok(PrincipalBlock::Map(vec![(
            PrincipalKind::Aws,
            vec![s.clone()],
        )])),
        Value::Object(obj) => {
            let mut entries = Vec::with_capacity(obj.len());
            for (key, value) in obj {
                let kind = PrincipalKind::from_key(key).ok_or_else(|| {
                    PolicyError::new(
                        child(pointer, key),
                        format!(
                            "unknown principal type `{key}`: expected `AWS`, `Service`, `Federated` \
                             or `CanonicalUser`"
                        ),
                    )
                })?;
                entries.push((kind, string_or_list(value, &child(pointer, key))?));
            }
            Ok(PrincipalBlock::Map(entries))
        }
        _ => Err(PolicyError::new(
            pointer,
            "expected \"*\" or an object mapping `AWS`, `Service`, `Federated` or `CanonicalUser` \
             to principals",
        )),
    }
}

/// The text of a condition value: strings as they are, booleans and numbers as JavaScript's
/// `String()` writes them (iam-policy converts with `String(v)`).
fn condition_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        }),
        _ => None,
    }
}

fn parse_condition(v: &Value, pointer: &str) -> Result<Vec<ConditionClause>, PolicyError> {
    let Value::Object(ops) = v else {
        return Err(PolicyError::new(
            pointer,
            "expected an object mapping condition operators to condition keys",
        ));
    };
    let mut clauses = Vec::new();
    for (op_name, keys) in ops {
        let op_ptr = child(pointer, op_name);
        let operator = ConditionOperator::parse(op_name).ok_or_else(|| {
            PolicyError::new(
                op_ptr.clone(),
                format!("unknown condition operator `{op_name}`: expected an operator such as `StringEquals`, optionally with `ForAllValues:`/`ForAnyValue:` and `IfExists`"),
            )
        })?;
        let Value::Object(keys) = keys else {
            return Err(PolicyError::new(
                op_ptr,
                "expected an object mapping condition keys to values",
            ));
        };
        for (key, value) in keys {
            let key_ptr = child(&op_ptr, key);
            let values = match value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        condition_value(item).ok_or_else(|| {
                            PolicyError::new(
                                child(&key_ptr, &i.to_string()),
                                "expected a string, number or boolean",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![condition_value(other).ok_or_else(|| {
                    PolicyError::new(
                        key_ptr.clone(),
                        "expected a string, number or boolean, or a list of them",
                    )
                })?],
            };
            clauses.push(ConditionClause {
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(clauses)
}

// ---------------------------------------------------------------------------------------------
// Validation per policy kind

/// Identity policies (and permission boundaries, session policies, SCPs): no `Principal` or
/// `NotPrincipal`, and every statement has `Resource` or `NotResource`.
pub fn validate_identity_policy(doc: &PolicyDocument, pointer: &str) -> Result<(), PolicyError> {
    for st in &doc.statements {
        let sp = doc.statement_pointer(pointer, st.index);
        if st.principal.is_some() {
            return Err(PolicyError::new(
                child(&sp, "Principal"),
                "expected no `Principal` in an identity-based policy",
            ));
        }
        if st.not_principal.is_some() {
            return Err(PolicyError::new(
                child(&sp, "NotPrincipal"),
                "expected no `NotPrincipal` in an identity-based policy",
            ));
        }
        if st.resource.is_none() {
            return Err(PolicyError::new(sp, "missing `Resource` or `NotResource`"));
        }
    }
    Ok(())
}

/// Role trust policies: every statement names a `Principal` or `NotPrincipal`. (AWS rejects
/// `NotPrincipal` in trust policies; this check leaves that to the caller.)
pub fn validate_trust_policy(doc: &PolicyDocument, pointer: &str) -> Result<(), PolicyError> {
    for st in &doc.statements {
        if st.principal.is_none() && st.not_principal.is_none() {
            return Err(PolicyError::new(
                doc.statement_pointer(pointer, st.index),
                "missing `Principal` or `NotPrincipal` in a trust policy statement",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
