//! Every way s2i-assemble fails, each as one line that names the problem
//! and the fix. Go's own output, when there is any, has already been shown
//! above the line, untouched.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::gofailure::{GoFailure, LocalDir};
use s2i_common::display::{reason, Escaped, EscapedLine, MiB};

#[derive(Debug)]
pub enum Error {
    /// A bad command line: an option it does not know...
    UnknownOption {
        option: String,
    },
    /// ...one without its value (`--src` last)...
    MissingValue {
        option: String,
    },
    /// ...a value given to an option that takes none (`--dry-run=yes`)...
    UnexpectedValue {
        option: String,
        value: std::ffi::OsString,
    },
    /// ...or an argument, where it takes none.
    UnexpectedArgument {
        argument: std::ffi::OsString,
    },
    SourceMissing(PathBuf),
    SourceNotDirectory(PathBuf),
    SourceEmpty(PathBuf),
    /// A file or folder of the sources that cannot be read; `fix` is
    /// what to do about it (see [`Error::unreadable`]).
    SourceUnreadable {
        path: PathBuf,
        error: io::Error,
        fix: Unreadable,
    },
    /// `.s2i/environment` or `.s2i/go.toml` is a FIFO, a device, a
    /// directory...: not opened, not read.
    SettingsFileNotRegular {
        path: PathBuf,
        kind: &'static str,
    },
    /// `.s2i/environment` or `.s2i/go.toml` over `inputs::MAX_BYTES`.
    SettingsFileTooLarge {
        path: PathBuf,
        size: u64,
    },
    /// A line of `.s2i/environment` that makes no variable a program can get.
    EnvFileInvalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A FIFO, socket or device in the sources, with a name go reads:
    /// go would wait on it for ever.
    SpecialFileGoReads {
        path: PathBuf,
        kind: &'static str,
    },
    /// A symlink in the sources that leads out of them.
    SymlinkOutside {
        link: PathBuf,
        target: PathBuf,
    },
    /// No go.mod, go.work or `.go` file; `looks_like` names what it seems to be instead.
    NoGoSources {
        src: PathBuf,
        looks_like: Option<&'static str>,
    },
    /// No go.mod, go.work or `.go` file at the top, and go.mod files in
    /// these directories below it (shallowest first).
    ModuleBelowTheTop {
        modules: Vec<PathBuf>,
    },
    /// A GOPATH-era `vendor/` (no modules.txt) without IMPORT_URL.
    VendorNeedsImportUrl,
    GoTomlInvalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A setting whose value cannot be used.
    BadSetting {
        name: &'static str,
        value: String,
        why: String,
    },
    /// No `go` anywhere we looked.
    GoNotFound {
        looked: Vec<String>,
    },
    /// A `go` command that should not fail did (go's output is above).
    GoCommand {
        command: String,
        detail: String,
    },
    /// go.mod / go.work needs a newer Go than the builder's.
    GoTooOld {
        file: &'static str,
        needs: String,
        have: String,
    },
    TargetMissing {
        setting: TargetSetting,
        target: String,
        detail: String,
    },
    TargetNotMain {
        setting: TargetSetting,
        target: String,
        name: String,
    },
    NoMainPackage {
        /// Where main packages were looked for, and what is there.
        root: String,
        /// Main packages elsewhere in the sources (`./server`), for the fix.
        elsewhere: Vec<String>,
    },
    /// No main package go could load, and packages it could not load at
    /// all (each `PACKAGE: go's reason`), which may be the mains.
    MainsGoCannotLoad {
        root: String,
        packages: Vec<String>,
    },
    RunNotBuilt {
        run: String,
        built: Vec<String>,
    },
    /// Main packages `go build -o DIR/` would give the same name: one
    /// would overwrite the other.
    SameProgramName {
        binary: String,
        packages: Vec<String>,
    },
    AppRootNotWritable {
        path: PathBuf,
        error: io::Error,
    },
    /// The application root is the source directory (`same`) or above it:
    /// installing would replace the sources' files. The paths as shown.
    AppRootHoldsSources {
        app_root: String,
        src: String,
        same: bool,
    },
    /// An application root inside the sources that holds files of theirs.
    AppRootInSourcesNotEmpty {
        app_root: String,
        entry: String,
    },
    /// Any other file system failure, naming what was being done.
    Io {
        doing: String,
        path: PathBuf,
        error: io::Error,
    },
    /// A go command failed; its messages are above, and `failure` is what
    /// they say (see `gofailure`).
    GoFailed {
        command: &'static str,
        // Boxed, to keep `Error` small.
        status: Box<str>,
        failure: GoFailure,
    },
    /// A go command failed for want of disk space: go said it could not
    /// write `path`, or `path` (where go writes) has next to nothing free.
    DiskFull {
        command: &'static str,
        path: PathBuf,
        go_said_it: bool,
        available: u64,
    },
    /// A main package or a dependency needs cgo, and cgo is off.
    CgoDisabled {
        package: String,
        /// CGO_ENABLED=0 is this builder's default, not the user's setting.
        by_default: bool,
    },
    /// SIGTERM or SIGINT arrived: the build was stopped.
    Interrupted {
        signal: i32,
    },
    /// A `.netrc`, `.gitconfig` or `.git-credentials` that cannot be read
    /// or used; `line` where it is wrong. Never quotes a secret.
    CredentialFile {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    /// A `GO_TOKEN_<host>` variable that cannot be used (its value unsaid).
    TokenVariable {
        name: String,
        problem: String,
    },
    /// A file of `GO_CA_BUNDLE` that is no PEM bundle of certificates.
    CaBundle {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
}

/// The command line's synopsis, after a usage error.
const USAGE_LINE: &str =
    "usage: s2i-assemble [--src DIR] [--app-root DIR] [--artifacts DIR] [--image-metadata FILE] [--dry-run] [-h|--help]";

impl Error {
    /// A too old Go named with its path (`go1.19 (/usr/lib/go-1.19/bin/go)`).
    pub fn naming_go(self, go: &Path) -> Error {
        match self {
            Error::GoTooOld { file, needs, have } if !have.contains('/') => Error::GoTooOld {
                file,
                needs,
                have: format!("{have} ({})", go.display()),
            },
            other => other,
        }
    }
}

impl Error {
    /// 2 for a bad command line, 128+N for a signal, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::UnknownOption { .. }
            | Error::MissingValue { .. }
            | Error::UnexpectedValue { .. }
            | Error::UnexpectedArgument { .. } => 2,
            Error::Interrupted { signal } => 128 + signal,
            _ => 1,
        }
    }

