//! Credentials and CAs for go's downloads, for this build only.
//!
//! Found in documented places ([`find`]): the working directory (where an
//! OpenShift input secret without `destinationDir` lands: `$HOME`,
//! `/opt/app-root/src` in the image), the directories of
//! `GO_CREDENTIALS_DIR` (an input secret's `destinationDir`, a build
//! volume), go's and git's own variables (`NETRC`, `GIT_CONFIG_GLOBAL`),
//! the `GO_TOKEN_<host>` variables and `GOPROXY`'s URLs; CA certificates in
//! `GO_CA_BUNDLE`'s files.
//!
//! Given to go and git through this build's environment only
//! ([`Found::materialize`]): a `.netrc` for go (`NETRC`), a git
//! configuration (`GIT_CONFIG_GLOBAL`) that includes the secret
//! `.gitconfig`s and hands git the same logins through s2i-assemble's own
//! credential helper (`git_credential`), and one CA bundle of the system's
//! roots and the private CAs (`SSL_CERT_FILE`, `GIT_SSL_CAINFO`), all in a
//! private temporary directory removed however the build ends. Nothing is
//! written to `$HOME` or to a git configuration of the user's.
//!
//! Secrets never reach the log (each is registered with `redact`), the run
//! manifest, or the application root: secret files found inside it (an
//! input secret in `/opt/app-root/src`) are emptied once read, as OpenShift
//! empties them after assemble, so that a failed or stopped build leaves
//! none there either; and module-cache clones whose metadata holds one are
//! removed ([`Materialized`]'s drop).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use s2i_common::display::reason;
use s2i_common::settings::{GO_CA_BUNDLE, GO_CREDENTIALS_DIR, GO_TOKEN_PREFIX};

use crate::cacerts;
use crate::config::Config;
use crate::detect::Kind;
use crate::errors::Error;
use crate::netrc::{self, Entry};
use crate::plan::{self, BuildPlan};
use crate::redact;
use crate::report::Report;

/// The well-known names of credential files; in `GO_CREDENTIALS_DIR`
/// directories also without the dot (a secret's key may be `netrc`).
const NETRC: &str = ".netrc";
const GITCONFIG: &str = ".gitconfig";
const GIT_CREDENTIALS: &str = ".git-credentials";
/// The names left out of the application's files when they are at the top
/// of the sources: never run-time files, and maybe secrets.
pub const SECRET_NAMES: [&str; 3] = [NETRC, GITCONFIG, GIT_CREDENTIALS];

/// The user name of a `GO_TOKEN_<host>` given without one.
pub const DEFAULT_TOKEN_USER: &str = "oauth2";

/// Variables that give go or git credentials: build-only, never copied
/// from `.s2i/environment` into the run manifest.
const BUILD_ONLY_VARIABLES: &[&str] = &[
    "NETRC",
    "GOAUTH",
    "GIT_CONFIG_GLOBAL",
    "GIT_ASKPASS",
    "GO_CREDENTIALS_DIR",
    "GO_CA_BUNDLE",
];

/// Where a login came from, for the log (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    File { path: PathBuf, line: usize },
    Token { variable: String },
    ProxyUrl,
}

/// A `.gitconfig` from a secret.
#[derive(Debug, Clone)]
struct GitConfig {
    path: PathBuf,
    text: String,
    /// `url.<base>.insteadOf` rewrites, as `prefix -> base` (base masked).
    rewrites: Vec<String>,
    /// Whether it names credential helpers (replaced by ours).
    has_helpers: bool,
}

/// Everything found, read and checked; nothing written yet.
#[derive(Debug, Default)]
pub struct Found {
    /// Logins, in the order go and git use them (the first for a host wins).
    logins: Vec<(Entry, Origin)>,
    gitconfigs: Vec<GitConfig>,
    /// Git configurations of the user's own (`$HOME/.gitconfig` when
    /// `$HOME` is not the working directory, `GIT_CONFIG_GLOBAL`): kept
    /// as they are, after ours.
    user_gitconfigs: Vec<PathBuf>,
    /// The private CAs' files and how many certificates each holds.
    cas: Vec<(PathBuf, usize)>,
    /// Secret files and directories inside the sources: left out of the
    /// application's files.
    pub in_sources: Vec<PathBuf>,
    /// `.s2i/environment` variables that are credentials: left out of the
    /// run manifest.
    pub build_only: Vec<String>,
    pub warnings: Vec<String>,
}

