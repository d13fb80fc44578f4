use occ_core::image;
use occ_core::{Error, Progress};

use crate::common::{self, Recorder, Registry};

#[tokio::test]
async fn pull_falls_back_to_the_next_source_with_layer_progress() {
    let engine = common::engine().await;
    let registry = Registry::start();
    // An image with a layer of its own, so the pull really downloads bytes.
    let unique = format!("occ-test-pull-src:{}", std::process::id());
    let context = common::test_context("COPY payload.bin /payload.bin\n");
    // Its own bytes per run: an engine that kept the layer of an earlier run (Podman keeps
    // layers shared with other images) would otherwise have nothing to download.
    let payload = common::noise(3_000_000, u64::from(std::process::id()));
    std::fs::write(context.path().join("payload.bin"), payload).unwrap();
    common::docker(&[
        "build",
        "-q",
        "-t",
        &unique,
        context.path().to_str().unwrap(),
    ]);
    let served = registry.push(&unique, "occ-test/pull:1");
    common::docker(&["rmi", &unique]);

    let dead = format!("127.0.0.1:{}/occ-test/pull:1", common::free_port());
    let local = format!("occ-test-pulled:{}", std::process::id());
    let mut rec = Recorder::default();
    let source = image::pull(
        &engine,
        &[dead.clone(), served.clone()],
        &local,
        &mut rec.sink(),
    )
    .await
    .expect("the second source serves the image");
    assert_eq!(source, served);
    assert!(
        image::local_image_id(&engine, &local)
            .await
            .unwrap()
            .is_some(),
        "tagged under the local name"
    );

    // The first source's failure was reported, then the second was tried.
    let failed = rec
        .events
        .iter()
        .position(|e| matches!(e, Progress::PullSourceFailed { source, .. } if *source == dead));
    let started = rec
        .events
        .iter()
        .position(|e| matches!(e, Progress::PullStarted { source } if *source == served));
    assert!(
        failed.is_some() && started.is_some() && failed < started,
        "{:?}",
        rec.events
    );

    // Per-layer events with bytes, and each layer's final state.
    let layers: Vec<_> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Progress::PullLayer {
                id,
                status,
                current,
                total,
                overall,
            } => Some((id.clone(), status.clone(), *current, *total, *overall)),
            _ => None,
        })
        .collect();
    let downloaded = layers.iter().filter(|l| l.1 == "Pull complete").count();
    assert!(downloaded >= 1, "{layers:?}");
    // Every layer ends in a final state, also on Podman, which never says "Pull complete".
    let mut ids: Vec<&String> = layers.iter().map(|l| &l.0).collect();
    ids.dedup();
    for id in ids {
        let last = layers.iter().rev().find(|l| &l.0 == id).unwrap();
        assert!(
            last.1 == "Pull complete" || last.1 == "Already exists",
            "{id} ended at {:?}: {layers:?}",
            last.1
        );
    }
    // Podman reports no byte counts for a pull this fast (its progress ticks are coarser).
    if !engine.is_podman() {
        assert!(
            layers
                .iter()
                .any(|l| l.1 == "Downloading" && l.2.is_some() && l.3.is_some()),
            "{layers:?}"
        );
        let last = layers.last().unwrap();
        assert!(
            last.4.total > 0 && last.4.current == last.4.total,
            "overall at the end: {:?}",
            last.4
        );
    }
    assert!(
        matches!(rec.events.last(), Some(Progress::PullFinished { image, .. }) if *image == local)
    );
    common::docker_quiet(&["rmi", &local, &served]);
}

#[tokio::test]
async fn when_every_source_fails_the_error_lists_them_and_suggests_building() {
    let engine = common::engine().await;
    let registry = Registry::start();
    let missing = format!("{}/occ-test/absent:1", registry.address);
    let dead = format!("127.0.0.1:{}/occ-test/pull:1", common::free_port());
    let mut rec = Recorder::default();
    let err = image::pull(
        &engine,
        &[dead.clone(), missing.clone()],
        "occ-test-never:1",
        &mut rec.sink(),
    )
    .await
    .expect_err("nothing can be pulled");
    match &err {
        Error::PullFailed { attempts } => {
            assert_eq!(
                attempts
                    .iter()
                    .map(|a| a.source.as_str())
                    .collect::<Vec<_>>(),
                [dead.as_str(), missing.as_str()]
            );
            assert!(attempts.iter().all(|a| !a.reason.is_empty()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("occ build"), "{err}");
}
