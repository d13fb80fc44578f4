//! Faults from outside: the engine vanishing mid-operation, a crash-looping container, a port
//! taken by someone else, a container or volume removed behind our back. Each test checks what
//! the user is told and that the files in the three volumes are exactly as they were.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use occ_core::client::endpoint_from_env;
use occ_core::image::{self, BuildSource};
use occ_core::status::{self, State};
use occ_core::{container, logs, Engine, Error, Progress};

use futures_util::StreamExt;

use crate::common::{
    self, container_id, next_status, poll_until, within, DockerProxy, ImagesGuard, Recorder,
    Registry, SlowRelay, TestInstance,
};

/// No operation may take longer than this once the engine is gone.
const PROMPT: Duration = Duration::from_secs(20);
/// The watcher retries with a backoff of at most 5 s; give it that and some.
const RECONNECT: Duration = Duration::from_secs(15);

/// The error says, in its kind and its words, that nothing answers at the proxy's socket.
fn assert_engine_gone(err: &Error, proxy: &DockerProxy, what: &str) {
    match err {
        Error::DaemonNotRunning { endpoint } => assert_eq!(*endpoint, proxy.endpoint(), "{what}"),
        other => panic!("{what}: expected DaemonNotRunning, got {other:?}"),
    }
    assert_eq!(err.kind(), "daemon_not_running", "{what}");
    assert!(err.is_unreachable(), "{what}");
    let text = err.to_string();
    assert!(
        text.starts_with("Docker is not running") && text.contains(&proxy.endpoint()),
        "{what}: {text}"
    );
}

/// Starts `t` on the real engine, writes the check files, and returns their checksums.
async fn running_with_files(engine: &Engine, t: &TestInstance) -> String {
    let mut rec = Recorder::default();
    container::start(engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    common::seed_volumes(t)
}

#[tokio::test]
async fn the_engine_vanishing_while_idle_fails_every_call_clearly_and_is_survived() {
    let proxy = DockerProxy::start();
    let engine = proxy.engine().await;
    let t = TestInstance::new("gone-idle");
    let s = &t.settings;
    let seeded = running_with_files(&engine, &t).await;
    container::stop(&engine, s).await.expect("stop");
    let id = container_id(t.name()).unwrap();
    let mut watch = status::watch(proxy.endpoint(), s.clone());
    next_status(&mut watch, RECONNECT, "stopped", |st| {
        st.state == State::Stopped
    })
    .await;

    proxy.cut();
    next_status(&mut watch, RECONNECT, "unreachable", |st| {
        st.state == State::Unreachable
    })
    .await;

    let mut rec = Recorder::default();
    let mut sink = rec.sink();
    let e = within(PROMPT, "start", container::start(&engine, s, &mut sink)).await;
    assert_engine_gone(&e.expect_err("start"), &proxy, "start");
    let e = within(PROMPT, "restart", container::restart(&engine, s, &mut sink)).await;
    assert_engine_gone(&e.expect_err("restart"), &proxy, "restart");
    let e = within(
        PROMPT,
        "update",
        occ_core::update::update(&engine, s, &mut sink),
    )
    .await;
    assert_engine_gone(&e.expect_err("update"), &proxy, "update");
    let e = within(
        PROMPT,
        "refresh_image",
        container::refresh_image(&engine, s, &mut sink),
    )
    .await;
    assert_engine_gone(&e.expect_err("refresh_image"), &proxy, "refresh_image");
    drop(sink);
    let e = within(PROMPT, "stop", container::stop(&engine, s)).await;
    assert_engine_gone(&e.expect_err("stop"), &proxy, "stop");
    let e = within(PROMPT, "remove", container::remove(&engine, s)).await;
    assert_engine_gone(&e.expect_err("remove"), &proxy, "remove");
    let e = within(PROMPT, "status", status::current(&engine, s)).await;
    assert_engine_gone(&e.expect_err("status"), &proxy, "status");
    let e = within(PROMPT, "logs", logs::tail(&engine, s, 10)).await;
    assert_engine_gone(&e.expect_err("logs"), &proxy, "logs");
    let e = within(PROMPT, "image id", image::local_image_id(&engine, &s.image)).await;
    assert_engine_gone(&e.expect_err("image id"), &proxy, "local_image_id");
    let e = within(
        PROMPT,
        "connect",
        Engine::connect_to(&proxy.endpoint(), Duration::from_secs(5)),
    )
    .await;
    assert_engine_gone(&e.expect_err("connect"), &proxy, "connect");

    // The CLI says the same, and `status --json` still prints a status object.
    let out = t
        .occ()
        .env("DOCKER_HOST", proxy.endpoint())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["state"], "unreachable");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Docker is not running"), "{stderr}");
    let out = t
        .occ()
        .env("DOCKER_HOST", proxy.endpoint())
        .arg("start")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Docker is not running") && stderr.contains(&proxy.endpoint()),
        "{stderr}"
    );

    proxy.restore();
    next_status(&mut watch, RECONNECT, "stopped again", |st| {
        st.state == State::Stopped
    })
    .await;
    // The client made before the cut works again.
    assert_eq!(
        status::current(&engine, s).await.unwrap().state,
        State::Stopped
    );
    assert_eq!(
        container_id(t.name()),
        Some(id),
        "the container is the same"
    );
    common::assert_volumes_intact(&t, &seeded, "the engine vanished while idle");
}