/// What [`find`] reads.
pub struct Places<'a> {
    /// The build's environment (process, `.s2i/environment`, go.toml).
    pub env: &'a BTreeMap<String, String>,
    /// The process's own environment (where secrets belong).
    pub process_env: &'a BTreeMap<String, String>,
    /// The working directory.
    pub cwd: &'a Path,
    pub src: &'a Path,
    pub app_root: &'a Path,
    /// `.s2i/environment`'s variables, bound for the run manifest.
    pub run_env: &'a BTreeMap<String, String>,
    /// Read only: secret files are not emptied.
    pub dry_run: bool,
}

/// Finds, reads and checks every credential and CA the build is given.
pub fn find(places: &Places) -> Result<Found, Error> {
    let mut found = Found::default();
    let var = |name: &str| {
        places
            .env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    // GO_TOKEN_<host> first: named explicitly, they win.
    for (name, value) in places.env {
        if let Some(encoded) = name
            .strip_prefix(GO_TOKEN_PREFIX)
            .filter(|_| !value.is_empty())
        {
            found.add_token(name, encoded, value, places)?;
        }
    }
    let dirs = credential_dirs(var(GO_CREDENTIALS_DIR).unwrap_or(""), places.cwd)?;
    let seen = found.read_files(&dirs, places)?;
    found.read_proxy_urls(var("GOPROXY").unwrap_or(""));
    found.read_cas(var(GO_CA_BUNDLE).unwrap_or(""), places.cwd)?;

    // What must not be copied into the application: the well-known names
    // at the top of the sources, and any secret file found inside them.
    for name in SECRET_NAMES {
        let path = places.src.join(name);
        if fs::symlink_metadata(&path).is_ok() {
            found.in_sources.push(path);
        }
    }
    for path in seen.iter().chain(&dirs) {
        if inside(path, places.src) && !found.in_sources.iter().any(|p| same_file(p, path)) {
            found.in_sources.push(path.clone());
        }
    }
    // Credentials committed in .s2i/environment stay out of the run manifest.
    for (name, value) in places.run_env {
        let credential = name.starts_with(GO_TOKEN_PREFIX)
            || BUILD_ONLY_VARIABLES.contains(&name.as_str())
            || name.starts_with("GIT_CONFIG_")
            || redact::holds_secret(value);
        if credential {
            found.build_only.push(name.clone());
        }
    }
    found.remember();
    Ok(found)
}

/// GO_CREDENTIALS_DIR's directories (`:`-separated, relative to `cwd`).
fn credential_dirs(setting: &str, cwd: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut dirs = Vec::new();
    for dir in setting.split(':').filter(|d| !d.is_empty()) {
        let path = cwd.join(dir);
        if !path.is_dir() {
            return Err(Error::BadSetting {
                name: GO_CREDENTIALS_DIR,
                value: dir.to_string(),
                why: format!(
                    "{} is not a directory; name the directory an input secret or build volume puts its files in",
                    path.display()
                ),
            });
        }
        dirs.push(path);
    }
    Ok(dirs)
}

impl Found {
    /// Whether anything was found: without, the build's environment stays
    /// as it is.
    pub fn is_empty(&self) -> bool {
        self.logins.is_empty() && self.gitconfigs.is_empty() && self.cas.is_empty()
    }

    /// Reads the credential files of `dirs` (also without the dot), the
    /// working directory, `$HOME` (when it is not the working directory:
    /// go reads its `.netrc` unless NETRC is set, and NETRC will be) and
    /// `NETRC`; notes the user's own git configurations. Returns the files
    /// read.
    fn read_files(&mut self, dirs: &[PathBuf], places: &Places) -> Result<Vec<PathBuf>, Error> {
        let var = |name: &str| {
            places
                .env
                .get(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME").filter(|h| !same_file(h, places.cwd));
        let mut files: Vec<(PathBuf, &str)> = Vec::new();
        for dir in dirs {
            for name in [NETRC, GIT_CREDENTIALS, GITCONFIG] {
                files.push((dir.join(name), name));
                files.push((dir.join(&name[1..]), name));
            }
        }
        for name in [NETRC, GIT_CREDENTIALS, GITCONFIG] {
            files.push((places.cwd.join(name), name));
        }
        files.extend(home.iter().map(|h| (h.join(NETRC), NETRC)));
        files.extend(var("NETRC").map(|f| (f, NETRC)));
        let mut seen: Vec<PathBuf> = Vec::new();
        for (file, kind) in files {
            if file.is_file() && !seen.iter().any(|s| same_file(s, &file)) {
                self.read_file(&file, kind, places)?;
                seen.push(file);
            }
        }
        let own = home
            .iter()
            .flat_map(|h| [h.join(GITCONFIG), xdg_git_config(places.env, h)])
            .chain(var("GIT_CONFIG_GLOBAL"));
        for file in own {
            if file.is_file() && !seen.iter().any(|s| same_file(s, &file)) {
                self.user_gitconfigs.push(file);
            }
        }
        Ok(seen)
    }

    fn add_token(
        &mut self,
        variable: &str,
        encoded: &str,
        value: &str,
        places: &Places,
    ) -> Result<(), Error> {
        let problem = |problem: String| Error::TokenVariable {
            name: variable.to_string(),
            problem,
        };
        let host = decode_host(encoded).ok_or_else(|| {
            problem(format!(
                "`{encoded}` is no host name written as the variable's name takes it"
            ))
        })?;
        let (login, token) = match value.split_once(':') {
            Some((user, token)) if !user.is_empty() => (user, token),
            _ => (DEFAULT_TOKEN_USER, value),
        };
        if !netrc::fits_netrc(token) || !netrc::fits_netrc(login) {
            return Err(problem(
                "its value is empty or holds white space, which go cannot send".into(),
            ));
        }
        redact::register(token);
        redact::register(value);
        if !places.process_env.contains_key(variable) {
            self.warnings.push(format!(
                "{variable} is set in the sources (.s2i/environment or .s2i/go.toml): a token committed with the sources is readable by anyone who can read them; give it from a secret instead (README: Private modules)"
            ));
        }
        self.logins.push((
            Entry {
                machine: host,
                login: login.to_string(),
                password: token.to_string(),
                line: 0,
            },
            Origin::Token {
                variable: variable.to_string(),
            },
        ));
        Ok(())
    }

    /// Reads one credential file (`kind` is its well-known name), empties
    /// it when it is inside the application root, and checks it.
    fn read_file(&mut self, path: &Path, kind: &str, places: &Places) -> Result<(), Error> {
        let unreadable = |error: io::Error| Error::CredentialFile {
            path: path.to_path_buf(),
            line: None,
            problem: format!("cannot read it: {}", reason(&error)),
        };
        let bytes = fs::read(path).map_err(unreadable)?;
        if !places.dry_run && copied_into(path, places.app_root) {
            // In the application root (an input secret in $HOME): nothing
            // of it may stay there, whatever happens to the build.
            if let Err(e) = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(0))
            {
                self.warnings.push(format!(
                    "cannot empty the credential file {} in the application root: {}",
                    path.display(),
                    reason(&e)
                ));
            }
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8(bytes).map_err(|_| Error::CredentialFile {
            path: path.to_path_buf(),
            line: None,
            problem: "it is not UTF-8 text".into(),
        })?;
        let malformed = |m: netrc::Malformed| Error::CredentialFile {
            path: path.to_path_buf(),
            line: Some(m.line),
            problem: m.problem,
        };
        let parsed = match kind {
            NETRC => netrc::parse_netrc(&text).map_err(malformed)?,
            GIT_CREDENTIALS => netrc::parse_git_credentials(&text).map_err(malformed)?,
            _ => return self.read_gitconfig(path, text, places),
        };
        for unused in parsed.unused {
            self.warnings
                .push(format!("credential file {} {unused}", path.display()));
        }
        for entry in parsed.entries {
            redact::register(&entry.password);
            // A token given as the login (`login <token> password x`).
            if entry.login.len() >= 20 {
                redact::register(&entry.login);
            }
            if !netrc::fits_netrc(&entry.password) || !netrc::fits_netrc(&entry.login) {
                self.warnings.push(format!(
                    "credential file {} line {}: the login for {} holds white space, which go cannot send; it is not used",
                    path.display(),
                    entry.line,
                    entry.machine
                ));
                continue;
            }
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: entry.line,
            };
            self.logins.push((entry, origin));
        }
        Ok(())
    }

    /// Checks a `.gitconfig` with git itself (which names the bad line),
    /// and notes its URL rewrites; without git there is nothing to check
    /// and nothing that would use it.
    fn read_gitconfig(&mut self, path: &Path, text: String, places: &Places) -> Result<(), Error> {
        let mut config = GitConfig {
            path: path.to_path_buf(),
            text,
            rewrites: Vec::new(),
            has_helpers: false,
        };
        if let Some(listed) = git_list(&config.text, places.env, path)? {
            // `git config -z --list`: `key\nvalue\0` (a URL in a key may hold `=`).
            for item in listed.split('\0') {
                let (key, value) = item.split_once('\n').unwrap_or((item, ""));
                let lower = key.to_ascii_lowercase();
                if let Some(base) = lower
                    .strip_prefix("url.")
                    .and_then(|_| key[4..].rsplit_once('.'))
                    .filter(|(_, what)| what.eq_ignore_ascii_case("insteadof"))
                    .map(|(base, _)| base)
                {
                    register_userinfo(base);
                    config
                        .rewrites
                        .push(format!("{value} -> {}", redact::text(base)));
                }
                if lower.starts_with("credential.") && lower.ends_with(".helper")
                    || lower == "credential.helper"
                {
                    config.has_helpers = true;
                }
                if lower.starts_with("http.") && lower.ends_with(".extraheader")
                    || lower == "http.extraheader"
                {
                    // `Authorization: Bearer <token>`: the token is the last word.
                    if let Some(token) = value.split_whitespace().last() {
                        redact::register(token);
                    }
                }
            }
        }
        self.gitconfigs.push(config);
        Ok(())
    }

    /// User names and passwords in GOPROXY's URLs: go sends them itself.
    fn read_proxy_urls(&mut self, goproxy: &str) {
        for url in goproxy.split([',', '|']) {
            let url = url.trim();
            if register_userinfo(url) {
                let host = host_of(url);
                self.logins.push((
                    Entry {
                        machine: host,
                        login: String::new(),
                        password: String::new(),
                        line: 0,
                    },
                    Origin::ProxyUrl,
                ));
            }
        }
    }

    fn read_cas(&mut self, setting: &str, cwd: &Path) -> Result<(), Error> {
        for file in setting.split(':').filter(|f| !f.is_empty()) {
            let path = cwd.join(file);
            let error = |line: Option<usize>, problem: String| Error::CaBundle {
                path: path.clone(),
                line,
                problem,
            };
            let text = fs::read(&path)
                .map_err(|e| error(None, format!("cannot read it: {}", reason(&e))))?;
            let text = String::from_utf8(text).map_err(|_| {
                error(
                    None,
                    "it is not PEM text (DER? convert it with `openssl x509 -inform der`)".into(),
                )
            })?;
            let count = cacerts::count_certificates(&text).map_err(|m| error(m.line, m.problem))?;
            self.cas.push((path, count));
        }
        Ok(())
    }

    /// The log's lines about what this build is given: by host and kind,
    /// never by value.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (entry, origin) in &self.logins {
            let line = match origin {
                Origin::File { path, line } => format!(
                    "{}: login and password from {} line {line}",
                    entry.machine,
                    path.display()
                ),
                Origin::Token { variable } => {
                    format!("{}: token from {variable}", entry.machine)
                }
                Origin::ProxyUrl => format!(
                    "{}: user and password in GOPROXY's URL (go sends them)",
                    entry.machine
                ),
            };
            lines.push(line);
        }
        for config in &self.gitconfigs {
            let mut line = format!("git configuration from {}", config.path.display());
            if !config.rewrites.is_empty() {
                let _ = write!(line, " (URL rewrites: {})", config.rewrites.join(", "));
            }
            if config.has_helpers {
                line.push_str("; its credential helpers give way to s2i-assemble's");
            }
            lines.push(line);
        }
        for (path, count) in &self.cas {
            let plural = if *count == 1 { "" } else { "s" };
            lines.push(format!(
                "CA certificates from {} ({count} certificate{plural}), trusted besides the system's roots",
                path.display()
            ));
        }
        lines
    }

    /// Writes what go and git need into a private temporary directory and
    /// returns it with the variables that point them at it. `env` is the
    /// build's environment; `module_cache` is scrubbed when it is dropped.
    pub fn materialize(
        &self,
        env: &BTreeMap<String, String>,
        module_cache: PathBuf,
    ) -> Result<Materialized, Error> {
        let dir = tempfile::Builder::new()
            .prefix(".s2i-assemble-credentials.")
            .tempdir()
            .map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
        let mut set = Vec::new();
        let write = |name: &str, text: &str| -> Result<PathBuf, Error> {
            let path = dir.path().join(name);
            let mut options = fs::OpenOptions::new();
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| io::Write::write_all(&mut f, text.as_bytes()))
                .map_err(|e| Error::io("write", &path, e))?;
            Ok(path)
        };

        let entries = self.netrc_entries(env.get("GOPROXY").map_or("", String::as_str));
        let netrc_path = if entries.is_empty() {
            None
        } else {
            let path = write("netrc", &netrc::write_netrc(&entries))?;
            set.push(("NETRC".to_string(), path.display().to_string()));
            Some(path)
        };

        if !self.gitconfigs.is_empty() || netrc_path.is_some() {
            let mut text = String::from(
                "# This build's git configuration (s2i-assemble), removed after the build.\n",
            );
            for (i, config) in self.gitconfigs.iter().enumerate() {
                let copy = write(&format!("gitconfig-{i}"), &config.text)?;
                let _ = write!(text, "[include]\n\tpath = {}\n", git_quote(&copy));
            }
            if let Some(netrc_path) = &netrc_path {
                let exe =
                    std::env::current_exe().map_err(|e| Error::io("find", "/proc/self/exe", e))?;
                let helper = format!(
                    "{} --git-credential {}",
                    shell_words::quote(&exe.to_string_lossy()),
                    shell_words::quote(&netrc_path.to_string_lossy())
                );
                // The empty helper drops those configured before it: a
                // secret's `store` helper would write the login to a file.
                let _ = write!(
                    text,
                    "[credential]\n\thelper =\n\thelper = {}\n",
                    git_quote(&helper)
                );
            }
            for own in &self.user_gitconfigs {
                let _ = write!(text, "[include]\n\tpath = {}\n", git_quote(own));
            }
            let path = write("gitconfig", &text)?;
            set.push(("GIT_CONFIG_GLOBAL".to_string(), path.display().to_string()));
        }

        if !self.cas.is_empty() {
            let private: Vec<PathBuf> = self.cas.iter().map(|(p, _)| p.clone()).collect();
            let mut texts = Vec::new();
            for source in cacerts::bundle_sources(env, &private) {
                texts.push(fs::read_to_string(&source).map_err(|e| Error::CaBundle {
                    path: source.clone(),
                    line: None,
                    problem: format!("cannot read it: {}", reason(&e)),
                })?);
            }
            let path = write("ca-bundle.pem", &cacerts::concatenate(&texts))?;
            for name in ["SSL_CERT_FILE", "GIT_SSL_CAINFO"] {
                set.push((name.to_string(), path.display().to_string()));
            }
        }
        Ok(Materialized {
            dir: Some(dir),
            env: set,
            module_cache,
            started: SystemTime::now(),
        })
    }

    /// The `.netrc` go reads: every login in order, and before them each
    /// one again with the port of a GOPROXY host it applies to (go 1.24
    /// and later match a `.netrc` machine against `host:port`).
    fn netrc_entries(&self, goproxy: &str) -> Vec<Entry> {
        let logins: Vec<Entry> = self
            .logins
            .iter()
            .filter(|(_, origin)| *origin != Origin::ProxyUrl)
            .map(|(entry, _)| entry.clone())
            .collect();
        let mut entries = Vec::new();
        for url in goproxy.split([',', '|']) {
            let authority = host_of(url.trim());
            if authority == netrc::host_name(&authority) {
                continue;
            }
            if let Some(entry) = netrc::find(&logins, &authority, None) {
                if entry.machine != authority {
                    entries.push(Entry {
                        machine: authority.clone(),
                        ..entry.clone()
                    });
                }
            }
        }
        entries.extend(logins);
        entries
    }
}

