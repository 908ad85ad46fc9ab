//! Docker-compatible API engines, for the s2i CLI's default mode and for
//! `docker build`: a private Docker Engine (Debian's `docker.io`), and
//! podman's API service (`podman system service`).
//!
//! Each is started by the test on a socket in a temporary folder of its own
//! and stopped by its pid when it drops, also when the test fails; the
//! Docker Engine's images and containers live in that folder and go with it.
//! Both are driven with the `docker` CLI that came with `dockerd`
//! ([`Engine::docker`]; images and containers are the [`Image`] and
//! [`crate::containers::Container`] of podman, made through
//! [`Engine::image`]), and the s2i CLI with `DOCKER_HOST` set
//! ([`Engine::command`]).
//!
//! Machine facts this relies on (README's "The builder image"): the sandbox
//! has no bridge networking for dockerd and lacks CAP_SYS_RESOURCE, so
//! dockerd runs with `--bridge=none --iptables=false --ip-masq=false`,
//! containers use `--network host`, and both engines get ulimits below the
//! host's (`--default-ulimit` for dockerd, `default_ulimits` in a
//! `containers.conf` named by `CONTAINERS_CONF` for podman).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::containers::{unique_name, Cli, Image};
use crate::{require_root, require_tool};

/// Which engine serves the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// `dockerd`, with its own data root: images must be loaded into it.
    Docker,
    /// `podman system service`: podman's own image store, shared with `podman`.
    Podman,
}

impl EngineKind {
    fn log_name(self) -> &'static str {
        match self {
            EngineKind::Docker => "dockerd.log",
            EngineKind::Podman => "podman.log",
        }
    }
}

/// A running engine serving the Docker API on a unix socket; stopped on drop.
pub struct Engine {
    pub kind: EngineKind,
    socket: PathBuf,
    process: Child,
    cli: Cli,
    dir: tempfile::TempDir,
}

/// Root, `dockerd` and its `docker` CLI, or a loud skip.
pub fn require_docker_engine(test: &str) -> Option<()> {
    require_root(test)?;
    require_tool("dockerd", test)?;
    docker_cli(test)?;
    Some(())
}

/// The `docker` CLI to drive the engines with: the one packaged with
/// `dockerd` (`/usr/sbin/dockerd` -> `/usr/bin/docker`, of the same
/// version), else the first on PATH.
fn docker_cli(test: &str) -> Option<PathBuf> {
    let dockerd = require_tool("dockerd", test)?;
    let beside = dockerd
        .parent()
        .and_then(Path::parent)
        .map(|prefix| prefix.join("bin/docker"));
    match beside {
        Some(cli) if cli.is_file() => Some(cli),
        _ => require_tool("docker", test),
    }
}

impl Engine {
    /// Starts `dockerd` as this machine allows (see the module's comment),
    /// with its socket, data root, exec root and pid file in a new
    /// temporary folder; waits until it answers.
    pub fn start_docker(test: &str) -> Engine {
        let dir = temp_dir("s2i-dockerd-");
        let d = dir.path();
        let socket = d.join("docker.sock");
        let mut dockerd = Command::new("dockerd");
        dockerd
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .arg(format!("--host=unix://{}", socket.display()))
            .arg(format!("--data-root={}", d.join("data").display()))
            .arg(format!("--exec-root={}", d.join("exec").display()))
            .arg(format!("--pidfile={}", d.join("dockerd.pid").display()))
            .args(["--default-ulimit", "nofile=1024:1024"])
            .args(["--default-ulimit", "nproc=1024:1024"]);
        Engine::start(test, EngineKind::Docker, dir, socket, dockerd)
    }

    /// Starts `podman system service` on a socket in a new temporary folder,
    /// with a `containers.conf` (named by `CONTAINERS_CONF`) that gives its
    /// containers the ulimits and runtime this machine needs: containers
    /// started through the API ignore podman's command-line options.
    pub fn start_podman_service(test: &str) -> Engine {
        let dir = temp_dir("s2i-podman-api-");
        let conf = dir.path().join("containers.conf");
        std::fs::write(&conf, PODMAN_CONTAINERS_CONF).expect("write containers.conf");
        let socket = dir.path().join("podman.sock");
        let mut service = Command::new("podman");
        service
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .env("CONTAINERS_CONF", &conf);
        Engine::start(test, EngineKind::Podman, dir, socket, service)
    }

    /// Spawns `server` (logging to the folder's `<kind>.log`) and waits
    /// until the API answers on `socket`.
    fn start(
        test: &str,
        kind: EngineKind,
        dir: tempfile::TempDir,
        socket: PathBuf,
        mut server: Command,
    ) -> Engine {
        let docker_cli = docker_cli(test).expect("require_docker_engine was called");
        let log = std::fs::File::create(dir.path().join(kind.log_name()))
            .expect("create the engine's log");
        let process = server
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup the log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", server.get_program()));
        let cli = Cli::docker(docker_cli, format!("unix://{}", socket.display()));
        let mut engine = Engine {
            kind,
            socket,
            process,
            cli,
            dir,
        };
        engine.wait_ready();
        engine
    }