#[tokio::test]
async fn the_engine_vanishing_while_the_container_runs_leaves_it_running() {
    let proxy = DockerProxy::start();
    let engine = proxy.engine().await;
    let t = TestInstance::new("gone-running");
    let s = &t.settings;
    let seeded = running_with_files(&engine, &t).await;
    let id = container_id(t.name()).unwrap();
    let mut watch = status::watch(proxy.endpoint(), s.clone());
    next_status(&mut watch, RECONNECT, "running and healthy", |st| {
        st.is_ready()
    })
    .await;

    // A live log follow, established before the cut (its first line proves it).
    let mut follow = Box::pin(logs::follow(&engine, s, 10, true));
    common::docker(&[
        "exec",
        t.name(),
        "sh",
        "-c",
        "echo before-the-cut > /proc/1/fd/1",
    ]);
    let first = within(PROMPT, "the first log line", follow.next())
        .await
        .expect("a line")
        .expect("no error");
    assert_eq!(first, ["before-the-cut"]);

    proxy.cut();
    let broken = within(PROMPT, "the log follow", follow.next()).await;
    match broken {
        Some(Err(e)) => assert_engine_gone(&e, &proxy, "logs follow"),
        other => panic!("a cut log stream must end in an error, got {other:?}"),
    }
    next_status(&mut watch, RECONNECT, "unreachable", |st| {
        st.state == State::Unreachable
    })
    .await;
    let e = within(PROMPT, "stop", container::stop(&engine, s)).await;
    assert_engine_gone(&e.expect_err("stop"), &proxy, "stop");
    let e = within(PROMPT, "status", status::current(&engine, s)).await;
    assert_engine_gone(&e.expect_err("status"), &proxy, "status");

    // Only our line to the engine broke: the container and its service are still up.
    assert!(common::is_running(t.name()));
    let url = s
        .credentials()
        .expect("loaded")
        .url_with_login(&format!("{}global/health", s.url()));
    let out = std::process::Command::new("busybox")
        .args(["wget", "-q", "-O", "-", &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("healthy"));

    proxy.restore();
    next_status(&mut watch, RECONNECT, "running and healthy again", |st| {
        st.is_ready()
    })
    .await;
    assert_eq!(
        container_id(t.name()),
        Some(id),
        "the container is the same"
    );
    assert!(common::is_running(t.name()));
    common::assert_volumes_intact(&t, &seeded, "the engine vanished while running");
}

#[tokio::test]
async fn the_engine_vanishing_while_start_waits_for_health_fails_promptly() {
    let slow = format!("occ-test-slow:{}", std::process::id());
    let _images = ImagesGuard(vec![slow.clone()]);
    let proxy = DockerProxy::start();
    let engine = proxy.engine().await;
    let mut t = TestInstance::new("gone-health");
    let seeded = running_with_files(&engine, &t).await;
    // An image whose service takes far longer than this test to answer.
    common::build_variant_image(
        &slow,
        "CMD [\"/bin/sh\", \"-c\", \"trap 'exit 0' TERM; sleep 600 & wait\"]\n",
    );
    t.settings.image = slow.clone();

    let mut cut = false;
    let mut sink = |p: Progress| {
        if matches!(p, Progress::WaitingForHealth { .. }) && !cut {
            cut = true;
            proxy.cut();
        }
    };
    let started = Instant::now();
    let e = within(
        PROMPT,
        "start",
        container::start(&engine, &t.settings, &mut sink),
    )
    .await;
    assert!(cut, "start never waited for health");
    assert_engine_gone(&e.expect_err("start"), &proxy, "start waiting for health");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    proxy.restore();
    // The engine never went anywhere: the new container is there and running, files intact.
    assert!(common::is_running(t.name()));
    common::assert_volumes_intact(&t, &seeded, "the engine vanished during the health wait");
}

#[tokio::test]
async fn the_engine_vanishing_during_a_pull_fails_it_and_a_retry_completes() {
    let proxy = DockerProxy::start();
    let engine = proxy.engine().await;
    let t = TestInstance::new("gone-pull");
    let seeded = running_with_files(&engine, &t).await;
    let id = container_id(t.name()).unwrap();

    let registry = Registry::start();
    let path = format!("occ-test/pullcut-{}:1", std::process::id());
    let local = format!("occ-test-pullcut-local:{}", std::process::id());
    common::push_image_with_layer(&registry, &path, 4_000_000);
    // About 4 s for the layer: the cut surely lands mid-download.
    let relay = SlowRelay::start(&registry.address, 1_000_000);
    let source = format!("{}/{path}", relay.address);
    let _images = ImagesGuard(vec![local.clone(), source.clone()]);

    let mut watch = status::watch(proxy.endpoint(), t.settings.clone());
    next_status(&mut watch, RECONNECT, "running", |st| st.is_ready()).await;

    let mut events = Vec::new();
    let mut cut = false;
    let mut sink = |p: Progress| {
        if matches!(&p, Progress::PullLayer { status, .. } if status == "Downloading") && !cut {
            cut = true;
            proxy.cut();
        }
        events.push(p);
    };
    let e = within(
        PROMPT,
        "pull",
        image::pull(&engine, std::slice::from_ref(&source), &local, &mut sink),
    )
    .await;
    assert_engine_gone(&e.expect_err("pull"), &proxy, "pull");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Progress::PullFinished { .. })),
        "{events:?}"
    );
    next_status(&mut watch, RECONNECT, "unreachable", |st| {
        st.state == State::Unreachable
    })
    .await;
    let real = common::engine().await;
    assert_eq!(image::local_image_id(&real, &local).await.unwrap(), None);

    proxy.restore();
    relay.set_rate(0);
    next_status(&mut watch, RECONNECT, "running again", |st| st.is_ready()).await;
    let mut rec = Recorder::default();
    let served = within(
        Duration::from_secs(60),
        "the retried pull",
        image::pull(
            &engine,
            std::slice::from_ref(&source),
            &local,
            &mut rec.sink(),
        ),
    )
    .await
    .expect("the retried pull completes");
    assert_eq!(served, source);
    assert!(image::local_image_id(&real, &local)
        .await
        .unwrap()
        .is_some());
    assert!(
        matches!(rec.events.last(), Some(Progress::PullFinished { image, .. }) if *image == local)
    );
    let payload = common::docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        &local,
        "wc",
        "-c",
        "/payload.bin",
    ]);
    assert!(payload.starts_with("4000000"), "{payload}");

    assert_eq!(container_id(t.name()), Some(id));
    common::assert_volumes_intact(&t, &seeded, "a pull cut mid-way");
}