/// The files of [`Found::materialize`], and the variables naming them.
/// Dropping it removes them and scrubs the module cache.
pub struct Materialized {
    dir: Option<tempfile::TempDir>,
    /// The variables to set for go and git.
    pub env: Vec<(String, String)>,
    module_cache: PathBuf,
    started: SystemTime,
}

impl Materialized {
    /// Nothing to give: the environment stays as it is.
    pub fn none() -> Materialized {
        Materialized {
            dir: None,
            env: Vec::new(),
            module_cache: PathBuf::new(),
            started: SystemTime::now(),
        }
    }
}

impl Drop for Materialized {
    fn drop(&mut self) {
        if self.dir.take().is_some() {
            for removed in scrub_module_cache(&self.module_cache, self.started) {
                eprintln!(
                    "s2i-assemble: warning: removed {} from the module cache: it held a credential",
                    removed.display()
                );
            }
        }
    }
}

/// What this build was given, by host, for the line that explains a
/// refusal (see `gofailure`): set once by [`find`].
static GIVEN: std::sync::OnceLock<(Vec<(String, String)>, bool)> = std::sync::OnceLock::new();

/// Where the credentials given for `host` (`host[:port]`) came from, if
/// any were: the same host and port, else the host on any port.
pub fn given_for(host: &str) -> Option<String> {
    let (given, _) = GIVEN.get()?;
    let host = host.to_ascii_lowercase();
    let name = netrc::host_name(&host);
    given
        .iter()
        .find(|(h, _)| *h == host)
        .or_else(|| given.iter().find(|(h, _)| h == name))
        .map(|(_, origin)| origin.clone())
}

