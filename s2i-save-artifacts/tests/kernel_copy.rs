//! Large files go from the page cache to stdout by the kernel (`sendfile`)
//! where it takes them, through reads and writes where it refuses (stdout
//! opened for appending): the stream is the same bytes whatever stdout is,
//! and the same bytes the tar crate writes for the same entries (what
//! `s2i-save-artifacts` wrote before it used the kernel).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};

/// Bytes that are not all alike, so a block out of place shows.
fn data(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed) % 251) as u8).collect()
}

/// Caches with small files and large ones (sizes off the 512-byte blocks),
/// an executable, and a large file whose name needs tar's long-name entry.
fn caches(app_root: &Path) {
    let build = app_root.join(".cache/go-build");
    for dir in ["0a", "1b"] {
        fs::create_dir_all(build.join(dir)).unwrap();
    }
    for n in 0..40 {
        let name = s2i_tests::build_cache_entry(&format!("0a{n:02}"), "a");
        fs::write(build.join(name), data(150 + n, n)).unwrap();
    }
    for (n, len) in [(1, 64 * 1024), (2, 100_001), (3, 3 << 20), (4, 700)] {
        let name = s2i_tests::build_cache_entry(&format!("1b{n:02}"), "d");
        fs::write(build.join(name), data(len, n)).unwrap();
    }
    let module = app_root.join(format!(
        ".cache/go-mod/example.com/{}/tool@v1.0.0",
        "a-rather-long-path-component".repeat(4)
    ));
    fs::create_dir_all(&module).unwrap();
    fs::write(module.join("tool"), data(1_500_000, 9)).unwrap();
    fs::set_permissions(module.join("tool"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(module.join("tool.go"), data(3000, 10)).unwrap();
    dated_in_2020(app_root);
}

/// Everything under `root` dated 2020: the stream dates build-cache entries
/// at most two hours back from now, so recent files would make two runs'
/// streams differ when a second passes between them.
fn dated_in_2020(root: &Path) {
    let then = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    for entry in walkdir::WalkDir::new(root).contents_first(true) {
        let path = entry.unwrap().into_path();
        let file = File::open(&path).unwrap();
        file.set_times(fs::FileTimes::new().set_modified(then))
            .unwrap();
    }
}

fn save_artifacts(app_root: &Path, stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"))
        .env("APP_ROOT", app_root)
        .env_remove("S2I_GO_BASE_CACHE")
        .env_remove("S2I_SAVE_ARTIFACTS_PATHS")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `>> path`: a new file opened for appending, which the kernel will not
/// take sendfile(2) to.
fn open_appending(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn succeeded(child: std::process::Child) {
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("s2i-save-artifacts: saved the build cache"),
        "{stderr}"
    );
}

/// The stream written again entry by entry with the tar crate's own
/// `append_data` and `finish`: the framing the previous implementation used.
fn as_the_tar_crate_writes_it(stream: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut header = entry.header().clone();
        let path = entry.path().unwrap().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        builder
            .append_data(&mut header, path, content.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn the_stream_is_the_same_bytes_to_a_file_a_pipe_a_socket_and_an_appending_file() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("app");
    caches(&root);

    // A regular file: sendfile.
    let to_file = work.path().join("file.tar");
    succeeded(save_artifacts(
        &root,
        File::create(&to_file).unwrap().into(),
    ));
    let stream = fs::read(&to_file).unwrap();

    // A pipe: sendfile (spliced).
    let child = save_artifacts(&root, Stdio::piped());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout == stream, "the stream to a pipe differs");

    // A socket: sendfile.
    let (ours, theirs) = UnixStream::pair().unwrap();
    let child = save_artifacts(&root, std::os::fd::OwnedFd::from(theirs).into());
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        (&ours).read_to_end(&mut all).unwrap();
        all
    });
    succeeded(child);
    assert!(
        reader.join().unwrap() == stream,
        "the stream to a socket differs"
    );

    // `>> file`: the kernel refuses sendfile to an appending output, the
    // fallback reads and writes.
    let appended = work.path().join("appended.tar");
    let appending = open_appending(&appended);
    succeeded(save_artifacts(&root, appending.into()));
    assert!(
        fs::read(&appended).unwrap() == stream,
        "the appended stream differs"
    );

    // The tar crate frames the same entries the same way, byte for byte.
    assert!(as_the_tar_crate_writes_it(&stream) == stream);

    // And the files' data is theirs.
    let mut archive = tar::Archive::new(stream.as_slice());
    let mut large = 0;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().into_owned();
        if entry.header().entry_type().is_file() {
            let on_disk = match name.strip_prefix("go-build") {
                Ok(rest) => root.join(".cache/go-build").join(rest),
                Err(_) => root
                    .join(".cache/go-mod")
                    .join(name.strip_prefix("go-mod").unwrap()),
            };
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            let expected = fs::read(&on_disk).unwrap();
            assert!(content == expected, "{} differs", name.display());
            if expected.len() >= 64 * 1024 {
                large += 1;
            }
        }
    }
    assert_eq!(large, 4, "the large files are in the stream");
}

#[test]
fn other_paths_go_by_the_kernel_too_with_the_same_bytes() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("pip-cache");
    fs::create_dir_all(cache.join("wheels")).unwrap();
    fs::write(cache.join("wheels/big.whl"), data(2_000_003, 3)).unwrap();
    fs::write(cache.join("small"), data(10, 4)).unwrap();
    dated_in_2020(&cache);
    let run = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_s2i-save-artifacts"))
            .arg(&cache)
            .stdout(stdout)
            .stderr(Stdio::null())
            .status()
            .unwrap()
    };
    let to_file = work.path().join("file.tar");
    assert!(run(File::create(&to_file).unwrap().into()).success());
    let appended = work.path().join("appended.tar");
    let appending = open_appending(&appended);
    assert!(run(appending.into()).success());
    let stream = fs::read(&to_file).unwrap();
    assert!(fs::read(&appended).unwrap() == stream);
    assert!(as_the_tar_crate_writes_it(&stream) == stream);
    let mut archive = tar::Archive::new(stream.as_slice());
    let big = archive
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.path().unwrap().ends_with("big.whl"))
        .map(|mut e| {
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            content
        })
        .unwrap();
    assert!(big == data(2_000_003, 3));
}
