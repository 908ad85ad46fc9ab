//! Go for tests: finding a toolchain, running it hermetically and offline, a
//! local `file://` module proxy, copies of the fixture apps, and a generated
//! app of realistic size for benchmarks.
//!
//! Hermetic means: no test reaches the network (GOPROXY=off unless a test
//! points it at a [`ModuleProxy`]), downloads a toolchain (GOTOOLCHAIN=local),
//! or reads or writes this machine's real Go caches and settings (GOCACHE,
//! GOMODCACHE, GOPATH and HOME point at test-owned folders, and every inherited
//! `GO*`/`CGO_*` variable is dropped).
//!
//! Build cache sharing: Go compiles the standard library into GOCACHE on first
//! use (about 12 s on two cores). Unless a test passes its own [`GoDirs`], every
//! [`Go`] shares one GOCACHE per Go version, `$TMPDIR/s2i-tests-go/go<version>/go-build`,
//! across tests and across runs. That is safe: Go's build cache is keyed by
//! content hashes and is made for concurrent use by several `go` processes.
//! Tests that observe the cache itself (cold vs warm, incremental restores)
//! must pass their own [`GoDirs`] instead. GOMODCACHE, GOPATH and HOME are
//! private to each [`Go`] (a temporary folder removed when it drops), so a
//! module downloaded by one test is never seen by another.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{fixtures_dir, require_tool, skip};

/// A Go toolchain found for a test, with the folders its commands use.
pub struct Go {
    /// The `go` binary.
    pub bin: PathBuf,
    /// The toolchain's version without the `go` prefix, e.g. "1.27.3".
    pub version: String,
    /// The GOCACHE, GOMODCACHE, GOPATH and HOME its commands get.
    pub dirs: GoDirs,
    /// Owns the private folders of the default [`GoDirs`]; removed on drop.
    _scratch: Scratch,
}

/// The folders a hermetic Go command writes to.
#[derive(Clone, Debug)]
pub struct GoDirs {
    /// GOCACHE: the build cache.
    pub gocache: PathBuf,
    /// GOMODCACHE: downloaded modules (Go makes them read-only; see [`remove_tree`]).
    pub gomodcache: PathBuf,
    /// GOPATH: the GOPATH-mode workspace (and `go install`'s default bin).
    pub gopath: PathBuf,
    /// HOME: where Go would otherwise find user settings (`go env -w`, telemetry).
    pub home: PathBuf,
}

