//! go's VCS stamping, made to work where it can, and what git says of the
//! sources (for `GO_LDFLAGS`' placeholders and the SBOM).
//!
//! go stamps a binary (`vcs.revision`, `vcs.time`, `vcs.modified`, and since
//! Go 1.24 the main module's version from a tag) by running git in the
//! sources. In a build container the checkout usually belongs to another
//! user, and git refuses such a "dubious" repository: go then fails the
//! whole build. So before the build, git is asked the same questions go
//! will ask (`git status --porcelain`, `git log -1`), with the sources
//! marked safe for this build only: `safe.directory` is passed in git's
//! environment (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`,
//! after any the user set), never written to a config file. If git answers,
//! go stamps; if there is no `.git` at the top of the sources, no git, or
//! git cannot read it, go is told not to (`-buildvcs=false`) and the build
//! goes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether go stamps, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamping {
    /// git reads the sources: go stamps them.
    On,
    /// go is told not to; the reason, for the build plan.
    Off(String),
}

/// What git says of the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFacts {
    /// The commit checked out (HEAD).
    pub commit: String,
    /// Its committer time, Unix seconds.
    pub commit_time: i64,
}

/// What was found of `.git`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vcs {
    pub stamping: Stamping,
    /// Variables that mark the sources safe for git, for go's environment
    /// (empty without a readable `.git`).
    pub git_env: Vec<(String, String)>,
    pub facts: Option<GitFacts>,
    /// The git found, to ask it more (placeholders).
    git: Option<PathBuf>,
    src: PathBuf,
    /// Whether the sources have a `.git` at all.
    has_git_dir: bool,
}

impl Vcs {
    /// Looks at `.git` at the top of `src` with the git on `env`'s PATH;
    /// `in_place`: go builds in `src` itself (not in a copy without `.git`).
    pub fn probe(src: &Path, in_place: bool, env: &BTreeMap<String, String>) -> Vcs {
        let has_git_dir = std::fs::symlink_metadata(src.join(".git")).is_ok();
        let off = |why: &str| Vcs {
            stamping: Stamping::Off(why.to_string()),
            git_env: Vec::new(),
            facts: None,
            git: None,
            src: src.to_path_buf(),
            has_git_dir,
        };
        if !has_git_dir {
            return off("no .git in the sources");
        }
        let path = env.get("PATH").cloned().unwrap_or_default();
        let Ok(git) = which::which_in("git", Some(path), src) else {
            return off("a .git, but no git on PATH");
        };
        let real = std::fs::canonicalize(src).unwrap_or_else(|_| src.to_path_buf());
        let git_env = safe_directory_env(env, &real);
        let mut vcs = Vcs {
            stamping: Stamping::On,
            git_env,
            facts: None,
            git: Some(git),
            src: real,
            has_git_dir,
        };
        // The questions go asks; either failing would fail go build.
        let status = vcs.git(env, &["status", "--porcelain"]);
        let log = vcs.git(
            env,
            &[
                "-c",
                "log.showsignature=false",
                "log",
                "-1",
                "--format=%H %ct",
            ],
        );
        match (status, log) {
            (Ok(_), Ok(log)) => {
                vcs.facts = parse_log(&log);
                if vcs.facts.is_none() {
                    vcs.stamping = Stamping::Off(format!("git log says {:?}", log.trim()));
                } else if !in_place {
                    vcs.stamping =
                        Stamping::Off("the sources build in a copy, without .git".into());
                }
            }
            (Err(why), _) | (_, Err(why)) => {
                vcs.stamping = Stamping::Off(format!("git cannot read .git: {why}"));
                vcs.git_env.clear();
                vcs.git = None;
            }
        }
        vcs
    }

    /// Runs git in the sources with go's environment and the safe.directory
    /// marking; its stdout, or its first line of stderr.
    fn git(&self, env: &BTreeMap<String, String>, args: &[&str]) -> Result<String, String> {
        let git = self.git.as_ref().ok_or("no git")?;
        let out = Command::new(git)
            .arg("-C")
            .arg(&self.src)
            .args(args)
            .env_clear()
            .envs(env)
            .envs(self.git_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            // git's words, which quote paths of the sources: shown escaped.
            match out.stderr.split(|b| *b == b'\n').next() {
                Some(first) if !first.is_empty() => {
                    Err(s2i_common::display::Escaped::bytes(first).to_string())
                }
                _ => Err(format!("git {} failed ({})", args.join(" "), out.status)),
            }
        }
    }

