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
    loop {
        match tokio::time::timeout_at(deadline, watch.next()).await {
            Ok(Some(s)) if want(&s) => return s,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("watch ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}"),
        }
    }
}

#[tokio::test]
async fn outside_stop_kill_rm_and_crash_reach_the_watcher() {
    let engine = common::engine().await;
    let t = TestInstance::new("watch");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let mut watch = status::watch(occ_core::client::endpoint_from_env(), t.settings.clone());
    let second = Duration::from_secs(1);
    expect(
        &mut watch,
        Duration::from_secs(10),
        "running and healthy",
        |s| s.state == State::Running && s.healthy,
    )
    .await;

    common::docker(&["stop", t.name()]);
    let s = expect(&mut watch, second, "stopped after docker stop", |s| {
        s.state == State::Stopped
    })
    .await;
    assert!(!s.crashed, "a requested stop is no crash");

    common::docker(&["start", t.name()]);
    expect(&mut watch, Duration::from_secs(10), "running again", |s| {
        s.state == State::Running && s.healthy
    })
    .await;
    common::docker(&["kill", t.name()]);
    let s = expect(&mut watch, second, "stopped after docker kill", |s| {
        s.state == State::Stopped
    })
    .await;
    assert!(!s.crashed);

    // A crash: the server dies on its own, the container exits 3, and Docker restarts it.
    common::docker(&["start", t.name()]);
    expect(&mut watch, Duration::from_secs(10), "running again", |s| {
        s.state == State::Running
    })
    .await;
    common::docker(&["exec", t.name(), "killall", "-9", "httpd"]);
    let s = expect(&mut watch, Duration::from_secs(5), "a crash", |s| s.crashed).await;
    assert_eq!(s.exit_code, Some(3), "{s:?}");
    let s = expect(
        &mut watch,
        Duration::from_secs(10),
        "restarted by Docker",
        |s| s.state == State::Running,
    )
    .await;
    assert!(s.restart_count >= 1, "{s:?}");

    common::docker(&["rm", "-f", t.name()]);
    expect(&mut watch, second, "not_created after docker rm -f", |s| {
        s.state == State::NotCreated
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_engine_is_reported() {
    let t = TestInstance::new("watch-down");
    let mut watch = status::watch("unix:///nonexistent/docker.sock".into(), t.settings.clone());
    let s = expect(&mut watch, Duration::from_secs(5), "unreachable", |_| true).await;
    assert_eq!(s.state, State::Unreachable);
}
