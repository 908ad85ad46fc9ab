//! s2i-assemble as git's credential helper, for this build's git
//! configuration (see `credentials`): `s2i-assemble --git-credential NETRC
//! get` answers git's request from the build's `.netrc`, matching the
//! host's port first and then the host on any port, as a `.netrc` (which
//! names no port) means. `store` and `erase` do nothing: no login is ever
//! written anywhere.
//!
//! Git's protocol (git-credential(1)): `key=value` lines on stdin up to an
//! empty line; for `get`, `username=` and `password=` lines on stdout.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::netrc;

/// Serves one request; always exits 0 (no answer means: no login).
pub fn serve(netrc_path: &Path, action: &str) -> i32 {
    let stdin = std::io::stdin();
    let mut host = None;
    let mut username = None;
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            break;
        }
        match line.split_once('=') {
            Some(("host", value)) => host = Some(value.to_string()),
            Some(("username", value)) => username = Some(value.to_string()),
            _ => {}
        }
    }
    if action != "get" {
        return 0;
    }
    let (Some(host), Ok(text)) = (host, std::fs::read_to_string(netrc_path)) else {
        return 0;
    };
    let Ok(parsed) = netrc::parse_netrc(&text) else {
        return 0;
    };
    if let Some(entry) = netrc::find(&parsed.entries, &host, username.as_deref()) {
        let _ = write!(
            std::io::stdout().lock(),
            "username={}\npassword={}\n",
            entry.login,
            entry.password
        );
    }
    0
}