    /// A go failure that may be about the packages built (see
    /// [`GoFailure::concerns_packages`]).
    pub fn concerns_packages(&self) -> bool {
        matches!(self, Error::GoFailed { failure, .. } if failure.concerns_packages())
    }

    pub fn io(doing: impl Into<String>, path: impl Into<PathBuf>, error: io::Error) -> Error {
        Error::Io {
            doing: doing.into(),
            path: path.into(),
            error,
        }
    }
}

// Each variant's key (see s2i_common::message_keys!): README.md's
// troubleshooting section quotes every key; the tests below check that it
// does, and that each key is in its message.
s2i_common::message_keys! {
    Error {
        UnknownOption => "invalid option '…'; usage: s2i-assemble",
        MissingValue => "missing argument for option '…'; usage: s2i-assemble",
        UnexpectedValue => "unexpected argument for option '…': \"…\"; usage: s2i-assemble",
        UnexpectedArgument => "unexpected argument \"…\"; usage: s2i-assemble",
        SourceMissing => "source directory … does not exist",
        SourceNotDirectory => "source … is not a directory",
        SourceEmpty => "source directory … is empty",
        SourceUnreadable { fix: Unreadable::File } => "cannot read …: …; make it readable by the build user",
        SourceUnreadable { fix: Unreadable::Directory } => "cannot list the directory …: …; make it readable and searchable by the build user",
        SourceUnreadable { fix: Unreadable::Search(_) } => "cannot reach …: …; the build user cannot enter the directory",
        SourceUnreadable { fix: Unreadable::NameTooLong } => "cannot read …: the name is too long for the file system",
        SourceUnreadable => "cannot read …: …; the file system refused it",
        SettingsFileNotRegular => "… is …, not a regular file, and is not read",
        SettingsFileTooLarge => "… is too large (…; settings files are read up to",
        EnvFileInvalid => "invalid …/.s2i/environment, line …: ",
        SpecialFileGoReads => "… is …, which go would read and wait on for ever",
        SymlinkOutside => "symlink … points outside the source tree",
        NoGoSources => "no Go sources in … (no go.mod, go.work or .go file)",
        ModuleBelowTheTop => "the sources have no go.mod at their top, but …/go.mod",
        VendorNeedsImportUrl => "vendor/ has no modules.txt and there is no go.mod",
        GoTomlInvalid => "invalid …/.s2i/go.toml, line …, column …",
        BadSetting => "invalid …=\"…\": …",
        GoNotFound => "no `go` toolchain found; looked in",
        GoCommand => "`go …` failed: ",
        GoTooOld => "needs Go …, but this builder has",
        TargetMissing => "… names …, which is not a package here",
        TargetNotMain => "… names …, which is `package …`, not a main package",
        NoMainPackage => "no main package to build: ",
        MainsGoCannotLoad => "no main package to build: …; go cannot load …",
        RunNotBuilt => "GO_RUN=… names no program that is built",
        SameProgramName => "main packages … would all be installed as bin/…",
        AppRootNotWritable => "cannot write to the application root",
        AppRootHoldsSources { same: true } => "the application root … is the source directory",
        AppRootHoldsSources => "the application root … holds the sources",
        AppRootInSourcesNotEmpty => "the application root … is inside the sources and holds …, which s2i-assemble does not write",
        Io => "cannot … …: …",
        GoFailed { failure: GoFailure::NotTidy { .. } } => "go.mod and go.sum are out of date (…): run `go mod tidy`",
        GoFailed { failure: GoFailure::OtherCase { .. } } => "package … is this module's own, but the sources have …, not …: names that differ only in case",
        GoFailed { failure: GoFailure::NoModule { own_dir: Some(_), .. } } => "package … is this module's own, but the sources have no directory …",
        GoFailed { failure: GoFailure::NoModule { .. } } => "no module in go.mod provides package …: run `go get …`",
        GoFailed { failure: GoFailure::Download { .. } } => "cannot download … with GOPROXY=… (…): vendor the dependencies",
        GoFailed { failure: GoFailure::Auth { given: Some(_), .. } } => "… refused access to … with the credentials given for it (…): check that they are current",
        GoFailed { failure: GoFailure::Auth { .. } } => "… refused access to … without valid credentials (…): give the build credentials for …",
        GoFailed { failure: GoFailure::Tls { ca_given: true, .. } } => "the certificate of … is signed by an unknown authority…: GO_CA_BUNDLE's certificates do not include that CA",
        GoFailed { failure: GoFailure::Tls { .. } } => "the certificate of … is signed by an unknown authority…: give the build that CA: GO_CA_BUNDLE=",
        GoFailed { failure: GoFailure::GitMissing { .. } } => "go fetches … from its git host directly (…), and this image has no git",
        GoFailed { failure: GoFailure::ChecksumMismatch { .. } } => "… as downloaded does not match go.sum",
        GoFailed { failure: GoFailure::Replacement { place: LocalDir::Beside, .. } } => "go.mod replaces … with …, which is beside the sources",
        GoFailed { failure: GoFailure::Replacement { place: LocalDir::Missing, .. } } => "go.mod replaces … with …, which is not in the sources",
        GoFailed { failure: GoFailure::Replacement { .. } } => "go.mod replaces … with …, which has no go.mod",
        GoFailed { failure: GoFailure::ToolKilled { .. } } => "the Go … (…) was killed (signal: killed) building …",
        GoFailed { failure: GoFailure::WorkspaceUse { place: LocalDir::Beside, .. } } => "go.work uses …, which is beside the sources",
        GoFailed { failure: GoFailure::WorkspaceUse { place: LocalDir::Missing, .. } } => "go.work uses …, which is not in the sources",
        GoFailed { failure: GoFailure::WorkspaceUse { .. } } => "go.work uses …, which has no go.mod",
        GoFailed { failure: GoFailure::AmbiguousImport { .. } } => "package … is in more than one module the build requires",
        GoFailed { failure: GoFailure::EmbedMissing { .. } } => "//go:embed … at … matches no file in the sources",
        GoFailed { failure: GoFailure::Vendor { .. } } => "vendor/ does not match go.mod (…): run `go mod vendor`",
        GoFailed { failure: GoFailure::CgoNoCompiler { .. } } => "cgo needs a C compiler and this image has no",
        GoFailed { failure: GoFailure::ExcludedByConstraints { .. } } => "build constraints exclude every Go file of … in this build",
        GoFailed { failure: GoFailure::Compile { generate: Some(_), .. } } => "compile error at … (undefined: …), and the package that should define it has …: what go generate makes is most likely not in the sources",
        GoFailed { failure: GoFailure::Compile { dependency: Some(_), generate: None, .. } } => "compile error in the dependency … (…): its code does not build with this build's settings",
        GoFailed { failure: GoFailure::Compile { .. } } => "compile error at …: fix the code",
        GoFailed { failure: GoFailure::ModSyntax { .. } } => "… line … is invalid (…): fix that line",
        GoFailed { failure: GoFailure::Toolchain { .. } } => "GOTOOLCHAIN=… could not download go…",
        GoFailed => "go … failed (…); Go's messages are above",
        DiskFull { go_said_it: true } => "… ran out of disk space: it could not write … (… free there)",
        DiskFull => "… failed with … free on the file system of …: make room there",
        CgoDisabled => "package … needs cgo, but CGO_ENABLED=0",
        Interrupted => "stopped by …: the build was cancelled",
        CredentialFile { line: Some(_) } => "the credential file … line … cannot be used: …; fix that line",
        CredentialFile => "the credential file … cannot be used: …; fix it",
        TokenVariable => "… cannot be used: …; write the host",
        CaBundle { line: Some(_) } => "the CA bundle … line … (GO_CA_BUNDLE) cannot be used: …",
        CaBundle => "the CA bundle … (GO_CA_BUNDLE) cannot be used: …",
    }
}

