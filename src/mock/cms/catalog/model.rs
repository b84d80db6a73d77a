//! The catalogue operations' request bodies, their documented limits, and the one way
//! every catalogue list filters (by name), sorts and pages.
//!
//! Where the docs say how a bad value is treated, the mock does that (ListAllJobByName
//! corrects an out-of-range `page_num`/`page_size`); elsewhere a value outside its
//! documented limits is 400 `MOCK.INVALID_PARAMETER`.

use std::cmp::Reverse;

use serde::Deserialize;

use super::data::{JobSeed, ScriptSeed, TemplateSeed, VersionSeed};
use crate::mock::cms::model::{chars_between, one_of, optional};
use crate::mock::errors::ApiError;

const COLUMNS: &[&str] = &["name", "create_time", "update_time"];
const ORDERS: &[&str] = &["ASC", "DESC"];

/// ListAllJobByName body; every field optional (the SDK requires `order_by_column` and
/// `sort_order`, the docs do not).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct JobQuery {
    pub name: Option<String>,
    pub page_num: Option<i64>,
    pub page_size: Option<i64>,
    pub order_by_column: Option<String>,
    pub sort_order: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl JobQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        optional("name", &self.name, 1, 64)?;
        optional("order_by_column", &self.order_by_column, 1, 32)?;
        optional("sort_order", &self.sort_order, 1, 32)?;
        optional("enterprise_project_id", &self.enterprise_project_id, 0, 64)?;
        enums(&self.order_by_column, &self.sort_order)
    }

    /// As documented: `page_num` negative, 0 or over 1000 means 1; `page_size` negative,
    /// 0 or over 101 means 10 (the text says 101 although the limit is 100: the text wins).
    pub fn page(&self) -> Page {
        Page {
            num: self
                .page_num
                .filter(|n| (1..=1000).contains(n))
                .unwrap_or(1),
            size: self
                .page_size
                .filter(|n| (1..=101).contains(n))
                .unwrap_or(10),
        }
    }
}

/// ListAllScriptByName and ListAllVersionByVersionId body (one model in the docs and the
/// SDK); every field optional.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScriptQuery {
    pub name: Option<String>,
    pub is_default: Option<String>,
    pub create_by: Option<String>,
    pub script_id: Option<String>,
    pub page_num: Option<i64>,
    pub page_size: Option<i64>,
    pub project_id: Option<String>,
    pub order_by_column: Option<String>,
    pub sort_order: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl ScriptQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        optional("name", &self.name, 0, 128)?;
        optional("is_default", &self.is_default, 0, 16)?;
        if let Some(d) = self.is_default.as_deref().filter(|d| !d.is_empty()) {
            one_of("is_default", d, &["default", "no_default"])?;
        }
        optional("create_by", &self.create_by, 1, 64)?;
        optional("script_id", &self.script_id, 1, 64)?;
        range("page_num", self.page_num, 1, 100)?;
        range("page_size", self.page_size, 1, 1000)?;
        optional("project_id", &self.project_id, 32, 32)?;
        optional("order_by_column", &self.order_by_column, 1, 16)?;
        optional("sort_order", &self.sort_order, 1, 16)?;
        optional("enterprise_project_id", &self.enterprise_project_id, 1, 64)?;
        enums(&self.order_by_column, &self.sort_order)
    }

    pub fn page(&self) -> Page {
        Page {
            num: self.page_num.unwrap_or(1),
            size: self.page_size.unwrap_or(10),
        }
    }
}

/// ListTemplateByJobId body: `order_by_column` is required (docs and SDK agree).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TemplateQuery {
    pub name: Option<String>,
    pub page_num: Option<i64>,
    pub page_size: Option<i64>,
    pub order_by_column: Option<String>,
    pub sort_order: Option<String>,
}

impl TemplateQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        optional("name", &self.name, 1, 64)?;
        range("page_num", self.page_num, 1, 9_999_999)?;
        range("page_size", self.page_size, 1, 100)?;
        let Some(column) = &self.order_by_column else {
            return Err(ApiError::invalid_parameter("order_by_column is required."));
        };
        chars_between("order_by_column", column, 1, 16)?;
        optional("sort_order", &self.sort_order, 1, 16)?;
        enums(&self.order_by_column, &self.sort_order)
    }

    pub fn page(&self) -> Page {
        Page {
            num: self.page_num.unwrap_or(1),
            size: self.page_size.unwrap_or(10),
        }
    }
}

fn enums(column: &Option<String>, order: &Option<String>) -> Result<(), ApiError> {
    if let Some(c) = column {
        one_of("order_by_column", c, COLUMNS)?;
    }
    if let Some(o) = order {
        one_of("sort_order", o, ORDERS)?;
    }
    Ok(())
}

