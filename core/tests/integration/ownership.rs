//! Files the agent writes in mounted folders belong to the person: build mode builds the image
//! with their uid/gid (root keeps 1000, see `occ_core::ownership`) and rebuilds an image made for
//! another user; pull mode says so when the image's user is someone else.

use std::os::unix::fs::MetadataExt;

use occ_core::mounts::FolderMount;
use occ_core::ownership::{self, USER_GID_LABEL, USER_UID_LABEL};
use occ_core::settings::ImageMode;
use occ_core::{container, Progress};

use crate::common::{self, ImagesGuard, Recorder, TestInstance};

/// The test image, with the embedded Dockerfile's user arguments and labels.
const USER_ARGS: &str = "ARG USER_UID=1000\nARG USER_GID=1000\n\
LABEL dev.opencode-cloud.user-uid=$USER_UID dev.opencode-cloud.user-gid=$USER_GID\n\
USER ${USER_UID}:${USER_GID}\n";

fn is_rebuild(e: &Progress) -> bool {
    matches!(e, Progress::Stage { message } if message.starts_with("Rebuilding the image with your uid"))
}

#[tokio::test]
async fn build_mode_builds_with_the_persons_uid_and_rebuilds_an_image_made_for_another() {
    let engine = common::engine().await;
    let (uid, gid) = ownership::build_user();
    let host = ownership::host_user().unwrap();
    if host.0 == 0 {
        assert_eq!((uid, gid), ownership::DEFAULT_USER, "root builds keep 1000");
    } else {
        assert_eq!(uid, host.0);
    }
    let context = common::test_context(USER_ARGS);
    let tag = format!("occ-test-owner-{}:1", std::process::id());
    let mut images = ImagesGuard(vec![tag.clone()]);
    // An image made for someone else, as after the folder changed hands.
    common::docker(&[
        "build",
        "-q",
        "--build-arg",
        "USER_UID=4242",
        "--build-arg",
        "USER_GID=4242",
        "-t",
        &tag,
        context.path().to_str().unwrap(),
    ]);
    // The rebuild leaves it untagged: removed by id.
    images
        .0
        .push(common::docker(&["image", "inspect", "-f", "{{.Id}}", &tag]));
    let folder = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(folder.path(), Some(uid), Some(gid)).unwrap();
    let mut t = TestInstance::new("owner");
    t.settings.image = tag.clone();
    t.settings.image_mode = ImageMode::Build;
    t.settings.build_context = Some(context.path().to_path_buf());
    t.settings.mounts = vec![FolderMount::new(folder.path())];
    t.save();

    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start rebuilds for this user");
    assert!(rec.events.iter().any(is_rebuild), "{:#?}", rec.events);
    assert!(rec
        .events
        .iter()
        .any(|e| matches!(e, Progress::BuildFinished { .. })));
    let labels = common::docker(&[
        "image",
        "inspect",
        "-f",
        &format!("{{{{index .Config.Labels \"{USER_UID_LABEL}\"}}}}:{{{{index .Config.Labels \"{USER_GID_LABEL}\"}}}}"),
        &tag,
    ]);
    assert_eq!(labels, format!("{uid}:{gid}"));

    let target = FolderMount::new(folder.path()).target();
    common::docker(&[
        "exec",
        t.name(),
        "sh",
        "-c",
        &format!("mkdir {target}/made && echo hi > {target}/made/file.txt"),
    ]);
    for made in ["made", "made/file.txt"] {
        let meta = std::fs::metadata(folder.path().join(made)).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (uid, gid), "owner of {made}");
    }
    let note = ownership::note(&engine, &t.settings).await.unwrap();
    if host.0 == 0 {
        let note = note.expect("root is told whose files they are");
        assert!(
            note.contains("You run as root") && note.contains("uid 1000"),
            "{note}"
        );
    } else {
        assert_eq!(note, None);
    }

    // The image now fits: the next start neither rebuilds nor recreates.
    let mut rec = Recorder::default();
    let report = container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("second start");
    assert!(!rec.events.iter().any(is_rebuild), "{:#?}", rec.events);
    assert!(!report.created_container);
}

#[tokio::test]
async fn pull_mode_says_when_the_images_user_is_not_the_person() {
    let tag = format!("occ-test-owner-pull-{}:1", std::process::id());
    let _images = ImagesGuard(vec![tag.clone()]);
    common::build_variant_image(&tag, "USER 4242:4242\n");
    let folder = tempfile::tempdir().unwrap();
    let mut t = TestInstance::new("ownerpull");
    t.settings.image = tag;
    t.settings.image_mode = ImageMode::Pull;
    t.settings.image_sources = vec!["localhost:1/occ-test/never:1".into()];
    t.save();

    // No mounts, no note: ownership only matters for mounted folders.
    let out = t.occ().args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["ownership"], serde_json::Value::Null, "{status}");

    let out = t
        .occ()
        .args(["mount", "add", folder.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note:") && stderr.contains("uid 4242"),
        "{stderr}"
    );

    let out = t.occ().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note:") && text.contains("uid 4242"),
        "{text}"
    );
    let out = t.occ().args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let note = status["ownership"].as_str().expect("a note").to_string();
    if ownership::host_user().unwrap().0 != 0 {
        assert!(note.contains("image_mode build"), "{note}");
    }
    assert!(
        note.contains("files the agent creates in mounted folders"),
        "{note}"
    );
}
