//! Capturing values from a JSON answer into variables: the one place that decides how
//! a captured value becomes text, for setup steps and for undos alike.

use serde_json::Value;

use crate::template::Vars;

/// Sets each `(variable, JSON pointer)` of `captures` from `body`. A string is taken as
/// is, any other JSON value as its JSON text. Fails with the first capture that finds
/// nothing (or `null`): `(variable, pointer)`.
pub fn capture<'a>(
    body: &Value,
    captures: &'a [(String, String)],
    vars: &mut Vars,
) -> Result<(), &'a (String, String)> {
    for pair @ (var, ptr) in captures {
        match body.pointer(ptr) {
            Some(Value::String(s)) => vars.set(var.clone(), s.clone()),
            Some(Value::Null) | None => return Err(pair),
            Some(other) => vars.set(var.clone(), other.to_string()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_as_is_other_values_as_json_null_is_nothing() {
        let body = json!({"id": "e-1", "n": 7, "o": {"a": [1]}, "z": null});
        let caps: Vec<(String, String)> = [("id", "/id"), ("n", "/n"), ("o", "/o")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let mut vars = Vars::default();
        assert!(capture(&body, &caps, &mut vars).is_ok());
        assert_eq!(vars.get("id"), Some("e-1"));
        assert_eq!(vars.get("n"), Some("7"));
        assert_eq!(vars.get("o"), Some(r#"{"a":[1]}"#));
        let missing = vec![("z".to_owned(), "/z".to_owned())];
        assert_eq!(capture(&body, &missing, &mut vars), Err(&missing[0]));
    }
}
