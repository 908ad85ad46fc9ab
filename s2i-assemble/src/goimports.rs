//! The imports of a Go file, read from its text as far as the first
//! declaration: what a failure's `PKG.NAME` refers to.

use std::path::Path;

/// The imports of a Go file: `(alias, path)`, from single imports and
/// import blocks, up to the first declaration.
fn imports(text: &str) -> Vec<(Option<String>, String)> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if line.starts_with(')') {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("import") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            rest
        } else if ["func ", "type ", "var ", "const "]
            .iter()
            .any(|d| line.starts_with(d))
        {
            break;
        } else {
            continue;
        };
        if let Some(import) = import_spec(spec) {
            found.push(import);
        }
    }
    found
}

/// `"path"` or `alias "path"`.
fn import_spec(spec: &str) -> Option<(Option<String>, String)> {
    let (alias, quoted) = match spec.split_once(char::is_whitespace) {
        Some((alias, quoted)) if !alias.starts_with('"') => (Some(alias), quoted.trim()),
        _ => (None, spec),
    };
    let path = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some((alias.map(String::from), path.to_string()))
}

/// The name a package is most likely declared with: the name go gives
/// its program ([`crate::detect::binary_name`]: the last element, a major
/// version suffix skipped), `.vN` (`yaml.v3`) left off.
fn package_name(path: &str) -> String {
    let name = crate::detect::binary_name(path);
    match name.split_once(".v") {
        Some((name, _)) => name.to_string(),
        None => name,
    }
}

/// For go's `undefined: PKG.NAME` at `location` (`FILE:LINE`, relative to
/// `dir`): the import path that file imports as `PKG`. None for another
/// message, or an unreadable file.
pub fn behind_qualifier(dir: &Path, location: &str, message: &str) -> Option<String> {
    let (qualifier, _) = message.strip_prefix("undefined: ")?.split_once('.')?;
    let (file, _line) = location.rsplit_once(':')?;
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    imported_as(&text, qualifier)
}

/// The import path a Go file's `text` imports as `qualifier` (its alias,
/// or the package's likely name).
fn imported_as(text: &str, qualifier: &str) -> Option<String> {
    imports(text)
        .into_iter()
        .find(|(alias, path)| match alias {
            Some(alias) => alias == qualifier,
            None => package_name(path) == qualifier,
        })
        .map(|(_, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_single_and_in_blocks_with_aliases() {
        let text = "package main\n\nimport \"fmt\"\nimport b \"example.com/x/lib/b\"\n\nimport (\n\t\"os\" // why\n\n\tauto \"example.com/x/lib/api/auto\"\n\t_ \"embed\"\n\t\"gopkg.in/yaml.v3\"\n)\n\nfunc main() {}\n\nimport \"late\"\n";
        assert_eq!(
            imports(text),
            [
                (None, "fmt".to_string()),
                (Some("b".to_string()), "example.com/x/lib/b".to_string()),
                (None, "os".to_string()),
                (
                    Some("auto".to_string()),
                    "example.com/x/lib/api/auto".to_string()
                ),
                (Some("_".to_string()), "embed".to_string()),
                (None, "gopkg.in/yaml.v3".to_string()),
            ]
        );
    }

    #[test]
    fn package_names_from_paths() {
        assert_eq!(
            package_name("github.com/syncthing/syncthing/lib/api/auto"),
            "auto"
        );
        assert_eq!(package_name("github.com/x/y/v2"), "y");
        assert_eq!(package_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(package_name("fmt"), "fmt");
    }

    /// As syncthing lays it out: lib/api/auto's doc.go generates
    /// gui.files.go, which defines Assets; the repository lacks it.
    #[test]
    fn the_import_a_qualifier_names() {
        let text = "package flux\n\nimport (\n\t\"context\"\n\n\t\"github.com/influxdata/flux/libflux/go/libflux\"\n\tyaml \"gopkg.in/yaml.v3\"\n)\n";
        assert_eq!(
            imported_as(text, "libflux").as_deref(),
            Some("github.com/influxdata/flux/libflux/go/libflux")
        );
        assert_eq!(
            imported_as(text, "yaml").as_deref(),
            Some("gopkg.in/yaml.v3")
        );
        assert_eq!(imported_as(text, "json"), None);
    }
}
