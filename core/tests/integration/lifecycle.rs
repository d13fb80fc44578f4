use std::net::TcpStream;

use occ_core::container;
use occ_core::status::{self, State};

use crate::common::{self, Recorder, TestInstance};

fn reachable(address: &str) -> bool {
    TcpStream::connect(address).is_ok()
}

#[tokio::test]
async fn start_stop_remove_start() {
    let engine = common::engine().await;
    let t = TestInstance::new("lifecycle");
    let s = &t.settings;
    assert_eq!(
        status::current(&engine, s).await.unwrap().state,
        State::NotCreated
    );

    let mut rec = Recorder::default();
    let report = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start");
    assert!(report.created_container);
    assert_eq!(report.created_volumes, t.volume_names());
    let inside = s
        .credentials()
        .expect("loaded")
        .url_with_login("http://127.0.0.1:3000/global/health");
    let health = common::docker(&["exec", t.name(), "wget", "-q", "-O", "-", &inside]);
    assert!(health.contains("healthy"));

    // Published on 127.0.0.1 only: another loopback address does not reach it.
    assert!(reachable(&format!("127.0.0.1:{}", s.port)));
    assert!(
        !reachable(&format!("127.0.0.2:{}", s.port)),
        "bound beyond 127.0.0.1"
    );
    let binding = common::docker(&["port", t.name(), "3000/tcp"]);
    assert_eq!(binding, format!("127.0.0.1:{}", s.port));
    let policy = common::docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.RestartPolicy.Name}}",
        t.name(),
    ]);
    assert_eq!(policy, "unless-stopped");

    // Starting a running container is fine and reuses it.
    let again = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start again");
    assert!(!again.created_container);

    container::stop(&engine, s).await.expect("stop");
    let stopped = status::current(&engine, s).await.unwrap();
    assert_eq!(stopped.state, State::Stopped);
    assert!(!stopped.crashed);
    assert!(!reachable(&format!("127.0.0.1:{}", s.port)));
    container::stop(&engine, s)
        .await
        .expect("stopping a stopped container is fine");

    let restarted = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start after stop");
    assert!(
        !restarted.created_container,
        "the stopped container is reused"
    );
    assert!(reachable(&format!("127.0.0.1:{}", s.port)));

    container::remove(&engine, s).await.expect("remove");
    assert_eq!(
        status::current(&engine, s).await.unwrap().state,
        State::NotCreated
    );
    for v in t.volume_names() {
        assert!(
            occ_core::volume::exists(&engine, &v).await.unwrap(),
            "{v} must survive remove"
        );
    }
    container::remove(&engine, s)
        .await
        .expect("removing nothing is fine");

    let fresh = container::start(&engine, s, &mut rec.sink())
        .await
        .expect("start after remove");
    assert!(fresh.created_container);
    assert!(
        fresh.created_volumes.is_empty(),
        "volumes were kept, not recreated"
    );
    let now = status::current(&engine, s).await.unwrap();
    assert!(
        now.is_ready(),
        "running and healthy once start returns: {now:?}"
    );
}

#[tokio::test]
async fn start_waits_for_health_with_progress() {
    let engine = common::engine().await;
    let t = TestInstance::new("health");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    // The service answered before start returned.
    let url = t
        .settings
        .credentials()
        .expect("loaded")
        .url_with_login(&format!(
            "http://127.0.0.1:{}/global/health",
            t.settings.port
        ));
    let body = std::process::Command::new("busybox")
        .args(["wget", "-q", "-O", "-", &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&body.stdout).contains("healthy"));
    let stages: Vec<_> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            occ_core::Progress::Stage { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            "Preparing volumes",
            "Creating the container",
            "Starting the container"
        ]
    );
}

#[tokio::test]
async fn a_changed_setting_recreates_the_container() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("recreate");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let first_id = common::docker(&["inspect", "-f", "{{.Id}}", t.name()]);

    t.settings.port = common::free_port();
    let report = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start on new port");
    assert!(report.created_container);
    assert_ne!(
        common::docker(&["inspect", "-f", "{{.Id}}", t.name()]),
        first_id
    );
    assert_eq!(
        common::docker(&["port", t.name(), "3000/tcp"]),
        format!("127.0.0.1:{}", t.settings.port)
    );
}

/// The library itself refuses to delete a volume that is not this instance's (not only the CLI):
/// the app and `occ` share the rule.
#[tokio::test]
async fn only_this_instances_volumes_can_be_deleted() {
    let engine = common::engine().await;
    let ours = TestInstance::new("rmvol-core");
    let other = TestInstance::new("rmvol-other");
    let theirs = other.volume_names();
    common::docker(&["volume", "create", &theirs[0]]);

    let err = occ_core::volume::remove(&engine, &ours.settings, &theirs[..1])
        .await
        .expect_err("a stranger's volume is refused");
    assert!(
        matches!(err, occ_core::Error::NotOurVolume { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&theirs[0]), "{err}");
    assert!(
        occ_core::volume::exists(&engine, &theirs[0]).await.unwrap(),
        "the refused volume is still there"
    );
}