impl GoDirs {
    /// `root/go-build`, `root/go-mod`, `root/gopath` and `root/home`, created.
    /// For tests that watch the caches; remove `root` with [`remove_tree`].
    pub fn under(root: &Path) -> GoDirs {
        let dirs = GoDirs {
            gocache: root.join("go-build"),
            gomodcache: root.join("go-mod"),
            gopath: root.join("gopath"),
            home: root.join("home"),
        };
        for dir in [&dirs.gocache, &dirs.gomodcache, &dirs.gopath, &dirs.home] {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        dirs
    }
}

/// The `go` on PATH, or a loud skip (a panic under CI).
/// Its commands share the per-version GOCACHE described in the module docs.
pub fn require_go(test: &str) -> Option<Go> {
    let bin = require_tool("go", test)?;
    Some(Go::at(&bin).unwrap_or_else(|e| panic!("{test}: {} does not work: {e}", bin.display())))
}

/// Where Debian's golang-1.19-go (which `.ci/run` installs) puts `go`.
pub const DEBIAN_OLD_GO: &str = "/usr/lib/go-1.19/bin/go";

/// The old Go named by `$S2I_TEST_OLD_GO` (`cargo xtask test` names
/// Debian's Go 1.19), else Debian's Go 1.19 where it is installed, or a loud
/// skip (a panic under CI). For "go.mod asks for a newer Go than this
/// builder has", and Go 1.19's own messages.
pub fn require_old_go(test: &str) -> Option<Go> {
    let named = std::env::var_os("S2I_TEST_OLD_GO").filter(|v| !v.is_empty());
    let Some(bin) = named.or_else(|| {
        Path::new(DEBIAN_OLD_GO)
            .is_file()
            .then(|| DEBIAN_OLD_GO.into())
    }) else {
        return skip(
            test,
            &format!("S2I_TEST_OLD_GO is not set and {DEBIAN_OLD_GO} is missing (apt-get install golang-1.19-go)"),
        );
    };
    let bin = PathBuf::from(bin);
    if !bin.is_file() {
        return skip(
            test,
            &format!("S2I_TEST_OLD_GO={} is not a file", bin.display()),
        );
    }
    Some(Go::at(&bin).unwrap_or_else(|e| panic!("{test}: {} does not work: {e}", bin.display())))
}

impl Go {
    /// The toolchain whose `go` binary is `bin`, with the default folders:
    /// the shared GOCACHE for its version and private GOMODCACHE/GOPATH/HOME.
    pub fn at(bin: &Path) -> io::Result<Go> {
        let scratch = Scratch::new()?;
        let private = GoDirs::under(scratch.path());
        let mut go = Go {
            bin: bin.to_path_buf(),
            version: String::new(),
            dirs: private,
            _scratch: scratch,
        };
        let output = go
            .command()
            .args(["env", "GOVERSION"])
            .current_dir(&go.dirs.home)
            .output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "`go env GOVERSION` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let reported = String::from_utf8_lossy(&output.stdout).trim().to_string();
        go.version = reported.strip_prefix("go").unwrap_or(&reported).to_string();
        go.dirs.gocache = shared_gocache(&go.version);
        std::fs::create_dir_all(&go.dirs.gocache)?;
        Ok(go)
    }

    /// The same toolchain with the folders the caller passes (e.g. from
    /// [`GoDirs::under`]), for tests that watch the caches themselves.
    pub fn with_dirs(mut self, dirs: GoDirs) -> Go {
        self.dirs = dirs;
        self
    }

    /// `go` with the hermetic environment of [`Go::hermetic_env`], plus
    /// CGO_ENABLED=0 as `s2i-assemble` builds by default (static binaries,
    /// no C compiler needed, the same result on every machine).
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        self.hermetic_env(&mut command).env("CGO_ENABLED", "0");
        command
    }

    /// Gives any command (e.g. `s2i-assemble`) the environment of a hermetic,
    /// offline Go: drops every inherited `GO*` and `CGO_*` variable (GOROOT,
    /// GOFLAGS, GOPATH, GO111MODULE, GOWORK...), puts this Go's folder first on
    /// PATH, and sets GOTOOLCHAIN=local, GOPROXY=off, GOSUMDB=off,
    /// GOTELEMETRY=off and GOCACHE/GOMODCACHE/GOPATH/HOME to [`Go::dirs`].
    /// Set GOPROXY (to [`ModuleProxy::url`]) or other variables afterwards.
    /// A test of where a program puts Go's caches by itself (s2i-assemble's
    /// `$APP_ROOT/.cache/...`) removes GOCACHE/GOMODCACHE after this call
    /// (`env_remove`), since Go's variables, when set, win.
    pub fn hermetic_env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for (name, _) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("GO") || name_str.starts_with("CGO_") {
                command.env_remove(&name);
            }
        }
        // Go finds its settings file under the user config dir: keep it in HOME.
        command
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME");
        command
            .env("PATH", self.path_env())
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOSUMDB", "off")
            .env("GOTELEMETRY", "off")
            .env("GOCACHE", &self.dirs.gocache)
            .env("GOMODCACHE", &self.dirs.gomodcache)
            .env("GOPATH", &self.dirs.gopath)
            .env("HOME", &self.dirs.home)
    }

    /// PATH with this Go's `bin` folder first, so programs that look `go` up
    /// on PATH (like `s2i-assemble`) find this one.
    pub fn path_env(&self) -> OsString {
        let go_dir = self.bin.parent().unwrap_or(Path::new(".")).to_path_buf();
        let inherited = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![go_dir];
        dirs.extend(std::env::split_paths(&inherited));
        std::env::join_paths(dirs).expect("PATH entries have no ':'")
    }
}

