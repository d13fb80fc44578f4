use std::path::Path;

use occ_core::container;

use crate::common::{self, Recorder, TestInstance};

/// Writes one file in each of the three mounts.
fn write_marks(t: &TestInstance, text: &str) {
    for (_, mount) in t.settings.volumes() {
        common::write_in_container(t.name(), &Path::new(mount).join("mark.txt"), text);
    }
}

fn assert_marks(t: &TestInstance, text: &str, when: &str) {
    for (_, mount) in t.settings.volumes() {
        let got = common::read_in_container(t.name(), &Path::new(mount).join("mark.txt"));
        assert_eq!(got, text, "{mount} after {when}");
    }
}

#[tokio::test]
async fn files_in_the_three_volumes_survive_stop_remove_and_a_new_image() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("persist");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    write_marks(&t, "kept-across-everything");

    container::stop(&engine, &t.settings).await.unwrap();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .unwrap();
    assert_marks(&t, "kept-across-everything", "stop/start");

    container::remove(&engine, &t.settings).await.unwrap();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .unwrap();
    assert_marks(&t, "kept-across-everything", "remove/start");

    // A different image: the container is recreated on it, the volumes come along.
    let other = format!("occ-test-busybox-variant:{}", std::process::id());
    common::build_test_image(&other, "b");
    let old_id = common::docker(&["inspect", "-f", "{{.Image}}", t.name()]);
    t.settings.image = other.clone();
    let report = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .unwrap();
    assert!(report.created_container);
    assert_ne!(
        common::docker(&["inspect", "-f", "{{.Image}}", t.name()]),
        old_id
    );
    assert_marks(&t, "kept-across-everything", "a change of image");
    drop(t);
    common::docker_quiet(&["rmi", &other]);
}
