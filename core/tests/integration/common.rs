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
/// lets a test simulate a crash. Like opencode, it asks for HTTP basic auth on every route (the
/// health endpoint included) when `OPENCODE_SERVER_PASSWORD` is set, user
/// `OPENCODE_SERVER_USERNAME` (default `opencode`); its health check sends them.
pub const TEST_IMAGE: &str = "occ-test-busybox:2";

const TEST_DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /www/global /tmp && chmod 1777 /tmp && echo '{"healthy":true}' > /www/global/health && echo '<h1>occ test image</h1>' > /www/index.html
ARG VARIANT=a
LABEL dev.opencode-cloud.test-variant=$VARIANT
HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD wget -q -O /dev/null "http://${OPENCODE_SERVER_USERNAME:-opencode}:${OPENCODE_SERVER_PASSWORD}@127.0.0.1:3000/global/health" || exit 1
EXPOSE 3000
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; : > /tmp/httpd.conf; if [ -n \"$OPENCODE_SERVER_PASSWORD\" ]; then echo \"/:${OPENCODE_SERVER_USERNAME:-opencode}:$OPENCODE_SERVER_PASSWORD\" > /tmp/httpd.conf; fi; httpd -f -p 3000 -h /www -c /tmp/httpd.conf & wait; exit 3"]
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
    // Podman 4.3 (buildah) reuses a cached LABEL step built with another ARG value, so every
    // variant would be the same image there: build variants without the cache.
    let cache = if variant == "a" { "-q" } else { "--no-cache" };
    docker(&[
        "build",
        "-q",
        cache,
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

/// Kills the test server inside the container, so the container exits 3 on its own (a crash).
/// The exec's own outcome is not checked: Podman may drop the exec session of a container that
/// exits meanwhile and report that as an error; the caller waits for the crash itself.
pub fn crash_server(container: &str) {
    docker_quiet(&["exec", container, "killall", "-9", "httpd"]);
}

/// Like [`docker`] but ignores failure (cleanup of things that may not exist).
pub fn docker_quiet(args: &[&str]) {
    let _ = Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A port nobody listens on right now. Ports are handed out once per process, and come from
/// below the kernel's ephemeral range (32768–60999 on Linux): a port from `bind(:0)` is one an
/// outgoing connection (to the registry, the engine, a health check) may be given next, making
/// the port "in use" between this check and the test's use of it.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let bindable = |port: u16| {
        TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("0.0.0.0", port)).is_ok()
    };
    loop {
        // A walk through the range that differs per process, so parallel test runs rarely meet.
        let n = NEXT.fetch_add(1, Ordering::SeqCst) as u32;
        let offset = (std::process::id().wrapping_mul(7_919) + n.wrapping_mul(104_729)) % COUNT;
        let port = (FIRST + offset) as u16;
        let mut taken = TAKEN.lock().unwrap();
        if !taken.contains(&port) && bindable(port) {
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
        let mut instance = TestInstance {
            settings,
            config_dir,
        };
        instance.save();
        // Loaded back as the app and `occ` do: with the password, created on this first load.
        instance.settings = occ_core::SettingsFile::at(instance.settings_path())
            .load()
            .unwrap();
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

// ---------------------------------------------------------------------------------------------
// Faults: a cuttable Docker socket, a slow registry link, volume checksums, status waits.
// ---------------------------------------------------------------------------------------------

/// The runtime the proxies run on: their own threads, so they keep forwarding while a test's
/// (single-threaded) runtime is blocked in a docker CLI call or a sink callback.
fn helper_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("occ-test-proxy")
            .enable_all()
            .build()
            .unwrap()
    })
}

/// The socket of the engine under test (Docker's, or Podman's when discovery finds it).
fn engine_socket() -> &'static Path {
    static SOCKET: OnceLock<PathBuf> = OnceLock::new();
    SOCKET.get_or_init(|| {
        occ_core::discovery::socket_path(&occ_core::client::endpoint_from_env())
            .expect("the engine under test answers on a unix socket")
    })
}

