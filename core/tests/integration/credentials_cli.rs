//! `occ credentials`: the one command that prints the login, and `--rotate`, which recreates a
//! running container on a new password with the volumes kept.

use std::process::Output;

use occ_core::credentials;

use crate::common::{self, container_id, TestInstance};

fn run(t: &TestInstance, args: &[&str]) -> Output {
    let out = t.occ().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "occ {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn all(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn credentials_are_printed_when_asked_and_rotate_recreates_the_running_container() {
    let t = TestInstance::new("credcli");
    let old = t
        .settings
        .credentials()
        .expect("loaded")
        .password()
        .to_string();

    let started = run(&t, &["start"]);
    assert!(!all(&started).contains(&old), "{}", all(&started));
    let shown = all(&run(&t, &["credentials"]));
    assert!(shown.contains(&format!("password: {old}")), "{shown}");
    assert!(shown.contains("user:     opencode"), "{shown}");
    assert!(shown.contains(&t.settings.url()), "{shown}");
    for args in [&["status", "--json"][..], &["status"], &["config", "show"]] {
        let said = all(&run(&t, args));
        assert!(
            !said.contains(&old),
            "occ {args:?} printed the password: {said}"
        );
    }

    let seeded = common::seed_volumes(&t);
    let before = container_id(t.name()).expect("running");
    let rotated = all(&run(&t, &["credentials", "--rotate"]));
    assert!(rotated.contains("recreated"), "{rotated}");
    let new = credentials::load(t.config_dir.path())
        .unwrap()
        .expect("stored")
        .password()
        .to_string();
    assert_ne!(new, old);
    assert!(
        !rotated.contains(&new) && !rotated.contains(&old),
        "{rotated}"
    );
    assert_ne!(container_id(t.name()), Some(before));
    assert!(common::is_running(t.name()));
    let env = common::inspect(t.name(), "{{range .Config.Env}}{{println .}}{{end}}");
    assert!(
        env.contains(&format!("OPENCODE_SERVER_PASSWORD={new}\n")),
        "{env}"
    );
    common::assert_volumes_intact(&t, &seeded, "occ credentials --rotate");

    // Stopped: the file changes now, the container at its next start.
    run(&t, &["stop"]);
    let later = all(&run(&t, &["credentials", "--rotate"]));
    assert!(later.contains("next start"), "{later}");
}
