//! The two credential file formats go's and git's downloads use, read
//! strictly enough to say which line is wrong: `.netrc` (`machine HOST
//! login USER password SECRET`, words separated by any white space, as go
//! reads it: no quoting) and git's `.git-credentials` (one
//! `https://USER:SECRET@HOST[:PORT][/PATH]` a line, percent-encoded).
//! Never a secret in an error: a problem names the line and the keyword.

/// One login for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `host` or `host:port`, in lower case.
    pub machine: String,
    pub login: String,
    pub password: String,
    /// The line of the file it was read from.
    pub line: usize,
}

/// A line that cannot be read, and why (never quoting a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: usize,
    pub problem: String,
}

/// What a file gave: its entries, and what in it is not used.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// `line N: …`, for warnings.
    pub unused: Vec<String>,
}

const KEYWORDS: &str = "machine, default, login, password, account, macdef";

/// A `machine` entry being read: its line, host, login and password.
type Machine = (usize, String, Option<String>, Option<String>);

/// Ends the `machine` entry being read: an entry, or a warning when it
/// lacks a login or password.
fn finish(current: Option<Machine>, parsed: &mut Parsed) {
    let Some((line, machine, login, password)) = current else {
        return;
    };
    match (login, password) {
        (Some(login), Some(password)) => parsed.entries.push(Entry {
            machine,
            login,
            password,
            line,
        }),
        (login, _) => {
            let missing = if login.is_none() { "login" } else { "password" };
            parsed.unused.push(format!(
                "line {line}: machine {machine} has no {missing}; go and git cannot use it"
            ));
        }
    }
}

/// Each word of a `.netrc` with its line, macro bodies left out.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut in_macro = false;
    for (index, line) in text.split('\n').enumerate() {
        if in_macro {
            // A macro's body ends at an empty line.
            in_macro = !line.trim().is_empty();
            continue;
        }
        let mut line_words = line.split_whitespace().peekable();
        while let Some(word) = line_words.next() {
            words.push((index + 1, word));
            if word == "macdef" {
                if let Some(name) = line_words.next() {
                    words.push((index + 1, name));
                }
                in_macro = true;
                break;
            }
        }
    }

    words
}

/// Reads a `.netrc`.
pub fn parse_netrc(text: &str) -> Result<Parsed, Malformed> {
    let words = words(text);
    let mut parsed = Parsed::default();
    let mut current: Option<Machine> = None;
    let mut iter = words.into_iter();
    while let Some((line, keyword)) = iter.next() {
        let mut value = |what: &str| {
            iter.next().map(|(_, v)| v.to_string()).ok_or(Malformed {
                line,
                problem: format!("`{what}` has no value after it"),
            })
        };
        match keyword {
            "machine" => {
                let host = value("machine")?.to_ascii_lowercase();
                finish(current.take(), &mut parsed);
                current = Some((line, host, None, None));
            }
            "default" => {
                finish(current.take(), &mut parsed);
                parsed.unused.push(format!(
                    "line {line}: the `default` entry is not used (go ignores it): name each host with `machine`"
                ));
                // go stops reading at `default`, which must come last.
                return Ok(parsed);
            }
            "login" | "password" | "account" => {
                let text = value(keyword)?;
                let Some((_, _, login, password)) = current.as_mut() else {
                    return Err(Malformed {
                        line,
                        problem: format!("`{keyword}` comes before any `machine`"),
                    });
                };
                match keyword {
                    "login" => *login = Some(text),
                    "password" => *password = Some(text),
                    _ => {}
                }
            }
            "macdef" => {
                value("macdef")?;
            }
            _ => {
                return Err(Malformed {
                    line,
                    problem: format!("a word that is no netrc keyword ({KEYWORDS})"),
                })
            }
        }
    }
    finish(current, &mut parsed);
    Ok(parsed)
}

/// Reads a `.git-credentials`.
pub fn parse_git_credentials(text: &str) -> Result<Parsed, Malformed> {
    let mut parsed = Parsed::default();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = |problem: &str| {
            Malformed {
            line: line_number,
            problem: format!(
                "{problem}; a line is an https URL with the user name and token before the host (USER:TOKEN@HOST)"
            ),
        }
        };
        let (_, rest) = line.split_once("://").ok_or_else(|| malformed("no URL"))?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let (userinfo, host) = authority
            .rsplit_once('@')
            .ok_or_else(|| malformed("no user name and password in the URL"))?;
        let (user, password) = userinfo
            .split_once(':')
            .ok_or_else(|| malformed("no password in the URL"))?;
        if host.is_empty() || user.is_empty() || password.is_empty() {
            return Err(malformed("an empty host, user name or password"));
        }
        parsed.entries.push(Entry {
            machine: host.to_ascii_lowercase(),
            login: percent_decode(user),
            password: percent_decode(password),
            line: line_number,
        });
    }
    Ok(parsed)
}

