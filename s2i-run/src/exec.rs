//! Turning a [`Target`] into an `execve` call, and an `execve` error into the
//! shells' exit statuses (127 not found, 126 cannot execute) with a message
//! that says what to fix.
//!
//! Everything is prepared before any fork, so that the supervisor's child
//! only has to call `execve`.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::libc;

use crate::errors::{self, Error};
use crate::target::Target;

/// Where execvp looks when PATH is unset.
const DEFAULT_PATH: &str = s2i_common::settings::run::PATH.default;

/// A ready `execve`: path, argv and envp as C strings, with their pointer arrays.
pub struct Prepared {
    pub path: PathBuf,
    pub target: Target,
    c_path: CString,
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

/// Changes to the target's working directory, and finds its program, to
/// start it with `environment`.
pub fn prepare(target: Target, environment: Vec<(OsString, OsString)>) -> Result<Prepared, Error> {
    if let Some(dir) = &target.workdir {
        std::env::set_current_dir(dir).map_err(|e| Error::NoWorkdir {
            program: target.describe(),
            dir: dir.clone(),
            reason: s2i_common::display::reason(&e),
        })?;
    }
    let path = locate(&target, &environment)?;

    let c_string = |bytes: Vec<u8>, what: &'static str| {
        CString::new(bytes).map_err(|_| Error::NulByte { what })
    };
    let c_path = c_string(path.as_os_str().as_bytes().to_vec(), "the program's path")?;
    let mut strings = Vec::new();
    strings.push(c_string(
        target.program.as_bytes().to_vec(),
        "the program's name",
    )?);
    for arg in &target.args {
        strings.push(c_string(arg.as_bytes().to_vec(), "an argument")?);
    }
    let argc = strings.len();
    for (name, value) in environment {
        let mut entry = name.into_vec();
        entry.push(b'=');
        entry.extend(value.into_vec());
        strings.push(c_string(entry, "an environment variable")?);
    }
    let pointers = |range: &[CString]| {
        let mut p: Vec<*const libc::c_char> = range.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let argv = pointers(&strings[..argc]);
    let envp = pointers(&strings[argc..]);
    Ok(Prepared {
        path,
        target,
        c_path,
        _strings: strings,
        argv,
        envp,
    })
}

/// The program's path: as given when it has a `/`, else the first match in
/// PATH that can be executed (or, failing that, one that exists, so that
/// the error says "permission denied" as execvp's would).
fn locate(target: &Target, environment: &[(OsString, OsString)]) -> Result<PathBuf, Error> {
    let program = Path::new(&target.program);
    if target.program.as_bytes().contains(&b'/') {
        return Ok(program.to_path_buf());
    }
    let search = environment
        .iter()
        .rev()
        .find(|(name, _)| name == s2i_common::settings::run::PATH.name)
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| DEFAULT_PATH.into());
    let mut not_executable = None;
    for dir in std::env::split_paths(&search) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        if !candidate.metadata().is_ok_and(|m| !m.is_dir()) {
            continue;
        }
        if is_executable(&candidate) {
            return Ok(candidate);
        }
        not_executable.get_or_insert(candidate);
    }
    not_executable.ok_or_else(|| Error::NotInPath {
        program: target.describe(),
        path: search.to_string_lossy().into_owned(),
    })
}

fn is_executable(path: &Path) -> bool {
    CString::new(path.as_os_str().as_bytes())
        // SAFETY: access(2) on a valid C string.
        .is_ok_and(|p| unsafe { libc::access(p.as_ptr(), libc::X_OK) } == 0)
}

impl Prepared {
    /// Replaces this process with the program; returns only on failure,
    /// with the `errno` of `execve`. Async-signal-safe: fit for a forked child.
    pub fn execve(&self) -> i32 {
        // SAFETY: the path and the null-terminated arrays point into strings
        // owned by `self`, alive for the call.
        unsafe { libc::execve(self.c_path.as_ptr(), self.argv.as_ptr(), self.envp.as_ptr()) };
        errors::last_errno()
    }

    /// The interpreter a script's `#!` line names, if it has one.
    fn interpreter(&self) -> Option<String> {
        use std::io::Read;
        let mut head = [0u8; 256];
        let n = std::fs::File::open(&self.path).ok()?.read(&mut head).ok()?;
        let line = head[..n]
            .strip_prefix(b"#!")?
            .split(|&b| b == b'\n')
            .next()?;
        let line = String::from_utf8_lossy(line);
        line.split_whitespace().next().map(str::to_string)
    }

    /// What to say, and exit with, when `execve` failed with `errno`.
    pub fn exec_failure(&self, errno: i32) -> Error {
        let program = self.target.describe();
        match errno {
            libc::ENOENT if self.path.symlink_metadata().is_ok() => match self.interpreter() {
                Some(interpreter) => Error::NoInterpreter {
                    program,
                    interpreter,
                },
                None => Error::NoLoader { program },
            },
            libc::ENOENT => self.target.not_found(),
            libc::EACCES if self.path.is_dir() => Error::IsDirectory { program },
            libc::EACCES => Error::PermissionDenied { program },
            libc::ENOEXEC => Error::NotExecutableFormat { program },
            other => Error::ExecFailed {
                program,
                reason: errors::errno_text(other),
            },
        }
    }
}
