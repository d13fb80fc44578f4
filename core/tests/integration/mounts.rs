//! Host folders mounted into the container: ownership of what the container writes, read-only,
//! recreation on change with the volumes kept, and every refusal leaving things as they were.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Output;

use occ_core::container;
use occ_core::mounts::FolderMount;

use crate::common::{self, ImagesGuard, Recorder, TestInstance};

/// A uid/gid for the container's user: the running user's, or (as root, where uid 0 inside
/// would prove nothing) a non-root pair the test owns the folder with, as a person would.
fn person(folder: &Path) -> (u32, u32) {
    let meta = std::fs::metadata(folder).unwrap();
    if meta.uid() != 0 {
        return (meta.uid(), meta.gid());
    }
    std::os::unix::fs::chown(folder, Some(4321), Some(4321)).unwrap();
    (4321, 4321)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[tokio::test]
async fn folders_are_mounted_owned_by_the_person_and_a_removed_mount_recreates_keeping_volumes() {
    let engine = common::engine().await;
    let rw = tempfile::tempdir().unwrap();
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("keep.txt"), "host copy\n").unwrap();
    let (uid, gid) = person(rw.path());
    std::os::unix::fs::chown(ro.path(), Some(uid), Some(gid)).ok();

    let tag = format!("occ-test-mount-user-{}:1", std::process::id());
    let _images = ImagesGuard(vec![tag.clone()]);
    common::build_variant_image(&tag, &format!("USER {uid}:{gid}\n"));
    let mut t = TestInstance::new("mounts");
    t.settings.image = tag;
    t.save();
    let add = |spec: &str, extra: &[&str]| {
        let out = t
            .occ()
            .args(["mount", "add", spec])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "mount add {spec}: {}", stderr(&out));
    };
    add(rw.path().to_str().unwrap(), &[]);
    let ro_target = "/home/opencode/workspace/reference:ro";
    add(
        &format!("{}:{ro_target}", ro.path().display()),
        &["--read-only"],
    );
    let settings = occ_core::SettingsFile::at(t.settings_path())
        .load()
        .unwrap();
    let rw_target = format!(
        "/home/opencode/workspace/{}",
        rw.path().file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(settings.mounts.len(), 2);
    assert_eq!(settings.mounts[0].target(), rw_target);

    let mut rec = Recorder::default();
    container::start(&engine, &settings, &mut rec.sink())
        .await
        .expect("start with mounts");
    let first_id = common::container_id(t.name()).unwrap();
    let binds = common::inspect(
        t.name(),
        "{{range .Mounts}}{{if eq .Type \"bind\"}}{{.Source}}>{{.Destination}}>{{.RW}};{{end}}{{end}}",
    );
    assert!(
        binds.contains(&format!("{}>{rw_target}>true;", rw.path().display())),
        "{binds}"
    );
    assert!(
        binds.contains(&format!("{}>{ro_target}>false;", ro.path().display())),
        "{binds}"
    );

    // Read-write: written inside, there on the host, owned by the person.
    common::docker(&[
        "exec",
        t.name(),
        "sh",
        "-c",
        &format!("echo from the agent > {rw_target}/made-inside.txt"),
    ]);
    let made = rw.path().join("made-inside.txt");
    assert_eq!(std::fs::read_to_string(&made).unwrap(), "from the agent\n");
    let meta = std::fs::metadata(&made).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (uid, gid), "owner of {made:?}");

    // Read-only: the write fails inside and the host folder is as it was.
    let out = std::process::Command::new("docker")
        .args(["exec", t.name(), "sh", "-c"])
        .arg(format!(
            "echo x > '{ro_target}/new.txt' || echo x >> '{ro_target}/keep.txt'"
        ))
        .output()
        .unwrap();
    assert!(!out.status.success(), "wrote into a read-only mount");
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    let listing: Vec<_> = std::fs::read_dir(ro.path()).unwrap().flatten().collect();
    assert_eq!(listing.len(), 1);
    assert_eq!(
        std::fs::read_to_string(ro.path().join("keep.txt")).unwrap(),
        "host copy\n"
    );

    // Removing a mount recreates the container on the next start; the volumes are kept.
    let seeded = common::seed_volumes(&t);
    let out = t
        .occ()
        .args(["mount", "remove", &rw_target])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = t.occ().args(["mount", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        list.trim(),
        format!("{}\t{ro_target}\tread-only", ro.path().display())
    );
    let settings = occ_core::SettingsFile::at(t.settings_path())
        .load()
        .unwrap();
    let report = container::start(&engine, &settings, &mut rec.sink())
        .await
        .expect("start after removing a mount");
    assert!(report.created_container);
    assert_ne!(common::container_id(t.name()).unwrap(), first_id);
    let binds = common::inspect(t.name(), "{{range .Mounts}}{{.Destination}};{{end}}");
    assert!(!binds.contains(&rw_target), "{binds}");
    assert!(binds.contains(ro_target), "{binds}");
    common::assert_volumes_intact(&t, &seeded, "removing a mount");
    assert!(
        made.exists(),
        "the host folder is never touched by unmounting"
    );
}