#[tokio::test]
async fn the_engine_vanishing_during_a_build_fails_it_and_leaves_no_tag() {
    let proxy = DockerProxy::start();
    let engine = proxy.engine().await;
    let t = TestInstance::new("gone-build");
    let seeded = running_with_files(&engine, &t).await;
    let mut watch = status::watch(proxy.endpoint(), t.settings.clone());
    next_status(&mut watch, RECONNECT, "running", |st| st.is_ready()).await;

    // A label unique to this build marks its intermediate images and its RUN container.
    let token = format!("{}-{}", std::process::id(), t.name());
    let _images = ImagesGuard(vec![format!("label=occ.test.token={token}")]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {}\nLABEL occ.test.token={token}\nRUN sleep 5\n",
            common::test_image()
        ),
    )
    .unwrap();
    let tag = format!("occ-test-buildcut:{}", std::process::id());
    let mut steps = Vec::new();
    let mut sink = |p: Progress| {
        if let Progress::BuildStep { instruction, .. } = &p {
            if instruction == "RUN sleep 5" {
                proxy.cut();
            }
            steps.push(instruction.clone());
        }
    };
    let e = within(
        PROMPT,
        "build",
        image::build(
            &engine,
            &BuildSource::Dir(dir.path().into()),
            &tag,
            &mut sink,
        ),
    )
    .await;
    assert!(steps.iter().any(|s| s == "RUN sleep 5"), "{steps:?}");
    assert_engine_gone(&e.expect_err("build"), &proxy, "build");
    next_status(&mut watch, RECONNECT, "unreachable", |st| {
        st.state == State::Unreachable
    })
    .await;

    // The engine saw its client leave and cancelled the build: the RUN container goes away
    // (the sleep would otherwise keep it for 5 s) and nothing is committed after it.
    let label = format!("label=occ.test.token={token}");
    let started = Instant::now();
    common::wait_until("the build's RUN container to go", PROMPT, || {
        common::docker(&["ps", "-aq", "--filter", &label]).is_empty()
    });
    let real = common::engine().await;
    assert_eq!(
        image::local_image_id(&real, &tag).await.unwrap(),
        None,
        "a cut build must not leave {tag}"
    );
    let layers = common::docker(&["images", "-aq", "--filter", &label]);
    assert!(
        layers.lines().count() <= 1,
        "the RUN step was committed after the cut (gone after {:?}): {layers}",
        started.elapsed()
    );

    proxy.restore();
    next_status(&mut watch, RECONNECT, "running again", |st| st.is_ready()).await;
    common::assert_volumes_intact(&t, &seeded, "a build cut mid-way");
}

