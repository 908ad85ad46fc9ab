//! What detection decided, remembered for the next incremental build: the
//! packages `go list -find` found, in a small note at the top of the build
//! cache (`$GOCACHE/s2i-go-detected`, which s2i-save-artifacts streams with
//! the cache and s2i-cache restores as one of the cache's notes). On a
//! large module whose root is a library, finding the main packages costs
//! two go starts (the root tried as the main package, then `go list
//! -find`), each of them loading the whole module.
//!
//! The note holds the listing and a digest of everything the listing
//! depends on: go's version, the kind of build, where go runs (the listing
//! holds absolute directories), go.mod's and go.work's
//! texts, the settings that choose or filter packages (GO_TARGETS, build
//! tags, the import URL, GOFLAGS, GOOS, GOARCH...), and the directory shape
//! (the paths of every `.go` file). When they are unchanged the listing is
//! used as go would give it again; any change and go is asked. A package
//! clause changed in place (no file added, removed or renamed) is not in the
//! digest: go's build then fails on the remembered targets, and the
//! pipeline asks `go list` again, as for a guessed root. The note also
//! holds what cgo being off left out of the build ([`crate::cgo::left_out`]), for
//! the same targets; with neither, there is no note. Only a GOCACHE in
//! the application root holds the note: another is not saved with the
//! artifacts, and may be shared by other builds.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cgo::LeftOut;
use crate::decide::{Facts, GoEnv, Listing};
use crate::detect::{Declared, Package};

/// The note's name, at the top of GOCACHE (s2i_cache::layout knows it).
pub const NOTE: &str = s2i_cache::layout::DETECTED_NOTE;

/// The largest note read.
const NOTE_MAX: u64 = 16 << 20;

/// The settings of go's environment that change what `go list` finds.
const LISTING_ENV: [&str; 10] = [
    "GOFLAGS",
    "GOOS",
    "GOARCH",
    "CGO_ENABLED",
    "GO111MODULE",
    "GOWORK",
    "GOPATH",
    "GOEXPERIMENT",
    "GOTOOLCHAIN",
    "GOROOT",
];

#[derive(Serialize, Deserialize)]
struct Note {
    /// [`digest`] of what the listing depends on.
    inputs: String,
    /// None when detection listed nothing (the root is the main package).
    packages: Option<Vec<Package>>,
    #[serde(default)]
    warnings: String,
    /// What cgo being off left out of the build ([`crate::cgo::left_out`]).
    #[serde(default)]
    cgo_left_out: Option<LeftOut>,
}

/// What the last build found, when its inputs were the same.
#[derive(Debug, Default)]
pub struct Recalled {
    pub listing: Option<Listing>,
    pub cgo_left_out: Option<LeftOut>,
}