#[tokio::test]
async fn refused_mounts_say_why_and_change_nothing() {
    let engine = common::engine().await;
    let t = TestInstance::new("mountrefuse");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let id = common::container_id(t.name()).unwrap();

    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join(".docker/run")).unwrap();
    std::fs::write(h.join(".docker/run/docker.sock"), "").unwrap();
    std::fs::create_dir_all(h.join("a/proj")).unwrap();
    std::fs::create_dir_all(h.join("b/proj")).unwrap();
    std::fs::write(h.join("notes.txt"), "x").unwrap();
    std::os::unix::fs::symlink("/etc", h.join("etc-link")).unwrap();
    let hp = |rel: &str| h.join(rel).display().to_string();

    // An allowed mount first, so "two on one container path" has something to meet.
    let out = t
        .occ()
        .env("HOME", h)
        .args(["mount", "add", &hp("a/proj")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = std::fs::read(t.settings_path()).unwrap();

    let cases: Vec<(String, &str)> = vec![
        ("proj".into(), "is relative"),
        (hp("missing"), "does not exist"),
        (hp("notes.txt"), "is a file, not a folder"),
        ("/".into(), "filesystem root"),
        (h.display().to_string(), "your home folder"),
        ("/etc".into(), "/etc is a system folder"),
        ("/usr/share".into(), "/usr is a system folder"),
        ("/var".into(), "/var is a system folder"),
        (hp("etc-link"), "/etc is a system folder"),
        (hp(".docker"), "holds the Docker socket"),
        (hp(".docker/run/docker.sock"), "holds the Docker socket"),
        (
            format!("{}:/etc/proj", hp("b/proj")),
            "is outside /home/opencode/workspace",
        ),
        (
            format!("{}:/home/opencode/workspace", hp("b/proj")),
            "the projects volume's own path",
        ),
        (
            format!("{}:/home/opencode/.config/opencode/x", hp("b/proj")),
            "is outside /home/opencode/workspace",
        ),
        (hp("b/proj"), "two entries on the container path"),
        (format!("{}\nx", hp("b/proj")), "control character"),
    ];
    for (spec, says) in cases {
        let out = t
            .occ()
            .env("HOME", h)
            .args(["mount", "add", &spec])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!out.status.success(), "{spec:?} was accepted");
        assert!(
            err.contains("`mounts`") && err.contains(says),
            "{spec:?}: {err}"
        );
        assert_eq!(std::fs::read(t.settings_path()).unwrap(), saved, "{spec:?}");
    }
    // A folder that vanished after it was added stops the start before anything changes.
    let mut settings = t.settings.clone();
    settings.mounts.push(FolderMount::new(h.join("b/proj")));
    std::fs::remove_dir(h.join("b/proj")).unwrap();
    let err = container::start(&engine, &settings, &mut rec.sink())
        .await
        .expect_err("a missing folder is refused at start");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_eq!(common::container_id(t.name()).unwrap(), id);
    assert!(common::is_running(t.name()));
}