/// What stands between the build user and a file of the sources, and so
/// what the message advises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The file itself: it needs read permission.
    File,
    /// A directory that cannot be listed: it needs read and search (x).
    Directory,
    /// A directory on the way that cannot be entered: it needs search (x).
    Search(PathBuf),
    /// A name or path longer than the file system takes.
    NameTooLong,
    /// Anything else (an I/O error, a symlink loop): the reason says it.
    Other,
}

impl Error {
    /// `path` of the sources cannot be read, for `error`: works out what
    /// stands in the way (the file, the directory, a directory above it),
    /// so that the message gives the fix that works.
    pub fn unreadable(path: impl Into<PathBuf>, error: io::Error) -> Error {
        let path = path.into();
        let fix = match error.raw_os_error() {
            Some(nix::libc::ENAMETOOLONG) => Unreadable::NameTooLong,
            Some(nix::libc::EACCES) => {
                let search = |dir: &&&std::path::Path| {
                    nix::unistd::access(**dir, nix::unistd::AccessFlags::X_OK).is_err()
                };
                // The first directory from the top that cannot be entered.
                let ancestors: Vec<&std::path::Path> = path.ancestors().skip(1).collect();
                match ancestors.iter().rev().find(search) {
                    Some(dir) => Unreadable::Search(dir.to_path_buf()),
                    None if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) => {
                        Unreadable::Directory
                    }
                    None => Unreadable::File,
                }
            }
            _ => Unreadable::Other,
        };
        Error::SourceUnreadable { path, error, fix }
    }
}

/// The setting that named the main packages to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSetting {
    GoTargets,
    /// For GOPATH sources: an import path under IMPORT_URL.
    InstallUrl,
}

impl TargetSetting {
    /// How to name main packages in it.
    fn fix(self) -> &'static str {
        match self {
            TargetSetting::GoTargets => {
                "set GO_TARGETS to main package directories (package main), e.g. ./cmd/api"
            }
            TargetSetting::InstallUrl => {
                "set INSTALL_URL to the import path of a main package (package main) under IMPORT_URL, e.g. IMPORT_URL/cmd/server"
            }
        }
    }
}

impl fmt::Display for TargetSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetSetting::GoTargets => "GO_TARGETS",
            TargetSetting::InstallUrl => "INSTALL_URL",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownOption { .. }
            | Error::MissingValue { .. }
            | Error::UnexpectedValue { .. }
            | Error::UnexpectedArgument { .. }
            | Error::SourceMissing(_)
            | Error::SourceNotDirectory(_)
            | Error::SourceEmpty(_)
            | Error::SourceUnreadable { .. } => self.fmt_command_line_and_sources(f),
            Error::SettingsFileNotRegular { .. }
            | Error::SettingsFileTooLarge { .. }
            | Error::EnvFileInvalid { .. }
            | Error::SpecialFileGoReads { .. }
            | Error::SymlinkOutside { .. }
            | Error::NoGoSources { .. }
            | Error::ModuleBelowTheTop { .. }
            | Error::VendorNeedsImportUrl
            | Error::GoTomlInvalid { .. }
            | Error::BadSetting { .. }
            | Error::GoNotFound { .. }
            | Error::GoCommand { .. }
            | Error::GoTooOld { .. } => self.fmt_settings_and_go(f),
            Error::TargetMissing { .. }
            | Error::TargetNotMain { .. }
            | Error::NoMainPackage { .. }
            | Error::MainsGoCannotLoad { .. }
            | Error::RunNotBuilt { .. }
            | Error::SameProgramName { .. }
            | Error::AppRootNotWritable { .. }
            | Error::AppRootHoldsSources { .. }
            | Error::AppRootInSourcesNotEmpty { .. } => self.fmt_targets_and_app_root(f),
            Error::Io { .. }
            | Error::GoFailed { .. }
            | Error::DiskFull { .. }
            | Error::CgoDisabled { .. }
            | Error::Interrupted { .. }
            | Error::CredentialFile { .. }
            | Error::TokenVariable { .. }
            | Error::CaBundle { .. } => self.fmt_build(f),
        }
    }
}

