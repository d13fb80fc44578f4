//! Locked by default: the container asks every request for the password kept in its own file,
//! the health wait sends it, a new password recreates the container with the volumes kept, and a
//! password in the old place (`env`) moves to the file.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use occ_core::{container, credentials, SettingsFile};

use crate::common::{self, container_id, Recorder, TestInstance};

/// The HTTP status of a GET of `path` on 127.0.0.1:`port`, with an `Authorization` header when
/// given. A plain socket, so nothing adds or caches credentials on its own.
fn get(port: u16, path: &str, authorization: Option<&str>) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    stream.read_to_string(&mut head).unwrap();
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"))
}

#[tokio::test]
async fn every_route_asks_for_the_password_and_the_health_wait_sends_it() {
    let engine = common::engine().await;
    let t = TestInstance::new("locked");
    let file = credentials::path_in(t.config_dir.path());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    let credentials = t.settings.credentials().expect("loaded").clone();
    assert!(credentials.password().len() >= 22, "at least 128 bits");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().trim_end(),
        credentials.password()
    );

    // `start` returns only once the health wait got a 200 with the app's password.
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let port = t.settings.port;
    for path in ["/", "/global/health", "/index.html", "/nothing-here"] {
        assert_eq!(get(port, path, None), 401, "{path} without credentials");
        assert_eq!(
            get(port, path, Some("Basic b3BlbmNvZGU6d3Jvbmc=")),
            401,
            "{path} with a wrong password"
        );
    }
    let auth = credentials.basic_auth();
    assert_eq!(get(port, "/global/health", Some(&auth)), 200);
    assert_eq!(get(port, "/", Some(&auth)), 200);
    // Docker's own health check (in the image) gets in too.
    assert_eq!(
        common::inspect(t.name(), "{{.State.Health.Status}}"),
        "healthy"
    );
    let seen = format!("{:?}", rec.events);
    assert!(!seen.contains(credentials.password()), "{seen}");
}

#[tokio::test]
async fn a_new_password_recreates_the_container_and_keeps_the_volumes() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("rotate");
    let old = t.settings.credentials().expect("loaded").clone();
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let seeded = common::seed_volumes(&t);
    let before = container_id(t.name()).expect("created");

    let new = credentials::rotate(t.config_dir.path()).expect("rotated");
    assert_ne!(new, old);
    t.settings = SettingsFile::at(t.settings_path()).load().unwrap();
    assert_eq!(t.settings.credentials(), Some(&new));
    let report = container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start on the new password");
    assert!(report.created_container);
    assert_ne!(container_id(t.name()), Some(before));
    common::assert_volumes_intact(&t, &seeded, "a new password");
    let port = t.settings.port;
    assert_eq!(get(port, "/global/health", Some(&old.basic_auth())), 401);
    assert_eq!(get(port, "/global/health", Some(&new.basic_auth())), 200);

    // The same password again changes nothing.
    let again = container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start again");
    assert!(!again.created_container);
}

#[tokio::test]
async fn off_on_loopback_the_container_gets_no_password() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("open");
    t.settings.require_password = false;
    t.save();
    t.settings = SettingsFile::at(t.settings_path()).load().unwrap();
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let env = common::inspect(t.name(), "{{range .Config.Env}}{{println .}}{{end}}");
    assert!(!env.contains("OPENCODE_SERVER_PASSWORD"), "{env}");
    assert_eq!(get(t.settings.port, "/global/health", None), 200);
}

#[test]
fn settings_built_by_hand_start_nothing_without_their_password() {
    let settings = occ_core::Settings {
        instance: format!("occ-test-nopass-{}", std::process::id()),
        ..occ_core::Settings::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(async {
            let engine = common::engine().await;
            container::start(&engine, &settings, &mut Recorder::default().sink()).await
        })
        .expect_err("no password loaded");
    assert_eq!(err.kind(), "settings");
    assert!(err.to_string().contains("require_password"), "{err}");
    assert_eq!(container_id(&settings.instance), None);
}

#[test]
fn a_password_in_env_moves_to_its_own_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    let secret = format!("old-Secret-{}", std::process::id());
    std::fs::write(
        &path,
        serde_json::json!({
            "bind_address": "0.0.0.0",
            "env": ["TZ=UTC", format!("OPENCODE_SERVER_PASSWORD={secret}")],
        })
        .to_string(),
    )
    .unwrap();
    let file = SettingsFile::at(path.clone());
    let (settings, notices) = file.load_migrating().expect("migrated");
    assert_eq!(settings.env, vec!["TZ=UTC".to_string()]);
    assert_eq!(
        settings.credentials().map(|c| c.password()),
        Some(secret.as_str())
    );
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("server-password"), "{notices:?}");
    assert!(!notices[0].contains(&secret), "{notices:?}");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains(&secret), "{saved}");
    let stored = credentials::path_in(dir.path());
    assert_eq!(
        std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (_, again) = file.load_migrating().expect("loads");
    assert!(again.is_empty(), "{again:?}");
}
