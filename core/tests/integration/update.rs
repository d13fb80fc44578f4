//! Updates against the real engine and a local registry: a newer image is seen without being
//! downloaded, an update keeps the volumes byte-identical, a new image that does not come up is
//! gone back from on its own, and `rollback` goes back by hand.

use occ_core::settings::ImageMode;
use occ_core::update::{self, UpdateCheck};
use occ_core::{container, image, Error};

use crate::common::{self, ImagesGuard, Recorder, Registry, TestInstance};

/// The test image's variant label, which tells the versions apart.
fn variant(image_ref: &str) -> String {
    common::docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"dev.opencode-cloud.test-variant\"}}",
        image_ref,
    ])
}

/// The variant of the image the instance's container runs.
fn running_variant(t: &TestInstance) -> String {
    variant(&common::inspect(t.name(), "{{.Image}}"))
}

/// Pushes a test image of `variant` (with `extra` Dockerfile lines) as the registry's `name`.
fn push_version(registry: &Registry, name: &str, variant: &str, extra: &str) -> String {
    let local = format!(
        "occ-test-update-{}:{}",
        variant.replace('.', "-"),
        std::process::id()
    );
    common::build_variant_image(
        &local,
        &format!("LABEL dev.opencode-cloud.test-variant={variant}\n{extra}"),
    );
    let remote = registry.push(&local, name);
    common::docker_quiet(&["rmi", &local]);
    remote
}

#[tokio::test]
async fn an_update_is_seen_without_downloading_it_then_applied_and_rolled_back_by_hand() {
    let engine = common::engine().await;
    let registry = Registry::start();
    // Variants unique to this run, so no other test's images can stand for them.
    let v = |n: u32| format!("v{n}.{}", std::process::id());
    let remote = push_version(&registry, "occ-test/update:1", &v(1), "");
    let local = format!("occ-test-update-local:{}", std::process::id());
    // Before the instance, so its container is gone when the images go.
    let _images = ImagesGuard(vec![
        local.clone(),
        update::previous_name(&local),
        remote.clone(),
        format!("label=dev.opencode-cloud.test-variant={}", v(1)),
        format!("label=dev.opencode-cloud.test-variant={}", v(2)),
    ]);
    let mut t = TestInstance::new("update");
    t.settings.image_mode = ImageMode::Pull;
    t.settings.image_sources = vec![remote.clone()];
    t.settings.image = local;
    let mut rec = Recorder::default();

    assert_eq!(
        update::check(&engine, &t.settings).await.unwrap(),
        UpdateCheck::NotDownloaded
    );
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start on v1");
    assert_eq!(running_variant(&t), v(1));
    let seeded = common::seed_volumes(&t);
    assert!(matches!(
        update::check(&engine, &t.settings).await.unwrap(),
        UpdateCheck::UpToDate { .. }
    ));

    // v2 is published: the check sees it, and downloads nothing.
    push_version(&registry, "occ-test/update:1", &v(2), "");
    let before = image::local_image_id(&engine, &t.settings.image)
        .await
        .unwrap();
    let v2_here = || {
        common::docker(&[
            "images",
            "-aq",
            "--filter",
            &format!("label=dev.opencode-cloud.test-variant={}", v(2)),
        ])
    };
    assert_eq!(v2_here(), "", "pushed and removed locally");
    let found = update::check(&engine, &t.settings).await.unwrap();
    assert!(
        matches!(&found, UpdateCheck::Available { from, to, .. } if from != to),
        "{found:?}"
    );
    assert!(
        found.describe().starts_with("Update available from "),
        "{found:?}"
    );
    assert_eq!(
        image::local_image_id(&engine, &t.settings.image)
            .await
            .unwrap(),
        before
    );
    assert_eq!(v2_here(), "", "the check downloaded nothing");

    // The update: v2 runs, the volumes are as they were, v1 is kept as the previous image.
    update::update(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("update to v2");
    assert_eq!(running_variant(&t), v(2));
    assert!(common::is_running(t.name()));
    common::assert_volumes_intact(&t, &seeded, "the update");
    assert_eq!(variant(&update::previous_name(&t.settings.image)), v(1));
    assert!(matches!(
        update::check(&engine, &t.settings).await.unwrap(),
        UpdateCheck::UpToDate { .. }
    ));

    // Back by hand.
    update::rollback(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("rollback");
    assert_eq!(running_variant(&t), v(1));
    common::assert_volumes_intact(&t, &seeded, "the rollback");
}

#[tokio::test]
async fn an_update_that_does_not_come_up_goes_back_to_the_image_that_worked() {
    let engine = common::engine().await;
    let registry = Registry::start();
    let good = format!("good.{}", std::process::id());
    let broken = format!("broken.{}", std::process::id());
    let remote = push_version(&registry, "occ-test/update-bad:1", &good, "");
    let local = format!("occ-test-update-bad-local:{}", std::process::id());
    let _images = ImagesGuard(vec![
        local.clone(),
        update::previous_name(&local),
        remote.clone(),
        format!("label=dev.opencode-cloud.test-variant={good}"),
        format!("label=dev.opencode-cloud.test-variant={broken}"),
    ]);
    let mut t = TestInstance::new("update-bad");
    t.settings.image_mode = ImageMode::Pull;
    t.settings.image_sources = vec![remote.clone()];
    t.settings.image = local;
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start on the good image");
    let seeded = common::seed_volumes(&t);

    // The next version exits at once.
    push_version(
        &registry,
        "occ-test/update-bad:1",
        &broken,
        "CMD [\"/bin/sh\", \"-c\", \"echo broken on purpose; exit 1\"]\n",
    );
    let err = update::update(&engine, &t.settings, &mut rec.sink())
        .await
        .expect_err("the broken image does not come up");
    assert!(matches!(err, Error::UpdateRolledBack { .. }), "{err:?}");
    assert!(err.to_string().contains("previous image"), "{err}");
    assert_eq!(running_variant(&t), good);
    assert!(common::is_running(t.name()));
    assert_eq!(
        common::inspect(t.name(), "{{.State.Health.Status}}"),
        "healthy"
    );
    common::assert_volumes_intact(&t, &seeded, "the rolled-back update");
    // Without a previous image there is nothing to go back to, and it says so.
    let fresh = TestInstance::new("update-none");
    let err = update::rollback(&engine, &fresh.settings, &mut rec.sink())
        .await
        .expect_err("no previous image");
    assert!(matches!(err, Error::NoPreviousImage { .. }), "{err:?}");
}