#[tokio::test]
async fn a_broken_event_stream_does_not_make_the_watcher_spin() {
    let proxy = DockerProxy::start();
    let t = TestInstance::new("spin");
    proxy.break_event_streams(true);
    let mut watch = status::watch(proxy.endpoint(), t.settings.clone());
    // The engine answers, so the watcher still reports what it sees…
    next_status(&mut watch, RECONNECT, "not created", |st| {
        st.state == State::NotCreated
    })
    .await;
    // …and retries the event stream with a backoff rather than in a tight loop.
    let started = Instant::now();
    poll_until(
        "five event-stream attempts",
        Duration::from_secs(30),
        || {
            let n = proxy.event_requests();
            async move { (n >= 5).then_some(()) }
        },
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "5 attempts in {:?}: the watcher spins",
        started.elapsed()
    );

    // Once the stream works again, changes arrive as they happen.
    proxy.break_event_streams(false);
    let engine = common::engine().await;
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    next_status(&mut watch, RECONNECT, "running", |st| st.is_ready()).await;
}

#[tokio::test]
async fn a_crash_loop_is_reported_and_left_to_docker() {
    let crashing = format!("occ-test-crashloop:{}", std::process::id());
    let _images = ImagesGuard(vec![crashing.clone()]);
    let engine = common::engine().await;
    let mut t = TestInstance::new("crashloop");
    let seeded = running_with_files(&engine, &t).await;
    common::build_variant_image(
        &crashing,
        "CMD [\"/bin/sh\", \"-c\", \"sleep 0.3; exit 1\"]\n",
    );
    t.settings.image = crashing.clone();

    // `start` notices the crash and says so, instead of waiting out the health timeout.
    let started = Instant::now();
    let mut rec = Recorder::default();
    let err = within(
        Duration::from_secs(60),
        "start of a crashing image",
        container::start(&engine, &t.settings, &mut rec.sink()),
    )
    .await
    .expect_err("the image crashes");
    assert!(
        matches!(err, Error::ExitedWhileStarting { exit_code: 1 }),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("exit code 1") && text.contains("occ logs"),
        "{text}"
    );

    // The core's view: crashed, exit code 1.
    let crashed = poll_until("a crashed status", Duration::from_secs(20), || async {
        let st = status::current(&engine, &t.settings).await.unwrap();
        (st.crashed && st.exit_code == Some(1)).then_some(st)
    })
    .await;

    // With only the watcher running and no core call, restarts keep coming: Docker makes them.
    // An API start resets RestartCount to 0, so a count that only grows proves nobody else did.
    let mut watch = status::watch(endpoint_from_env(), t.settings.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut seen: Vec<occ_core::Status> = Vec::new();
    while !matches!(seen.last(), Some(st) if st.restart_count >= crashed.restart_count + 3) {
        let st = tokio::time::timeout_at(deadline, watch.next())
            .await
            .unwrap_or_else(|_| panic!("restarts stopped coming: {seen:#?}"))
            .expect("watching");
        seen.push(st);
    }
    assert!(
        seen.windows(2)
            .all(|w| w[0].restart_count <= w[1].restart_count),
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|st| st.crashed && st.exit_code == Some(1) && st.state == State::Starting),
        "{seen:#?}"
    );
    // The CLI says it in words (while Docker waits to restart it, which is most of the time).
    let line = poll_until(
        "`occ status` to tell of the crash",
        Duration::from_secs(20),
        || {
            let out = t.occ().arg("status").output().unwrap();
            let line = String::from_utf8_lossy(&out.stdout).to_string();
            async move {
                line.contains("Restarting after a crash (exit code 1)")
                    .then_some(line)
            }
        },
    )
    .await;
    assert!(line.contains("Docker is restarting it"), "{line}");

    // A stop ends the loop: no more restarts while we watch for longer than Docker's next
    // backoff would have been (100 ms doubling per restart).
    container::stop(&engine, &t.settings).await.expect("stop");
    let count = common::inspect(t.name(), "{{.RestartCount}}");
    assert_eq!(common::inspect(t.name(), "{{.State.Status}}"), "exited");
    let restarts: u32 = count.parse().unwrap();
    let window = Duration::from_millis(100 * 2u64.pow(restarts.min(4))) + Duration::from_secs(1);
    let until = tokio::time::Instant::now() + window;
    while let Ok(Some(st)) = tokio::time::timeout_at(until, watch.next()).await {
        assert!(!st.is_active(), "it came back after stop: {st:?}");
    }
    assert_eq!(common::inspect(t.name(), "{{.RestartCount}}"), count);
    assert!(!common::is_running(t.name()));

    common::assert_volumes_intact(&t, &seeded, "a crash loop");
}