/// The GOCACHE shared by every default [`Go`] of this version (module docs).
pub fn shared_gocache(version: &str) -> PathBuf {
    std::env::temp_dir()
        .join("s2i-tests-go")
        .join(format!("go{version}"))
        .join("go-build")
}

/// Runs `command`, panics with its stderr unless it succeeds, returns stdout.
pub fn output_ok(command: &mut Command) -> String {
    let output = run(command);
    if !output.status.success() {
        panic!(
            "{} failed ({}):\n{}",
            describe(command),
            output.status,
            text(&output)
        );
    }
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `command`, panics if it succeeds, returns its stderr.
pub fn output_err(command: &mut Command) -> String {
    let output = run(command);
    if output.status.success() {
        panic!(
            "{} unexpectedly succeeded:\n{}",
            describe(command),
            text(&output)
        );
    }
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", describe(command)))
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    format!("`{}`", words.join(" "))
}

fn text(output: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Removes a folder tree that may hold Go's read-only module cache (plain
/// `remove_dir_all`, and so `TempDir`'s drop, fails on it).
pub fn remove_tree(path: &Path) -> io::Result<()> {
    make_writable(path)?;
    std::fs::remove_dir_all(path)
}

fn make_writable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        let mode = meta.permissions().mode();
        if mode & 0o700 != 0o700 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o700))?;
        }
        for entry in std::fs::read_dir(path)? {
            make_writable(&entry?.path())?;
        }
    }
    Ok(())
}

/// A temporary folder that [`remove_tree`]s itself, read-only module cache included.
struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    fn new() -> io::Result<Scratch> {
        Ok(Scratch(Some(
            tempfile::Builder::new().prefix("s2i-tests-go-").tempdir()?,
        )))
    }
    fn path(&self) -> &Path {
        self.0.as_ref().expect("present until drop").path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = make_writable(dir.path());
            drop(dir);
        }
    }
}

/// A Go module proxy in a local folder, for GOPROXY=file://... (with
/// GOSUMDB=off, which [`Go::hermetic_env`] sets): the layout
/// `<module>/@v/list`, `<version>.info`, `<version>.mod`, `<version>.zip`.
pub struct ModuleProxy {
    root: PathBuf,
}

impl ModuleProxy {
    /// Writes a proxy into `dir` serving each `(module path, version, source
    /// folder)`: the `.mod` is the source's go.mod (or `module <path>` if it
    /// has none), the `.zip` holds every file of the source under
    /// `<module>@<version>/`. Module paths and versions are case-encoded
    /// (`!` + lowercase for each uppercase letter), as Go expects.
    pub fn build(dir: &Path, modules: &[(&str, &str, &Path)]) -> io::Result<ModuleProxy> {
        let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for &(module, version, source) in modules {
            let at_v = dir.join(case_encode(module)).join("@v");
            std::fs::create_dir_all(&at_v)?;
            let encoded = case_encode(version);
            let info = format!("{{\"Version\":\"{version}\",\"Time\":\"2024-01-01T00:00:00Z\"}}\n");
            std::fs::write(at_v.join(format!("{encoded}.info")), info)?;
            let go_mod = match std::fs::read(source.join("go.mod")) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    format!("module {module}\n").into_bytes()
                }
                Err(e) => return Err(e),
            };
            std::fs::write(at_v.join(format!("{encoded}.mod")), go_mod)?;
            let mut files = Vec::new();
            collect_files(source, source, &mut files)?;
            files.sort();
            let prefix = format!("{module}@{version}/");
            let mut zip = StoredZip::default();
            for relative in &files {
                zip.add(
                    &format!("{prefix}{relative}"),
                    &std::fs::read(source.join(relative))?,
                );
            }
            std::fs::write(at_v.join(format!("{encoded}.zip")), zip.finish())?;
            versions.entry(module).or_default().push(version);
        }
        for (module, listed) in versions {
            let list: String = listed.iter().map(|v| format!("{v}\n")).collect();
            std::fs::write(dir.join(case_encode(module)).join("@v/list"), list)?;
        }
        Ok(ModuleProxy {
            root: std::fs::canonicalize(dir)?,
        })
    }

    /// The GOPROXY value: `file:///abs/path`.
    pub fn url(&self) -> String {
        format!("file://{}", self.root.display())
    }

    /// The proxy's folder.
    pub fn dir(&self) -> &Path {
        &self.root
    }
}

