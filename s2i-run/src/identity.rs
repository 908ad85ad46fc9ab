//! Who the program runs as, in the variables programs ask: `USER`,
//! `LOGNAME`, `HOME`. OpenShift runs a container as an arbitrary UID that
//! may have no /etc/passwd entry, and Kubernetes sets no `USER`; Go's
//! `os/user.Current()` without cgo then fails ("requires cgo or $USER set
//! in environment"), and `HOME` may name a directory the UID cannot write.
//! So, where they are unset: the name of the UID's passwd entry, or
//! [`NO_ENTRY_NAME`] (the name OpenShift's images give the builder UID);
//! and a home the UID can write. /etc/passwd is only read, never written.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::libc;

/// `USER` and `LOGNAME` for a UID without a passwd entry.
pub const NO_ENTRY_NAME: &str = "default";

/// A UID's /etc/passwd entry: its name and home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub home: PathBuf,
}

/// The entry of `uid` in passwd-format `text`, the first one that names it.
pub fn entry(text: &str, uid: u32) -> Option<Entry> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, _, id, _, _, home, ..] = fields[..] else {
            return None;
        };
        (!name.is_empty() && id.parse::<u32>().ok()? == uid).then(|| Entry {
            name: name.to_string(),
            home: PathBuf::from(home),
        })
    })
}

/// This process's UID and its passwd entry, if it has one.
pub fn current() -> (u32, Option<Entry>) {
    // SAFETY: getuid(2) cannot fail.
    let uid = unsafe { libc::getuid() };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    (uid, entry(&passwd, uid))
}

/// The home to set, when `home` (the current `HOME`, if any) is not a
/// directory this UID can write: the entry's home, else `app_files`, the
/// first of them that is one; `None` to leave `HOME` as it is.
pub fn home_to_set(
    home: Option<&Path>,
    entry: Option<&Entry>,
    app_files: &Path,
) -> Option<PathBuf> {
    if home.is_some_and(writable_dir) {
        return None;
    }
    entry
        .map(|e| e.home.as_path())
        .into_iter()
        .chain([app_files])
        .find(|dir| writable_dir(dir))
        .map(Path::to_path_buf)
}

/// Whether `dir` is a directory this process can create files in.
pub fn writable_dir(dir: &Path) -> bool {
    dir.is_absolute()
        && dir.is_dir()
        && CString::new(dir.as_os_str().as_bytes())
            // SAFETY: access(2) on a valid C string.
            .is_ok_and(|p| unsafe { libc::access(p.as_ptr(), libc::W_OK | libc::X_OK) } == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          broken line\n\
                          ::5:0::/nowhere:\n\
                          default:x:1001:0:Default Application User:/opt/app-root/src:/sbin/nologin\n";

    #[test]
    fn finds_the_entry_of_a_uid() {
        assert_eq!(
            entry(PASSWD, 1001),
            Some(Entry {
                name: "default".into(),
                home: "/opt/app-root/src".into()
            })
        );
        assert_eq!(entry(PASSWD, 0).unwrap().name, "root");
        assert_eq!(entry(PASSWD, 100001), None);
        assert_eq!(entry(PASSWD, 5), None, "an entry with no name");
        assert_eq!(entry("", 0), None);
    }

    #[test]
    fn home_is_kept_when_writable_else_the_entry_s_else_the_app_files() {
        let writable = tempfile::tempdir().unwrap();
        let app_files = tempfile::tempdir().unwrap();
        let missing = Path::new("/nonexistent/home");
        let entry_at = |home: &Path| Entry {
            name: "x".into(),
            home: home.to_path_buf(),
        };
        assert_eq!(
            home_to_set(Some(writable.path()), None, app_files.path()),
            None
        );
        assert_eq!(
            home_to_set(None, Some(&entry_at(writable.path())), app_files.path()),
            Some(writable.path().to_path_buf())
        );
        assert_eq!(
            home_to_set(Some(missing), Some(&entry_at(missing)), app_files.path()),
            Some(app_files.path().to_path_buf())
        );
        assert_eq!(
            home_to_set(Some(Path::new("relative")), None, app_files.path()),
            Some(app_files.path().to_path_buf())
        );
        assert_eq!(home_to_set(None, None, missing), None);
    }
}
