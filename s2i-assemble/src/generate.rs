//! Code that `go generate` makes and the sources lack. Generated files
//! are often left out of the repository (`.gitignore`), and an S2I build
//! runs no `go generate`: go then fails with `undefined: NAME` (or
//! `PKG.NAME`) and says nothing of generation. When the package that
//! should define the name has a `//go:generate` line, that line is most
//! likely what did not run; this module finds it, from the sources alone
//! and only after such a failure.

use std::fmt;
use std::path::Path;

use crate::goimports;

/// A `//go:generate` line and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `DIR/FILE.go:LINE`, relative to the sources.
    pub at: String,
    /// The line, `//go:generate` included.
    pub line: String,
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.line)
    }
}

/// The `//go:generate` line of the package of the sources that should define
/// what go said is undefined at `location` (`FILE.go:LINE`, relative to
/// `root`): the package of that file for `undefined: NAME`, the package it
/// imports as `PKG` for `undefined: PKG.NAME`. None when go said something
/// else, the file is not in the sources (a dependency's), or the package
/// has no such line.
pub fn behind_undefined(root: &Path, location: &str, message: &str) -> Option<Directive> {
    let name = message.strip_prefix("undefined: ")?;
    let (file, _line) = location.rsplit_once(':')?;
    if file.starts_with("..") || file.starts_with('/') {
        return None;
    }
    let file = Path::new(file);
    let package_dir = match name.split_once('.') {
        None => file.parent()?.to_path_buf(),
        Some(_) => {
            let path = goimports::behind_qualifier(root, location, message)?;
            crate::own_package::dir_of_import(root, &path)?
        }
    };
    first_directive(root, &package_dir)
}

/// The `//go:generate` line of the `.go` files of `dir` (relative to
/// `root`) that most likely makes what is missing: the first one that
/// names a `.go` file the package lacks (`-o gui.files.go`), else the
/// first that names none (`stringer -type=Kind`). One whose `.go` files
/// are all there made what it makes already, and is passed over.
fn first_directive(root: &Path, dir: &Path) -> Option<Directive> {
    let package_dir = root.join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&package_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .filter(|name| name.to_string_lossy().ends_with(".go"))
        .collect();
    files.sort();
    let mut names_none = None;
    for name in &files {
        let Ok(text) = std::fs::read_to_string(package_dir.join(name)) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            if !line.starts_with("//go:generate ") {
                continue;
            }
            let directive = || Directive {
                at: format!("{}:{}", dir.join(name).display(), number + 1),
                line: line.trim_end().to_string(),
            };
            let named = go_files_named(line);
            if named.iter().any(|file| !package_dir.join(file).exists()) {
                return Some(directive());
            }
            if named.is_empty() && names_none.is_none() {
                names_none = Some(directive());
            }
        }
    }
    names_none
}

/// The `.go` files a `//go:generate` line names (`-o out.go`,
/// `-destination=mocks/x.go`, `"gen.go"`), relative to its package, and
/// the one `stringer -type=Kind` writes without naming it
/// (`kind_string.go`).
fn go_files_named(line: &str) -> Vec<String> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == '=')
        .map(|word| word.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    let mut named: Vec<String> = words
        .iter()
        .filter(|word| word.ends_with(".go") && !word.contains("://"))
        .map(|word| word.to_string())
        .collect();
    let stringer = words
        .iter()
        .any(|w| *w == "stringer" || w.ends_with("/stringer"));
    if stringer && named.is_empty() {
        let first_type = words
            .iter()
            .position(|w| *w == "-type" || *w == "--type")
            .and_then(|at| words.get(at + 1))
            .and_then(|types| types.split(',').next());
        if let Some(first_type) = first_type.filter(|t| !t.is_empty()) {
            named.push(format!("{}_string.go", first_type.to_lowercase()));
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_files_a_directive_names() {
        assert_eq!(
            go_files_named("//go:generate go run ../gen.go -o \"gui.files.go\" ../gui"),
            ["../gen.go", "gui.files.go"]
        );
        assert_eq!(
            go_files_named("//go:generate mockgen -destination=mocks/store.go . Store"),
            ["mocks/store.go"]
        );
        assert_eq!(
            go_files_named("//go:generate go run golang.org/x/tools/cmd/stringer -type=Kind,Mode"),
            ["kind_string.go"]
        );
        assert_eq!(
            go_files_named("//go:generate stringer -type Pill -output pill_names.go"),
            ["pill_names.go"]
        );
        assert!(go_files_named("//go:generate protoc --go_out=. api.proto").is_empty());
    }

    #[test]
    fn the_generate_line_of_the_package_that_should_define_the_name() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("go.mod", "module example.com/x\n\ngo 1.21\n");
        write(
            "cmd/srv/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x/lib/api/auto\"\n)\n\nfunc main() { fmt.Println(auto.Assets()) }\n",
        );
        write(
            "lib/api/auto/doc.go",
            "// Package auto holds the GUI's assets.\npackage auto\n\n//go:generate go run ../../../script/genassets.go -o gui.files.go ../../../gui\n",
        );
        write(
            "lib/api/auto/noassets.go",
            "//go:build noassets\n\npackage auto\n",
        );
        write("script/genassets.go", "package main\n");
        // Its output is there: passed over for the line whose is not.
        write(
            "lib/api/auto/a_mocks.go",
            "package auto\n\n//go:generate mockgen -destination=a_mocks.go . Store\n",
        );
        // A typo, in a package whose only directive made its file.
        write(
            "internal/store/store.go",
            "package store\n\n//go:generate mockgen -destination=store_mock.go . Store\n",
        );
        write("internal/store/store_mock.go", "package store\n");
        write(
            "internal/version/version.go",
            "package version\n\n//go:generate stringer -type=Kind\n\nvar _ = Kind(0).String()\n",
        );
        let found = |location: &str, message: &str| {
            behind_undefined(root.path(), location, message).map(|d| d.to_string())
        };
        assert_eq!(
            found("cmd/srv/main.go:9", "undefined: auto.Assets").as_deref(),
            Some("lib/api/auto/doc.go:4: //go:generate go run ../../../script/genassets.go -o gui.files.go ../../../gui")
        );
        assert_eq!(
            found("internal/version/version.go:5", "undefined: Kind").as_deref(),
            Some("internal/version/version.go:3: //go:generate stringer -type=Kind")
        );
        // No go:generate where the name should be; not an undefined name;
        // a package of another module; a dependency's file.
        assert_eq!(found("cmd/srv/main.go:9", "undefined: srv"), None);
        assert_eq!(found("internal/store/store.go:5", "undefined: Sotre"), None);
        // stringer's file is there: a typo is a typo.
        write("internal/version/kind_string.go", "package version\n");
        assert_eq!(
            found("internal/version/version.go:5", "undefined: Kidn"),
            None
        );
        assert_eq!(found("cmd/srv/main.go:9", "undefined: fmt.Nope"), None);
        assert_eq!(found("lib/api/auto/doc.go:4", "syntax error"), None);
        assert_eq!(
            found("../mod/example.com/y@v1.0.0/y.go:3", "undefined: Kind"),
            None
        );
    }
}