impl Error {
    /// The messages about the command line and the sources.
    fn fmt_command_line_and_sources(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownOption { option } => {
                write!(f, "invalid option '{}'; {USAGE_LINE}", Escaped::new(option))
            }
            Error::MissingValue { option } => write!(
                f,
                "missing argument for option '{}'; {USAGE_LINE}",
                Escaped::new(option)
            ),
            Error::UnexpectedValue { option, value } => write!(
                f,
                "unexpected argument for option '{}': {value:?}; {USAGE_LINE}",
                Escaped::new(option),
            ),
            // Debug-quoted, as lexopt quotes them: control characters escaped.
            Error::UnexpectedArgument { argument } => {
                write!(f, "unexpected argument {argument:?}; {USAGE_LINE}")
            }
            Error::SourceMissing(src) => write!(
                f,
                "source directory {} does not exist: pass the application's directory with --src DIR (S2I puts it at /tmp/src)",
                Escaped::new(src)
            ),
            Error::SourceNotDirectory(src) => write!(
                f,
                "source {} is not a directory: pass the application's directory with --src DIR",
                Escaped::new(src)
            ),
            Error::SourceEmpty(src) => write!(
                f,
                "source directory {} is empty: pass the directory that holds the Go application with --src DIR (for s2i build, check the repository and its context dir)",
                Escaped::new(src)
            ),
            Error::SourceUnreadable { path, error, fix } => match fix {
                Unreadable::File => write!(
                    f,
                    "cannot read {}: {}; make it readable by the build user (chmod g+r, or a+r) or remove it from the sources",
                    Escaped::new(path),
                    reason(error)
                ),
                Unreadable::Directory => write!(
                    f,
                    "cannot list the directory {}: {}; make it readable and searchable by the build user (chmod g+rx, or a+rx) or remove it from the sources",
                    Escaped::new(path),
                    reason(error)
                ),
                Unreadable::Search(dir) => write!(
                    f,
                    "cannot reach {}: {}; the build user cannot enter the directory {}: make it searchable (chmod g+x, or a+x)",
                    Escaped::new(path),
                    reason(error),
                    Escaped::new(dir)
                ),
                Unreadable::NameTooLong => write!(
                    f,
                    "cannot read {}: the name is too long for the file system (a name over 255 bytes, or a path over 4095): shorten it, or remove it from the sources",
                    Escaped::new(path)
                ),
                Unreadable::Other => write!(
                    f,
                    "cannot read {}: {}; the file system refused it: act on the reason, or remove the file from the sources",
                    Escaped::new(path),
                    reason(error)
                ),
            },
            _ => unreachable!("Display sends only these here"),
        }
    }

    /// The messages about the settings and go.
    fn fmt_settings_and_go(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SettingsFileNotRegular { path, kind } => write!(
                f,
                "{} is {kind}, not a regular file, and is not read: make it a regular file (or remove it)",
                Escaped::new(path)
            ),
            Error::SettingsFileTooLarge { path, size } => write!(
                f,
                "{} is too large ({}; settings files are read up to {}): keep only settings in it",
                Escaped::new(path),
                MiB(*size),
                MiB(crate::inputs::MAX_BYTES)
            ),
            Error::EnvFileInvalid { path, line, message } => write!(
                f,
                "invalid {}, line {line}: {message}",
                Escaped::new(path)
            ),
            Error::SpecialFileGoReads { path, kind } => write!(
                f,
                "{} is {kind}, which go would read and wait on for ever: remove it from the sources (s2i-assemble leaves out such files only where go does not read them)",
                Escaped::new(path)
            ),
            Error::SymlinkOutside { link, target } => write!(
                f,
                "symlink {} points outside the source tree (to {}) and is not followed: put the file itself in the repository, or remove the link",
                Escaped::new(link),
                Escaped::new(target)
            ),
            Error::NoGoSources { src, looks_like } => {
                write!(f, "no Go sources in {} (no go.mod, go.work or .go file)", Escaped::new(src))?;
                if let Some(kind) = looks_like {
                    write!(f, "; it looks like {kind}")?;
                }
                write!(f, ": use this Go builder for Go applications only, or point --src (s2i: the context dir) at the Go code")
            }
            Error::ModuleBelowTheTop { modules } => module_below_the_top(f, modules),
            Error::VendorNeedsImportUrl => write!(
                f,
                "vendor/ has no modules.txt and there is no go.mod: this GOPATH-era layout needs GOPATH mode; set IMPORT_URL to the repository's import path (e.g. IMPORT_URL=github.com/org/app), or add a go.mod"
            ),
            Error::GoTomlInvalid { path, line, column, message } => write!(
                f,
                "invalid {}, line {line}, column {column}: {}; see `s2i-usage` for the keys (targets, run, build_flags, ldflags, tags, import_url, install_url, [env])",
                Escaped::new(path),
                Escaped::new(message)
            ),
            Error::BadSetting { name, value, why } => {
                write!(f, "invalid {name}={value:?}: {why}")
            }
            Error::GoNotFound { looked } => write!(
                f,
                "no `go` toolchain found; looked in {}: install Go there, put it on PATH, or set GOROOT",
                Escaped::new(&looked.join(", "))
            ),
            Error::GoCommand { command, detail } => {
                write!(f, "`{}` failed: {}", Escaped::new(command), Escaped::new(detail))
            }
            Error::GoTooOld { file, needs, have } => write!(
                f,
                "{file} needs Go {needs}, but this builder has {have}: use a builder image with Go {needs} or newer, or set GOTOOLCHAIN=auto to let go download it (needs network access)",
                needs = Escaped::new(needs),
                have = Escaped::new(have)
            ),
            _ => unreachable!("Display sends only these here"),
        }
    }

    /// The messages about the main packages (the application root's next).
    fn fmt_targets_and_app_root(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TargetMissing {
                setting,
                target,
                detail,
            } => write!(
                f,
                "{setting} names {}, which is not a package here ({}): {}",
                Escaped::new(target),
                Escaped::new(detail),
                setting.fix()
            ),
            Error::TargetNotMain {
                setting,
                target,
                name,
            } => write!(
                f,
                "{setting} names {}, which is `package {}`, not a main package: {}",
                Escaped::new(target),
                Escaped::new(name),
                setting.fix()
            ),
            Error::NoMainPackage { root, elsewhere } => {
                write!(
                    f,
                    "no main package to build: {}; ",
                    Escaped::new(root)
                )?;
                match elsewhere.first() {
                    None => write!(f, "set GO_TARGETS to the main package(s), e.g. GO_TARGETS=./server"),
                    Some(first) => write!(
                        f,
                        "main packages elsewhere: {}: set GO_TARGETS to the one(s) to build, e.g. GO_TARGETS={}",
                        some_of(elsewhere),
                        Escaped::new(first)
                    ),
                }
            }
            Error::MainsGoCannotLoad { root, packages } => write!(
                f,
                "no main package to build: {}; go cannot load {}: fix what go says (an import path holds no spaces or special characters: rename the directory), or set GO_TARGETS to the main package(s)",
                Escaped::new(root),
                list(packages)
            ),
            Error::SameProgramName { binary, packages } => write!(
                f,
                "main packages {} would all be installed as bin/{} (go names a program after the last element of its package's path): set GO_TARGETS to the one(s) to build, e.g. GO_TARGETS={}, or rename a directory",
                list(packages),
                Escaped::new(binary),
                Escaped::new(packages.first().map_or("./cmd/app", String::as_str))
            ),
            Error::RunNotBuilt { run, built } => write!(
                f,
                "GO_RUN={} names no program that is built (built: {}): set GO_RUN to one of them, or add its package to GO_TARGETS",
                Escaped::new(run),
                list(built)
            ),
            _ => self.fmt_app_root(f),
        }
    }

    /// The messages about the application root.
    fn fmt_app_root(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AppRootNotWritable { path, error } => write!(
                f,
                "cannot write to the application root {}: {}; make it writable by the build user (chmod g+w, group 0) or pass another with --app-root DIR",
                Escaped::new(path),
                reason(error)
            ),
            Error::AppRootHoldsSources { app_root, src, same } => {
                if *same {
                    write!(f, "the application root {} is the source directory", Escaped::new(app_root))?;
                } else {
                    write!(
                        f,
                        "the application root {} holds the sources {}",
                        Escaped::new(app_root),
                        Escaped::new(src)
                    )?;
                }
                write!(
                    f,
                    ": installing there would replace their files; pass --app-root a directory outside the sources, \
                     or a new one inside them (e.g. --app-root {}/out)",
                    Escaped::new(src.split(" (that is, ").next().unwrap_or(src))
                )
            }
            Error::AppRootInSourcesNotEmpty { app_root, entry } => write!(
                f,
                "the application root {} is inside the sources and holds {}, which s2i-assemble does not write: \
                 it would be left out of the build and its files replaced; pass --app-root a new or empty directory (e.g. ./out), \
                 or one outside the sources",
                Escaped::new(app_root),
                Escaped::new(entry)
            ),
            _ => unreachable!("Display sends only these here"),
        }
    }

    /// The messages about the build and its credentials.
    fn fmt_disk_full(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DiskFull {
                command,
                path,
                go_said_it: true,
                available,
            } => write!(
                f,
                "{command} ran out of disk space: it could not write {} ({} free there): make room on that file system, or give the build a larger one",
                Escaped::new(path),
                MiB(*available)
            ),
            Error::DiskFull {
                command,
                path,
                available,
                ..
            } => write!(
                f,
                "{command} failed with {} free on the file system of {}: make room there, or give the build a larger one (go's messages above may be about what it could not write)",
                MiB(*available),
                Escaped::new(path)
            ),
            _ => unreachable!("fmt_disk_full is called for DiskFull only"),
        }
    }

    fn fmt_build(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { doing, path, error } => {
                write!(f, "cannot {doing} {}: {}", Escaped::new(path), reason(error))
            }
            Error::GoFailed {
                command,
                status,
                failure,
            } => {
                // Made of go's words (package paths, module names, file
                // names): nothing of them reaches the log raw.
                struct Line<'a>(&'a GoFailure, &'a str, &'a str);
                impl fmt::Display for Line<'_> {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        self.0.write(f, self.1, self.2)
                    }
                }
                let line = Line(failure, command, status).to_string();
                write!(f, "{}", EscapedLine(&line))
            }
            Error::DiskFull { .. } => self.fmt_disk_full(f),
            Error::CgoDisabled {
                package,
                by_default,
            } => {
                let why = if *by_default {
                    "this builder's default, for static binaries that run on the scratch runtime image"
                } else {
                    "as set"
                };
                write!(
                    f,
                    "package {package} needs cgo, but CGO_ENABLED=0 ({why}): set CGO_ENABLED=1; the binary is then linked dynamically against the builder's C library and runs on the builder image, not on the scratch runtime image"
                )
            }
            Error::Interrupted { signal } => write!(
                f,
                "stopped by {}: the build was cancelled and the previous installation is unchanged",
                signal_name(*signal)
            ),
            Error::CredentialFile {
                path,
                line: Some(line),
                problem,
            } => write!(
                f,
                "the credential file {} line {line} cannot be used: {problem}; fix that line where the file comes from (the secret), its values are never shown",
                path.display()
            ),
            Error::CredentialFile { path, problem, .. } => write!(
                f,
                "the credential file {} cannot be used: {problem}; fix it where it comes from (the secret), or point GO_CREDENTIALS_DIR elsewhere",
                path.display()
            ),
            Error::TokenVariable { name, problem } => write!(
                f,
                "{name} cannot be used: {problem}; write the host after GO_TOKEN_ with _ for each . and __ for each - (GO_TOKEN_git__corp_example for git-corp.example), and the value as TOKEN or USER:TOKEN"
            ),
            Error::CaBundle {
                path,
                line,
                problem,
            } => {
                write!(f, "the CA bundle {}", path.display())?;
                if let Some(line) = line {
                    write!(f, " line {line}")?;
                }
                write!(
                    f,
                    " (GO_CA_BUNDLE) cannot be used: {problem}; GO_CA_BUNDLE names PEM files of CA certificates (-----BEGIN CERTIFICATE-----)"
                )
            }

            _ => unreachable!("Display sends only these here"),
        }
    }
}

