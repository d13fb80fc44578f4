use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use occ_core::status::{self, State};
use occ_core::{container, Engine, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, Recorder, TestInstance};

fn stderr_of(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_missing_socket_means_docker_is_not_running() {
    let err = Engine::connect_to(
        "unix:///tmp/occ-no-such/docker.sock",
        Duration::from_secs(2),
    )
    .await
    .expect_err("no socket");
    assert!(matches!(err, Error::DaemonNotRunning { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("Docker is not running"),
        "{err}"
    );

    let t = TestInstance::new("nosocket");
    let (ok, stderr) = stderr_of(
        t.occ()
            .arg("status")
            .env("DOCKER_HOST", "unix:///tmp/occ-no-such/docker.sock"),
    );
    assert!(!ok);
    assert!(
        stderr.contains("Docker is not running") && stderr.contains("/tmp/occ-no-such/docker.sock"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_refused_tcp_endpoint_means_docker_is_not_running() {
    let port = common::free_port();
    let err = Engine::connect_to(&format!("tcp://127.0.0.1:{port}"), Duration::from_secs(2))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, Error::DaemonNotRunning { .. }), "{err:?}");
}

#[test]
fn the_socket_without_permission_says_how_to_fix_it() {
    let t = TestInstance::new("perm");
    std::fs::set_permissions(t.config_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // `nobody` is not in the docker group, so the engine's socket refuses it.
    let (ok, stderr) = stderr_of(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_occ"))
            .arg("status")
            .env("OPENCODE_CLOUD_CONFIG_DIR", t.config_dir.path())
            .env_remove("DOCKER_HOST"),
    );
    assert!(!ok);
    assert!(
        stderr.contains("Permission denied on the Docker socket"),
        "{stderr}"
    );
    assert!(stderr.contains("docker group"), "{stderr}");
}

/// A fake engine on 127.0.0.1 that answers every request with `reply` (or never, if `None`).
async fn fake_engine(reply: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                match reply {
                    Some(body) => {
                        let response = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    format!("tcp://{address}")
}

#[tokio::test]
async fn an_old_engine_is_refused_with_its_version() {
    let endpoint = fake_engine(Some(r#"{"ApiVersion":"1.24","Version":"1.12.6"}"#)).await;
    let err = Engine::connect_to(&endpoint, Duration::from_secs(2))
        .await
        .expect_err("too old");
    assert!(matches!(err, Error::ApiTooOld { .. }), "{err:?}");
    assert!(err.to_string().contains("1.24"), "{err}");
}

#[tokio::test]
async fn a_silent_engine_times_out() {
    let endpoint = fake_engine(None).await;
    let err = Engine::connect_to(&endpoint, Duration::from_secs(1))
        .await
        .expect_err("silent");
    assert!(matches!(err, Error::Timeout { seconds: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn a_taken_port_is_named_and_nothing_is_created() {
    let engine = common::engine().await;
    let t = TestInstance::new("port");
    let _squatter = TcpListener::bind(("127.0.0.1", t.settings.port)).unwrap();
    let mut rec = Recorder::default();
    let err = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect_err("port taken");
    match &err {
        Error::PortInUse {
            port, suggestion, ..
        } => {
            assert_eq!(*port, t.settings.port);
            assert!(suggestion.is_some_and(|p| p != t.settings.port));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains(&t.settings.port.to_string()),
        "{err}"
    );
    assert_eq!(
        status::current(&engine, &t.settings).await.unwrap().state,
        State::NotCreated
    );
}

#[test]
fn a_corrupt_settings_file_is_reported_and_left_alone() {
    let t = TestInstance::new("corrupt");
    let broken = "{\n  \"port\": 3000,\n  oops\n}\n";
    std::fs::write(t.settings_path(), broken).unwrap();
    for args in [
        &["status"][..],
        &["config", "set", "port", "3001"][..],
        &["start"][..],
    ] {
        let (ok, stderr) = stderr_of(t.occ().args(args));
        assert!(!ok, "{args:?}");
        assert!(
            stderr.contains(&t.settings_path().display().to_string()),
            "{stderr}"
        );
        assert!(stderr.contains("line 3"), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(t.settings_path()).unwrap(),
            broken,
            "{args:?} changed the file"
        );
    }
}
