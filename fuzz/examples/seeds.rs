//! Writes the seed corpus, `fuzz/corpus/<target>/`, from the project's own
//! fixtures and the hostile shapes the tests use (tests/src/hostile_tar.rs
//! for the tar streams). Run again after changing it:
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example seeds
//!
//! Seeds are small: each is a starting point the fuzzer mutates, not a
//! test of its own (the tests are in the crates).

#[path = "../../tests/src/hostile_tar.rs"]
mod hostile_tar;

use std::fs;
use std::path::{Path, PathBuf};

use hostile_tar::raw_tar;
use tar::EntryType;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn corpus(target: &str) -> PathBuf {
    let dir = root().join("fuzz/corpus").join(target);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn seeds(target: &str, seeds: &[(&str, Vec<u8>)]) {
    let dir = corpus(target);
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

fn read(rel: &str) -> Vec<u8> {
    fs::read(root().join(rel)).unwrap()
}

const HASH_A: &str = "0a5555555555555555555555555555555555555555555555555555555555555a-a";
const HASH_D: &str = "0a5555555555555555555555555555555555555555555555555555555555555d-d";

fn main() {
    let environment = read("tests/fixtures/s2i-env/.s2i/environment");
    let go_toml = read("tests/fixtures/s2i-env/.s2i/go.toml");

    seeds(
        "envfile",
        &[
            ("fixture", environment.clone()),
            ("bom", "\u{feff}GO_TARGETS=./cmd/api\n".into()),
            ("export", b"A=1\nexport GO_RUN=api\n".to_vec()),
            ("crlf-latin1", b"A=1\r\nB=\xe9t\xe9\r\n".to_vec()),
            ("space-in-name", b"# comment\nA B=1\n".to_vec()),
            ("nul", b"N=a\x00b\n".to_vec()),
            ("escape", b"\x1b[2J=1\nX=\x1b[31m\n".to_vec()),
            ("skipped", b"NOEQUALS\n=value\n  # indented\n".to_vec()),
        ],
    );

    let split = b"\n#%% environment\n";
    let with_env = |toml: &[u8], env: &[u8]| [toml, split, env].concat();
    seeds(
        "go_toml",
        &[
            ("fixture", with_env(&go_toml, &environment)),
            ("toml-only", go_toml.clone()),
            (
                "all-keys",
                b"targets = [\"./cmd/api\", \"./cmd/worker\"]\nrun = \"api\"\n\
                  build_flags = [\"-v\"]\nldflags = \"-s -w\"\ntags = \"a,b\"\n\
                  import_url = \"github.com/org/app\"\ninstall_url = \"github.com/org/app/cmd/x\"\n\
                  [env]\nGOFLAGS = \"-mod=mod\"\n"
                    .to_vec(),
            ),
            (
                "import-url-outside",
                b"import_url = \"/tmp/elsewhere\"\n".to_vec(),
            ),
            (
                "import-url-env",
                with_env(b"", b"IMPORT_URL=../../x\nGO_CLEAN_CACHE=maybe\n"),
            ),
            ("bad-type", b"run = \"api\"\ntargets = 3\n".to_vec()),
            ("unknown-table", b"[build]\nflags = 1\n".to_vec()),
            (
                "env-nul",
                b"[env]\nA = \"x\\u0000y\"\n\"B C\" = \"1\"\n".to_vec(),
            ),
            (
                "build-flags-quote",
                with_env(b"", b"GO_BUILD_FLAGS=-ldflags \"-s\n"),
            ),
            ("binary", b"\x00\xff\xfe[env]\n".to_vec()),
        ],
    );

    seeds(
        "manifest",
        &[
            (
                "written",
                b"# Written by s2i-assemble, read by s2i-run. Relative paths are relative to this file.\n\
                  program = \"bin/api\"\nargs = [\"--listen\", \":8080\"]\nworkdir = \"src\"\n\n\
                  [env]\nGIN_MODE = \"release\"\n"
                    .to_vec(),
            ),
            ("minimal", b"program = \"gobinary\"\n".to_vec()),
            ("empty-program", b"program = \"\"\n".to_vec()),
            ("unknown-key", b"program = \"x\"\nextra = 1\n".to_vec()),
            ("env-names", b"program = \"x\"\n[env]\n\"\" = \"1\"\n\"A B\" = \"2\"\n\"X=Y\" = \"3\"\n".to_vec()),
            ("escape", b"program = \"x\"\n[env]\n\"\\u001b[2J\" = \"1\"\n".to_vec()),
            ("unclosed", b"program = \"x\nargs = [\n".to_vec()),
        ],
    );

    seeds(
        "app_args",
        &[
            ("words", b"--name \"two words\" -v".to_vec()),
            ("single", b"--x 'it''s' \\$HOME $PATH".to_vec()),
            ("unclosed", b"--name \"two".to_vec()),
            ("comment", b"a # b\nc".to_vec()),
            ("not-utf8", b"--x \xff".to_vec()),
            ("escape", b"\x1b[2J\n---> Done".to_vec()),
        ],
    );

    // The first byte picks the setting (see the target): 0 INIT,
    // 1 STOP_SIGNAL, 2 SIGNAL_GROUP, 3 GRACE, 4 VERBOSE, 5 EXIT_REMAP,
    // 6 GOMEMLIMIT_FROM_CGROUP, 7 GOMEMLIMIT_SHARE.
    let setting = |pick: u8, value: &str| [&[pick][..], value.as_bytes()].concat();
    seeds(
        "setting_values",
        &[
            ("init", setting(0, "always")),
            ("stop-quit", setting(1, "sigquit")),
            ("stop-rtmin", setting(1, "RTMIN+2")),
            ("stop-rtmax", setting(1, "SIGRTMAX-3")),
            ("stop-stop", setting(1, "STOP")),
            ("stop-number", setting(1, "15")),
            ("group", setting(2, "Yes")),
            ("grace", setting(3, "0.25")),
            ("grace-ms", setting(3, "500ms")),
            ("grace-m", setting(3, "1.5m")),
            (
                "grace-long",
                setting(3, "18446744073709551615.999999999999999999"),
            ),
            ("verbose", setting(4, "off")),
            ("remap", setting(5, "143:0, 130:0")),
            ("remap-twice", setting(5, "1:2,1:3")),
            ("gomemlimit", setting(6, "false")),
            ("share", setting(7, "90%")),
            ("not-utf8", setting(3, "\u{0}\u{ff}")),
        ],
    );

    let good = raw_tar(&[
        ("go-build/", EntryType::Directory, b"", ""),
        ("go-build/0a/", EntryType::Directory, b"", ""),
        (
            &format!("go-build/0a/{HASH_A}"),
            EntryType::Regular,
            b"action",
            "",
        ),
        (
            &format!("go-build/0a/{HASH_D}"),
            EntryType::Regular,
            b"output",
            "",
        ),
        (
            "go-build/README",
            EntryType::Regular,
            b"This directory holds cached build artifacts from the Go build system.\n",
            "",
        ),
        (
            "go-mod/cache/download/example.com/m/@v/",
            EntryType::Directory,
            b"",
            "",
        ),
        (
            "go-mod/cache/download/example.com/m/@v/v1.0.0.mod",
            EntryType::Regular,
            b"module example.com/m\n",
            "",
        ),
        (
            "go-mod/cache/download/example.com/m/@v/list",
            EntryType::Regular,
            b"v1.0.0\n",
            "",
        ),
        (
            "go-mod/example.com/m@v1.0.0/go.mod",
            EntryType::Regular,
            b"module example.com/m\n",
            "",
        ),
    ]);
    let mut pax = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(1);
    header.set_mode(0o4777);
    header.set_entry_type(EntryType::Regular);
    pax.append_pax_extensions([("path", "go-build/../../outside/file".as_bytes())])
        .unwrap();
    pax.append_data(&mut header, format!("go-build/0a/{HASH_A}"), &b"x"[..])
        .unwrap();
    let pax = pax.into_inner().unwrap();
    let mut long = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_entry_type(EntryType::Regular);
    long.append_data(
        &mut header,
        format!("go-mod/example.com/{}@v1.0.0/f", "d".repeat(150)),
        &b"x"[..],
    )
    .unwrap();
    let long = long.into_inner().unwrap();
    // The first byte: 1 makes the target right the checksums (see it).
    let fixed = |tar: Vec<u8>| [&[1u8][..], &tar].concat();
    let as_is = |tar: Vec<u8>| [&[0u8][..], &tar].concat();
    seeds(
        "artifacts_tar",
        &[
            ("good", fixed(good.clone())),
            ("truncated", as_is(good[..good.len() - 700].to_vec())),
            (
                "symlink",
                fixed(raw_tar(&[
                    ("go-build/00", EntryType::Symlink, b"", "../../../outside"),
                    ("go-build/00/x", EntryType::Regular, b"x", ""),
                ])),
            ),
            (
                "dot-dot",
                fixed(raw_tar(&[(
                    "go-build/../../outside/file",
                    EntryType::Regular,
                    b"x",
                    "",
                )])),
            ),
            (
                "absolute",
                fixed(raw_tar(&[("/tmp/escaped", EntryType::Regular, b"x", "")])),
            ),
            (
                "device",
                fixed(raw_tar(&[("go-mod/null", EntryType::Char, b"", "")])),
            ),
            (
                "fifo",
                fixed(raw_tar(&[("go-mod/fifo", EntryType::Fifo, b"", "")])),
            ),
            (
                "hard-link",
                fixed(raw_tar(&[
                    ("go-build/README", EntryType::Regular, b"x", ""),
                    ("go-build/0a/x", EntryType::Link, b"", "../outside/file"),
                ])),
            ),
            (
                "file-for-dir",
                fixed(raw_tar(&[
                    ("go-build/00", EntryType::Regular, b"x", ""),
                    ("go-mod/cache", EntryType::Regular, b"x", ""),
                ])),
            ),
            (
                "foreign",
                fixed(raw_tar(&[
                    ("go-build/notes.txt", EntryType::Regular, b"x", ""),
                    ("etc/passwd", EntryType::Regular, b"x", ""),
                    (
                        "pkg/mod/example.com/m@v1.0.0/go.mod",
                        EntryType::Regular,
                        b"module m\n",
                        "",
                    ),
                ])),
            ),
            (
                "escape-name",
                fixed(raw_tar(&[(
                    "go-build/\x1b[2J\n---> Done",
                    EntryType::Regular,
                    b"x",
                    "",
                )])),
            ),
            ("pax", fixed(pax)),
            ("gnu-long-name", fixed(long)),
            (
                "gzip",
                as_is(vec![
                    0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ]),
            ),
            (
                "random",
                as_is(
                    (0..1024u32)
                        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                        .collect(),
                ),
            ),
        ],
    );

    // Entries to lay out, as the target reads them (see its comment).
    seeds(
        "artifacts_dir",
        &[
            // go-build/0a/<hash>-a, go-build/0a/<hash>-d, go-mod/m@v1.0.0/x
            (
                "good",
                vec![
                    0, 0, 2, 10, 22, 0, 3, b'a', b'b', b'c', 0, 0, 2, 10, 23, 0, 0, 0, 1, 2, 21,
                    25, 0, 1, b'y',
                ],
            ),
            // go-build/00 -> /outside/dir, then go-build/00 -> ../../outside
            (
                "symlink-out",
                vec![2, 0, 1, 9, 8, 2, 0, 1, 10, 16, 1, 0, 1, 11, 0],
            ),
            ("hard-link-out", vec![3, 0, 2, 10, 22, 0]),
            (
                "hard-link-in",
                vec![0, 1, 2, 21, 25, 0, 1, b'x', 7, 1, 2, 21, 15, 0],
            ),
            ("fifo", vec![4, 0, 2, 10, 22, 0]),
            ("device", vec![5, 1, 1, 25, 0]),
            (
                "modes",
                vec![0, 0, 2, 10, 22, 4, 0, 1, 1, 1, 21, 3, 1, 0, 1, 9, 7],
            ),
            ("file-for-dir", vec![0, 0, 1, 9, 0, 0, 0, 1, 1, 4, 0, 0]),
            (
                "escape-name",
                vec![0, 0, 1, 26, 0, 0, 0, 1, 0xf3, 0x1b, b'[', b'2', b'J', 0, 0],
            ),
        ],
    );

    let mut classify = Vec::new();
    let stderr_dir = root().join("s2i-assemble/tests/go-stderr");
    for class in fs::read_dir(&stderr_dir).unwrap().flatten() {
        if !class.path().is_dir() {
            continue;
        }
        for file in fs::read_dir(class.path()).unwrap().flatten() {
            let path = file.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(scenario) = name.strip_suffix(".txt") else {
                continue;
            };
            let base = scenario.rsplit_once(".go").map_or(scenario, |(b, _)| b);
            // Only the scenarios that set variables: `cargo xtask fuzz` gives
            // the fuzzer the recorded stderr files themselves too.
            let Ok(env) = fs::read(class.path().join(format!("{base}.env"))) else {
                continue;
            };
            let class_name = class.file_name().to_string_lossy().into_owned();
            classify.push((
                format!("{class_name}-{scenario}"),
                [env, fs::read(&path).unwrap()].concat(),
            ));
        }
    }
    classify.sort();
    let refs: Vec<(&str, Vec<u8>)> = classify
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    seeds("go_classify", &refs);
}
