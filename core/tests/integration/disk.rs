//! Disk use from the engine's `/system/df`, checked against `docker system df -v`; Clean up
//! removes this instance's old images only, never volumes or anyone else's images.

use std::time::Duration;

use occ_core::disk::{self, DiskUsage};
use occ_core::format::docker_size;
use occ_core::{container, Engine};

use crate::common::{self, ImagesGuard, Recorder, TestInstance};

/// `docker system df -v` as JSON: images by id → (Size, SharedSize), volumes by name → Size.
/// The engine counts for one client at a time and refuses others meanwhile ("a disk usage
/// operation is already running"): asked again until it answers, within a bound.
fn docker_df() -> serde_json::Value {
    for _ in 0..120 {
        let out = std::process::Command::new("docker")
            .args(["system", "df", "-v", "--format", "{{json .}}"])
            .output()
            .unwrap();
        if out.status.success() {
            return serde_json::from_slice(&out.stdout).unwrap();
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("already running"), "docker system df: {err}");
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("docker system df stayed busy for 30 s");
}

/// Our figures written as the docker CLI writes them, next to the CLI's; equal when they agree.
fn compare(usage: &DiskUsage, df: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let image = usage.image.as_ref().expect("the image is there");
    let row = df["Images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["ID"] == image.id.as_str());
    ours.push(format!(
        "{} {}",
        docker_size(image.size, 3),
        docker_size(image.shared_size, 4)
    ));
    theirs.push(row.map_or("missing".into(), |r| {
        format!(
            "{} {}",
            r["Size"].as_str().unwrap(),
            r["SharedSize"].as_str().unwrap()
        )
    }));
    for v in &usage.volumes {
        ours.push(format!("{} {}", v.name, docker_size(v.size.unwrap(), 4)));
        let row = df["Volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["Name"] == v.name.as_str());
        theirs.push(format!(
            "{} {}",
            v.name,
            row.map_or("missing", |r| r["Size"].as_str().unwrap())
        ));
    }
    (ours, theirs)
}

#[tokio::test]
async fn disk_figures_match_docker_system_df() {
    let engine = common::engine().await;
    let t = TestInstance::new("disk");
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    common::seed_volumes(&t);
    // Other tests build and remove images that share layers with ours, which moves the shared
    // size between two reads: compare until two reads close together agree, within a bound.
    let mut last = None;
    for _ in 0..20 {
        let usage = disk::usage(&engine, &t.settings).await.unwrap();
        let (ours, theirs) = compare(&usage, &docker_df());
        if ours == theirs {
            assert!(
                usage.volumes.iter().all(|v| v.size.unwrap() > 70_000),
                "{usage:?}"
            );
            let out = t.occ().args(["status", "--disk"]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            for v in &usage.volumes {
                let line = format!("volume {}: {}", v.name, docker_size(v.size.unwrap(), 4));
                assert!(text.contains(&line), "{line} in {text}");
            }
            return;
        }
        last = Some((ours, theirs));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (ours, theirs) = last.unwrap();
    assert_eq!(ours, theirs);
}

async fn build_generation(engine: &Engine, t: &mut TestInstance, generation: u32) -> String {
    let context = common::test_context(&format!(
        "LABEL occ-test-generation={generation}\nRUN head -c 300000 /dev/urandom > /blob\n"
    ));
    t.settings.build_context = Some(context.path().to_path_buf());
    container::refresh_image(engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("build")
}

#[tokio::test]
async fn clean_removes_our_old_images_and_nothing_else() {
    let engine = common::engine().await;
    let pid = std::process::id();
    let tag = format!("occ-test-clean-{pid}:1");
    let stranger = format!("occ-test-clean-stranger-{pid}:1");
    let mut images = ImagesGuard(vec![tag.clone(), stranger.clone()]);
    // Someone else's old image: untagged, without our instance label.
    for n in 0..2 {
        let context = common::test_context(&format!("RUN echo {n} > /n\n"));
        common::docker(&[
            "build",
            "-q",
            "-t",
            &stranger,
            context.path().to_str().unwrap(),
        ]);
        images.0.push(common::docker(&[
            "image", "inspect", "-f", "{{.Id}}", &stranger,
        ]));
    }
    let strangers_old = images.0[2].clone();

    let mut t = TestInstance::new("clean");
    t.settings.image = tag.clone();
    let old = build_generation(&engine, &mut t, 1).await;
    images.0.push(old.clone());
    let current = build_generation(&engine, &mut t, 2).await;
    assert_ne!(old, current);
    container::start(&engine, &t.settings, &mut Recorder::default().sink())
        .await
        .expect("start");
    let seeded = common::seed_volumes(&t);

    let usage = disk::usage(&engine, &t.settings).await.unwrap();
    assert_eq!(usage.dangling.count, 1, "{usage:?}");
    assert!(usage.dangling.size >= 300_000, "{usage:?}");

    let out = t.occ().arg("clean").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("freed {}", docker_size(usage.dangling.size, 3))),
        "{said} (expected {:?})",
        usage.dangling
    );
    let gone = std::process::Command::new("docker")
        .args(["image", "inspect", &old])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "the old image is still there");
    common::docker(&["image", "inspect", &current]);
    common::docker(&["image", "inspect", &strangers_old]);
    common::assert_volumes_intact(&t, &seeded, "clean");
    assert!(common::is_running(t.name()));

    let again = disk::clean(&engine, &t.settings).await.unwrap();
    assert_eq!((again.images_deleted, again.space_freed), (0, 0));
    let usage = disk::usage(&engine, &t.settings).await.unwrap();
    assert_eq!(usage.dangling.count, 0);
}
