//! The embedded Dockerfile built for real (on a local Debian 12 base, with a stand-in opencode
//! release; see `standin.rs`) and run through the library: user, volumes, PID 1 and signals,
//! Docker's health check with and without a password, the checksum, the build cache.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use occ_core::container::{self, STOP_TIMEOUT};
use occ_core::image::{self, BuildSource};
use occ_core::{Error, Progress};

use crate::common::{self, Recorder, TestInstance};
use crate::standin::{self, http_get, REAL_IMAGE, STANDIN_VERSION};

/// A test instance on the real image (with the build arguments it was built with, so a start
/// uses it as it is), locked with the app's own password or not.
async fn instance(test: &str, password: bool) -> TestInstance {
    let real = standin::real_image().await;
    let mut t = TestInstance::new(test);
    t.settings.image = REAL_IMAGE.to_string();
    t.settings.build_args = real.args.clone();
    t.settings.require_password = password;
    t.save();
    t
}

fn health_status(name: &str) -> String {
    common::inspect(name, "{{.State.Health.Status}}")
}

#[tokio::test]
async fn real_image_with_a_password_is_healthy_locked_and_stops_on_term() {
    let engine = common::engine().await;
    let t = instance("real-pw", true).await;
    let credentials = t
        .settings
        .credentials()
        .expect("a password by default")
        .clone();
    let password = credentials.password();
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("the real image starts and turns healthy");
    let name = t.name();

    // Docker's own health check (curl with the credentials) passed.
    assert_eq!(health_status(name), "healthy");
    let checks = common::inspect(name, "{{json .State.Health.Log}}");
    assert!(
        checks.contains("\"ExitCode\":0") && checks.contains("healthy\\\": true"),
        "{checks}"
    );

    // Without the right credentials every route is refused, the health route included.
    let port = t.settings.port;
    for path in ["/", "/global/health", "/whoami", "/no-such-route"] {
        assert_eq!(
            http_get(port, path, None).0,
            401,
            "{path} without credentials"
        );
        assert_eq!(
            http_get(port, path, Some(("opencode", "wrong"))).0,
            401,
            "{path} with a wrong password"
        );
        assert_eq!(
            http_get(port, path, Some(("someone", password))).0,
            401,
            "{path} with a wrong user"
        );
    }
    let auth = Some((credentials.username(), password));
    let (status, health) = http_get(port, "/global/health", auth);
    assert_eq!(status, 200);
    assert!(
        health.contains("\"healthy\": true") && health.contains(STANDIN_VERSION),
        "{health}"
    );
    let (status, page) = http_get(port, "/", auth);
    assert_eq!(status, 200);
    assert!(page.contains("<title>opencode</title>"), "{page}");

    // The server runs as uid 1000 with its home and locale; tini is PID 1.
    let (_, whoami) = http_get(port, "/whoami", auth);
    let who: serde_json::Value = serde_json::from_str(&whoami).unwrap();
    // The person's uid/gid (1000 when run as root), as the app builds it.
    let (uid, gid) = occ_core::ownership::build_user();
    assert_eq!(who["uid"], uid, "{who}");
    assert_eq!(who["gid"], gid, "{who}");
    assert_eq!(who["home"], "/home/opencode", "{who}");
    assert_eq!(who["cwd"], "/home/opencode/workspace", "{who}");
    assert_eq!(who["lang"], "en_US.UTF-8", "{who}");
    assert_eq!(common::inspect(name, "{{.Config.User}}"), "opencode");
    assert_eq!(common::docker(&["exec", name, "id", "-u"]), uid.to_string());
    assert_eq!(
        common::docker(&["exec", name, "cat", "/proc/1/comm"]),
        "tini"
    );
    let locale = common::docker(&["exec", name, "sh", "-c", "locale 2>&1"]);
    assert!(
        locale.contains("LC_ALL=en_US.UTF-8") && !locale.contains("Cannot set"),
        "{locale}"
    );

    // A stop is SIGTERM through tini to the server: quick, and never a kill.
    let started = Instant::now();
    container::stop(&engine, &t.settings).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < STOP_TIMEOUT / 2,
        "stopping took {took:?}; the grace period is {STOP_TIMEOUT:?}"
    );
    let exit_code = common::inspect(name, "{{.State.ExitCode}}");
    assert!(
        exit_code == "0" || exit_code == "143",
        "exit code {exit_code} (137 means the server ignored SIGTERM and was killed)"
    );
}

#[tokio::test]
async fn real_image_volumes_are_writable_by_its_user_and_survive_recreate() {
    let engine = common::engine().await;
    // No password (allowed on loopback): Docker's health check must pass without one too.
    let mut t = instance("real-vol", false).await;
    let mut rec = Recorder::default();
    let report = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("the real image starts without a password");
    let name = t.name().to_string();
    let (uid, gid) = occ_core::ownership::build_user();
    assert_eq!(report.created_volumes.len(), 3, "fresh volumes: {report:?}");
    assert_eq!(health_status(&name), "healthy");

    let mounts = common::inspect(
        &name,
        "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}\n{{end}}",
    );
    let port = t.settings.port;
    let (_, whoami) = http_get(port, "/whoami", None);
    let who: serde_json::Value = serde_json::from_str(&whoami).unwrap();
    assert_eq!(who["starts"], 1, "{who}");
    for (volume, path) in t.settings.volumes() {
        assert!(
            mounts.contains(&format!("volume {volume} {path}")),
            "{volume} on {path}: {mounts}"
        );
        // Docker gave each empty volume the mount point's owner: the opencode user.
        assert_eq!(
            common::docker(&["exec", &name, "stat", "-c", "%u:%g", path]),
            format!("{uid}:{gid}"),
            "{path}"
        );
        assert_eq!(who["writable"][path], true, "{path}: {who}");
        common::write_in_container(&name, format!("{path}/marker").as_ref(), volume.as_str());
    }

    // A settings change recreates the container; the volumes and what is in them stay.
    let before = common::container_id(&name);
    t.settings.env.push("OCC_TEST_CHANGED=1".into());
    t.save();
    let report = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .unwrap();
    assert!(
        report.created_container && report.created_volumes.is_empty(),
        "{report:?}"
    );
    assert_ne!(common::container_id(&name), before);
    for (volume, path) in t.settings.volumes() {
        assert_eq!(
            common::read_in_container(&name, format!("{path}/marker").as_ref()),
            volume,
            "{path}"
        );
    }
    // The stand-in counts its starts in its data and config folders: both kept the first.
    let (_, whoami) = http_get(port, "/whoami", None);
    let who: serde_json::Value = serde_json::from_str(&whoami).unwrap();
    assert_eq!(who["starts"], 2, "{who}");
}

