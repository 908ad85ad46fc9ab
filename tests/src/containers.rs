//! buildah and podman for the image tests: unique names, cleanup on drop.
//!
//! Every image and container a test makes gets a name no other test process
//! can pick (`s2i-test-<what>-<pid>-<counter>-<random>`) and is removed when
//! its guard drops, also when the test fails, so runs leave nothing behind and
//! never depend on what an earlier run left.
//!
//! Machine facts this relies on (see the README's "The builder image"): only
//! root can use the tools here; `buildah bud --isolation chroot` builds
//! Dockerfiles, `RUN` included; podman needs the `runc` runtime and ulimits
//! below the host's.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::{require_root, require_tool, workspace_root};

/// Root, buildah and podman, or a loud skip (a panic under CI).
pub fn require_container_tools(test: &str) -> Option<()> {
    require_root(test)?;
    require_tool("buildah", test)?;
    require_tool("podman", test)?;
    Some(())
}

/// A name no other image, container or test process uses.
pub fn unique_name(what: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let random = RandomState::new().build_hasher().finish() & 0xff_ffff;
    format!(
        "s2i-test-{what}-{}-{}-{random:06x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes what earlier test processes left behind when they could not clean
/// up (killed by a timeout or a signal, so no guard dropped): containers and
/// images with our naming scheme whose process is gone. Live processes' ones
/// are left alone, so concurrent test runs do not disturb each other.
pub fn sweep_leftovers() {
    let listed = |args: &[&str]| -> Vec<String> {
        Command::new("podman")
            .args(args)
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let orphaned = |name: &str| -> bool {
        let name = name.trim_start_matches("localhost/");
        let name = name.split(':').next().unwrap_or(name);
        let Some(rest) = name.strip_prefix("s2i-test-") else {
            return false;
        };
        // s2i-test-<what>-<pid>-<counter>-<random>: the pid is third from the end.
        let parts: Vec<&str> = rest.rsplitn(4, '-').collect();
        match parts.get(2).and_then(|p| p.parse::<u32>().ok()) {
            Some(pid) => !Path::new(&format!("/proc/{pid}")).exists(),
            None => false,
        }
    };
    for name in listed(&["ps", "-a", "--format", "{{.Names}}"]) {
        if orphaned(&name) {
            eprintln!("removing container {name}, left behind by an earlier test run");
            let _ = podman()
                .args(["rm", "--force", "--time", "0", &name])
                .output();
        }
    }
    for name in listed(&["images", "--format", "{{.Repository}}:{{.Tag}}"]) {
        if orphaned(&name) {
            eprintln!("removing image {name}, left behind by an earlier test run");
            let _ = Command::new("podman")
                .args(["rmi", "--force", &name])
                .output();
        }
    }
}

/// Runs `command`; panics with its command line and whole output if it fails.
pub fn run(command: &mut Command) -> Output {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    if !output.status.success() {
        panic!(
            "{command:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// Runs `command` and returns its standard output, trimmed.
pub fn run_stdout(command: &mut Command) -> String {
    String::from_utf8_lossy(&run(command).stdout)
        .trim()
        .to_string()
}

/// `podman` with the runtime and limits this kind of machine needs: runc
/// (crun fails on hybrid cgroups) when it is installed.
pub fn podman() -> Command {
    Cli::podman().command()
}

/// Arguments for `podman run` that every container here needs: the sandbox
/// lacks CAP_SYS_RESOURCE, so the limits must stay below the host's.
pub const RUN_LIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
];

/// A container CLI, with what every command and every `run` here needs:
/// `podman` (the runc runtime, [`RUN_LIMITS`]), or the `docker` CLI talking
/// to an engine of [`crate::engines`] (`DOCKER_HOST`, the host network).
/// [`Image`] and [`Container`] work the same through either.
#[derive(Clone, Debug)]
pub struct Cli {
    kind: CliKind,
    program: PathBuf,
    global: Vec<String>,
    env: Vec<(String, String)>,
    run_options: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CliKind {
    Podman,
    Docker,
}

impl Cli {
    /// podman, on this machine's container storage.
    pub fn podman() -> Cli {
        let global = match which::which("runc") {
            Ok(runc) => vec!["--runtime".into(), runc.to_string_lossy().into_owned()],
            Err(_) => Vec::new(),
        };
        Cli {
            kind: CliKind::Podman,
            program: PathBuf::from("podman"),
            global,
            env: Vec::new(),
            run_options: RUN_LIMITS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The docker CLI `program` talking to the API at `docker_host`; its
    /// containers use the host network (the engines here have no bridge).
    pub fn docker(program: PathBuf, docker_host: String) -> Cli {
        Cli {
            kind: CliKind::Docker,
            program,
            global: Vec::new(),
            env: vec![("DOCKER_HOST".into(), docker_host)],
            run_options: vec!["--network".into(), "host".into()],
        }
    }

    /// The CLI with its global options and environment, ready for arguments.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.global);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// `run` with the options every container here needs.
    fn run(&self) -> Command {
        let mut command = self.command();
        command.arg("run").args(&self.run_options);
        command
    }
}

/// A local image, removed on drop (unless kept).
#[derive(Debug)]
pub struct Image {
    pub name: String,
    keep: bool,
    cli: Cli,
}

impl Image {
    /// Adopts a podman image that a command just made under `name`: removed on drop.
    pub fn adopt(name: String) -> Image {
        Image::adopt_in(Cli::podman(), name)
    }

    /// A podman image the test did not make (named by the developer): kept on drop.
    pub fn keep(name: String) -> Image {
        Image {
            name,
            keep: true,
            cli: Cli::podman(),
        }
    }

    /// Adopts an image of the store `cli` talks to: removed on drop.
    pub fn adopt_in(cli: Cli, name: String) -> Image {
        Image {
            name,
            keep: false,
            cli,
        }
    }

    /// The image's ID.
    pub fn id(&self) -> String {
        self.inspect("{{.Id}}")
    }

    /// After a build that committed a new image under this name
    /// (`s2i build --incremental`): removes the image it replaced,
    /// `previous` (its [`Image::id`] before), which is otherwise left
    /// untagged in a store that outlives the test. Quiet when it is gone
    /// already (s2i's `--rm`).
    pub fn remove_previous(&self, previous: &str) {
        if self.keep || self.id() == previous {
            return;
        }
        let _ = self
            .cli
            .command()
            .args(["rmi", "--force", previous])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// `image inspect --format FORMAT`, trimmed.
    pub fn inspect(&self, format: &str) -> String {
        run_stdout(
            self.cli
                .command()
                .args(["image", "inspect", "--format", format, &self.name]),
        )
    }

    /// The value of one label (empty when the image has no such label).
    pub fn label(&self, label: &str) -> String {
        self.inspect(&format!("{{{{index .Config.Labels {label:?}}}}}"))
    }

    /// The image size in bytes, as the engine reports it.
    pub fn size(&self) -> u64 {
        let size = self.inspect("{{.Size}}");
        size.parse()
            .unwrap_or_else(|_| panic!("the size of {} is reported as {size:?}", self.name))
    }

    /// `run --rm IMAGE ARGS...` with the options every container here
    /// needs; the output, whatever the exit status.
    pub fn run_once(&self, options: &[&str], args: &[&str]) -> Output {
        self.cli
            .run()
            .arg("--rm")
            .args(options)
            .arg(&self.name)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.cli.program.display()))
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let removed = self
            .cli
            .command()
            .args(["rmi", "--force", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        match removed {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "warning: cannot remove image {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("warning: cannot remove image {}: {e}", self.name),
        }
    }
}

/// A built image and everything the build printed (steps and RUN output).
pub struct Built {
    pub image: Image,
    pub log: String,
}

/// `buildah bud --isolation chroot -f DOCKERFILE -t <unique> EXTRA... CONTEXT`.
/// `what` names the image (it appears in the unique name).
pub fn buildah_bud(what: &str, context: &Path, dockerfile: &Path, extra: &[&str]) -> Built {
    let name = format!("localhost/{}", unique_name(what));
    let mut command = Command::new("buildah");
    command
        .args(["bud", "--isolation", "chroot", "--layers=false", "-f"])
        .arg(dockerfile)
        .args(["-t", &name])
        .args(extra)
        .arg(context);
    // The image exists only if the build succeeded, but removing a missing
    // image is harmless: adopt it first so a failed build still cleans up.
    let image = Image::adopt(name);
    let output = run(&mut command);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Built { image, log }
}

/// Builds the local Go base image with image/test-base/make-base.sh from the
/// Go toolchain folder `goroot` (there is no registry to pull a Go image from).
pub fn make_go_base_image(goroot: &Path) -> Image {
    let name = format!("localhost/{}", unique_name("go-base"));
    let image = Image::adopt(name);
    run(
        Command::new(workspace_root().join("image/test-base/make-base.sh"))
            .arg(&image.name)
            .env("GOROOT_SRC", goroot),
    );
    image
}

/// Builds the builder image the air-gapped way, with the binaries from
/// dist/: image/Dockerfile's `base` stage on `base`, then
/// image/prebuilt/Dockerfile on it with dist/ as the context.
pub fn build_builder_image(base: &Image) -> Built {
    let root = workspace_root();
    for bin in ["s2i-assemble", "s2i-run", "s2i-usage", "s2i-save-artifacts"] {
        assert!(
            root.join("dist").join(bin).is_file(),
            "dist/{bin} is missing: run `cargo xtask dist` (or `cargo xtask test`) first"
        );
    }
    let stage = buildah_bud(
        "builder-base",
        &root,
        &root.join("image/Dockerfile"),
        &[
            "--target",
            "base",
            "--build-arg",
            &format!("BASE_IMAGE={}", base.name),
        ],
    );
    let builder = buildah_bud(
        "builder",
        &root.join("dist"),
        &root.join("image/prebuilt/Dockerfile"),
        &["--build-arg", &format!("BUILDER_BASE={}", stage.image.name)],
    );
    // The base stage's tag goes with `stage`; its layers stay, the builder's.
    Built {
        image: builder.image,
        log: stage.log + &builder.log,
    }
}

/// Builds a local Rust image for image/Dockerfile's build stage with
/// image/test-base/make-rust.sh (Debian from its mirror, this machine's
/// rustup toolchain): there is no registry to pull a Rust image from.
pub fn make_rust_image() -> Image {
    let name = format!("localhost/{}", unique_name("rust"));
    let image = Image::adopt(name);
    run(Command::new(workspace_root().join("image/test-base/make-rust.sh")).arg(&image.name));
    image
}

/// A copy of the repository as a fresh clone has it: no `target/`,
/// `.tools/`, `dist/` or `.git` (so a build that needs dist/ fails, as on
/// a user's machine), with uncommitted changes.
pub fn clean_checkout() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("s2i-checkout-")
        .tempdir()
        .expect("a temporary folder");
    let root = workspace_root();
    let walk = walkdir::WalkDir::new(&root).into_iter().filter_entry(|e| {
        e.depth() != 1
            || ![".git", ".tools", "dist", "target"]
                .contains(&e.file_name().to_string_lossy().as_ref())
    });
    for entry in walk {
        let entry = entry.expect("read the repository");
        let dest = dir
            .path()
            .join(entry.path().strip_prefix(&root).expect("below the root"));
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&dest).expect("create a folder");
        } else if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("read a link");
            std::os::unix::fs::symlink(target, &dest).expect("copy a link");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy a file");
        }
    }
    dir
}

/// The arguments of a build of image/Dockerfile's default target (the Rust
/// stage compiles the binaries) on the local `base` and `rust` images.
pub fn default_stage_build_args(base: &str, rust: &str) -> [String; 4] {
    [
        "--build-arg".into(),
        format!("BASE_IMAGE={base}"),
        "--build-arg".into(),
        format!("RUST_IMAGE={rust}"),
    ]
}

/// Builds the runtime image (image/runtime/Dockerfile), taking s2i-run from `builder`.
pub fn build_runtime_image(builder: &Image) -> Built {
    let dir = workspace_root().join("image/runtime");
    buildah_bud(
        "runtime",
        &dir,
        &dir.join("Dockerfile"),
        &["--build-arg", &format!("BUILDER_IMAGE={}", builder.name)],
    )
}

/// A running container, removed (forcibly) on drop.
pub struct Container {
    pub name: String,
    cli: Cli,
}

impl Container {
    /// `run -d --name <unique> OPTIONS IMAGE`, with the options every
    /// container here needs, through the image's CLI.
    pub fn start(image: &Image, options: &[&str]) -> Container {
        Container::start_with(image, options, &[])
    }

    /// `run -d --name <unique> OPTIONS IMAGE ARGS...`: the image's command
    /// replaced by ARGS.
    pub fn start_with(image: &Image, options: &[&str], args: &[&str]) -> Container {
        let container = Container {
            name: unique_name("ctr"),
            cli: image.cli.clone(),
        };
        run(container
            .cli
            .run()
            .args(["-d", "--name", &container.name])
            .args(options)
            .arg(&image.name)
            .args(args));
        container
    }

    /// `logs`: the application's output so far (stdout and stderr).
    pub fn logs(&self) -> String {
        let out = run(self.cli.command().args(["logs", &self.name]));
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `stop -t TIMEOUT`; returns how long it took.
    pub fn stop(&self, timeout_secs: u32) -> Duration {
        let started = Instant::now();
        run(self
            .cli
            .command()
            .args(["stop", "-t", &timeout_secs.to_string(), &self.name]));
        started.elapsed()
    }

    /// The exit code of the stopped container.
    pub fn exit_code(&self) -> i32 {
        let code = run_stdout(self.cli.command().args([
            "inspect",
            "--format",
            "{{.State.ExitCode}}",
            &self.name,
        ]));
        code.parse()
            .unwrap_or_else(|_| panic!("the exit code is reported as {code:?}"))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let mut rm = self.cli.command();
        rm.args(["rm", "--force"]);
        if self.cli.kind == CliKind::Podman {
            rm.args(["--time", "0"]); // podman would wait for a stop first
        }
        let _ = rm
            .arg(&self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Starts `image` (`run -d OPTIONS IMAGE ARGS...`), fetches `/` from
/// 127.0.0.1:`port` (which OPTIONS make it serve: a published port, or
/// `PORT` on the host network), stops it with `stop -t 10`; returns the
/// answer, trimmed. SIGTERM must end it with 143 or 0, well before the
/// timeout (137 would be SIGKILL after it).
pub fn serve_and_stop(image: &Image, port: u16, options: &[&str], args: &[&str]) -> String {
    let container = Container::start_with(image, options, args);
    let answer = http_get(port, "/", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n--- container log\n{}", container.logs()));
    let took = container.stop(10);
    let code = container.exit_code();
    eprintln!(
        "{} {options:?}: {:?}; stop -t 10 took {took:.2?}, exit code {code}",
        image.name,
        answer.trim()
    );
    assert!(
        code == 143 || code == 0,
        "the application should end on SIGTERM with 143 or 0, not {code} (137 = killed after the timeout)\n{}",
        container.logs()
    );
    // Well under the 10 s timeout (the engine's own work takes up to a
    // second or two on a busy machine); the exit status rules out SIGKILL.
    assert!(
        took < Duration::from_secs(7),
        "stop took {took:?}: SIGTERM did not reach the application"
    );
    answer.trim().to_string()
}

/// A loopback TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `GET path` over plain HTTP/1.0 on 127.0.0.1:port, retried until `patience`
/// runs out (the application may still be starting). Returns the body of
/// the first answer with status 200.
pub fn http_get(port: u16, path: &str, patience: Duration) -> Result<String, String> {
    let deadline = Instant::now() + patience;
    let mut last = String::from("no attempt");
    while Instant::now() < deadline {
        match http_get_once(port, path) {
            Ok((200, body)) => return Ok(body),
            Ok((status, body)) => last = format!("status {status}: {body}"),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "GET http://127.0.0.1:{port}{path} did not answer 200 within {patience:?}: {last}"
    ))
}

fn http_get_once(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    Ok((status, body.to_string()))
}

/// A copy of the module-http fixture, in `work`, whose answer also shows
/// two variables: APP_MOOD, set to `cheerful` by the source's
/// `.s2i/environment`, and APP_VOICE, for the build's own environment
/// (`s2i build --env`): "hello from module-http (mood: cheerful, voice: )".
pub fn http_app_source(work: &Path) -> PathBuf {
    let src = crate::go::copy_fixture("module-http", work);
    let main_go = src.join("main.go");
    let code = std::fs::read_to_string(&main_go).expect("read main.go");
    let greeting = r#"fmt.Fprintln(w, "hello from module-http")"#;
    assert!(
        code.contains(greeting),
        "the module-http fixture changed: update http_app_source"
    );
    let code = code.replace(
        greeting,
        r#"fmt.Fprintln(w, "hello from module-http (mood: "+os.Getenv("APP_MOOD")+", voice: "+os.Getenv("APP_VOICE")+")")"#,
    );
    std::fs::write(&main_go, code).expect("write main.go");
    std::fs::create_dir_all(src.join(".s2i")).expect("create .s2i");
    std::fs::write(
        src.join(".s2i/environment"),
        "# build and run settings\nAPP_MOOD = cheerful\n",
    )
    .expect("write .s2i/environment");
    src
}

/// Changes the answer of [`http_app_source`]'s app: "hello again from ...".
pub fn change_http_app(src: &Path) {
    let main_go = src.join("main.go");
    let code = std::fs::read_to_string(&main_go).expect("read main.go");
    std::fs::write(&main_go, code.replace("hello from", "hello again from"))
        .expect("change main.go");
}

/// The application build as the s2i CLI's `--as-dockerfile` mode lays it out:
/// a context folder with `Dockerfile` and `upload/src`.
pub struct S2iContext {
    pub dir: tempfile::TempDir,
}

impl S2iContext {
    /// Writes the Dockerfile `s2i build SRC BUILDER --as-dockerfile` writes
    /// (with `--incremental`, when `previous` names the previous application
    /// image), and copies `src` to upload/src. The variables of
    /// `src/.s2i/environment` become `ENV` lines, as s2i does.
    pub fn new(src: &Path, builder: &str, previous: Option<&str>) -> S2iContext {
        let dir = tempfile::Builder::new()
            .prefix("s2i-context-")
            .tempdir()
            .expect("a temporary folder");
        copy_tree(src, &dir.path().join("upload/src"));
        let env_file = src.join(".s2i/environment");
        let variables = match std::fs::read_to_string(&env_file) {
            Ok(text) => s2i_common::envfile::parse(text.as_bytes())
                .expect("the fixture's .s2i/environment is valid")
                .variables
                .into_iter()
                .map(|v| (v.name, v.value))
                .collect(),
            Err(_) => Vec::new(),
        };
        let dockerfile = s2i_dockerfile(builder, &variables, previous);
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("write the Dockerfile");
        S2iContext { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn dockerfile(&self) -> PathBuf {
        self.dir.path().join("Dockerfile")
    }

    /// Builds the application image with buildah.
    pub fn build(&self, what: &str) -> Built {
        buildah_bud(what, self.path(), &self.dockerfile(), &[])
    }
}

/// The Dockerfile of the s2i CLI's `--as-dockerfile` mode (source-to-image's
/// pkg/build/strategies/dockerfile), for the default scripts location and
/// assemble user 1001, without the source labels.
pub fn s2i_dockerfile(builder: &str, env: &[(String, String)], previous: Option<&str>) -> String {
    let scripts = "/usr/libexec/s2i";
    let mut out = String::new();
    if let Some(previous) = previous {
        out += &format!("FROM {previous} as cached\n");
        out += "USER 1001\n";
        out += &format!(
            "RUN if [ -s {scripts}/save-artifacts ]; then {scripts}/save-artifacts > /tmp/artifacts.tar; \
             else touch /tmp/artifacts.tar; fi\n"
        );
    }
    out += &format!("FROM {builder}\n");
    out += &format!("LABEL \"io.openshift.s2i.build.image\"=\"{builder}\"\n");
    if !env.is_empty() {
        let assignments: Vec<String> = env
            .iter()
            .map(|(name, value)| {
                format!(
                    "{name}=\"{}\"",
                    value.replace('\\', "\\\\").replace('"', "\\\"")
                )
            })
            .collect();
        out += &format!("ENV {}\n", assignments.join(" \\\n    "));
    }
    out += "USER root\n";
    let mut chown = Vec::new();
    if previous.is_some() {
        out += "COPY --from=cached /tmp/artifacts.tar /tmp/artifacts.tar\n";
        chown.push("/tmp/artifacts.tar");
    }
    out += "COPY upload/src /tmp/src\n";
    chown.push("/tmp/src");
    out += &format!("RUN chown -R 1001:0 {}\n", chown.join(" "));
    out += "USER 1001\n";
    if previous.is_some() {
        out += "RUN if [ -s /tmp/artifacts.tar ]; then mkdir -p /tmp/artifacts; \
                tar -xf /tmp/artifacts.tar -C /tmp/artifacts; fi && \\\n    rm /tmp/artifacts.tar\n";
    }
    out += &format!("RUN {scripts}/assemble\n");
    out += &format!("CMD {scripts}/run\n");
    out
}

/// The Dockerfile of a chained build (OpenShift's second, Docker-strategy
/// BuildConfig): the runtime image plus the paths its
/// `io.openshift.s2i.assemble-input-files` label names, copied out of the
/// application image built by the builder.
pub fn chained_dockerfile(runtime: &str, app: &str, input_files: &str) -> String {
    let mut out = format!("FROM {app} AS app\nFROM {runtime}\n");
    for mapping in input_files.split(';').filter(|m| !m.is_empty()) {
        let (src, dest) = mapping.split_once(':').unwrap_or((mapping, mapping));
        out += &format!("COPY --from=app --chown=1001:0 {src} {dest}\n");
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("read the fixture");
        let dest = to.join(entry.path().strip_prefix(from).expect("below the root"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("create a folder");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy a file");
        }
    }
}

/// A container registry (Debian's `docker-registry`) on loopback, with a
/// self-signed certificate and htpasswd (bcrypt) authentication; stopped on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    pub user: String,
    pub password: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Needs `docker-registry`, `htpasswd` (apache2-utils) and `openssl`.
    pub fn require_tools(test: &str) -> Option<()> {
        require_tool("docker-registry", test)?;
        require_tool("htpasswd", test)?;
        require_tool("openssl", test)?;
        require_tool("skopeo", test)?;
        Some(())
    }

    pub fn start() -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("s2i-registry-")
            .tempdir()
            .expect("a temporary folder");
        let d = dir.path();
        run(Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .arg("-keyout")
            .arg(d.join("key.pem"))
            .arg("-out")
            .arg(d.join("cert.pem"))
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ]));
        let user = "builder".to_string();
        let password = unique_name("pw");
        let htpasswd = run_stdout(Command::new("htpasswd").args(["-Bbn", &user, &password]));
        std::fs::write(d.join("htpasswd"), htpasswd + "\n").expect("write htpasswd");
        let port = free_port();
        let config = format!(
            "version: 0.1\n\
             log:\n  level: warn\n\
             storage:\n  filesystem:\n    rootdirectory: {data}\n\
             http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {cert}\n    key: {key}\n\
             auth:\n  htpasswd:\n    realm: s2i-go-tests\n    path: {htpasswd}\n",
            data = d.join("data").display(),
            cert = d.join("cert.pem").display(),
            key = d.join("key.pem").display(),
            htpasswd = d.join("htpasswd").display(),
        );
        std::fs::write(d.join("config.yml"), config).expect("write the registry config");
        let log = std::fs::File::create(d.join("registry.log")).expect("create the registry log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup the log"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut registry = Registry {
            child,
            port,
            user,
            password,
            _dir: dir,
        };
        registry.wait_listening();
        registry
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited ({status}):\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "docker-registry does not listen on 127.0.0.1:{}:\n{}",
            self.port,
            self.log()
        );
    }

    /// What the registry printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `user:password`
    pub fn creds(&self) -> String {
        format!("{}:{}", self.user, self.password)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