#[tokio::test]
async fn a_port_taken_while_the_container_is_stopped_is_named_and_the_container_kept() {
    let engine = common::engine().await;
    let t = TestInstance::new("port-later");
    let s = &t.settings;
    let seeded = running_with_files(&engine, &t).await;
    container::stop(&engine, s).await.expect("stop");
    let id = container_id(t.name()).unwrap();

    // Another program takes the port on every address while the container is stopped.
    let squatter = TcpListener::bind(("0.0.0.0", s.port)).unwrap();
    let mut rec = Recorder::default();
    let err = container::start(&engine, s, &mut rec.sink())
        .await
        .expect_err("port taken");
    let suggestion = match &err {
        Error::PortInUse {
            port, suggestion, ..
        } => {
            assert_eq!(*port, s.port);
            suggestion.expect("a free port is suggested")
        }
        other => panic!("{other:?}"),
    };
    assert_ne!(suggestion, s.port);
    assert!(TcpListener::bind(("127.0.0.1", suggestion)).is_ok());
    let text = err.to_string();
    assert!(
        text.contains(&format!("Port {}", s.port))
            && text.contains(&format!("occ config set port {suggestion}")),
        "{text}"
    );
    let out = t.occ().arg("start").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("Port {} on 127.0.0.1 is already in use", s.port)),
        "{stderr}"
    );

    // Nothing was created, removed or started.
    assert_eq!(container_id(t.name()), Some(id.clone()));
    assert_eq!(
        status::current(&engine, s).await.unwrap().state,
        State::Stopped
    );

    drop(squatter);
    let report = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start once the port is free");
    assert!(!report.created_container);
    assert_eq!(container_id(t.name()), Some(id));
    common::assert_volumes_intact(&t, &seeded, "a port taken while stopped");
}

