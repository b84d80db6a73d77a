//! Request bodies with the documented field names, and the validation of the
//! documented constraints on request bodies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mock::errors::ApiError;

/// Constant creator shown in `create_by`/`update_by`: the mock has no IAM user names.
pub(crate) const MOCK_USER: &str = "mock-user";

/// CreateWorkflow body. Unknown fields are ignored, as real APIs do.
/// Most bytes of `input` and `tags` one stored workflow may hold.
pub const MAX_STORED_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "a JSON object")]
pub(crate) struct WorkflowSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
}

pub(crate) fn chars_between(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ApiError> {
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(format!(
            "{field} must be {min}-{max} characters long."
        )))
    }
}

pub(crate) fn optional(
    field: &'static str,
    value: &Option<String>,
    min: usize,
    max: usize,
) -> Result<(), ApiError> {
    value
        .as_deref()
        .map_or(Ok(()), |v| chars_between(field, v, min, max))
}

pub(crate) fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(format!(
            "{field} must be one of {}.",
            allowed.join(", ")
        )))
    }
}

/// Letters, digits, `-`, `_` (EN docs) and CJK ideographs (CN docs).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || c == '_'
        || ('\u{4e00}'..='\u{9fff}').contains(&c)
        || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

impl WorkflowSpec {
    pub fn validate(&self) -> Result<(), ApiError> {
        chars_between("name", &self.name, 1, 64)?;
        // Stored for the mock's lifetime: bound what one workflow may keep (the docs give
        // no limit for `input`; 10,000 workflows × 64 KiB stays well inside memory).
        let stored = [self.input.as_ref(), self.tags.as_ref()]
            .into_iter()
            .flatten()
            .map(|m| serde_json::to_vec(m).map_or(0, |v| v.len()))
            .sum::<usize>();
        if stored > MAX_STORED_BYTES {
            return Err(ApiError::invalid_parameter(format!(
                "input and tags may hold at most {} KiB together.",
                MAX_STORED_BYTES / 1024
            )));
        }
        if !self.name.chars().all(is_name_char) {
            return Err(ApiError::invalid_parameter(
                "name may contain only letters, digits, '-', '_' and Chinese characters.",
            ));
        }
        one_of("type", &self.kind, &["cron", "manual"])?;
        // The docs say 1-128, but their own list example carries "description":"".
        optional("description", &self.description, 0, 128)?;
        if self.tags.as_ref().is_some_and(|t| t.len() > 20) {
            return Err(ApiError::invalid_parameter(
                "tags may hold at most 20 pairs.",
            ));
        }
        optional("template_name", &self.template_name, 1, 64)?;
        optional("template_id", &self.template_id, 1, 64)?;
        optional("job_name", &self.job_name, 1, 64)?;
        optional("job_id", &self.job_id, 1, 64)?;
        optional("service_scenario", &self.service_scenario, 1, 64)?;
        optional("service_name", &self.service_name, 1, 128)?;
        if let Some(task_type) = &self.task_type {
            one_of(
                "task_type",
                task_type,
                &["package", "script", "job", "cloud", "standard", "customize"],
            )?;
        }
        if let Some(quote) = &self.quote {
            if !(1..=128).contains(&quote.len()) {
                return Err(ApiError::invalid_parameter("quote must hold 1-128 items."));
            }
            for item in quote {
                chars_between("quote item", item, 1, 128)?;
            }
        }
        Ok(())
    }
}

/// ListWorkflow body; every field optional, an empty body means `{}`.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a JSON object")]
pub(crate) struct ListWorkflowRequest {
    pub search: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub tags: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "optional_integer")]
    pub page: Option<i64>,
    #[serde(default, deserialize_with = "optional_integer")]
    pub size: Option<i64>,
    pub enterprise_project_id: Option<String>,
    pub create_by: Option<String>,
    pub sort_field: Option<String>,
    pub sort_type: Option<String>,
    #[serde(default, deserialize_with = "optional_integer")]
    pub search_time_start: Option<i64>,
    #[serde(default, deserialize_with = "optional_integer")]
    pub search_time_end: Option<i64>,
    pub status: Option<String>,
}

/// An optional whole number, with a message in words (serde's would say `i64`).
fn optional_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
        }
    }
    struct Whole(i64);
    impl<'de> Deserialize<'de> for Whole {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_i64(V).map(Whole)
        }
    }
    Option::<Whole>::deserialize(d).map(|w| w.map(|w| w.0))
}

pub(crate) const WORKFLOW_STATUSES: &[&str] = &[
    "success",
    "fail",
    "executing",
    "cancel",
    "waitExecute",
    "waitApproval",
    "approvalFailed",
    "pausing",
    "canceling",
];

impl ListWorkflowRequest {
    pub fn validate(&self) -> Result<(), ApiError> {
        optional("search", &self.search, 1, 64)?;
        if let Some(kind) = &self.kind {
            one_of("type", kind, &["cron", "event", "manual"])?;
        }
        if self.tags.as_ref().is_some_and(|t| t.len() > 10) {
            return Err(ApiError::invalid_parameter(
                "tags may hold at most 10 pairs.",
            ));
        }
        // The docs say min 1 but "default 0": both 0 and 1 mean the first page.
        if self.page.is_some_and(|p| !(0..=9_999_999).contains(&p)) {
            return Err(ApiError::invalid_parameter("page must be 0-9999999."));
        }
        if self.size.is_some_and(|s| !(1..=100).contains(&s)) {
            return Err(ApiError::invalid_parameter("size must be 1-100."));
        }
        optional("enterprise_project_id", &self.enterprise_project_id, 1, 64)?;
        optional("create_by", &self.create_by, 1, 64)?;
        if let Some(field) = &self.sort_field {
            one_of(
                "sort_field",
                field,
                &["create_time", "last_execution_start_time", "update_time"],
            )?;
        }
        if let Some(order) = &self.sort_type {
            one_of("sort_type", order, &["ASC", "DESC"])?;
        }
        for (field, t) in [
            ("search_time_start", self.search_time_start),
            ("search_time_end", self.search_time_end),
        ] {
            if t.is_some_and(|t| !(0..=9_999_999_999_999).contains(&t)) {
                return Err(ApiError::invalid_parameter(format!(
                    "{field} must be 0-9999999999999."
                )));
            }
        }
        if let Some(status) = &self.status {
            one_of("status", status, WORKFLOW_STATUSES)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<(), ApiError> {
        serde_json::from_str::<WorkflowSpec>(json)
            .unwrap()
            .validate()
    }

    #[test]
    fn names_follow_the_documented_alphabet() {
        assert!(spec(r#"{"name":"ok-name_1","type":"manual"}"#).is_ok());
        assert!(spec(r#"{"name":"任务一","type":"cron"}"#).is_ok());
        assert!(spec(r#"{"name":"bad name","type":"cron"}"#).is_err());
        assert!(spec(r#"{"name":"","type":"cron"}"#).is_err());
        assert!(spec(&format!(r#"{{"name":"{}","type":"cron"}}"#, "a".repeat(65))).is_err());
        assert!(spec(r#"{"name":"x","type":"event"}"#).is_err());
    }
}
