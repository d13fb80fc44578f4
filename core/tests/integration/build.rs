use occ_core::image::{self, BuildSource};
use occ_core::{Error, Progress};

use crate::common::{self, Recorder};

#[tokio::test]
async fn build_reports_each_step_in_order() {
    let engine = common::engine().await;
    let context = common::test_context("");
    let tag = format!("occ-test-build-steps:{}", std::process::id());
    let mut rec = Recorder::default();
    let id = image::build(
        &engine,
        &BuildSource::Dir(context.path().into()),
        &tag,
        &mut rec.sink(),
    )
    .await
    .expect("build succeeds");
    assert!(id.starts_with("sha256:"), "{id}");

    let steps: Vec<(u32, u32, String)> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Progress::BuildStep {
                step,
                total,
                instruction,
            } => Some((*step, *total, instruction.clone())),
            _ => None,
        })
        .collect();
    // The Dockerfile's 9 instructions plus the two LABELs the builder appends (version, build args).
    let total = steps[0].1;
    assert_eq!(total, 11, "{steps:?}");
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    assert!(steps.iter().all(|s| s.1 == total));
    assert_eq!(steps[0].2, "FROM scratch");
    assert!(steps[1].2.starts_with("COPY busybox"));
    assert!(rec
        .events
        .iter()
        .any(|e| matches!(e, Progress::BuildLog { .. })));
    assert!(
        matches!(rec.events.last(), Some(Progress::BuildFinished { image, .. }) if *image == tag)
    );

    // The image carries the app's version label.
    let label = common::docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"dev.opencode-cloud.version\"}}",
        &tag,
    ]);
    assert_eq!(label, env!("CARGO_PKG_VERSION"));

    // A second build hits the cache and says so.
    let mut again = Recorder::default();
    image::build(
        &engine,
        &BuildSource::Dir(context.path().into()),
        &tag,
        &mut again.sink(),
    )
    .await
    .expect("cached build succeeds");
    assert!(again
        .events
        .iter()
        .any(|e| matches!(e, Progress::BuildCached { step: 2 })));
    common::docker_quiet(&["rmi", &tag]);
}

#[tokio::test]
async fn a_failing_run_names_the_step_and_shows_its_output() {
    let engine = common::engine().await;
    let base = common::test_image();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {base}\nRUN echo preparing && echo about-to-fail && exit 3\nRUN echo never\n"
        ),
    )
    .unwrap();
    let tag = format!("occ-test-build-fail:{}", std::process::id());
    let mut rec = Recorder::default();
    let err = image::build(
        &engine,
        &BuildSource::Dir(dir.path().into()),
        &tag,
        &mut rec.sink(),
    )
    .await
    .expect_err("the RUN fails");
    match &err {
        Error::BuildFailed {
            step,
            message,
            output,
        } => {
            let step = step.as_ref().expect("the failing step is known");
            assert_eq!((step.step, step.total), (2, 5));
            assert!(step.instruction.contains("exit 3"), "{}", step.instruction);
            // Docker: "returned a non-zero code: 3"; Podman: "exit status 3".
            assert!(
                message.contains("non-zero code: 3") || message.contains("exit status 3"),
                "{message}"
            );
            assert!(
                output.iter().any(|l| l.contains("about-to-fail")),
                "{output:?}"
            );
        }
        other => panic!("expected BuildFailed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("step 2/5") && text.contains("about-to-fail"),
        "{text}"
    );
    // No image was tagged.
    assert_eq!(image::local_image_id(&engine, &tag).await.unwrap(), None);
}

#[tokio::test]
async fn the_embedded_dockerfile_is_what_an_embedded_build_sends() {
    // The real image cannot be built here (no registry), but its context must hold exactly it.
    let engine = common::engine().await;
    let mut rec = Recorder::default();
    let err = image::build(
        &engine,
        &BuildSource::Embedded,
        "occ-test-embedded:never",
        &mut rec.sink(),
    )
    .await
    .expect_err("ubuntu:24.04 cannot be pulled here");
    let first = rec.events.iter().find_map(|e| match e {
        Progress::BuildStep {
            step: 1,
            instruction,
            ..
        } => Some(instruction.clone()),
        _ => None,
    });
    // Docker numbers the ARGs before the first FROM as steps; Podman (buildah) starts at FROM.
    let expected_first = occ_core::dockerfile::DOCKERFILE
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty() && !l.starts_with('#') && (!engine.is_podman() || l.starts_with("FROM"))
        })
        .unwrap()
        .to_string();
    if engine.is_podman() {
        // buildah shows the FROM with its build argument already put in.
        assert!(
            first.as_deref().is_some_and(|f| f.starts_with("FROM ")),
            "{first:?}: {err}"
        );
    } else {
        assert_eq!(first.as_deref(), Some(expected_first.as_str()), "{err}");
    }
}