fn range(field: &'static str, value: Option<i64>, min: i64, max: i64) -> Result<(), ApiError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ApiError::invalid_parameter(format!(
            "{field} must be {min}-{max}."
        ))),
        _ => Ok(()),
    }
}

/// A 1-based page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub num: i64,
    pub size: i64,
}

/// What a catalogue list sorts and filters on.
pub(crate) trait Listed {
    fn name(&self) -> &str;
    fn create_time(&self) -> i64;
    fn update_time(&self) -> i64;
}

/// The entries whose name contains `name` (case-insensitive: the pages call these
/// "fuzzy" queries), sorted by `column` (default `update_time`) in `order` (default
/// descending; ties by name), and the page asked for; with the number that matched.
pub(crate) fn select<T: Listed>(
    entries: impl Iterator<Item = T>,
    name: Option<&str>,
    (column, order): (Option<&str>, Option<&str>),
    page: Page,
) -> (usize, Vec<T>) {
    let needle = name.map(str::to_lowercase).unwrap_or_default();
    let mut matching: Vec<T> = entries
        .filter(|e| e.name().to_lowercase().contains(&needle))
        .collect();
    let key = |e: &T| -> (i64, String) {
        match column {
            Some("name") => (0, e.name().to_owned()),
            Some("create_time") => (e.create_time(), e.name().to_owned()),
            _ => (e.update_time(), e.name().to_owned()),
        }
    };
    if order == Some("ASC") {
        matching.sort_by_key(key);
    } else {
        matching.sort_by_key(|e| Reverse(key(e)));
    }
    let total = matching.len();
    let size = usize::try_from(page.size).unwrap_or(10);
    let skip = usize::try_from(page.num.saturating_sub(1))
        .unwrap_or(0)
        .saturating_mul(size);
    let shown = matching.into_iter().skip(skip).take(size).collect();
    (total, shown)
}

/// The seeds that list the same way: by their own `name`, `create_time`, `update_time`.
macro_rules! listed_by_fields {
    ($($seed:ty),*) => {$(
        impl Listed for &'static $seed {
            fn name(&self) -> &str {
                self.name
            }
            fn create_time(&self) -> i64 {
                self.create_time
            }
            fn update_time(&self) -> i64 {
                self.update_time
            }
        }
    )*};
}

listed_by_fields!(JobSeed, TemplateSeed, ScriptSeed);

/// A script version with its script. Its "name" for sorting is its version number: the
/// versions of one script share the script's name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VersionEntry(pub &'static ScriptSeed, pub &'static VersionSeed);

impl Listed for VersionEntry {
    fn name(&self) -> &str {
        self.1.number
    }
    fn create_time(&self) -> i64 {
        self.1.create_time
    }
    fn update_time(&self) -> i64 {
        self.1.create_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(&'static str, i64);
    impl Listed for E {
        fn name(&self) -> &str {
            self.0
        }
        fn create_time(&self) -> i64 {
            self.1
        }
        fn update_time(&self) -> i64 {
            self.1
        }
    }

    fn names(v: &[E]) -> Vec<&str> {
        v.iter().map(|e| e.0).collect()
    }

    #[test]
    fn select_filters_sorts_and_pages() {
        let all = || [E("b-one", 2), E("a-two", 3), E("c-one", 1)].into_iter();
        let page = |num, size| Page { num, size };
        let (n, v) = select(all(), None, (None, None), page(1, 10));
        assert_eq!((n, names(&v)), (3, vec!["a-two", "b-one", "c-one"]));
        let (n, v) = select(all(), Some("ONE"), (Some("name"), Some("ASC")), page(1, 10));
        assert_eq!((n, names(&v)), (2, vec!["b-one", "c-one"]));
        let (n, v) = select(all(), None, (Some("create_time"), Some("ASC")), page(2, 2));
        assert_eq!((n, names(&v)), (3, vec!["a-two"]));
    }

    #[test]
    fn job_pages_are_corrected_as_documented() {
        let q = JobQuery {
            page_num: Some(0),
            page_size: Some(500),
            ..JobQuery::default()
        };
        let p = q.page();
        assert_eq!((p.num, p.size), (1, 10));
        let q = JobQuery {
            page_num: Some(3),
            page_size: Some(101),
            ..JobQuery::default()
        };
        let p = q.page();
        assert_eq!((p.num, p.size), (3, 101));
    }

    #[test]
    fn template_lists_need_an_order_column() {
        assert!(TemplateQuery::default().validate().is_err());
        let q = TemplateQuery {
            order_by_column: Some("name".into()),
            ..TemplateQuery::default()
        };
        assert!(q.validate().is_ok());
    }
}