/// Names from the outside, escaped each, comma-separated.
/// [`Error::ModuleBelowTheTop`]'s message: the first few go.mod files, and
/// s2i's context dir set to the first.
fn module_below_the_top(f: &mut fmt::Formatter<'_>, modules: &[PathBuf]) -> fmt::Result {
    let Some(first) = modules.first() else {
        return write!(f, "the sources have no go.mod at their top");
    };
    let go_mods: Vec<String> = modules
        .iter()
        .map(|dir| format!("{}/go.mod", Escaped::new(dir)))
        .collect();
    write!(
        f,
        "the sources have no go.mod at their top, but {}",
        first_of(&go_mods, 3)
    )?;
    let first = Escaped::new(first);
    let context_dir = format!(
        "s2i build --context-dir={first} (a BuildConfig's spec.source.contextDir: {first})"
    );
    if modules.len() == 1 {
        write!(f, ": build from the module's directory: {context_dir}")
    } else {
        write!(
            f,
            ": build each module from its directory, e.g. {context_dir}, or add a go.work at the top that uses them"
        )
    }
}

/// The first few of `names`, escaped, and how many more there are.
fn some_of(names: &[String]) -> String {
    let escaped: Vec<String> = names.iter().map(|n| Escaped::new(n).to_string()).collect();
    first_of(&escaped, 4)
}