    /// `unix:///…/docker.sock`: the value of `DOCKER_HOST` for this engine.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// `program` with `DOCKER_HOST` naming this engine (for the s2i CLI).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("DOCKER_HOST", self.docker_host());
        command
    }

    /// The `docker` CLI, talking to this engine.
    pub fn docker(&self) -> Command {
        self.cli.command()
    }

    /// A unique `localhost/…` name for an image the test is about to make in
    /// this engine; removed (`docker rmi --force`) on drop whether or not
    /// it was made. Drop it before the engine.
    pub fn image(&self, what: &str) -> Image {
        Image::adopt_in(self.cli.clone(), format!("localhost/{}", unique_name(what)))
    }

    /// Makes a podman image available to this engine under the same name:
    /// `podman save | docker load` for the Docker Engine; nothing for
    /// podman's service, which serves podman's own images.
    pub fn load(&self, image: &Image) {
        if self.kind == EngineKind::Podman {
            return;
        }
        let mut save = Command::new("podman")
            .args(["save", &image.name])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start podman save");
        let stream = save.stdout.take().expect("podman save's stdout");
        let loaded = self
            .docker()
            .arg("load")
            .stdin(stream)
            .output()
            .expect("start docker load");
        let saved = save.wait().expect("wait for podman save");
        assert!(
            saved.success() && loaded.status.success(),
            "podman save {} | docker load failed ({saved}, {}): {}",
            image.name,
            loaded.status,
            String::from_utf8_lossy(&loaded.stderr)
        );
    }

    /// What the engine logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(self.kind.log_name())).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.process.try_wait() {
                panic!("{:?} exited ({status}):\n{}", self.kind, self.log());
            }
            let pinged = self
                .docker()
                .args(["version", "--format", "{{.Server.Version}}"])
                .stdin(Stdio::null())
                .output();
            if let Ok(out) = pinged {
                if out.status.success() {
                    eprintln!(
                        "{:?} API {} at {}",
                        self.kind,
                        String::from_utf8_lossy(&out.stdout).trim(),
                        self.docker_host()
                    );
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "{:?} does not answer at {}:\n{}",
            self.kind,
            self.docker_host(),
            self.log()
        );
    }

    /// SIGTERM to the engine's pid, SIGKILL if it has not exited in 30 s.
    fn stop(&mut self) {
        let pid = Pid::from_raw(self.process.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "warning: {:?} ignored SIGTERM for 30 s: killing it",
            self.kind
        );
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop();
        if self.kind == EngineKind::Docker {
            // dockerd stops its containerd on a clean exit; after a SIGKILL
            // that one is left, by the pid file dockerd gave it.
            let containerd_pid = self.dir.path().join("exec/containerd/containerd.pid");
            if let Some(pid) = std::fs::read_to_string(containerd_pid)
                .ok()
                .and_then(|p| p.trim().parse::<i32>().ok())
            {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            unmount_below(self.dir.path());
        }
    }
}

/// Unmounts whatever is still mounted below `dir` (overlay layers, the
/// data root's own bind mounts), deepest first, so the folder can go.
fn unmount_below(dir: &Path) {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut mounts: Vec<&str> = mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| Path::new(m).starts_with(dir))
        .collect();
    mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for mount in mounts {
        let _ = Command::new("umount")
            .args(["--lazy", mount])
            .stderr(Stdio::null())
            .status();
    }
}

/// podman's settings for containers started through its API here: ulimits
/// below the host's (the sandbox lacks CAP_SYS_RESOURCE; without them every
/// container fails with "error setting rlimit type 7" and s2i reports
/// `unable to upgrade to tcp, received 409`) and the runc runtime (crun
/// fails on this machine's hybrid cgroups).
pub const PODMAN_CONTAINERS_CONF: &str = "[containers]
default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]

[engine]
runtime = \"runc\"
";

/// The engines' folders: `/tmp/<prefix><test pid>-<random>`.
const ENGINE_DIRS: [&str; 2] = ["s2i-dockerd-", "s2i-podman-api-"];

fn temp_dir(prefix: &str) -> tempfile::TempDir {
    // Short paths: a unix socket path must stay under 108 bytes. The test's
    // pid in the name lets a later run tell a leftover from a live one.
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in("/tmp")
        .expect("a temporary folder")
}

/// Stops and removes what test processes that were killed (a timeout, a
/// signal: no guard dropped) left: engines still running on a folder of
/// theirs, with the containerd a dockerd started, and the folders. Those
/// of live test processes are left alone.
pub fn sweep_leftover_engines() {
    let owner_gone = |dir_name: &str| -> bool {
        ENGINE_DIRS.iter().any(|prefix| {
            dir_name
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        })
    };
    let leftover_dir = |arg: &str| -> Option<PathBuf> {
        let path = arg.split_once("/tmp/").map(|(_, rest)| rest)?;
        let name = path.split('/').next()?;
        owner_gone(name).then(|| Path::new("/tmp").join(name))
    };
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if let Some(dir) = args.split(' ').find_map(leftover_dir) {
            eprintln!("stopping pid {pid} ({args}), left behind by an earlier test run");
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            dirs.push(dir);
        }
    }
    for entry in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if owner_gone(&name) {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    dirs.dedup();
    if !dirs.is_empty() {
        std::thread::sleep(Duration::from_millis(500)); // the killed processes exit
    }
    for dir in dirs {
        unmount_below(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
