//! Building policy documents: a statement builder that writes the fields in the order AWS
//! prints them, and `Action` / `Resource` / condition values as a string when there is one.

use serde_json::{json, Map, Value};

/// A policy document (`Version` 2012-10-17, so policy variables are substituted).
pub fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A policy document whose `Statement` is one object, not a list (legal, and common in
/// hand-written policies).
pub fn doc_single(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statement})
}

/// A string for one value, a list for several.
pub fn one_or_list<S: AsRef<str>>(xs: &[S]) -> Value {
    match xs {
        [one] => Value::String(one.as_ref().to_string()),
        _ => Value::Array(
            xs.iter()
                .map(|s| Value::String(s.as_ref().to_string()))
                .collect(),
        ),
    }
}

/// One statement under construction.
#[derive(Debug, Clone, Default)]
pub struct St {
    sid: Option<String>,
    effect: &'static str,
    principal: Option<Value>,
    action: Option<(&'static str, Value)>,
    resource: Option<(&'static str, Value)>,
    condition: Map<String, Value>,
}

pub fn allow() -> St {
    St {
        effect: "Allow",
        ..St::default()
    }
}

pub fn deny() -> St {
    St {
        effect: "Deny",
        ..St::default()
    }
}

impl St {
    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    pub fn action<S: AsRef<str>>(mut self, xs: &[S]) -> Self {
        self.action = Some(("Action", one_or_list(xs)));
        self
    }

    pub fn not_action<S: AsRef<str>>(mut self, xs: &[S]) -> Self {
        self.action = Some(("NotAction", one_or_list(xs)));
        self
    }

    pub fn resource<S: AsRef<str>>(mut self, xs: &[S]) -> Self {
        self.resource = Some(("Resource", one_or_list(xs)));
        self
    }

    pub fn not_resource<S: AsRef<str>>(mut self, xs: &[S]) -> Self {
        self.resource = Some(("NotResource", one_or_list(xs)));
        self
    }

    /// `Resource: "*"`.
    pub fn any(self) -> Self {
        self.resource(&["*"])
    }

    /// A trust policy principal: `{"AWS": ...}`, `{"Service": ...}`, `{"Federated": ...}`.
    pub fn principal<S: AsRef<str>>(mut self, kind: &str, xs: &[S]) -> Self {
        self.principal = Some(json!({ kind: one_or_list(xs) }));
        self
    }

    /// `Principal: "*"` (resource policies and RCPs).
    pub fn anyone(mut self) -> Self {
        self.principal = Some(Value::String("*".into()));
        self
    }

    /// Adds `operator: {key: values}` to the Condition block.
    pub fn when<S: AsRef<str>>(mut self, operator: &str, key: &str, values: &[S]) -> Self {
        let block = self
            .condition
            .entry(operator.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = block {
            m.insert(key.to_string(), one_or_list(values));
        }
        self
    }

    pub fn build(self) -> Value {
        let mut m = Map::new();
        if let Some(sid) = self.sid {
            m.insert("Sid".into(), Value::String(sid));
        }
        m.insert("Effect".into(), Value::String(self.effect.to_string()));
        if let Some(p) = self.principal {
            m.insert("Principal".into(), p);
        }
        if let Some((k, v)) = self.action {
            m.insert(k.into(), v);
        }
        if let Some((k, v)) = self.resource {
            m.insert(k.into(), v);
        }
        if !self.condition.is_empty() {
            m.insert("Condition".into(), Value::Object(self.condition));
        }
        Value::Object(m)
    }
}

/// A trust policy of one `sts:AssumeRole` statement for AWS principals.
pub fn trust_aws<S: AsRef<str>>(
    principals: &[S],
    conditions: &[(&str, &str, Vec<String>)],
) -> Value {
    let mut st = allow()
        .principal("AWS", principals)
        .action(&["sts:AssumeRole"]);
    for (op, key, values) in conditions {
        st = st.when(op, key, values);
    }
    doc(vec![st.build()])
}

/// A trust policy for AWS services.
/// The trust policy of a role people reach through SAML identity provider `idp` of account
/// `account` (the AWS sign-in audience).
pub fn trust_saml(account: &str, idp: &str) -> Value {
    let saml = format!("arn:aws:iam::{account}:saml-provider/{idp}");
    doc(vec![allow()
        .principal("Federated", &[saml.as_str()])
        .action(&["sts:AssumeRoleWithSAML"])
        .when(
            "StringEquals",
            "SAML:aud",
            &["https://signin.aws.amazon.com/saml"],
        )
        .build()])
}

pub fn trust_service<S: AsRef<str>>(
    services: &[S],
    conditions: &[(&str, &str, Vec<String>)],
) -> Value {
    let mut st = allow()
        .principal("Service", services)
        .action(&["sts:AssumeRole"]);
    for (op, key, values) in conditions {
        st = st.when(op, key, values);
    }
    doc(vec![st.build()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_fields_in_aws_order() {
        let s = deny()
            .sid("X")
            .not_action(&["iam:*", "sts:*"])
            .any()
            .when("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"])
            .build();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            r#"{"Sid":"X","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#
        );
    }
}
