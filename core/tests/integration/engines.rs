//! Finding the engine (docker contexts, the `engine` setting), naming it, and an engine that
//! appears after the watcher started.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use occ_core::client::endpoint_from_env;
use occ_core::discovery::{self, context_id, Env, Platform};
use occ_core::status::{self, State};
use occ_core::{Engine, Error};

use crate::common::{next_status, DockerProxy, TestInstance};

/// A docker CLI config folder whose current context `name` points at `host`, as `docker context
/// create NAME --docker host=HOST && docker context use NAME` leaves it.
fn docker_config_with_context(name: &str, host: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir
        .path()
        .join("contexts/meta")
        .join(context_id(name))
        .join("meta.json");
    std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
    std::fs::write(
        &meta,
        format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"currentContext":"{name}"}}"#),
    )
    .unwrap();
    dir
}

fn env_with_config(config: &Path) -> Env {
    Env {
        platform: Platform::Linux,
        home: Some(config.to_path_buf()),
        vars: HashMap::from([("DOCKER_CONFIG".to_string(), config.display().to_string())]),
    }
}

#[tokio::test]
async fn the_current_context_is_the_engine_used_and_named() {
    let proxy = DockerProxy::start();
    let config = docker_config_with_context("occ-test-ctx", &proxy.endpoint());
    let engine = Engine::discover_in(
        discovery::AUTO,
        &env_with_config(config.path()),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let info = engine.info().expect("a discovered engine knows what it is");
    assert_eq!(info.endpoint, proxy.endpoint());
    assert_eq!(info.source, "from context occ-test-ctx");
    assert!(info.name == "Docker" || info.name == "Podman", "{info:?}");
    assert!(!info.version.is_empty(), "{info:?}");
    assert_eq!(
        info.summary,
        format!(
            "{} {} at {}, from context occ-test-ctx",
            info.name,
            info.version,
            proxy.endpoint()
        )
    );

    // `occ status` with DOCKER_HOST unset uses and names the context, in text and in JSON.
    let t = TestInstance::new("ctx-status");
    let out = t
        .occ()
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", config.path())
        .arg("status")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("Engine: {}", info.summary)),
        "{stdout}"
    );
    let out = t
        .occ()
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", config.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["state"], "not_created");
    assert_eq!(json["engine"]["endpoint"], proxy.endpoint());
    assert_eq!(json["engine"]["source"], "from context occ-test-ctx");
    assert_eq!(json["view"]["engine"], info.summary.as_str());
    // The requests went through the context's socket.
    assert!(proxy.requests() >= 2, "{}", proxy.requests());
}

#[tokio::test]
async fn the_engine_setting_beats_docker_host_and_a_missing_context_says_so() {
    let proxy = DockerProxy::start();
    let t = TestInstance::new("engine-setting");
    let mut settings = t.settings.clone();
    settings.engine = proxy.endpoint();
    occ_core::SettingsFile::at(t.settings_path())
        .save(&settings)
        .unwrap();
    let out = t
        .occ()
        .env("DOCKER_HOST", "unix:///tmp/occ-no-such/docker.sock")
        .args(["status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["engine"]["endpoint"], proxy.endpoint(), "{json}");
    assert_eq!(json["engine"]["source"], "from the `engine` setting");

    // A context name that does not exist: the error names it, its file and the way out.
    let out = t
        .occ()
        .args(["config", "set", "engine", "occ-test-nope"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = t.occ().arg("status").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("docker context occ-test-nope")
            && stderr.contains(&context_id("occ-test-nope"))
            && stderr.contains("occ config set engine"),
        "{stderr}"
    );
    // A value that is neither: refused, naming the key; the file keeps the context name.
    let out = t
        .occ()
        .args(["config", "set", "engine", "ftp://x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`engine`"), "{stderr}");
    let out = t.occ().args(["config", "get", "engine"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "occ-test-nope");
}

#[tokio::test]
async fn when_nothing_answers_the_error_lists_what_was_tried_in_order() {
    // Named pipes cannot answer on this platform, so every candidate of Windows' table fails.
    let env = Env {
        platform: Platform::Windows,
        home: None,
        vars: HashMap::new(),
    };
    let err = Engine::discover_in(discovery::AUTO, &env, Duration::from_secs(2))
        .await
        .unwrap_err();
    let Error::NoEngine { tried } = &err else {
        panic!("expected NoEngine, got {err:?}");
    };
    let endpoints: Vec<&str> = tried.iter().map(|t| t.endpoint.as_str()).collect();
    assert_eq!(
        endpoints,
        [
            "npipe:////./pipe/docker_engine",
            "npipe:////./pipe/dockerDesktopLinuxEngine",
            "npipe:////./pipe/podman-machine-default"
        ]
    );
    assert!(err.is_unreachable());
    let text = err.to_string();
    assert!(
        text.starts_with("No container engine answers. Tried, in order:\n1. npipe:////./pipe/docker_engine (the default socket)"),
        "{text}"
    );
    assert!(text.contains("occ config set engine"), "{text}");
}

#[tokio::test]
async fn the_watcher_connects_once_the_engine_socket_appears() {
    let proxy = DockerProxy::not_yet();
    let t = TestInstance::new("engine-appears");
    let mut settings = t.settings.clone();
    settings.engine = proxy.endpoint();
    let mut watch = status::watch_engine(settings);
    let first = next_status(&mut watch, Duration::from_secs(10), "unreachable", |_| true).await;
    assert_eq!(first.state, State::Unreachable);
    let why = first.engine_error.clone().unwrap_or_default();
    assert!(why.contains(&proxy.endpoint()), "{why}");
    // Past the first retries, so only the folder watch (not a short backoff) can be quick.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let appeared = Instant::now();
    proxy.restore();
    // The watcher's idle wait is 30 s; well under that means the socket's appearance woke it.
    let s = next_status(&mut watch, Duration::from_secs(15), "the real state", |s| {
        s.state != State::Unreachable
    })
    .await;
    let took = appeared.elapsed();
    assert_eq!(s.state, State::NotCreated);
    let engine = s.engine.expect("the status names its engine");
    assert_eq!(engine.endpoint, proxy.endpoint());
    eprintln!("connected {took:?} after the socket appeared");
    assert_ne!(endpoint_from_env(), proxy.endpoint());
}
