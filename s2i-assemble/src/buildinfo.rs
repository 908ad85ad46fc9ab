//! The build information go embeds in every binary it links (module path,
//! every dependency's version and hash, the Go version, the build settings),
//! as `go version -m` reads it back: the exact input of the SBOM, with no
//! scanning.
//!
//! Go 1.24 and later print it as JSON (`go version -m -json`: the fields of
//! `runtime/debug.BuildInfo`); older toolchains (1.18 to 1.23) only as text,
//! which [`parse_text`] reads by the rules of Go's `debug.ParseBuildInfo`.
//! Both give the same [`BuildInfo`]. The toolchain that linked the binary
//! reads it, rather than a parser of our own of the binary's buildinfo blob:
//! go reads its own format for every object format (ELF, Mach-O and PE for
//! cross builds), and the blob's layout is go's internal business.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::errors::Error;
use crate::gotool;

/// `runtime/debug.BuildInfo`, as `go version -m -json` prints it (every
/// field may be left out when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BuildInfo {
    #[serde(default)]
    pub go_version: String,
    /// The main package's import path.
    #[serde(default)]
    pub path: String,
    /// The main module; empty in GOPATH mode.
    #[serde(default)]
    pub main: Module,
    #[serde(default)]
    pub deps: Vec<Module>,
    #[serde(default)]
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Module {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub version: String,
    /// The `h1:` hash, as go.sum has it.
    #[serde(default)]
    pub sum: String,
    /// What a `replace` directive put in its place.
    #[serde(default)]
    pub replace: Option<Box<Module>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Setting {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl BuildInfo {
    /// A build setting's value (`GOOS`, `vcs.revision`, `-tags`).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }
}

/// The first Go that prints `go version -m -json`.
const JSON_SINCE: (u32, u32) = (1, 24);

/// Reads `binary`'s build information with `go` (run in `dir`, with `env`).
pub fn read(
    go: &Path,
    go_version: &str,
    env: &BTreeMap<String, String>,
    dir: &Path,
    binary: &Path,
) -> Result<BuildInfo, Error> {
    let json = gotool::parse_version(go_version)
        .is_none_or(|(major, minor, _)| (major, minor) >= JSON_SINCE);
    let mut args = vec!["version", "-m"];
    if json {
        args.push("-json");
    }
    let command = format!("go {} {}", args.join(" "), binary.display());
    let failed = |detail: String| Error::GoCommand {
        command: command.clone(),
        detail,
    };
    let output = Command::new(go)
        .args(&args)
        .arg(binary)
        .current_dir(dir)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| failed(format!("cannot start {}: {e}", go.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(failed(
            stderr.lines().next().unwrap_or("no message").to_string(),
        ));
    }
    let parsed = if json {
        parse_json(&stdout)
    } else {
        parse_version_m(&stdout, &binary.display().to_string())
    };
    parsed.map_err(|why| failed(format!("cannot read its output: {why}")))
}

/// `go version -m -json`'s output.
pub fn parse_json(text: &str) -> Result<BuildInfo, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// `go version -m FILE`'s output: `FILE: goVERSION`, then the build
/// information's text, each line indented by a tab.
pub fn parse_version_m(text: &str, file: &str) -> Result<BuildInfo, String> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let go_version = first
        .strip_prefix(file)
        .and_then(|v| v.strip_prefix(": "))
        .ok_or_else(|| format!("expected `{file}: goVERSION`, got {first:?}"))?;
    let unindented: String = rest
        .lines()
        .map(|line| format!("{}\n", line.strip_prefix('\t').unwrap_or(line)))
        .collect();
    let mut info = parse_text(&unindented)?;
    info.go_version = go_version.trim().to_string();
    Ok(info)
}

/// The text form of `runtime/debug.BuildInfo` (its `String()`), read as
/// Go's `debug.ParseBuildInfo` reads it: `go`, `path`, `mod`, `dep`, `=>`
/// and `build` lines, tab-separated; a build setting's key or value is
/// Go-quoted when it holds a space, tab, newline, quote or backquote (and a
/// key also when it holds `=`).
pub fn parse_text(text: &str) -> Result<BuildInfo, String> {
    let mut info = BuildInfo::default();
    // Where a `=>` line puts its replacement: 0 the main module, n dep n-1.
    let mut last: Option<usize> = None;
    for (number, line) in text.lines().enumerate() {
        let at = |why: String| format!("line {}: {why}", number + 1);
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "go" => info.go_version = rest.to_string(),
            "path" => info.path = rest.to_string(),
            "mod" => {
                info.main = module_line(rest).map_err(at)?;
                last = Some(0);
            }
            "dep" => {
                info.deps.push(module_line(rest).map_err(at)?);
                last = Some(info.deps.len());
            }
            "=>" => {
                let columns: Vec<&str> = rest.split('\t').collect();
                let [path, version, sum] = columns[..] else {
                    return Err(at(format!(
                        "expected 3 columns for a replacement, got {}",
                        columns.len()
                    )));
                };
                let replacement = Box::new(Module {
                    path: path.into(),
                    version: version.into(),
                    sum: sum.into(),
                    replace: None,
                });
                match last.take() {
                    Some(0) => info.main.replace = Some(replacement),
                    Some(n) => info.deps[n - 1].replace = Some(replacement),
                    None => return Err(at("a replacement with no module before it".into())),
                }
            }
            "build" => info.settings.push(setting_line(rest).map_err(at)?),
            _ => {}
        }
    }
    Ok(info)
}

fn module_line(rest: &str) -> Result<Module, String> {
    let columns: Vec<&str> = rest.split('\t').collect();
    match columns[..] {
        [path, version] | [path, version, ""] => Ok(Module {
            path: path.into(),
            version: version.into(),
            ..Module::default()
        }),
        [path, version, sum] => Ok(Module {
            path: path.into(),
            version: version.into(),
            sum: sum.into(),
            replace: None,
        }),
        _ => Err(format!("expected 2 or 3 columns, got {}", columns.len())),
    }
}

fn setting_line(kv: &str) -> Result<Setting, String> {
    let (key, raw_value) = match kv.chars().next() {
        None => return Err("a build line without `=`".into()),
        Some('=') => return Err("a build line without a key".into()),
        Some('"' | '`') => {
            let (key, rest) = unquote_prefix(kv)?;
            let value = rest
                .strip_prefix('=')
                .ok_or("a build line without `=` after its quoted key")?;
            (key, value)
        }
        Some(_) => {
            let (key, value) = kv
                .split_once('=')
                .ok_or("a build line without `=` after its key")?;
            (key.to_string(), value)
        }
    };
    let value = if raw_value.starts_with(['"', '`']) {
        let (value, rest) = unquote_prefix(raw_value)?;
        if !rest.is_empty() {
            return Err(format!("text after the quoted value: {rest:?}"));
        }
        value
    } else {
        raw_value.to_string()
    };
    Ok(Setting { key, value })
}

/// The Go string literal at the start of `text` (as `strconv.Quote` or a
/// raw string writes it), decoded, and the rest of `text`.
fn unquote_prefix(text: &str) -> Result<(String, &str), String> {
    if let Some(raw) = text.strip_prefix('`') {
        let end = raw.find('`').ok_or("a raw string without its closing `")?;
        return Ok((raw[..end].to_string(), &raw[end + 1..]));
    }
    let body = text.strip_prefix('"').ok_or("expected a quoted string")?;
    let mut bytes = Vec::new();
    let mut chars = body.char_indices();
    let hex = |chars: &mut std::str::CharIndices, digits: usize| -> Result<u32, String> {
        let mut value = 0;
        for _ in 0..digits {
            let (_, c) = chars.next().ok_or("a cut escape")?;
            value = value * 16 + c.to_digit(16).ok_or(format!("{c:?} is no hex digit"))?;
        }
        Ok(value)
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let value = String::from_utf8_lossy(&bytes).into_owned();
                return Ok((value, &body[i + 1..]));
            }
            '\\' => {
                let (_, escape) = chars.next().ok_or("a cut escape")?;
                let simple = match escape {
                    'a' => Some(0x07),
                    'b' => Some(0x08),
                    'f' => Some(0x0c),
                    'n' => Some(b'\n'),
                    'r' => Some(b'\r'),
                    't' => Some(b'\t'),
                    'v' => Some(0x0b),
                    '\\' => Some(b'\\'),
                    '"' => Some(b'"'),
                    '\'' => Some(b'\''),
                    _ => None,
                };
                if let Some(byte) = simple {
                    bytes.push(byte);
                    continue;
                }
                match escape {
                    'x' => bytes.push(hex(&mut chars, 2)? as u8),
                    'u' | 'U' => {
                        let code = hex(&mut chars, if escape == 'u' { 4 } else { 8 })?;
                        let c = char::from_u32(code).ok_or(format!("\\{escape}{code:x}"))?;
                        bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    '0'..='7' => {
                        let mut value = escape.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let (_, d) = chars.next().ok_or("a cut escape")?;
                            value = value * 8 + d.to_digit(8).ok_or("a bad octal escape")?;
                        }
                        bytes.push(value as u8);
                    }
                    other => return Err(format!("unknown escape \\{other}")),
                }
            }
            c => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Err("a quoted string without its closing quote".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/buildinfo")
            .join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Each recorded binary: `go version -m` read as text gives what
    /// `go version -m -json` says (the fallback for Go before 1.24).
    #[test]
    fn text_and_json_agree_on_every_recording() {
        for case in crate::sbom::tests::RECORDED {
            let json = parse_json(&recorded(&format!("{case}.json"))).unwrap();
            let text = parse_version_m(&recorded(&format!("{case}.txt")), &format!("bin/{case}"))
                .unwrap_or_else(|e| panic!("{case}.txt: {e}"));
            assert_eq!(text, json, "{case}");
            assert!(
                !json.go_version.is_empty() && !json.path.is_empty(),
                "{case}"
            );
        }
    }

    #[test]
    fn quoted_settings_are_decoded_as_go_writes_them() {
        let info = parse_text(concat!(
            "build\t-ldflags=\"-s -w -X \\\"main.v=1 2\\\"\"\n",
            "build\tCGO_CFLAGS=\"-O2\\t-g\\n\\x41\\u00e9\"\n",
            "build\t\"odd=key\"=plain\n",
            "build\t-gcflags=`raw \\n`\n",
            "build\tempty=\n",
        ))
        .unwrap();
        let pairs: Vec<(&str, &str)> = info
            .settings
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("-ldflags", "-s -w -X \"main.v=1 2\""),
                ("CGO_CFLAGS", "-O2\t-g\nAé"),
                ("odd=key", "plain"),
                ("-gcflags", "raw \\n"),
                ("empty", ""),
            ]
        );
    }

    #[test]
    fn replacements_attach_to_the_module_before_them() {
        let info = parse_text(
            "path\tex/app\nmod\tex/app\t(devel)\t\ndep\tex/a\tv1.0.0\n=>\t./a\t(devel)\t\n\t\ndep\tex/b\tv1.0.0\th1:x=\n",
        )
        .unwrap();
        assert_eq!(info.deps[0].replace.as_ref().unwrap().path, "./a");
        assert_eq!(info.deps[1].sum, "h1:x=");
        assert!(info.deps[1].replace.is_none());
        assert!(parse_text("=>\ta\tb\tc\n").is_err());
        assert!(parse_text("dep\ta\n").is_err());
        assert!(parse_text("build\t=x\n").is_err());
        assert!(parse_text("build\t-tags=\"a\n").is_err());
    }
}