#[tokio::test]
async fn real_image_a_second_build_hits_the_cache() {
    let real = standin::real_image().await;
    // The shared build (maybe from this process's cache) produced the image with its labels.
    assert!(
        real.events
            .iter()
            .any(|e| matches!(e, Progress::BuildFinished { image, .. } if image == REAL_IMAGE)),
        "{:?}",
        real.events.last()
    );
    assert_eq!(
        common::docker(&[
            "image",
            "inspect",
            "-f",
            "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
            REAL_IMAGE
        ]),
        STANDIN_VERSION
    );

    let engine = common::engine().await;
    let mut rec = Recorder::default();
    let id = image::build_labelled(
        &engine,
        &BuildSource::Embedded,
        REAL_IMAGE,
        HashMap::new(),
        &real.args,
        &mut rec.sink(),
    )
    .await
    .unwrap();
    assert_eq!(id, real.id, "the same inputs give the same image");
    let run_steps: Vec<u32> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Progress::BuildStep {
                step, instruction, ..
            } if instruction.starts_with("RUN") => Some(*step),
            _ => None,
        })
        .collect();
    assert!(run_steps.len() >= 3, "{:?}", rec.events);
    for step in run_steps {
        assert!(
            rec.events.contains(&Progress::BuildCached { step }),
            "step {step} was not cached"
        );
    }
}

#[tokio::test]
async fn real_image_a_wrong_sha256_fails_the_download_step() {
    // After the shared build, so the steps before the download come from the cache.
    standin::real_image().await;
    let engine = common::engine().await;
    let wrong = "0".repeat(64);
    let args = standin::release_args(&wrong);
    let tag = format!("occ-test-real-badsum:{}", std::process::id());
    let mut rec = Recorder::default();
    let err = image::build_labelled(
        &engine,
        &BuildSource::Embedded,
        &tag,
        HashMap::new(),
        &args,
        &mut rec.sink(),
    )
    .await
    .expect_err("a wrong checksum fails the build");
    match &err {
        Error::BuildFailed {
            step: Some(step),
            output,
            ..
        } => {
            assert!(
                step.instruction.contains("OPENCODE_RELEASE_URL")
                    && step.instruction.contains("sha256sum"),
                "failed at another step: {}",
                step.instruction
            );
            let mismatch = output.iter().find(|l| l.contains("sha256 mismatch"));
            let mismatch = mismatch.unwrap_or_else(|| panic!("{output:?}"));
            assert!(
                mismatch.contains(&format!("expected {wrong}"))
                    && mismatch.contains(&standin::release().sha256)
                    && mismatch.contains("OPENCODE_SHA256_"),
                "{mismatch}"
            );
        }
        other => panic!("expected a failed download step, got {other:?}"),
    }
    assert!(err.to_string().contains("sha256 mismatch"), "{err}");
    assert_eq!(image::local_image_id(&engine, &tag).await.unwrap(), None);
}

#[tokio::test]
async fn real_image_changed_build_args_rebuild_on_start() {
    let real = standin::real_image().await;
    let engine = common::engine().await;
    let mut t = instance("real-args", false).await;
    // An image of its own, so the rebuild does not retag the shared one.
    let tag = format!("occ-test-real-args:{}", std::process::id());
    let _image = RemoveImage(tag.clone());
    common::docker(&["tag", REAL_IMAGE, &tag]);
    t.settings.image = tag.clone();
    t.settings.build_args = real.args.clone();
    t.save();

    // Built with these very arguments: used as it is.
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .unwrap();
    assert!(
        !rec.events
            .iter()
            .any(|e| matches!(e, Progress::BuildStep { .. })),
        "rebuilt although nothing changed"
    );

    // Other arguments: rebuilt (the slow steps from the cache), and the container recreated.
    t.settings
        .build_args
        .insert("OPENCODE_VERSION".into(), "0.0.1-standin".into());
    t.save();
    let mut rec = Recorder::default();
    let deadline = Duration::from_secs(600);
    let report = tokio::time::timeout(
        deadline,
        container::start(&engine, &t.settings, &mut rec.sink()),
    )
    .await
    .expect("the rebuild finishes")
    .unwrap();
    assert!(report.created_container, "{report:?}");
    assert!(
        rec.events
            .iter()
            .any(|e| matches!(e, Progress::BuildFinished { image, .. } if *image == tag)),
        "not rebuilt"
    );
    assert_eq!(
        common::docker(&[
            "image",
            "inspect",
            "-f",
            "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
            &tag
        ]),
        "0.0.1-standin"
    );
}

/// Removes an image when dropped (also when the test fails).
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        common::docker_quiet(&["rmi", "-f", &self.0]);
    }
}
