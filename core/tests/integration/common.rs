//! Shared fixtures for the integration tests: a busybox test image, isolated instances that clean
//! up after themselves, a local registry. Fixtures use the docker CLI; the code under test does not.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use occ_core::settings::ImageMode;
use occ_core::{Engine, Progress, Settings};

/// The test image: Debian's static busybox serving `/global/health` on port 3000, as opencode
/// does, with a HEALTHCHECK and a TERM trap so `docker stop` is quick. `exit 3` when httpd dies
/// lets a test simulate a crash.
pub const TEST_IMAGE: &str = "occ-test-busybox:1";

const TEST_DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /www/global /tmp && echo '{"healthy":true}' > /www/global/health && echo '<h1>occ test image</h1>' > /www/index.html
ARG VARIANT=a
LABEL dev.opencode-cloud.test-variant=$VARIANT
HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:3000/global/health || exit 1
EXPOSE 3000
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; httpd -f -p 3000 -h /www & wait; exit 3"]
"#;

/// A build context folder holding the test Dockerfile (with `extra` appended) and busybox.
pub fn test_context(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("{TEST_DOCKERFILE}{extra}"),
    )
    .unwrap();
    std::fs::copy("/bin/busybox", dir.path().join("busybox"))
        .expect("/bin/busybox is missing: install Debian's busybox-static");
    dir
}

/// Builds `tag` from the test Dockerfile with `--build-arg VARIANT=variant` (docker CLI).
pub fn build_test_image(tag: &str, variant: &str) {
    let context = test_context("");
    docker(&[
        "build",
        "-q",
        "--build-arg",
        &format!("VARIANT={variant}"),
        "-t",
        tag,
        context.path().to_str().unwrap(),
    ]);
}

/// Builds [`TEST_IMAGE`] once per test process.
pub fn test_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| build_test_image(TEST_IMAGE, "a"));
    TEST_IMAGE
}

/// Runs the docker CLI and returns stdout; panics with stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Like [`docker`] but ignores failure (cleanup of things that may not exist).
pub fn docker_quiet(args: &[&str]) {
    let _ = Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A port nobody listens on right now. Ports are handed out once per process.
pub fn free_port() -> u16 {
    static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut taken = TAKEN.lock().unwrap();
        if !taken.contains(&port) {
            taken.push(port);
            return port;
        }
    }
}

/// An instance of our own, named after the test, removed with its volumes when dropped (also
/// when the test fails). Never the user's `opencode-cloud`.
pub struct TestInstance {
    pub settings: Settings,
    pub config_dir: tempfile::TempDir,
}

impl TestInstance {
    pub fn new(test: &str) -> TestInstance {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let instance = format!("occ-test-{test}-{}-{n}", std::process::id());
        assert_ne!(instance, "opencode-cloud");
        let settings = Settings {
            instance,
            port: free_port(),
            image: test_image().to_string(),
            image_mode: ImageMode::Build,
            ..Settings::default()
        };
        let config_dir = tempfile::tempdir().unwrap();
        let instance = TestInstance {
            settings,
            config_dir,
        };
        instance.save();
        // Clean up leftovers of an earlier crashed run with the same name.
        instance.cleanup();
        instance
    }

    /// Writes the settings where `occ` run with [`TestInstance::occ`] finds them.
    pub fn save(&self) {
        occ_core::SettingsFile::at(self.settings_path())
            .save(&self.settings)
            .unwrap();
    }

    pub fn settings_path(&self) -> PathBuf {
        self.config_dir.path().join("settings.json")
    }

    pub fn name(&self) -> &str {
        &self.settings.instance
    }

    pub fn volume_names(&self) -> Vec<String> {
        self.settings
            .volumes()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// The `occ` binary with this instance's settings folder.
    pub fn occ(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_occ"));
        cmd.env("OPENCODE_CLOUD_CONFIG_DIR", self.config_dir.path());
        cmd
    }

    fn cleanup(&self) {
        docker_quiet(&["rm", "-f", self.name()]);
        for v in self.volume_names() {
            docker_quiet(&["volume", "rm", "-f", &v]);
        }
    }
}

impl Drop for TestInstance {
    fn drop(&mut self) {
        self.cleanup();
    }
}

pub async fn engine() -> Engine {
    Engine::connect()
        .await
        .expect("the Docker engine must be running for these tests")
}

/// A progress sink that records every event.
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<Progress>,
}

impl Recorder {
    pub fn sink(&mut self) -> impl FnMut(Progress) + Send + '_ {
        |p| self.events.push(p)
    }
}

/// Debian's `docker-registry` on a free 127.0.0.1 port, stopped when dropped.
pub struct Registry {
    pub address: String,
    child: Child,
    _storage: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        let storage = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                storage.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry is missing: install Debian's docker-registry");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry did not come up on {address}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            address,
            child,
            _storage: storage,
        }
    }

    /// Pushes a local image under `name` and returns the registry reference.
    pub fn push(&self, local: &str, name: &str) -> String {
        let remote = format!("{}/{name}", self.address);
        docker(&["tag", local, &remote]);
        docker(&["push", &remote]);
        docker(&["rmi", &remote]);
        remote
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `condition` with a deadline, checking every 20 ms.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `content` to `path` inside the running container.
pub fn write_in_container(container: &str, path: &Path, content: &str) {
    docker(&[
        "exec",
        container,
        "sh",
        "-c",
        &format!("printf %s '{content}' > '{}'", path.display()),
    ]);
}

pub fn read_in_container(container: &str, path: &Path) -> String {
    docker(&["exec", container, "cat", path.to_str().unwrap()])
}
