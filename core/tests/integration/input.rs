//! Bad input: settings that are refused by `occ config set` and when loading a hand-written file,
//! with the key and the reason, changing nothing (file, container, volumes); and the server
//! password, which reaches the container and no text the user or a log sees.

use std::net::TcpListener;
use std::process::Output;

use occ_core::settings::SettingsError;
use occ_core::status;
use occ_core::{container, Error, Progress, SettingsFile};

use crate::common::{self, container_id, DockerProxy, Recorder, TestInstance};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One bad value: the key, what a user types after `occ config set <key>`, the JSON value a
/// hand-written file holds, and words of the reason both must give.
struct Bad {
    key: &'static str,
    typed: &'static str,
    written: serde_json::Value,
    reason: &'static str,
}

fn bad_values() -> Vec<Bad> {
    use serde_json::json;
    let bad = |key, typed, written, reason| Bad {
        key,
        typed,
        written,
        reason,
    };
    vec![
        bad("prot", "3000", json!(3000), "is not a setting"),
        bad("stop_on_quit", "yes", json!("yes"), "must be true or false"),
        bad("port", "abc", json!("abc"), "must be a whole number"),
        bad("port", "70000", json!(70000), "from 1 to 65535, not 70000"),
        bad("port", "0", json!(0), "from 1 to 65535, not 0"),
        bad("port", "-1", json!(-1), "from 1 to 65535, not -1"),
        bad(
            "bind_address",
            "localhost",
            json!("localhost"),
            "must be an IP address",
        ),
        bad(
            "bind_address",
            "my host",
            json!("my host"),
            "must be an IP address",
        ),
        bad("image", "my image", json!("my image"), "no spaces"),
        bad(
            "image",
            "Opencode:latest",
            json!("Opencode:latest"),
            "lower-case",
        ),
        bad("env", r#"["A=b\nc"]"#, json!(["A=b\nc"]), "line break"),
        bad("env", r#"["NOEQUALS"]"#, json!(["NOEQUALS"]), "has no '='"),
        bad(
            "env",
            "FOO=bar",
            json!("FOO=bar"),
            "must be a list of \"KEY=value\"",
        ),
        bad("memory", "4x", json!("4x"), "write a size such as \"4g\""),
        bad("memory", "4", json!(4), "must be a size such as \"4g\""),
        bad("memory", "1m", json!("1m"), "below the 6m"),
        bad("cpus", "0", json!(0), "from 0.01 to 1024"),
        bad("cpus", "-1", json!(-1), "from 0.01 to 1024"),
        bad("cpus", "two", json!("two"), "must be a number of CPUs"),
        bad("pids", "10", json!(10), "from 64 to 4194304, not 10"),
        bad("pids", "-5", json!(-5), "from 64 to 4194304, not -5"),
        bad(
            "runtime",
            "my runtime",
            json!("my runtime"),
            "name of a runtime",
        ),
    ]
}

#[tokio::test]
async fn bad_settings_are_refused_with_key_and_reason_and_change_nothing() {
    let engine = common::engine().await;
    let t = TestInstance::new("badinput");
    let mut rec = Recorder::default();
    container::start(&engine, &t.settings, &mut rec.sink())
        .await
        .expect("start");
    let seeded = common::seed_volumes(&t);
    let id = container_id(t.name()).unwrap();
    let path = t.settings_path();
    let good = std::fs::read(&path).unwrap();
    let file = SettingsFile::at(path.clone());

    for bad in bad_values() {
        let case = format!("{} = {}", bad.key, bad.typed);
        let says_why = |message: &str| {
            assert!(
                message.contains(&format!("Setting `{}`", bad.key)) && message.contains(bad.reason),
                "{case}: {message}"
            );
        };

        // Typed at the terminal: refused, and the file keeps every byte.
        let out = t
            .occ()
            .args(["config", "set", bad.key, bad.typed])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{case}");
        says_why(&String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::read(&path).unwrap(), good, "{case}: file changed");

        // Written by hand: loading refuses it (library and CLI), and leaves it as it is.
        let mut written = serde_json::to_value(&t.settings).unwrap();
        written[bad.key] = bad.written.clone();
        let bytes = serde_json::to_vec_pretty(&written).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        match file.load() {
            Err(e @ SettingsError::Invalid { .. }) => says_why(&e.to_string()),
            other => panic!("{case}: {other:?}"),
        }
        for command in ["status", "start"] {
            let out = t.occ().arg(command).output().unwrap();
            assert!(!out.status.success(), "{case}: occ {command}");
            says_why(&String::from_utf8_lossy(&out.stderr));
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{case}: file changed");
        std::fs::write(&path, &good).unwrap();
    }

    // A file that is not JSON at all, and one that is JSON but no object.
    for (corrupt, says) in [
        ("{\n  \"port\": 3000,\n  oops\n}\n", "line 3"),
        ("[\"x\", 3001]\n", "where an object"),
    ] {
        std::fs::write(&path, corrupt).unwrap();
        assert!(matches!(file.load(), Err(SettingsError::Parse { .. })));
        for args in [
            &["config", "set", "port", "3001"][..],
            &["status"],
            &["start"],
        ] {
            let out = t.occ().args(args).output().unwrap();
            assert!(!out.status.success(), "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&path.display().to_string()) && stderr.contains(says),
                "{args:?}: {stderr}"
            );
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), corrupt);
    }
    std::fs::write(&path, &good).unwrap();

    // The running instance never noticed.
    assert_eq!(container_id(t.name()), Some(id));
    assert!(common::is_running(t.name()));
    common::assert_volumes_intact(&t, &seeded, "bad settings");
}

#[tokio::test]
async fn the_password_reaches_the_container_and_no_status_error_or_progress_text() {
    let engine = common::engine().await;
    let mut t = TestInstance::new("password");
    let secret = t
        .settings
        .credentials()
        .expect("loaded with the settings")
        .password()
        .to_string();
    let password_entry = format!("{}={secret}", occ_core::settings::PASSWORD_ENV);

    // Everything the user or a log could see, gathered to be searched for the secret.
    let mut seen: Vec<String> = Vec::new();

    // Reachable from the network means the password stays on.
    t.settings.bind_address = "0.0.0.0".parse().unwrap();
    t.settings.env = vec!["TZ=UTC".into()];
    let mut open = t.settings.clone();
    open.require_password = false;
    let refused = open.validate().expect_err("no password on the network");
    assert!(
        refused.to_string().contains("Setting `require_password`")
            && refused.to_string().contains("loopback"),
        "{refused}"
    );
    t.settings.validate().expect("with the password");
    t.save();

    // A password typed into env is refused without being quoted back.
    for typed in [
        password_entry.clone(),
        format!("[\"TZ=UTC\", \"{password_entry}\"]"),
        format!("[\"TZ=UTC\", \"OPENCODE_SERVER_PASSWORD:{secret}\"]"),
    ] {
        let out = t
            .occ()
            .args(["config", "set", "env", &typed])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{typed}");
        let said = text(&out);
        assert!(said.contains("Setting `env`"), "{said}");
        seen.push(said);
        let mut written = serde_json::to_value(&t.settings).unwrap();
        written["env"] = serde_json::from_str(&typed).unwrap_or(serde_json::Value::String(typed));
        let err = occ_core::Settings::from_json(&written.to_string(), &t.settings_path())
            .expect_err("refused");
        seen.push(err.to_string());
        seen.push(format!("{err:?}"));
    }
    for args in [&["config", "show"][..], &["config", "get", "env"]] {
        let out = t.occ().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        seen.push(text(&out));
    }
    seen.push(format!("{:?}", t.settings));
    seen.push(serde_json::to_string(&t.settings).unwrap());
    seen.push(std::fs::read_to_string(t.settings_path()).unwrap());

    let mut progress: Vec<Progress> = Vec::new();
    let mut record = |p: Progress| progress.push(p);
    container::start(&engine, &t.settings, &mut record)
        .await
        .expect("start");
    let seeded = common::seed_volumes(&t);

    // It is in the container's environment, exactly, with opencode's user name.
    let env = common::inspect(t.name(), "{{range .Config.Env}}{{println .}}{{end}}");
    assert!(env.lines().any(|l| l == password_entry), "{env}");
    assert!(
        env.lines()
            .any(|l| l == "OPENCODE_SERVER_USERNAME=opencode"),
        "{env}"
    );
    // …and in the environment of the service process itself.
    let environ = common::docker(&[
        "exec",
        t.name(),
        "sh",
        "-c",
        "tr '\\0' '\\n' < /proc/1/environ",
    ]);
    assert!(environ.lines().any(|l| l == password_entry), "{environ}");

    // Status: library, watcher, CLI (JSON and text).
    let now = status::current(&engine, &t.settings).await.unwrap();
    seen.push(format!("{now:?}"));
    seen.push(serde_json::to_string(&now).unwrap());
    let mut watch = status::watch(occ_core::client::endpoint_from_env(), t.settings.clone());
    let watched = watch.next().await.unwrap();
    seen.push(format!("{watched:?}"));
    for args in [&["status", "--json"][..], &["status"], &["start"]] {
        let out = t.occ().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        seen.push(text(&out));
    }

    // Errors from a start: a port taken, no engine, no image source, a build that fails.
    let mut errors: Vec<Error> = Vec::new();
    let mut moved = t.settings.clone();
    moved.port = common::free_port();
    let _squatter = TcpListener::bind(("0.0.0.0", moved.port)).unwrap();
    errors.push(
        container::start(&engine, &moved, &mut record)
            .await
            .expect_err("port taken"),
    );
    let proxy = DockerProxy::start();
    let through = proxy.engine().await;
    proxy.cut();
    errors.push(
        container::start(&through, &t.settings, &mut record)
            .await
            .expect_err("no engine"),
    );
    let failing = tempfile::tempdir().unwrap();
    std::fs::write(
        failing.path().join("Dockerfile"),
        format!("FROM {}\nRUN env && exit 7\n", common::test_image()),
    )
    .unwrap();
    // No source has it, and the build it falls back to fails.
    let mut unpullable = t.settings.clone();
    unpullable.image = format!("occ-test-absent:{}", std::process::id());
    unpullable.image_mode = occ_core::settings::ImageMode::Pull;
    unpullable.image_sources = vec![format!("127.0.0.1:{}/absent:1", common::free_port())];
    unpullable.build_context = Some(failing.path().into());
    errors.push(
        container::start(&engine, &unpullable, &mut record)
            .await
            .expect_err("nothing to pull"),
    );
    let mut unbuildable = unpullable.clone();
    unbuildable.image_mode = occ_core::settings::ImageMode::Build;
    errors.push(
        container::start(&engine, &unbuildable, &mut record)
            .await
            .expect_err("the build fails"),
    );
    assert!(progress.len() > 3, "{progress:?}");
    for p in &progress {
        seen.push(format!("{p:?}"));
        seen.push(serde_json::to_string(p).unwrap());
    }
    let kinds: Vec<&str> = errors.iter().map(Error::kind).collect();
    assert_eq!(
        kinds,
        [
            "port_in_use",
            "daemon_not_running",
            "build_failed",
            "build_failed"
        ]
    );
    for e in &errors {
        seen.push(e.to_string());
        seen.push(format!("{e:?}"));
    }

    for text in &seen {
        assert!(!text.contains(&secret), "the password leaked into: {text}");
    }
    // The container was left as it was by all of that.
    assert!(common::is_running(t.name()));
    common::assert_volumes_intact(&t, &seeded, "the failed starts");
}