/// The first `named` of `shown` (fit for the log already), and how many
/// more there are.
pub(crate) fn first_of(shown: &[String], named: usize) -> String {
    let mut text = shown[..shown.len().min(named)].join(", ");
    if shown.len() > named {
        text.push_str(&format!(" (and {} more)", shown.len() - named));
    }
    text
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| Escaped::new(n).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use s2i_tests::troubleshooting::{assert_keys_in_messages, key_matches, readme_entries};

    fn go_failed(failure: GoFailure) -> Error {
        Error::GoFailed {
            command: "go build",
            status: "exit status: 1".into(),
            failure,
        }
    }

    /// One error of each variant (and of each form a message has).
    fn one_of_each() -> Vec<Error> {
        let denied = || io::Error::from_raw_os_error(13);
        vec![
            Error::UnknownOption {
                option: "--bogus".into(),
            },
            Error::MissingValue {
                option: "--src".into(),
            },
            Error::UnexpectedValue {
                option: "--dry-run".into(),
                value: "yes".into(),
            },
            Error::UnexpectedArgument {
                argument: "extra".into(),
            },
            Error::SourceMissing("/tmp/src".into()),
            Error::SourceNotDirectory("/tmp/src".into()),
            Error::SourceEmpty("/tmp/src".into()),
            Error::SourceUnreadable {
                path: "/tmp/src/a.go".into(),
                error: denied(),
                fix: Unreadable::File,
            },
            Error::SourceUnreadable {
                path: "/tmp/src/assets".into(),
                error: denied(),
                fix: Unreadable::Directory,
            },
            Error::SourceUnreadable {
                path: "/tmp/src/assets/a.css".into(),
                error: denied(),
                fix: Unreadable::Search("/tmp/src/assets".into()),
            },
            Error::SourceUnreadable {
                path: "/tmp/src/long".into(),
                error: io::Error::from_raw_os_error(36),
                fix: Unreadable::NameTooLong,
            },
            Error::SourceUnreadable {
                path: "/tmp/src/bad".into(),
                error: io::Error::from_raw_os_error(5),
                fix: Unreadable::Other,
            },
            Error::SettingsFileNotRegular {
                path: "/tmp/src/.s2i/environment".into(),
                kind: "a FIFO (named pipe)",
            },
            Error::SettingsFileTooLarge {
                path: "/tmp/src/.s2i/go.toml".into(),
                size: 2 << 30,
            },
            Error::EnvFileInvalid {
                path: "/tmp/src/.s2i/environment".into(),
                line: 2,
                message: "the value of N holds a NUL byte".into(),
            },
            Error::SpecialFileGoReads {
                path: "x.go".into(),
                kind: "a FIFO (named pipe)",
            },
            Error::SymlinkOutside {
                link: "templates/x".into(),
                target: "/etc/passwd".into(),
            },
            Error::NoGoSources {
                src: "/tmp/src".into(),
                looks_like: Some("a Node.js application (package.json)"),
            },
            Error::ModuleBelowTheTop {
                modules: vec!["server".into()],
            },
            Error::ModuleBelowTheTop {
                modules: ["api", "worker", "tools/gen", "tools/lint"]
                    .map(PathBuf::from)
                    .to_vec(),
            },
            Error::VendorNeedsImportUrl,
            Error::GoTomlInvalid {
                path: "/tmp/src/.s2i/go.toml".into(),
                line: 3,
                column: 11,
                message: "string values must be quoted".into(),
            },
            Error::BadSetting {
                name: "GO_BUILD_FLAGS",
                value: "-v '".into(),
                why: "missing closing quote".into(),
            },
            Error::GoNotFound {
                looked: vec!["PATH".into()],
            },
            Error::GoCommand {
                command: "go list -json".into(),
                detail: "go: malformed module path".into(),
            },
            Error::GoTooOld {
                file: "go.mod",
                needs: "1.99".into(),
                have: "go1.27.3".into(),
            },
            Error::TargetMissing {
                setting: TargetSetting::GoTargets,
                target: "./cmd/web".into(),
                detail: "directory not found".into(),
            },
            Error::TargetNotMain {
                setting: TargetSetting::InstallUrl,
                target: "./internal/x".into(),
                name: "x".into(),
            },
            Error::NoMainPackage {
                root: "the root is `package lib`, and cmd/ holds no main package".into(),
                elsewhere: Vec::new(),
            },
            Error::NoMainPackage {
                root: "the root has no Go files, and cmd/ holds no main package".into(),
                elsewhere: ["./hello", "./outyet", "./helloserver", "./appengine-hello", "./gotypes"]
                    .map(String::from)
                    .to_vec(),
            },
            Error::MainsGoCannotLoad {
                root: "the root is `package lib`".into(),
                packages: vec!["example.com/m/cmd/my app: malformed import path \"example.com/m/cmd/my app\": invalid char ' '".into()],
            },
            Error::RunNotBuilt {
                run: "web".into(),
                built: vec!["api".into()],
            },
            Error::SameProgramName {
                binary: "tool".into(),
                packages: vec!["./cmd/a/tool".into(), "./cmd/b/tool".into()],
            },
            Error::AppRootNotWritable {
                path: "/opt/app-root".into(),
                error: denied(),
            },
            Error::AppRootHoldsSources {
                app_root: "/tmp/p".into(),
                src: "/tmp/p/src".into(),
                same: false,
            },
            Error::AppRootHoldsSources {
                app_root: "/tmp/src".into(),
                src: "/tmp/src".into(),
                same: true,
            },
            Error::AppRootInSourcesNotEmpty {
                app_root: "/tmp/src/cmd".into(),
                entry: "main.go".into(),
            },
            Error::io("create", "/opt/app-root/bin", denied()),
            go_failed(GoFailure::NotTidy {
                what: "go: updates to go.mod needed".into(),
            }),
            go_failed(GoFailure::NoModule {
                package: "github.com/acme/widgets".into(),
                lookup: Some("module lookup disabled by GOPROXY=off".into()),
                own_dir: None,
            }),
            go_failed(GoFailure::NoModule {
                package: "example.com/app/gen/pb".into(),
                lookup: None,
                own_dir: Some("gen/pb".into()),
            }),
            go_failed(GoFailure::OtherCase {
                package: "example.com/app/internal/Utils".into(),
                dir: "internal/Utils".into(),
                other: "internal/utils".into(),
            }),
            go_failed(GoFailure::Download {
                modules: vec!["example.com/greeting@v1.0.0".into()],
                goproxy: "off".into(),
                reason: "module lookup disabled by GOPROXY=off".into(),
            }),
            go_failed(GoFailure::Auth {
                host: "github.com".into(),
                module: Some("github.com/acme/private@v1.0.0".into()),
                reason: "401 Unauthorized",
                goprivate: true,
                given: None,
            }),
            go_failed(GoFailure::Auth {
                host: "git.corp.example".into(),
                module: Some("git.corp.example/acme/private@v1.0.0".into()),
                reason: "authentication failed",
                goprivate: false,
                given: Some(Box::new(crate::gofailure::Given(
                    "GO_TOKEN_git_corp_example".into(),
                ))),
            }),
            go_failed(GoFailure::Tls {
                host: "proxy.corp.example".into(),
                module: None,
                ca_given: false,
            }),
            go_failed(GoFailure::Tls {
                host: "proxy.corp.example".into(),
                module: Some("example.com/m@v1.0.0".into()),
                ca_given: true,
            }),
            go_failed(GoFailure::GitMissing {
                module: Some("github.com/acme/private@v1.0.0".into()),
            }),
            go_failed(GoFailure::ChecksumMismatch {
                module: "example.com/greeting@v1.0.0".into(),
            }),
            go_failed(GoFailure::Vendor {
                detail: "go: inconsistent vendoring".into(),
            }),
            go_failed(GoFailure::Replacement {
                module: Some("example.com/lib@v0.0.0".into()),
                dir: "../lib".into(),
                place: LocalDir::Beside,
            }),
            go_failed(GoFailure::ToolKilled {
                tool: "compile".into(),
                package: "example.com/app/internal/big".into(),
                memory_limit: Some(512 << 20),
            }),
            go_failed(GoFailure::WorkspaceUse {
                dir: "../shared".into(),
                place: LocalDir::Beside,
            }),
            go_failed(GoFailure::WorkspaceUse {
                dir: "compliance".into(),
                place: LocalDir::Missing,
            }),
            go_failed(GoFailure::WorkspaceUse {
                dir: "./tools".into(),
                place: LocalDir::NoGoMod,
            }),
            go_failed(GoFailure::EmbedMissing {
                location: "main.go:5".into(),
                pattern: "static/*".into(),
            }),
            go_failed(GoFailure::AmbiguousImport {
                package: "google.golang.org/genproto/googleapis/api/annotations".into(),
                modules: vec![
                    "google.golang.org/genproto@v0.0.0-20230410155749-daa745c078e1".into(),
                    "google.golang.org/genproto/googleapis/api@v0.0.0-20230530153820-e85fd2cbaebc".into(),
                ],
            }),
            go_failed(GoFailure::Replacement {
                module: Some("go.etcd.io/etcd/etcdctl/v3@v3.6.8".into()),
                dir: "./etcdctl".into(),
                place: LocalDir::Missing,
            }),
            go_failed(GoFailure::Replacement {
                module: None,
                dir: "./lib".into(),
                place: LocalDir::NoGoMod,
            }),
            go_failed(GoFailure::CgoNoCompiler {
                compiler: "gcc".into(),
            }),
            go_failed(GoFailure::ExcludedByConstraints {
                package: Some("example.com/app".into()),
                dir: ".".into(),
            }),
            go_failed(GoFailure::Compile {
                location: "main.go:7".into(),
                package: Some("example.com/app".into()),
                message: "undefined: x".into(),
                generate: None,
                dependency: None,
            }),
            go_failed(GoFailure::Compile {
                location: "runtime.go:48".into(),
                package: Some("github.com/influxdata/flux".into()),
                message: "undefined: libflux.Options".into(),
                generate: None,
                dependency: Some("github.com/influxdata/flux@v0.200.0".into()),
            }),
            go_failed(GoFailure::Compile {
                location: "cmd/srv/main.go:9".into(),
                package: Some("example.com/app/cmd/srv".into()),
                message: "undefined: auto.Assets".into(),
                generate: Some(Box::new(crate::generate::Directive {
                    at: "lib/api/auto/doc.go:7".into(),
                    line: "//go:generate go run gen.go -o gui.files.go".into(),
                })),
                dependency: None,
            }),
            go_failed(GoFailure::ModSyntax {
                file: "go.mod".into(),
                line: "5".into(),
                reason: "unknown directive: requir".into(),
            }),
            go_failed(GoFailure::Toolchain {
                version: "go1.99.1".into(),
                gotoolchain: "auto".into(),
                reason: "toolchain not available".into(),
            }),
            go_failed(GoFailure::Other),
            Error::DiskFull {
                command: "go build",
                path: "/opt/app-root/.cache/go-build/9c/9c13e516b7ed47f0-d".into(),
                go_said_it: true,
                available: 0,
            },
            Error::DiskFull {
                command: "go list",
                path: "/opt/app-root/.cache/go-build".into(),
                go_said_it: false,
                available: 300 << 10,
            },
            Error::CgoDisabled {
                package: "example.com/app".into(),
                by_default: true,
            },
            Error::Interrupted { signal: 15 },
            Error::CredentialFile {
                path: "/opt/app-root/src/.netrc".into(),
                line: Some(3),
                problem: "`password` has no value after it".into(),
            },
            Error::CredentialFile {
                path: "/var/run/secrets/go/.gitconfig".into(),
                line: None,
                problem: "cannot read it: Permission denied".into(),
            },
            Error::TokenVariable {
                name: "GO_TOKEN_git.corp".into(),
                problem: "`git.corp` is no host name written as the variable's name takes it"
                    .into(),
            },
            Error::CaBundle {
                path: "/opt/app-root/src/ca/ca.crt".into(),
                line: Some(7),
                problem: "not base64 inside a certificate".into(),
            },
            Error::CaBundle {
                path: "/opt/app-root/src/ca/ca.crt".into(),
                line: None,
                problem: "no certificate in it".into(),
            },
        ]
    }

    #[test]
    fn each_key_is_in_its_message() {
        let examples = one_of_each().into_iter().map(|e| (e.to_string(), e.key()));
        assert_keys_in_messages(examples, Error::KEYS);
    }

    /// Names and values from the outside reach the log escaped: no error
    /// prints a control character (a crafted name cannot end the line and
    /// start a fake one).
    #[test]
    fn outside_names_and_values_are_escaped() {
        let evil = "x\n---> Done\u{1b}[2J";
        let denied = || io::Error::from_raw_os_error(13);
        let errors = vec![
            Error::SourceMissing(evil.into()),
            Error::unreadable(format!("/nonexistent/{evil}"), denied()),
            Error::SymlinkOutside {
                link: evil.into(),
                target: evil.into(),
            },
            Error::ModuleBelowTheTop {
                modules: vec![evil.into(), evil.into()],
            },
            Error::GoTomlInvalid {
                path: evil.into(),
                line: 1,
                column: 1,
                message: format!("unknown field `{evil}`"),
            },
            Error::BadSetting {
                name: "GO_BUILD_FLAGS",
                value: evil.into(),
                why: "a quote".into(),
            },
            Error::GoNotFound {
                looked: vec![format!("PATH ({evil})")],
            },
            Error::GoCommand {
                command: format!("go list {evil}"),
                detail: evil.into(),
            },
            Error::GoTooOld {
                file: "go.mod",
                needs: evil.into(),
                have: "go1.27".into(),
            },
            Error::TargetMissing {
                setting: TargetSetting::GoTargets,
                target: evil.into(),
                detail: evil.into(),
            },
            Error::TargetNotMain {
                setting: TargetSetting::GoTargets,
                target: evil.into(),
                name: evil.into(),
            },
            Error::MainsGoCannotLoad {
                root: "the root has no Go files".into(),
                packages: vec![evil.into()],
            },
            Error::RunNotBuilt {
                run: evil.into(),
                built: vec![evil.into()],
            },
            Error::SameProgramName {
                binary: evil.into(),
                packages: vec![evil.into()],
            },
            Error::AppRootHoldsSources {
                app_root: evil.into(),
                src: evil.into(),
                same: false,
            },
            Error::AppRootInSourcesNotEmpty {
                app_root: evil.into(),
                entry: evil.into(),
            },
            Error::io("create", evil, denied()),
            Error::SpecialFileGoReads {
                path: evil.into(),
                kind: "a FIFO (named pipe)",
            },
        ];
        // What go printed, recognised (found by fuzz/fuzz_targets/go_classify.rs:
        // a package path with control characters reached the line raw).
        // (A line of go's cannot hold a newline: the rest can be anything.)
        let evil = "x\u{1b}[2J\u{202e}";
        let go_said = [
            format!("package {evil}: build constraints exclude all Go files in /tmp/src/{evil}"),
            format!("{evil}.go:1:2: undefined: {evil}"),
            format!("main.go:3:8: no required module provides package {evil}; to add it:"),
            format!("verifying {evil}@v1.0.0: checksum mismatch"),
            format!("go: /tmp/src/go.mod:3: unknown directive: {evil}"),
        ];
        let go_failures = go_said.iter().map(|stderr| Error::GoFailed {
            command: "go build",
            status: "exit status: 1".into(),
            failure: crate::gofailure::classify(
                stderr,
                &std::collections::BTreeMap::new(),
                std::path::Path::new("/tmp/src"),
            ),
        });
        for error in go_failures.clone() {
            assert!(
                error.to_string().contains(r"x\x1b[2J\u{202e}"),
                "go's words are not in the line: {error}"
            );
        }
        for error in errors.into_iter().chain(go_failures) {
            let message = error.to_string();
            assert!(
                !message.chars().any(char::is_control),
                "{:?} prints a control character: {message:?}",
                error.key()
            );
        }
    }

    /// README.md's troubleshooting section has an entry for every error: a
    /// row under `#### s2i-assemble` that quotes each key (`…` in the key
    /// stands for anything, `GO_BUILD_FLAGS` say, so a row may name it).
    #[test]
    fn readme_has_an_entry_for_each_error() {
        let entries = readme_entries("s2i-assemble");
        let missing: Vec<&str> = Error::KEYS
            .iter()
            .copied()
            .filter(|key| !entries.lines().any(|row| key_matches(row, key)))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md's troubleshooting section (under `#### s2i-assemble`) quotes no message \
             with these keys (from message_keys! in s2i-assemble/src/errors.rs):\n{}\n\
             Add a row quoting the message's start (`…` for values), what it means and the fix.",
            missing.join("\n")
        );
    }
}