/// Whether GO_CA_BUNDLE gave the build CAs.
pub fn ca_given() -> bool {
    GIVEN.get().is_some_and(|(_, ca)| *ca)
}

impl Found {
    fn remember(&self) {
        let given = self
            .logins
            .iter()
            .map(|(entry, origin)| {
                let from = match origin {
                    Origin::File { path, line } => format!("{} line {line}", path.display()),
                    Origin::Token { variable } => variable.clone(),
                    Origin::ProxyUrl => "GOPROXY's URL".to_string(),
                };
                (entry.machine.clone(), from)
            })
            .collect();
        let _ = GIVEN.set((given, !self.cas.is_empty()));
    }
}

/// The pipeline's hook after the settings: credentials committed in
/// `.s2i/environment` are for the build, not the run manifest.
pub fn keep_out_of_the_run_manifest(found: &Found, config: &mut Config, report: &Report) {
    for warning in &found.warnings {
        report.warn(warning);
    }
    for name in &found.build_only {
        config.run_env.remove(name);
        report.warn(&format!(
            "{name} (from .s2i/environment) is left out of the run manifest: it is a credential, for the build only"
        ));
    }
}

/// What the walk of the sources leaves out: `app_root_in_src` and the
/// credential files in the sources, as the walk names them.
pub fn left_out_of_the_sources(found: &Found, app_root_in_src: Option<&Path>) -> Vec<PathBuf> {
    let mut leave_out: Vec<PathBuf> = app_root_in_src.map(Path::to_path_buf).into_iter().collect();
    for path in &found.in_sources {
        // The walk names entries under the resolved root, links unresolved.
        let parent = path.parent().and_then(|p| fs::canonicalize(p).ok());
        if let (Some(parent), Some(name)) = (parent, path.file_name()) {
            leave_out.push(parent.join(name));
        }
    }
    leave_out
}