#[tokio::test]
async fn moving_to_a_taken_port_keeps_the_running_container() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("port-move");
    let seeded = running_with_files(&engine, &t).await;
    let id = container_id(t.name()).unwrap();
    let old_port = t.settings.port;

    let taken = common::free_port();
    let _squatter = TcpListener::bind(("127.0.0.1", taken)).unwrap();
    t.settings.port = taken;
    let mut rec = Recorder::default();
    let err = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect_err("the new port is taken");
    assert!(
        matches!(err, Error::PortInUse { port, .. } if port == taken),
        "{err:?}"
    );
    // The running session on the old port was not torn down for a change that cannot happen.
    assert_eq!(container_id(t.name()), Some(id));
    assert!(common::is_running(t.name()));
    assert_eq!(
        common::docker(&["port", t.name(), "3000/tcp"]),
        format!("127.0.0.1:{old_port}")
    );
    common::assert_volumes_intact(&t, &seeded, "a move to a taken port");
}

#[tokio::test]
async fn a_container_or_volume_removed_from_outside_is_noticed_and_recreated() {
    let engine = common::engine().await;
    let t = TestInstance::new("outside");
    let s = &t.settings;
    let seeded = running_with_files(&engine, &t).await;
    let mut watch = status::watch(endpoint_from_env(), s.clone());
    next_status(&mut watch, RECONNECT, "running", |st| st.is_ready()).await;

    common::docker(&["rm", "-f", t.name()]);
    next_status(&mut watch, RECONNECT, "not created", |st| {
        st.state == State::NotCreated
    })
    .await;
    let mut rec = Recorder::default();
    let report = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start recreates it");
    assert!(report.created_container);
    assert!(report.created_volumes.is_empty(), "{report:?}");
    next_status(&mut watch, RECONNECT, "running again", |st| st.is_ready()).await;
    common::assert_volumes_intact(&t, &seeded, "docker rm -f");

    // A volume deleted behind our back comes back empty, and start says which one, once.
    let projects = t.volume_names()[1].clone();
    common::docker(&["rm", "-f", t.name()]);
    common::docker(&["volume", "rm", &projects]);
    let report = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start recreates the volume");
    assert_eq!(report.created_volumes, std::slice::from_ref(&projects));
    assert!(report.created_container);
    let kept: Vec<&str> = seeded
        .lines()
        .filter(|l| !l.contains("./projects/"))
        .collect();
    assert_eq!(common::volume_digest(&t).lines().collect::<Vec<_>>(), kept);
    let again = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start again");
    assert!(again.created_volumes.is_empty(), "told once: {again:?}");

    // The CLI tells the user which volume it had to create.
    let config = t.volume_names()[2].clone();
    common::docker(&["rm", "-f", t.name()]);
    common::docker(&["volume", "rm", &config]);
    let out = t.occ().arg("start").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&config), "{stdout}");
    assert!(!stdout.contains(&projects), "{stdout}");
}