/// The digest of what a listing depends on (see the module's text).
/// `go_shape` is [`crate::source::Copied::go_shape`].
pub fn digest(
    f: &Facts,
    env: &GoEnv,
    go_version: &str,
    declared: &Declared,
    go_shape: u64,
) -> String {
    let mut text = String::new();
    let _ = write!(
        text,
        "{go_version}\n{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{go_shape:x}\n",
        f.kind.describe(),
        f.build_dir,
        f.targets,
        f.config.tags,
        f.config.import_url,
        f.config.install_url,
        declared,
    );
    for name in LISTING_ENV {
        let _ = writeln!(text, "{name}={:?}", env.env.get(name));
    }
    for file in ["go.mod", "go.work"] {
        let _ = writeln!(
            text,
            "{file}: {:?}",
            std::fs::read(f.build_dir.join(file)).ok()
        );
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// What the last build remembered, when `inputs` are the same.
pub fn recall(gocache: &Path, inputs: &str) -> Recalled {
    read(gocache)
        .filter(|note| note.inputs == inputs)
        .map(|note| Recalled {
            listing: note.packages.map(|packages| Listing {
                packages,
                warnings: note.warnings,
            }),
            cgo_left_out: note.cgo_left_out,
        })
        .unwrap_or_default()
}

fn read(gocache: &Path) -> Option<Note> {
    // The note comes with the artifacts: read no more than a listing of
    // thousands of packages would take.
    let mut text = Vec::new();
    let note = std::fs::File::open(gocache.join(NOTE)).ok()?;
    note.take(NOTE_MAX + 1).read_to_end(&mut text).ok()?;
    if text.len() as u64 > NOTE_MAX {
        return None;
    }
    serde_json::from_slice(&text).ok()
}

/// Remembers `listing` and `cgo_left_out` for `inputs`; with neither,
/// forgets. Best effort: a note that cannot be written costs the next
/// build a `go list`, nothing else.
pub fn remember(
    gocache: &Path,
    inputs: &str,
    listing: Option<&Listing>,
    cgo_left_out: Option<&LeftOut>,
) {
    if listing.is_none() && cgo_left_out.is_none() {
        return forget(gocache);
    }
    let note = Note {
        inputs: inputs.to_string(),
        packages: listing.map(|l| l.packages.clone()),
        warnings: listing.map(|l| l.warnings.clone()).unwrap_or_default(),
        cgo_left_out: cgo_left_out.cloned(),
    };
    if let Ok(text) = serde_json::to_vec(&note) {
        let _ = std::fs::write(gocache.join(NOTE), text);
    }
}

/// Forgets what was remembered: the next build asks go.
fn forget(gocache: &Path) {
    let _ = std::fs::remove_file(gocache.join(NOTE));
}

/// FNV-1a, 64 bits: the same digest in every build, whatever the Rust.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_recalled_only_for_the_same_inputs() {
        let dir = tempfile::tempdir().unwrap();
        assert!(recall(dir.path(), "a").listing.is_none());
        let listing = Listing {
            packages: vec![Package {
                import_path: "example.com/x/cmd/x".into(),
                name: "main".into(),
                dir: "/src/cmd/x".into(),
                go_files: vec!["main.go".into()],
                ..Package::default()
            }],
            warnings: "go: warning\n".into(),
        };
        let listed = |inputs: &str| recall(dir.path(), inputs).listing;
        remember(dir.path(), "a", Some(&listing), None);
        let recalled = listed("a").unwrap();
        assert_eq!(recalled.packages, listing.packages);
        assert_eq!(recalled.warnings, listing.warnings);
        assert!(listed("b").is_none());
        std::fs::write(dir.path().join(NOTE), "not json").unwrap();
        assert!(listed("a").is_none());
        remember(dir.path(), "a", Some(&listing), None);
        assert!(listed("a").is_some());
        // Valid JSON (trailing spaces), but larger than any listing: not read.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(NOTE))
            .unwrap();
        std::io::Write::write_all(&mut file, &vec![b' '; NOTE_MAX as usize]).unwrap();
        assert!(listed("a").is_none());
        // Nothing to remember: forgotten.
        remember(dir.path(), "a", None, None);
        assert!(!dir.path().join(NOTE).exists());
    }

    #[test]
    fn what_cgo_left_out_is_remembered_without_a_listing() {
        let dir = tempfile::tempdir().unwrap();
        let left_out = LeftOut {
            targets: vec![".".into()],
            packages: vec!["github.com/mattn/go-sqlite3".into()],
            ..LeftOut::default()
        };
        remember(dir.path(), "a", None, Some(&left_out));
        let recalled = recall(dir.path(), "a");
        // No listing is made up: the root stays the main package.
        assert!(recalled.listing.is_none());
        assert_eq!(recalled.cgo_left_out, Some(left_out));
        assert!(recall(dir.path(), "b").cgo_left_out.is_none());
    }

    /// A note of the version before cgo_left_out still gives its listing.
    #[test]
    fn an_older_note_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(NOTE),
            r#"{"inputs":"a","packages":[{"ImportPath":"example.com/x","Name":"main","Dir":"/src"}],"warnings":""}"#,
        )
        .unwrap();
        let recalled = recall(dir.path(), "a");
        assert_eq!(recalled.listing.unwrap().packages.len(), 1);
        assert!(recalled.cgo_left_out.is_none());
    }

    #[test]
    fn fnv1a_is_fnv1a() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