/// The pipeline's hook once the work area exists: writes what go and git
/// need, puts it into the build's environment and says what was given.
pub fn give(
    found: &Found,
    config: &mut Config,
    kind: &Kind,
    app_root: &Path,
    work: &Path,
    report: &mut Report,
) -> Result<Materialized, Error> {
    if found.is_empty() {
        return Ok(Materialized::none());
    }
    let (env, _) = plan::go_env(&config.env, kind, app_root, work);
    let module_cache = PathBuf::from(env.get("GOMODCACHE").cloned().unwrap_or_default());
    let materialized = found.materialize(&config.env, module_cache)?;
    config.env.extend(materialized.env.iter().cloned());
    report.line("---> Credentials for this build only (by host and kind, never by value):");
    for line in found.summary() {
        report.line(&format!("     {line}"));
    }
    Ok(materialized)
}

impl Materialized {
    /// Notes in the plan what was given and the variables that carry it.
    pub fn describe(&self, found: &Found, plan: &mut BuildPlan) {
        plan.credentials = found.summary();
        for (name, value) in &self.env {
            plan.set_env.retain(|(n, _)| n != name);
            plan.set_env.push((name.clone(), value.clone()));
        }
    }
}

/// Removes what go left in the module cache that holds a credential: VCS
/// clones whose metadata (`config`, `FETCH_HEAD`, the `.info` beside them)
/// names a URL with a user name or a registered secret, and download
/// `.info` files written since `since` that do. Returns what it removed.
pub fn scrub_module_cache(module_cache: &Path, since: SystemTime) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let holds = |path: &Path| {
        fs::read(path).is_ok_and(|bytes| {
            let text = String::from_utf8_lossy(&bytes);
            redact::text(&text) != text
        })
    };
    let vcs = module_cache.join("cache/vcs");
    if let Ok(entries) = fs::read_dir(&vcs) {
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let metadata = ["config", "FETCH_HEAD", "packed-refs"]
                .iter()
                .map(|f| path.join(f))
                .chain([path.with_extension("info")]);
            if metadata.into_iter().any(|f| holds(&f)) {
                let _ = s2i_common::tree::remove(&path);
                for extension in ["info", "lock"] {
                    let _ = fs::remove_file(path.with_extension(extension));
                }
                removed.push(path);
            }
        }
    }
    let downloads = module_cache.join("cache/download");
    for entry in walkdir::WalkDir::new(&downloads)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "info"))
    {
        let new = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t >= since);
        if new && holds(entry.path()) {
            let _ = s2i_common::tree::remove(entry.path());
            removed.push(entry.into_path());
        }
    }
    removed
}

