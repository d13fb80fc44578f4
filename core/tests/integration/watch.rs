use std::time::Duration;

use occ_core::container;
use occ_core::status::{self, State, Status, StatusWatch};

use crate::common::{self, Recorder, TestInstance};

/// Waits up to `within` for a status matching `want`, returning it.
async fn expect(
    watch: &mut StatusWatch,
    within: Duration,
    what: &str,
    want: impl Fn(&Status) -> bool,
) -> Status {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, watch.next()).await {
            Ok(Some(s)) if want(&s) => return s,
            Ok(Some(s)) => seen.push((s.state, s.healthy, s.crashed, s.exit_code)),
            Ok(None) => panic!("watch ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}; saw {seen:?}"),
        }
    }
}

/// How soon an outside change must reach the watcher. The engine announces it within
/// milliseconds; the bound is generous because the suite shares two cores with everything else.
const PROMPTLY: Duration = Duration::from_secs(5);
/// How long a (re)start may take to turn healthy (the test image checks every second).
const HEALTHY_SOON: Duration = Duration::from_secs(20);

/// A started test instance and a watch on it that has already seen it running and healthy.
async fn running_and_watched(test: &str) -> (TestInstance, StatusWatch) {
    let engine = common::engine().await;
    let t = TestInstance::new(test);
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let mut watch = status::watch_engine(t.settings.clone());
    expect(&mut watch, HEALTHY_SOON, "running and healthy", |s| {
        s.state == State::Running && s.healthy
    })
    .await;
    (t, watch)
}

#[tokio::test]
async fn an_outside_docker_stop_is_seen_and_is_no_crash() {
    let (t, mut watch) = running_and_watched("watch-stop").await;
    common::docker(&["stop", t.name()]);
    let s = expect(&mut watch, PROMPTLY, "stopped after docker stop", |s| {
        s.state == State::Stopped
    })
    .await;
    assert!(!s.crashed, "a requested stop is no crash: {s:?}");
}

#[tokio::test]
async fn an_outside_docker_kill_is_seen_and_is_no_crash() {
    let (t, mut watch) = running_and_watched("watch-kill").await;
    common::docker(&["kill", t.name()]);
    let s = expect(&mut watch, PROMPTLY, "stopped after docker kill", |s| {
        s.state == State::Stopped
    })
    .await;
    assert!(!s.crashed, "a requested kill is no crash: {s:?}");
}

#[tokio::test]
async fn an_outside_docker_rm_is_seen() {
    let (t, mut watch) = running_and_watched("watch-rm").await;
    common::docker(&["rm", "-f", t.name()]);
    expect(
        &mut watch,
        PROMPTLY,
        "not_created after docker rm -f",
        |s| s.state == State::NotCreated,
    )
    .await;
}

#[tokio::test]
async fn a_crash_is_seen_with_its_exit_code_and_docker_restarts_it() {
    let (t, mut watch) = running_and_watched("watch-crash").await;
    // The server dies on its own, the container exits 3, and Docker restarts it.
    common::crash_server(t.name());
    let s = expect(&mut watch, PROMPTLY, "a crash", |s| s.crashed).await;
    assert_eq!(s.exit_code, Some(3), "{s:?}");
    let s = expect(&mut watch, HEALTHY_SOON, "restarted by Docker", |s| {
        s.state == State::Running
    })
    .await;
    assert!(s.restart_count >= 1, "{s:?}");
}

/// The defect this guards: after a crash that Docker restarted, a Stop of a server that ignores
/// SIGTERM (so Docker kills it after the grace period, exit 137) was reported as a crash, and
/// some crashes were never reported when Docker restarted the container before we looked.
#[tokio::test]
async fn every_crash_is_seen_once_and_a_stop_after_a_crash_is_no_crash() {
    let image = format!("occ-test-stubborn:{}", std::process::id());
    let _images = common::ImagesGuard(vec![image.clone()]);
    // Ignores SIGTERM: a stop ends in Docker's SIGKILL after the grace period.
    common::build_variant_image(
        &image,
        "CMD [\"/bin/sh\", \"-c\", \"trap '' TERM; httpd -f -p 3000 -h /www & wait; exit 3\"]\n",
    );
    let engine = common::engine().await;
    let mut t = TestInstance::new("watch-rounds");
    t.settings.image = image;
    let mut watch = status::watch_engine(t.settings.clone());
    const ROUNDS: usize = 4;
    for round in 1..=ROUNDS {
        let mut rec = Recorder::default();
        container::start(&engine, &t.settings, &mut rec.sink())
            .await
            .unwrap_or_else(|e| panic!("round {round}: start: {e}"));
        expect(&mut watch, HEALTHY_SOON, "running and healthy", |s| {
            s.state == State::Running && s.healthy
        })
        .await;

        common::crash_server(t.name());
        let crash = expect(&mut watch, PROMPTLY, "the crash", |s| s.crashed).await;
        assert_eq!(crash.exit_code, Some(3), "round {round}: {crash:?}");
        expect(
            &mut watch,
            HEALTHY_SOON,
            "healthy after Docker's restart",
            |s| s.state == State::Running && s.healthy && !s.crashed,
        )
        .await;

        // Our own Stop: SIGTERM is ignored, Docker kills after the grace period.
        let stop = container::stop(&engine, &t.settings);
        let watched = async {
            let mut seen = Vec::new();
            loop {
                let s = expect(&mut watch, container::STOP_TIMEOUT * 3, "the stop", |_| {
                    true
                })
                .await;
                let done = s.state == State::Stopped;
                seen.push(s);
                if done {
                    return seen;
                }
            }
        };
        let (stopped, seen) = tokio::join!(stop, watched);
        stopped.unwrap_or_else(|e| panic!("round {round}: stop: {e}"));
        assert!(
            seen.iter().all(|s| !s.crashed),
            "round {round}: a requested stop was reported as a crash: {seen:#?}"
        );
        assert_eq!(
            seen.last().and_then(|s| s.exit_code),
            Some(137),
            "{seen:#?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_engine_is_reported() {
    let t = TestInstance::new("watch-down");
    let mut watch = status::watch("unix:///nonexistent/docker.sock".into(), t.settings.clone());
    let s = expect(&mut watch, Duration::from_secs(5), "unreachable", |_| true).await;
    assert_eq!(s.state, State::Unreachable);
}
