//! The program's environment: s2i-run's own, plus what is set where it
//! has nothing: the run manifest's `[env]`, GOMEMLIMIT from the memory
//! limit, and `USER`, `LOGNAME`, `HOME` for the UID (see [`s2i_common::memlimit`]
//! and [`crate::identity`]). The same in both modes.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use s2i_common::memlimit;
use s2i_common::settings::{run, Setting};

use crate::cli::Config;
use crate::identity;

/// The variables s2i-run reads from the program's environment (for the
/// test that ties what s2i-run reads to the settings table).
#[cfg(test)]
pub const READS: &[Setting] = &[
    run::GOMEMLIMIT,
    run::USER,
    run::LOGNAME,
    run::HOME,
    run::PATH,
];

/// An environment as `execve` takes it, in order.
pub struct Environment(Vec<(OsString, OsString)>);

impl Environment {
    pub fn new(variables: Vec<(OsString, OsString)>) -> Environment {
        Environment(variables)
    }

    /// The value of `setting`'s variable, unless unset or empty.
    fn get(&self, setting: &Setting) -> Option<&OsStr> {
        self.0
            .iter()
            .rev()
            .find(|(name, _)| name == setting.name)
            .map(|(_, value)| value.as_os_str())
            .filter(|value| !value.is_empty())
    }

    /// Sets `name` unless the environment has it (even empty): the run
    /// manifest's `[env]`.
    pub fn set_default(&mut self, name: &str, value: &str) {
        if !self.0.iter().any(|(n, _)| n == name) {
            self.0.push((name.into(), value.into()));
        }
    }

    /// Sets `setting`'s variable, replacing an empty value.
    fn set(&mut self, setting: &Setting, value: OsString) {
        self.0.retain(|(name, _)| name != setting.name);
        self.0.push((setting.name.into(), value));
    }

    pub fn into_vec(self) -> Vec<(OsString, OsString)> {
        self.0
    }
}

/// Sets GOMEMLIMIT, USER, LOGNAME and HOME where they are unset, logging
/// what it does with `-v`.
pub fn complete(environment: &mut Environment, config: &Config, app_root: &Path) {
    let log = |line: String| {
        if config.verbose {
            eprintln!("s2i-run: {line}");
        }
    };
    if let Some(value) = environment.get(&run::GOMEMLIMIT) {
        log(format!(
            "GOMEMLIMIT={} is set: left as it is",
            value.to_string_lossy()
        ));
    } else if !config.gomemlimit {
        log("GOMEMLIMIT not set (S2I_RUN_GOMEMLIMIT=false)".to_string());
    } else {
        match memlimit::read(&config.cgroup_root) {
            Some(limit) => {
                let value = memlimit::gomemlimit(&limit, config.gomemlimit_share);
                log(format!(
                    "memory limit {} ({}): GOMEMLIMIT={value} ({}%)",
                    s2i_common::display::MiB(limit.bytes),
                    limit.file.display(),
                    config.gomemlimit_share
                ));
                environment.set(&run::GOMEMLIMIT, value.to_string().into());
            }
            None => log("no memory limit found: GOMEMLIMIT not set".to_string()),
        }
    }

    let needs_name =
        environment.get(&run::USER).is_none() || environment.get(&run::LOGNAME).is_none();
    let home = environment.get(&run::HOME).map(PathBuf::from);
    if !needs_name && home.as_deref().is_some_and(identity::writable_dir) {
        return; // the common case in an image: no need to read /etc/passwd
    }
    let (uid, entry) = identity::current();
    if needs_name {
        let name = entry
            .as_ref()
            .map_or(identity::NO_ENTRY_NAME, |e| e.name.as_str());
        for setting in [run::USER, run::LOGNAME] {
            if environment.get(&setting).is_none() {
                log(format!("{}={name} (UID {uid})", setting.name));
                environment.set(&setting, name.into());
            }
        }
    }
    let app_files = app_root.join(s2i_common::paths::APP_FILES_DIR);
    if let Some(new_home) = identity::home_to_set(home.as_deref(), entry.as_ref(), &app_files) {
        log(format!("HOME={} (UID {uid})", new_home.display()));
        environment.set(&run::HOME, new_home.into_os_string());
    }
}