/// `git config --list` of a secret `.gitconfig`: None when there is no git
/// (then nothing would read it). Its output holds secrets: never shown.
fn git_list(
    text: &str,
    env: &BTreeMap<String, String>,
    path: &Path,
) -> Result<Option<String>, Error> {
    let Some(git) = which::which_in("git", env.get("PATH"), "/").ok() else {
        return Ok(None);
    };
    // Checked from a private copy: the original may be emptied already.
    let dir = tempfile::Builder::new()
        .prefix(".s2i-assemble-gitconfig.")
        .tempdir()
        .map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let copy = dir.path().join("gitconfig");
    let mut options = fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .write(true)
        .create_new(true)
        .open(&copy)
        .and_then(|mut f| io::Write::write_all(&mut f, text.as_bytes()))
        .map_err(|e| Error::io("write", &copy, e))?;
    let out = Command::new(git)
        .args(["config", "--no-includes", "-z", "--file"])
        .arg(&copy)
        .arg("--list")
        .env_clear()
        .env("PATH", env.get("PATH").map_or("", String::as_str))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io("run git config to check", path, e))?;
    if out.status.success() {
        return Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    // `fatal: bad config line 3 in file /tmp/.../gitconfig`
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .split("bad config line ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    Err(Error::CredentialFile {
        path: path.to_path_buf(),
        line,
        problem: if line.is_some() {
            "git cannot read it (a bad line)".to_string()
        } else {
            format!(
                "git cannot read it ({})",
                redact::text(stderr.trim().trim_start_matches("fatal: "))
                    .replace(&copy.display().to_string(), "it")
            )
        },
    })
}