    /// Whether the sources have a `.git` (readable or not).
    pub fn found_git_dir(&self) -> bool {
        self.has_git_dir
    }

    /// `git describe --tags --always --dirty`: `v1.2.3`, `v1.2.3-4-gabcdef0`,
    /// a short commit; None without a readable `.git`.
    pub fn describe(&self, env: &BTreeMap<String, String>) -> Option<String> {
        self.facts.as_ref()?;
        let out = self
            .git(env, &["describe", "--tags", "--always", "--dirty"])
            .ok()?;
        Some(out.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// The branch checked out, or the tag at HEAD.
    pub fn reference(&self, env: &BTreeMap<String, String>) -> Option<String> {
        self.facts.as_ref()?;
        let tag = self.git(env, &["describe", "--tags", "--exact-match"]).ok();
        let branch = self
            .git(env, &["symbolic-ref", "--short", "-q", "HEAD"])
            .ok();
        tag.or(branch)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

/// `safe.directory=DIR` as git's command-scope configuration in the
/// environment, after the entries the user's environment already has.
pub fn safe_directory_env(env: &BTreeMap<String, String>, dir: &Path) -> Vec<(String, String)> {
    let count: usize = env
        .get("GIT_CONFIG_COUNT")
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    vec![
        ("GIT_CONFIG_COUNT".to_string(), (count + 1).to_string()),
        (
            format!("GIT_CONFIG_KEY_{count}"),
            "safe.directory".to_string(),
        ),
        (
            format!("GIT_CONFIG_VALUE_{count}"),
            dir.display().to_string(),
        ),
    ]
}

/// `HASH UNIXTIME`.
fn parse_log(text: &str) -> Option<GitFacts> {
    let (commit, time) = text.trim().split_once(' ')?;
    let ok = commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    Some(GitFacts {
        commit: commit.to_string(),
        commit_time: time.parse().ok()?,
    })
    .filter(|_| ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_directory_comes_after_the_users_own_git_configuration() {
        let dir = Path::new("/tmp/src");
        assert_eq!(
            safe_directory_env(&BTreeMap::new(), dir),
            [
                ("GIT_CONFIG_COUNT".to_string(), "1".to_string()),
                ("GIT_CONFIG_KEY_0".to_string(), "safe.directory".to_string()),
                ("GIT_CONFIG_VALUE_0".to_string(), "/tmp/src".to_string()),
            ]
        );
        let users = BTreeMap::from([
            ("GIT_CONFIG_COUNT".to_string(), "2".to_string()),
            (
                "GIT_CONFIG_KEY_0".to_string(),
                "url.https://x/.insteadOf".to_string(),
            ),
        ]);
        let env = safe_directory_env(&users, dir);
        assert_eq!(env[0], ("GIT_CONFIG_COUNT".to_string(), "3".to_string()));
        assert_eq!(env[1].0, "GIT_CONFIG_KEY_2");
        assert_eq!(env[2].0, "GIT_CONFIG_VALUE_2");
    }

    #[test]
    fn the_last_commit_as_git_log_prints_it() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            parse_log(&format!("{commit} 1704164645\n")),
            Some(GitFacts {
                commit: commit.into(),
                commit_time: 1_704_164_645
            })
        );
        assert_eq!(parse_log(""), None);
        assert_eq!(parse_log("HEAD 12"), None);
    }

    #[test]
    fn no_git_dir_is_no_stamping_and_no_git_run() {
        let dir = tempfile::tempdir().unwrap();
        let vcs = Vcs::probe(dir.path(), true, &BTreeMap::new());
        assert_eq!(vcs.stamping, Stamping::Off("no .git in the sources".into()));
        assert!(vcs.git_env.is_empty() && vcs.facts.is_none() && !vcs.found_git_dir());
    }
}
