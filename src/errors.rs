//! Error text shared by the stages: causes of network errors, and serde's messages
//! without the position they end with.

/// reqwest's top-level message is vague ("error sending request"); the cause chain says
/// what really happened ("Connection refused").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let m = s.to_string();
        if !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        cur = s.source();
    }
    out
}

/// serde_json and serde_yaml end their messages with " at line L column C"; we print the
/// location in front instead, rustc style.
pub fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}