/// The fixture library modules under tests/fixtures/modules, as a proxy in
/// `dir`: `example.com/greeting` v1.0.0 and v1.1.0 (their `Hello()` returns
/// "hello from greeting v1.0.0" / "... v1.1.0"). The `module-dep` fixture's
/// go.sum covers both versions, so switching its go.mod between them builds
/// with -mod=readonly.
pub fn fixture_proxy(dir: &Path) -> io::Result<ModuleProxy> {
    let modules = fixtures_dir().join("modules");
    let v100 = modules.join("greeting/v1.0.0");
    let v110 = modules.join("greeting/v1.1.0");
    ModuleProxy::build(
        dir,
        &[
            ("example.com/greeting", "v1.0.0", &v100),
            ("example.com/greeting", "v1.1.0", &v110),
        ],
    )
}

/// Rewrites the version `module` is required at in `app`/go.mod (a `require
/// module vX` line or a line of a `require (...)` block), leaving go.sum
/// alone: for "change one dependency's version" (the `module-dep` fixture's
/// go.sum already covers example.com/greeting v1.0.0 and v1.1.0).
pub fn set_requirement(app: &Path, module: &str, version: &str) -> io::Result<()> {
    let path = app.join("go.mod");
    let text = std::fs::read_to_string(&path)?;
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let (keyword, requirement) = match body.strip_prefix("require ") {
            Some(requirement) => ("require ", requirement),
            None => ("", body),
        };
        let mut words = requirement.split_whitespace();
        if words.next() == Some(module) && words.next().is_some_and(|v| v.starts_with('v')) {
            found = true;
            // Keep a trailing `// indirect` and the line ending.
            let comment = requirement
                .split_once("//")
                .map_or(String::new(), |(_, c)| format!(" //{}", c.trim_end()));
            let newline = if line.ends_with('\n') { "\n" } else { "" };
            out.push_str(&format!(
                "{indent}{keyword}{module} {version}{comment}{newline}"
            ));
        } else {
            out.push_str(line);
        }
    }
    if !found {
        return Err(io::Error::other(format!(
            "{} does not require {module}",
            path.display()
        )));
    }
    std::fs::write(&path, out)
}

/// Go's case encoding for module paths and versions in the proxy protocol.
fn case_encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            encoded.push('!');
            encoded.push(c.to_ascii_lowercase());
        } else {
            encoded.push(c);
        }
    }
    encoded
}

/// Files below `dir`, as `/`-separated paths relative to `root`, skipping
/// version-control folders (Go's module zips never hold them).
fn collect_files(root: &Path, dir: &Path, files: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !matches!(entry.file_name().to_str(), Some(".git" | ".hg" | ".svn")) {
                collect_files(root, &path, files)?;
            }
        } else if kind.is_file() {
            let relative = path.strip_prefix(root).expect("below root");
            let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
            files.push(parts.join("/"));
        }
    }
    Ok(())
}