/// One forwarded connection: clones of both sockets, so `cut` can shut them down synchronously,
/// and the task that pipes between them.
struct Forwarded {
    client: std::os::unix::net::UnixStream,
    upstream: std::os::unix::net::UnixStream,
    task: tokio::task::AbortHandle,
}

#[derive(Default)]
struct ProxyState {
    /// Bumped by every `cut`: a connection accepted under an older generation is dropped.
    generation: u64,
    listener: Option<tokio::task::AbortHandle>,
    live: std::collections::HashMap<u64, Forwarded>,
    next_id: u64,
    /// Requests seen, by the first line of the request (`GET /v1.41/events?… HTTP/1.1`).
    requests: Vec<String>,
    /// When set, requests for the event stream are accepted and closed at once.
    break_events: bool,
}

/// A unix-socket forwarder to the real engine at a temp path: code under test reaches it as
/// `unix://<path>` (or `DOCKER_HOST`). [`DockerProxy::cut`] makes the engine vanish mid-stream;
/// [`DockerProxy::restore`] brings it back at the same path.
pub struct DockerProxy {
    _dir: tempfile::TempDir,
    path: PathBuf,
    state: std::sync::Arc<Mutex<ProxyState>>,
}

impl DockerProxy {
    pub fn start() -> DockerProxy {
        let dir = tempfile::Builder::new()
            .prefix("occ-proxy")
            .tempdir_in("/tmp")
            .unwrap();
        let path = dir.path().join("docker.sock");
        let proxy = DockerProxy {
            _dir: dir,
            path,
            state: Default::default(),
        };
        proxy.restore();
        proxy
    }

    /// A proxy whose socket, and the folder it will be in, do not exist until [`restore`]: an
    /// engine that has not been started yet.
    ///
    /// [`restore`]: DockerProxy::restore
    pub fn not_yet() -> DockerProxy {
        let dir = tempfile::Builder::new()
            .prefix("occ-proxy")
            .tempdir_in("/tmp")
            .unwrap();
        let path = dir.path().join("run").join("docker.sock");
        DockerProxy {
            _dir: dir,
            path,
            state: Default::default(),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// An engine client that talks through this proxy.
    pub async fn engine(&self) -> Engine {
        Engine::connect_to(&self.endpoint(), Duration::from_secs(5))
            .await
            .expect("the engine answers through the proxy")
    }

    /// The engine goes away: the socket disappears and every forwarded connection is shut down
    /// before this returns, so a stream being read breaks mid-way.
    pub fn cut(&self) {
        let mut st = self.state.lock().unwrap();
        st.generation += 1;
        if let Some(listener) = st.listener.take() {
            listener.abort();
        }
        let _ = std::fs::remove_file(&self.path);
        for (_, conn) in st.live.drain() {
            let _ = conn.client.shutdown(std::net::Shutdown::Both);
            let _ = conn.upstream.shutdown(std::net::Shutdown::Both);
            conn.task.abort();
        }
    }

    /// The engine is back at the same path; connections succeed once this returns.
    pub fn restore(&self) {
        let _ = std::fs::remove_file(&self.path);
        std::fs::create_dir_all(self.path.parent().unwrap()).unwrap();
        let listener = std::os::unix::net::UnixListener::bind(&self.path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let mut st = self.state.lock().unwrap();
        let generation = st.generation;
        let state = self.state.clone();
        let task = helper_runtime().spawn(async move {
            let listener = tokio::net::UnixListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, generation, state.clone()));
            }
        });
        st.listener = Some(task.abort_handle());
    }

    /// Makes the engine's event stream fail right after connecting while other requests work.
    pub fn break_event_streams(&self, on: bool) {
        self.state.lock().unwrap().break_events = on;
    }

    /// How many requests reached the proxy so far.
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }

    /// How many event-stream requests reached the proxy so far.
    pub fn event_requests(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.contains("/events"))
            .count()
    }
}

impl Drop for DockerProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