/// `%40` -> `@`; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap() * 16 + hex(b).unwrap()) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `.netrc` holding `entries`, in order (go uses the first one for a host).
pub fn write_netrc(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| {
            format!(
                "machine {} login {} password {}\n",
                e.machine, e.login, e.password
            )
        })
        .collect()
}

/// Whether a value can be written in a `.netrc` (go splits at white space).
pub fn fits_netrc(value: &str) -> bool {
    !value.is_empty() && !value.contains(char::is_whitespace)
}

/// The entry for `host` (`host` or `host:port`), as git's credential
/// helper protocol asks for it: the same host and port first, then the
/// host on any port (a `.netrc` names no port); with `login`, only its
/// entries.
pub fn find<'a>(entries: &'a [Entry], host: &str, login: Option<&str>) -> Option<&'a Entry> {
    let host = host.to_ascii_lowercase();
    let name = host_name(&host);
    let login_fits = |e: &&Entry| login.is_none_or(|l| e.login == l);
    entries
        .iter()
        .filter(login_fits)
        .find(|e| e.machine == host)
        .or_else(|| {
            entries
                .iter()
                .filter(login_fits)
                .find(|e| e.machine == name)
        })
}

/// `host` of `host:port` (and of `[::1]:port`).
pub fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(machine: &str, login: &str, password: &str, line: usize) -> Entry {
        Entry {
            machine: machine.into(),
            login: login.into(),
            password: password.into(),
            line,
        }
    }

    #[test]
    fn netrc_entries_over_lines_and_on_one() {
        let text = "machine git.corp.example login alice password s3cret\n\
                    machine Proxy.Corp:8443\n  login bob\n  password tok-1\n\
                    macdef init\ncd /pub\n\nmachine half login carol\n";
        let parsed = parse_netrc(text).unwrap();
        assert_eq!(
            parsed.entries,
            [
                entry("git.corp.example", "alice", "s3cret", 1),
                entry("proxy.corp:8443", "bob", "tok-1", 2),
            ]
        );
        assert_eq!(
            parsed.unused,
            ["line 8: machine half has no password; go and git cannot use it"]
        );
        let parsed = parse_netrc("machine a login b password c\ndefault login x password y\nmachine z login q password r\n").unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert!(parsed.unused[0].starts_with("line 2: the `default` entry"));
    }

    #[test]
    fn malformed_netrc_names_the_line_never_the_secret() {
        let e = parse_netrc("machine a login b password\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert_eq!(e.problem, "`password` has no value after it");
        let e = parse_netrc("machine a\nlogin b hunter22\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.problem.contains("hunter22"), "{}", e.problem);
        assert!(e.problem.starts_with("a word that is no netrc keyword"));
        let e = parse_netrc("\n\nlogin b password c\n").unwrap_err();
        assert_eq!(
            (e.line, e.problem.as_str()),
            (3, "`login` comes before any `machine`")
        );
    }

    #[test]
    fn git_credentials_lines() {
        let parsed = parse_git_credentials(
            "https://alice:p%40ss@git.corp.example\n\nhttps://x-access-token:ghp_1@GitHub.com/org\n",
        )
        .unwrap();
        assert_eq!(
            parsed.entries,
            [
                entry("git.corp.example", "alice", "p@ss", 1),
                entry("github.com", "x-access-token", "ghp_1", 3)
            ]
        );
        let e =
            parse_git_credentials("https://a:b@h\ngit.corp.example alice secret\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.problem.starts_with("no URL"));
        assert!(!e.problem.contains("secret"));
        let e = parse_git_credentials("https://tokenonly@h\n").unwrap_err();
        assert!(e.problem.starts_with("no password"), "{}", e.problem);
    }

    #[test]
    fn lookup_prefers_the_port_then_any_port() {
        let entries = [
            entry("h", "any-port", "1", 1),
            entry("h:8443", "this-port", "2", 2),
            entry("h", "bob", "3", 3),
        ];
        assert_eq!(find(&entries, "h:8443", None).unwrap().login, "this-port");
        assert_eq!(find(&entries, "H:9000", None).unwrap().login, "any-port");
        assert_eq!(find(&entries, "h", Some("bob")).unwrap().password, "3");
        assert_eq!(find(&entries, "other", None), None);
        assert_eq!(host_name("[::1]:80"), "::1");
        assert_eq!(host_name("h:80"), "h");
    }

    #[test]
    fn written_netrc_reads_back() {
        let entries = [entry("h:1", "a", "b", 1), entry("g", "c", "d", 2)];
        let text = write_netrc(&entries);
        let back: Vec<_> = parse_netrc(&text).unwrap().entries;
        assert_eq!(back[0].machine, "h:1");
        assert_eq!(back[1].password, "d");
        assert!(!fits_netrc("a b"));
        assert_eq!(percent_decode("a%2Fb%zz"), "a/b%zz");
    }
}