/// The smallest zip writer Go accepts for module zips: stored (uncompressed)
/// entries with CRC-32, no directories, no zip64. Enough for tiny fixtures
/// and saves a dependency.
#[derive(Default)]
struct StoredZip {
    body: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl StoredZip {
    // 1980-01-01 00:00 in MS-DOS format: the zip epoch.
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = (1 << 5) | 1;

    fn add(&mut self, name: &str, data: &[u8]) {
        let offset = u32::try_from(self.body.len()).expect("fixture zips stay below 4 GiB");
        let size = u32::try_from(data.len()).expect("fixture files stay below 4 GiB");
        let crc = crc32(data);
        let name_len = u16::try_from(name.len()).expect("short names");
        let mut local = Vec::new();
        put32(&mut local, 0x0403_4b50);
        put16(&mut local, 20); // version needed: 2.0
        put16(&mut local, 0); // flags
        put16(&mut local, 0); // method: stored
        put16(&mut local, Self::DOS_TIME);
        put16(&mut local, Self::DOS_DATE);
        put32(&mut local, crc);
        put32(&mut local, size);
        put32(&mut local, size);
        put16(&mut local, name_len);
        put16(&mut local, 0); // extra length
        self.body.extend_from_slice(&local);
        self.body.extend_from_slice(name.as_bytes());
        self.body.extend_from_slice(data);

        let central = &mut self.central;
        put32(central, 0x0201_4b50);
        put16(central, 20); // made by: MS-DOS, 2.0 (attributes read as a plain file)
        put16(central, 20);
        put16(central, 0);
        put16(central, 0);
        put16(central, Self::DOS_TIME);
        put16(central, Self::DOS_DATE);
        put32(central, crc);
        put32(central, size);
        put32(central, size);
        put16(central, name_len);
        put16(central, 0); // extra length
        put16(central, 0); // comment length
        put16(central, 0); // disk number
        put16(central, 0); // internal attributes
        put32(central, 0); // external attributes
        put32(central, offset);
        central.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let central_offset = u32::try_from(self.body.len()).expect("small zip");
        let central_size = u32::try_from(self.central.len()).expect("small zip");
        self.body.append(&mut self.central);
        let end = &mut self.body;
        put32(end, 0x0605_4b50);
        put16(end, 0); // this disk
        put16(end, 0); // disk with the central directory
        put16(end, self.entries);
        put16(end, self.entries);
        put32(end, central_size);
        put32(end, central_offset);
        put16(end, 0); // comment length
        self.body
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected), as zip stores it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Copies the fixture tests/fixtures/`name` to `dest/name` (creating `dest`)
/// and returns that path: tests build copies, never the repository's tree.
/// Panics if the fixture is missing or the copy fails.
pub fn copy_fixture(name: &str, dest: &Path) -> PathBuf {
    let source = fixtures_dir().join(name);
    assert!(
        source.is_dir(),
        "no fixture {name:?} in {}",
        fixtures_dir().display()
    );
    let target = dest.join(name);
    copy_tree(&source, &target).unwrap_or_else(|e| {
        panic!(
            "cannot copy {} to {}: {e}",
            source.display(),
            target.display()
        )
    });
    target
}

fn copy_tree(source: &Path, target: &Path) -> io::Result<()> {
    std::fs::create_dir_all(target)?;
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        let to = target.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Standard packages the generated app's bottom layer uses, a realistic mix
/// (net/http and encoding/json weigh most in the build cache).
const GENERATED_STD: [&str; 8] = [
    "encoding/json",
    "net/http",
    "strings",
    "sort",
    "strconv",
    "crypto/sha256",
    "text/template",
    "regexp",
];

/// Packages per layer of the generated app.
const GENERATED_WIDTH: usize = 20;

/// Writes into `dest` (created) a module `example.com/generated` with
/// `packages` library packages in layers of 20, `pkg/lLL/pNNN` (package
/// `lLLpNNN`): the bottom layer uses standard packages (net/http,
/// encoding/json, text/template...), each higher package imports three of
/// the layer below, and `main.go` at the root imports the top layer and
/// prints `hello from generated app: <packages> packages, checksum <n>`.
/// Deterministic: the same `packages` gives the same files. For benchmarks
/// ("a generated app with a few hundred packages"). The main package and
/// more and more of each higher layer depend on `pkg/l00/p000/p.go`: a change
/// to a function body there recompiles that package and relinks; a change to
/// its exported API (e.g. a new exported func) also recompiles its importers,
/// as Go rebuilds dependents only when export data changes.
pub fn generate_app(dest: &Path, packages: usize) -> io::Result<()> {
    let packages = packages.max(1);
    std::fs::create_dir_all(dest)?;
    std::fs::write(
        dest.join("go.mod"),
        "module example.com/generated\n\ngo 1.19\n",
    )?;
    let layers = packages.div_ceil(GENERATED_WIDTH);
    let layer_len = |layer: usize| (packages - layer * GENERATED_WIDTH).min(GENERATED_WIDTH);
    for layer in 0..layers {
        for index in 0..layer_len(layer) {
            let dir = dest.join(format!("pkg/l{layer:02}/p{index:03}"));
            std::fs::create_dir_all(&dir)?;
            let imports: Vec<(String, String)> = if layer == 0 {
                Vec::new()
            } else {
                let below = layer_len(layer - 1);
                let mut picked: Vec<usize> = [index, index + 1, index + 7]
                    .iter()
                    .map(|i| i % below)
                    .collect();
                picked.sort_unstable();
                picked.dedup();
                picked
                    .into_iter()
                    .map(|i| {
                        let name = format!("l{:02}p{i:03}", layer - 1);
                        (
                            format!("example.com/generated/pkg/l{:02}/p{i:03}", layer - 1),
                            name,
                        )
                    })
                    .collect()
            };
            let std_pkg = GENERATED_STD[index % GENERATED_STD.len()];
            let source = generated_package(
                &format!("l{layer:02}p{index:03}"),
                layer,
                index,
                &imports,
                std_pkg,
            );
            std::fs::write(dir.join("p.go"), source)?;
        }
    }
    let top = layers - 1;
    let mut main = String::from(
        "// A generated app of realistic size, for build benchmarks.\npackage main\n\nimport (\n\t\"fmt\"\n\n",
    );
    for index in 0..layer_len(top) {
        let _ = writeln!(
            main,
            "\tl{top:02}p{index:03} \"example.com/generated/pkg/l{top:02}/p{index:03}\""
        );
    }
    main.push_str(")\n\nfunc main() {\n\tsum := 0\n");
    for index in 0..layer_len(top) {
        let _ = writeln!(main, "\tsum += l{top:02}p{index:03}.Value()");
    }
    let _ = writeln!(
        main,
        "\tfmt.Printf(\"hello from generated app: {packages} packages, checksum %d\\n\", sum%1000003)\n}}"
    );
    let mut file = std::fs::File::create(dest.join("main.go"))?;
    file.write_all(main.as_bytes())?;
    Ok(())
}

/// One generated library package: a type with JSON tags, a few functions
/// with real work in them, and `Value()` combining the packages it imports.
fn generated_package(
    name: &str,
    layer: usize,
    index: usize,
    imports: &[(String, String)],
    std_pkg: &str,
) -> String {
    let mut s = format!("// Package {name} is generated (layer {layer}, package {index}).\npackage {name}\n\nimport (\n");
    let _ = writeln!(s, "\t\"fmt\"");
    if layer == 0 {
        let _ = writeln!(s, "\t\"{std_pkg}\"");
    } else {
        let _ = writeln!(s);
        for (path, alias) in imports {
            let _ = writeln!(s, "\t{alias} \"{path}\"");
        }
    }
    s.push_str(")\n\n");
    let _ = write!(
        s,
        "// Record is a value this package works on.
type Record struct {{
	ID    int               `json:\"id\"`
	Name  string            `json:\"name\"`
	Tags  []string          `json:\"tags,omitempty\"`
	Attrs map[string]string `json:\"attrs,omitempty\"`
}}

// Describe formats r.
func (r Record) Describe() string {{
	return fmt.Sprintf(\"%d:%s:%v:%d\", r.ID, r.Name, r.Tags, len(r.Attrs))
}}

// Fold mixes the bytes of s into an int.
func Fold(s string, seed int) int {{
	h := seed
	for i := 0; i < len(s); i++ {{
		h = (h*31 + int(s[i])) % 1000003
	}}
	return h
}}

// Records makes n records.
func Records(n int) []Record {{
	out := make([]Record, 0, n)
	for i := 0; i < n; i++ {{
		out = append(out, Record{{ID: i, Name: fmt.Sprint(\"{name}-\", i), Tags: []string{{\"a\", \"b\"}}}})
	}}
	return out
}}

"
    );
    let base = layer * 1000 + index;
    if layer == 0 {
        let use_std = match std_pkg {
            "encoding/json" => "b, _ := json.Marshal(Records(2))\n\treturn len(b)",
            "net/http" => "return len(http.StatusText(http.StatusTeapot))",
            "strings" => "return len(strings.Repeat(\"ab\", 3))",
            "sort" => "xs := []int{3, 1, 2}\n\tsort.Ints(xs)\n\treturn xs[0]",
            "strconv" => "n, _ := strconv.Atoi(\"42\")\n\treturn n",
            "crypto/sha256" => "sum := sha256.Sum256([]byte(\"x\"))\n\treturn int(sum[0])",
            "text/template" => "return len(template.HTMLEscapeString(\"<a>\"))",
            "regexp" => "return len(regexp.MustCompile(`a+b`).FindString(\"xaab\"))",
            other => unreachable!("no use written for {other}"),
        };
        let _ = write!(
            s,
            "func useStd() int {{\n\t{use_std}\n}}\n\n// Value is this package's contribution.\nfunc Value() int {{\n\treturn Fold(Records(1)[0].Describe(), {base}) + useStd()\n}}\n"
        );
    } else {
        let _ = write!(
            s,
            "// Value is this package's contribution.\nfunc Value() int {{\n\tv := {base}\n"
        );
        for (_, alias) in imports {
            let _ = writeln!(s, "\tv += {alias}.Value()");
        }
        s.push_str("\treturn Fold(Records(1)[0].Describe(), v)\n}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn set_requirement_rewrites_single_and_block_requires() {
        let dir = tempfile::tempdir().unwrap();
        let go_mod = dir.path().join("go.mod");
        std::fs::write(&go_mod, "module m\n\nrequire example.com/a v1.0.0\n").unwrap();
        set_requirement(dir.path(), "example.com/a", "v1.1.0").unwrap();
        assert_eq!(
            std::fs::read_to_string(&go_mod).unwrap(),
            "module m\n\nrequire example.com/a v1.1.0\n"
        );

        let block = "module m\n\nrequire (\n\texample.com/ab v2.0.0\n\texample.com/a v1.0.0 // indirect\n)\n";
        std::fs::write(&go_mod, block).unwrap();
        set_requirement(dir.path(), "example.com/a", "v1.2.0").unwrap();
        assert_eq!(
            std::fs::read_to_string(&go_mod).unwrap(),
            "module m\n\nrequire (\n\texample.com/ab v2.0.0\n\texample.com/a v1.2.0 // indirect\n)\n"
        );
        let missing = set_requirement(dir.path(), "example.com/zzz", "v1.0.0").unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("does not require example.com/zzz"),
            "{missing}"
        );
    }

    #[test]
    fn case_encoding_marks_uppercase_letters() {
        assert_eq!(
            case_encode("github.com/Azure/azure-sdk"),
            "github.com/!azure/azure-sdk"
        );
        assert_eq!(case_encode("v1.0.0-RC1"), "v1.0.0-!r!c1");
    }
}