async fn forward(
    client: tokio::net::UnixStream,
    generation: u64,
    state: std::sync::Arc<Mutex<ProxyState>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok((mut client, client_keep)) = keep_clone(client) else {
        return;
    };
    // The request head, to count requests by path (and to refuse event streams on demand).
    let mut head = vec![0u8; 16 * 1024];
    let n = match client.read(&mut head).await {
        Ok(0) | Err(_) => return,
        Ok(n) => n,
    };
    let first_line = String::from_utf8_lossy(&head[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let is_events = first_line.contains("/events");
    {
        let mut st = state.lock().unwrap();
        st.requests.push(first_line);
        if st.generation != generation || (is_events && st.break_events) {
            return;
        }
    }
    let Ok(upstream) = tokio::net::UnixStream::connect(engine_socket()).await else {
        return;
    };
    let Ok((mut upstream, upstream_keep)) = keep_clone(upstream) else {
        return;
    };
    if upstream.write_all(&head[..n]).await.is_err() {
        return;
    }
    // Register under the lock, unless a cut came in between (then both sockets just drop).
    let mut st = state.lock().unwrap();
    if st.generation != generation {
        return;
    }
    let id = st.next_id;
    st.next_id += 1;
    let shared = state.clone();
    let task = tokio::spawn(async move {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        shared.lock().unwrap().live.remove(&id);
    });
    st.live.insert(
        id,
        Forwarded {
            client: client_keep,
            upstream: upstream_keep,
            task: task.abort_handle(),
        },
    );
}

/// A tokio unix stream plus a std clone of the same socket (for a synchronous shutdown).
fn keep_clone(
    stream: tokio::net::UnixStream,
) -> std::io::Result<(tokio::net::UnixStream, std::os::unix::net::UnixStream)> {
    let std_stream = stream.into_std()?;
    let keep = std_stream.try_clone()?;
    Ok((tokio::net::UnixStream::from_std(std_stream)?, keep))
}

/// A TCP relay in front of a registry that limits the registry-to-engine direction to
/// `bytes_per_second` (0 = unlimited), so a pull of a few MB takes a predictable while.
pub struct SlowRelay {
    pub address: String,
    rate: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::AbortHandle,
}

impl SlowRelay {
    pub fn start(upstream: &str, bytes_per_second: u64) -> SlowRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let rate = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(bytes_per_second));
        let upstream = upstream.to_string();
        let shared = rate.clone();
        let task = helper_runtime().spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let rate = shared.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    });
                    throttled_copy(&mut server_read, &mut client_write, &rate).await;
                    up.abort();
                });
            }
        });
        SlowRelay {
            address,
            rate,
            task: task.abort_handle(),
        }
    }

    pub fn set_rate(&self, bytes_per_second: u64) {
        self.rate.store(bytes_per_second, Ordering::SeqCst);
    }
}

impl Drop for SlowRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn throttled_copy(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    rate: &std::sync::atomic::AtomicU64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        let rate = rate.load(Ordering::SeqCst);
        if rate > 0 {
            tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64)).await;
        }
    }
}

/// Pseudo-random bytes (xorshift): incompressible, so a layer of `len` bytes moves `len` bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Builds an image with a layer of `layer_bytes` random bytes, pushes it to `registry` as
/// `name` and removes it locally; returns the path `name` (to be prefixed by an address).
pub fn push_image_with_layer(registry: &Registry, name: &str, layer_bytes: usize) {
    let local = format!(
        "occ-test-layer-src:{}-{}",
        std::process::id(),
        name.replace([':', '/'], "-")
    );
    let context = test_context("COPY payload.bin /payload.bin\n");
    std::fs::write(
        context.path().join("payload.bin"),
        noise(layer_bytes, std::process::id() as u64 ^ name.len() as u64),
    )
    .unwrap();
    docker(&[
        "build",
        "-q",
        "-t",
        &local,
        context.path().to_str().unwrap(),
    ]);
    let remote = registry.push(&local, name);
    docker_quiet(&["rmi", &local]);
    docker_quiet(&["rmi", &remote]);
}

/// Builds `tag` from the test Dockerfile with `extra` appended (e.g. another CMD).
pub fn build_variant_image(tag: &str, extra: &str) {
    let context = test_context(extra);
    docker(&["build", "-q", "-t", tag, context.path().to_str().unwrap()]);
}