/// `GO_TOKEN_git__corp_example` -> `git-corp.example`: `__` for `-`, `_`
/// for `.`, any case (`.` and `-` themselves, which Kubernetes allows in
/// a variable's name, stay). None when that is no host name.
pub fn decode_host(encoded: &str) -> Option<String> {
    let host = encoded
        .to_ascii_lowercase()
        .replace("__", "\u{0}")
        .replace('_', ".")
        .replace('\u{0}', "-");
    let valid = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    valid.then_some(host)
}

/// Registers the user name and password of `url`, if it has any; true
/// when it had.
fn register_userinfo(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    match userinfo.split_once(':') {
        Some((user, password)) => {
            redact::register(password);
            redact::register(&netrc::percent_decode(password));
            if user.len() >= 20 {
                redact::register(user);
            }
        }
        // A token as the user name, without a password.
        None => {
            redact::register(userinfo);
            redact::register(&netrc::percent_decode(userinfo));
        }
    }
    true
}

/// `host[:port]` of a URL, lower case, without user information.
fn host_of(url: &str) -> String {
    redact::host_of(url).to_ascii_lowercase()
}

/// A value in a git configuration file, quoted and escaped.
fn git_quote(value: impl AsRef<std::ffi::OsStr>) -> String {
    let value = value.as_ref().to_string_lossy();
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn xdg_git_config(env: &BTreeMap<String, String>, home: &Path) -> PathBuf {
    match env.get("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Path::new(dir).join("git/config"),
        None => home.join(".config/git/config"),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether `path` is a file of the application root itself: below it and
/// on its file system, as an input secret is, not a volume mounted there
/// (OpenShift's examples mount build volumes under `/opt/app-root/src`),
/// which is no part of the image.
fn copied_into(path: &Path, app_root: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let device = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
    inside(path, app_root) && device(path).is_some() && device(path) == device(app_root)
}

/// Whether `path` is `dir` or below it, as both resolve.
fn inside(path: &Path, dir: &Path) -> bool {
    let resolve = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    resolve(path).starts_with(resolve(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_variable_names_decode_to_hosts() {
        assert_eq!(decode_host("github_com").as_deref(), Some("github.com"));
        assert_eq!(
            decode_host("GIT__CORP_EXAMPLE").as_deref(),
            Some("git-corp.example")
        );
        assert_eq!(decode_host("127_0_0_1").as_deref(), Some("127.0.0.1"));
        assert_eq!(decode_host(""), None);
        assert_eq!(decode_host("a__"), None);
        assert_eq!(decode_host("a___b"), None);
        // Kubernetes allows dots and dashes in names: taken as they are.
        assert_eq!(
            decode_host("git-corp.example").as_deref(),
            Some("git-corp.example")
        );
    }

    #[test]
    fn goproxy_hosts_get_their_port() {
        let mut found = Found::default();
        let login = |machine: &str, login: &str| {
            (
                Entry {
                    machine: machine.into(),
                    login: login.into(),
                    password: "pw".into(),
                    line: 1,
                },
                Origin::Token {
                    variable: "X".into(),
                },
            )
        };
        found.logins = vec![login("proxy.corp", "a"), login("other", "b")];
        let entries = found.netrc_entries("https://proxy.corp:8443/go,https://other/x,direct");
        let machines: Vec<&str> = entries.iter().map(|e| e.machine.as_str()).collect();
        assert_eq!(machines, ["proxy.corp:8443", "proxy.corp", "other"]);
        assert_eq!(entries[0].login, "a");
    }

    #[test]
    fn git_values_are_quoted() {
        assert_eq!(git_quote("/a b/\"c\\"), "\"/a b/\\\"c\\\\\"");
        assert_eq!(host_of("https://u:p@Proxy.Corp:1/x"), "proxy.corp:1");
    }
}
