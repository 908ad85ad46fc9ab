//! Keeping credentials out of the build log: every line s2i-assemble
//! prints, go's own output included, passes through [`text`], which hides
//! the user name and password of any URL (`https://***@host/`) and every
//! secret value [`register`]ed (passwords and tokens, once read).
//!
//! The registry is process-wide, like the log it guards: secrets are read
//! once, early, and every writer of the log (the report, go's relayed
//! stderr, the plan, the last error line) consults it.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

/// What replaces a secret.
pub const MASK: &str = "***";

/// Shorter values are not masked: a three-letter password would mask every
/// word that contains it, and would still be no secret.
const SHORTEST: usize = 4;

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// From now on, `secret` never appears in what [`text`] returns.
pub fn register(secret: &str) {
    if secret.len() < SHORTEST {
        return;
    }
    let mut secrets = registry().lock().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
        // The longest first: a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Whether `value` holds a registered secret.
pub fn holds_secret(value: &str) -> bool {
    let secrets = registry().lock().unwrap_or_else(|e| e.into_inner());
    secrets.iter().any(|s| value.contains(s.as_str()))
}

/// `line` with URL credentials and registered secrets masked.
pub fn text(line: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(line);
    if let Some(masked) = mask_userinfo(&out) {
        out = Cow::Owned(masked);
    }
    let secrets = registry().lock().unwrap_or_else(|e| e.into_inner());
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// The user information of every `scheme://user:password@host` in `line`
/// replaced by the mask, or None when there is none.
fn mask_userinfo(line: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = line;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends where the path, query or the text around the
        // URL begins.
        let end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || "\"'<>`,;".contains(c)
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(userinfo_end) if userinfo_end > 0 => {
                out.push_str(MASK);
                out.push_str(&authority[userinfo_end..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// `host[:port]` of a URL (or of `host/path`), without the user name and
/// password it may carry, as written.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked_in_any_url() {
        assert_eq!(
            text("fatal: unable to access 'https://oauth2:glpat-x1@git.corp/a/b/': 403"),
            "fatal: unable to access 'https://***@git.corp/a/b/': 403"
        );
        assert_eq!(
            text("GOPROXY=https://TOKEN@proxy.corp:8443,direct"),
            "GOPROXY=https://***@proxy.corp:8443,direct"
        );
        assert_eq!(
            text("Get \"https://u:p@h/x?y=a@b\": x"),
            "Get \"https://***@h/x?y=a@b\": x"
        );
        // Nothing to hide: borrowed as it was.
        assert!(matches!(
            text("go: downloading example.com/m v1.0.0 (https://proxy.golang.org)"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            text("git@github.com: Permission denied"),
            "git@github.com: Permission denied"
        );
    }

    #[test]
    fn registered_secrets_are_masked_wherever_they_are() {
        register("tok-redact-test-123");
        register("tok-redact-test-123-longer");
        register("abc");
        assert_eq!(
            text("password tok-redact-test-123-longer and tok-redact-test-123, abc"),
            "password *** and ***, abc"
        );
        assert!(holds_secret("x tok-redact-test-123"));
        assert!(!holds_secret("abc"));
    }
}