/// The container's id, or `None` when there is no such container.
pub fn container_id(name: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.Id}}", name])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `docker inspect -f <format> <name>`.
pub fn inspect(name: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, name])
}

pub fn is_running(name: &str) -> bool {
    container_id(name).is_some() && inspect(name, "{{.State.Running}}") == "true"
}

/// Writes a small file tree (3 files, one of them random bytes) in each of the instance's three
/// volumes through `docker exec`, and returns the tree's checksum listing.
pub fn seed_volumes(t: &TestInstance) -> String {
    for (i, (_, mount)) in t.settings.volumes().into_iter().enumerate() {
        let script = format!(
            "set -e; mkdir -p {mount}/occ-check/sub; \
             echo 'written by {name} into volume {i}' > {mount}/occ-check/a.txt; \
             head -c 70000 /dev/urandom > {mount}/occ-check/sub/b.bin; \
             printf '{{\"n\": {i}}}\\n' > {mount}/occ-check/sub/c.json",
            name = t.name()
        );
        // As root: a test image may run as another user, who cannot write the volumes' roots.
        docker(&["exec", "-u", "0", t.name(), "sh", "-c", &script]);
    }
    let digest = volume_digest(t);
    assert_eq!(digest.lines().count(), 9, "{digest}");
    digest
}

/// `md5sum` of every file in the three volumes, sorted, computed in a throwaway container that
/// mounts them read-only (so it works whatever state the instance is in). Panics if a volume is
/// missing rather than letting `docker run` create it.
pub fn volume_digest(t: &TestInstance) -> String {
    let mut args: Vec<String> = ["run", "--rm", "--network", "none"]
        .map(String::from)
        .to_vec();
    for (volume, _) in t.settings.volumes() {
        assert!(
            Command::new("docker")
                .args(["volume", "inspect", &volume])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success(),
            "volume {volume} is gone"
        );
        let short = volume.rsplit('-').next().unwrap().to_string();
        args.extend(["-v".into(), format!("{volume}:/v/{short}:ro")]);
    }
    args.extend([
        test_image().to_string(),
        "sh".into(),
        "-c".into(),
        "cd /v && find . -type f | sort | xargs -r md5sum".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    docker(&args)
}

/// Asserts the three volumes hold exactly what [`seed_volumes`] wrote.
pub fn assert_volumes_intact(t: &TestInstance, seeded: &str, after: &str) {
    assert_eq!(
        volume_digest(t),
        seeded,
        "volume contents changed after {after}"
    );
}

/// Waits up to `within` for a status matching `want` from the watcher, returning it.
pub async fn next_status(
    watch: &mut occ_core::status::StatusWatch,
    within: Duration,
    what: &str,
    want: impl Fn(&occ_core::Status) -> bool,
) -> occ_core::Status {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, watch.next()).await {
            Ok(Some(s)) if want(&s) => return s,
            Ok(Some(s)) => seen.push(s),
            Ok(None) => panic!("watch ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}; saw {seen:#?}"),
        }
    }
}

/// Polls `probe` every 100 ms until it returns `Some`, up to `within`.
pub async fn poll_until<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `fut`, failing the test if it takes longer than `limit` (an operation must not hang).
pub async fn within<T>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for more than {limit:?}"))
}

/// Removes images when dropped, also when the test fails: by reference, or every image carrying
/// a label (`label=key=value`). Declare it before the [`TestInstance`] whose container uses the
/// image, so the container goes first.
pub struct ImagesGuard(pub Vec<String>);

impl Drop for ImagesGuard {
    fn drop(&mut self) {
        for image in &self.0 {
            if let Some(filter) = image.strip_prefix("label=") {
                let out = Command::new("docker")
                    .args(["images", "-aq", "--filter", &format!("label={filter}")])
                    .output();
                if let Ok(out) = out {
                    for id in String::from_utf8_lossy(&out.stdout).lines() {
                        docker_quiet(&["rmi", "-f", id]);
                    }
                }
            } else {
                docker_quiet(&["rmi", image]);
            }
        }
    }
}
