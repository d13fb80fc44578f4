//! Discovery over staged homes and config folders, for each platform's table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

struct Stage {
    home: tempfile::TempDir,
    vars: HashMap<String, String>,
    platform: Platform,
}

impl Stage {
    fn new(platform: Platform) -> Stage {
        Stage {
            home: tempfile::tempdir().unwrap(),
            vars: HashMap::new(),
            platform,
        }
    }

    fn var(mut self, key: &str, value: &str) -> Stage {
        self.vars.insert(key.into(), value.into());
        self
    }

    fn env(&self) -> Env {
        Env {
            platform: self.platform,
            home: Some(self.home.path().to_path_buf()),
            vars: self.vars.clone(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.home.path().join(rel)
    }

    fn file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A docker context as `docker context create NAME --docker host=HOST` writes it.
    fn context(&self, config: &str, name: &str, host: &str) {
        let meta = format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        );
        self.file(
            &format!("{config}/contexts/meta/{}/meta.json", context_id(name)),
            &meta,
        );
    }

    fn resolve(&self, setting: &str) -> Vec<(String, Source)> {
        resolve(setting, &self.env())
            .unwrap()
            .into_iter()
            .map(|c| (c.endpoint, c.source))
            .collect()
    }

    fn endpoints(&self) -> Vec<String> {
        self.resolve(AUTO).into_iter().map(|(e, _)| e).collect()
    }

    fn unix(&self, rel: &str) -> String {
        format!("unix://{}", self.path(rel).display())
    }
}

fn known(what: &str) -> Source {
    Source::WellKnown(what.into())
}

#[test]
fn context_ids_are_the_sha256_of_the_name_as_the_docker_cli_stores_them() {
    // `printf podman | sha256sum`
    assert_eq!(
        context_id("podman"),
        "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9"
    );
}

#[test]
fn linux_table_in_order_with_xdg_runtime_dir() {
    let s = Stage::new(Platform::Linux).var("XDG_RUNTIME_DIR", "/run/user/1000");
    let got = s.resolve(AUTO);
    let want = vec![
        (
            "unix:///var/run/docker.sock".to_string(),
            Source::PlatformDefault,
        ),
        (
            s.unix(".docker/desktop/docker.sock"),
            known("Docker Desktop"),
        ),
        (
            "unix:///run/user/1000/docker.sock".into(),
            known("rootless Docker"),
        ),
        (
            "unix:///run/user/1000/podman/podman.sock".into(),
            known("Podman (rootless)"),
        ),
        ("unix:///run/podman/podman.sock".into(), known("Podman")),
        (
            s.unix(".colima/default/docker.sock"),
            known("Colima profile default"),
        ),
        (s.unix(".orbstack/run/docker.sock"), known("OrbStack")),
        (s.unix(".rd/docker.sock"), known("Rancher Desktop")),
    ];
    assert_eq!(got, want);
}

#[test]
fn linux_without_xdg_runtime_dir_still_has_rootful_podman() {
    let s = Stage::new(Platform::Linux);
    let e = s.endpoints();
    assert!(e.contains(&"unix:///run/podman/podman.sock".to_string()));
    assert!(!e.iter().any(|e| e.contains("/run/user/")), "{e:?}");
}

#[test]
fn macos_table_has_docker_desktop_run_socket_and_podman_machines() {
    let s = Stage::new(Platform::MacOs);
    let tmp = s.path("tmp");
    s.file("tmp/podman/work-api.sock", "");
    s.file("tmp/podman/podman-machine-default-api.sock", "");
    let s = s.var("TMPDIR", tmp.to_str().unwrap());
    let got = s.resolve(AUTO);
    assert_eq!(got[0].0, "unix:///var/run/docker.sock");
    assert_eq!(
        got[1],
        (s.unix(".docker/run/docker.sock"), known("Docker Desktop"))
    );
    assert_eq!(
        got[2],
        (
            s.unix("tmp/podman/podman-machine-default-api.sock"),
            known("Podman machine podman-machine-default")
        )
    );
    assert_eq!(
        got[3],
        (
            s.unix("tmp/podman/work-api.sock"),
            known("Podman machine work")
        )
    );
    let tail: Vec<Source> = got[4..].iter().map(|(_, s)| s.clone()).collect();
    assert_eq!(
        tail,
        vec![
            known("Colima profile default"),
            known("OrbStack"),
            known("Rancher Desktop")
        ]
    );
    assert!(!got.iter().any(|(e, _)| e.contains("desktop/docker.sock")));
}

#[test]
fn macos_without_podman_machines_lists_the_default_machine() {
    let s = Stage::new(Platform::MacOs).var("TMPDIR", "/private/var/folders/x/T");
    assert!(s.endpoints().contains(
        &"unix:///private/var/folders/x/T/podman/podman-machine-default-api.sock".into()
    ));
}

#[test]
fn windows_table_is_named_pipes() {
    let s = Stage::new(Platform::Windows);
    assert_eq!(
        s.resolve(AUTO),
        vec![
            (
                "npipe:////./pipe/docker_engine".to_string(),
                Source::PlatformDefault
            ),
            (
                "npipe:////./pipe/dockerDesktopLinuxEngine".into(),
                known("Docker Desktop")
            ),
            (
                "npipe:////./pipe/podman-machine-default".into(),
                known("Podman machine")
            ),
        ]
    );
}

#[test]
fn colima_profiles_default_first_then_sorted_in_both_homes() {
    let s = Stage::new(Platform::Linux);
    for p in ["zeta", "default", "alpha"] {
        std::fs::create_dir_all(s.path(&format!(".colima/{p}"))).unwrap();
    }
    // Colima's own folders start with '_' (e.g. `_lima`): not profiles.
    std::fs::create_dir_all(s.path(".colima/_lima")).unwrap();
    std::fs::create_dir_all(s.path(".config/colima/work")).unwrap();
    let colima: Vec<String> = s
        .resolve(AUTO)
        .into_iter()
        .filter(|(_, src)| matches!(src, Source::WellKnown(w) if w.starts_with("Colima")))
        .map(|(e, _)| e)
        .collect();
    assert_eq!(
        colima,
        vec![
            s.unix(".colima/default/docker.sock"),
            s.unix(".colima/alpha/docker.sock"),
            s.unix(".colima/zeta/docker.sock"),
            s.unix(".config/colima/work/docker.sock"),
        ]
    );
}

#[test]
fn colima_home_replaces_the_default_folders() {
    let s = Stage::new(Platform::Linux);
    std::fs::create_dir_all(s.path("elsewhere/dev")).unwrap();
    std::fs::create_dir_all(s.path(".colima/default")).unwrap();
    let home = s.path("elsewhere");
    let s = s.var("COLIMA_HOME", home.to_str().unwrap());
    let e = s.endpoints();
    assert!(e.contains(&s.unix("elsewhere/dev/docker.sock")), "{e:?}");
    assert!(!e.contains(&s.unix(".colima/default/docker.sock")), "{e:?}");
}

#[test]
fn docker_host_is_the_only_candidate() {
    let s = Stage::new(Platform::Linux)
        .var("DOCKER_HOST", "tcp://127.0.0.1:2375")
        .var("DOCKER_CONTEXT", "podman");
    assert_eq!(
        s.resolve(AUTO),
        vec![("tcp://127.0.0.1:2375".to_string(), Source::DockerHost)]
    );
}

#[test]
fn the_engine_setting_comes_before_docker_host() {
    let s = Stage::new(Platform::Linux).var("DOCKER_HOST", "tcp://127.0.0.1:2375");
    assert_eq!(
        s.resolve("unix:///run/podman/podman.sock"),
        vec![(
            "unix:///run/podman/podman.sock".to_string(),
            Source::Setting
        )]
    );
    s.context(".docker", "podman", "unix:///run/podman/podman.sock");
    assert_eq!(
        s.resolve("podman"),
        vec![(
            "unix:///run/podman/podman.sock".to_string(),
            Source::SettingContext("podman".into())
        )]
    );
}

#[test]
fn current_context_from_config_json_resolves_through_its_meta() {
    let s = Stage::new(Platform::Linux);
    s.file(
        ".docker/config.json",
        r#"{"auths":{},"currentContext":"podman"}"#,
    );
    s.context(".docker", "podman", "unix:///run/podman/podman.sock");
    assert_eq!(
        s.resolve(AUTO),
        vec![(
            "unix:///run/podman/podman.sock".to_string(),
            Source::CurrentContext("podman".into())
        )]
    );
    assert_eq!(
        Source::CurrentContext("podman".into()).to_string(),
        "from context podman"
    );
}

#[test]
fn docker_context_beats_current_context_and_docker_config_moves_the_folder() {
    let s = Stage::new(Platform::Linux);
    let config = s.path("cfg");
    s.file("cfg/config.json", r#"{"currentContext":"colima"}"#);
    s.context("cfg", "colima", "unix:///colima.sock");
    s.context("cfg", "desktop-linux", "unix:///desktop.sock");
    let s = s.var("DOCKER_CONFIG", config.to_str().unwrap());
    assert_eq!(s.resolve(AUTO)[0].0, "unix:///colima.sock");
    let s = s.var("DOCKER_CONTEXT", "desktop-linux");
    assert_eq!(
        s.resolve(AUTO),
        vec![(
            "unix:///desktop.sock".to_string(),
            Source::DockerContext("desktop-linux".into())
        )]
    );
}

#[test]
fn the_default_context_means_the_platform_table() {
    let s = Stage::new(Platform::Linux);
    s.file(".docker/config.json", r#"{"currentContext":"default"}"#);
    assert_eq!(s.resolve(AUTO)[0].1, Source::PlatformDefault);
    assert_eq!(s.resolve("default")[0].1, Source::PlatformDefault);
}

#[test]
fn a_missing_context_is_an_error_naming_it_and_its_file() {
    let s = Stage::new(Platform::Linux).var("DOCKER_CONTEXT", "nope");
    let err = resolve(AUTO, &s.env()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::DockerContext { .. }), "{err:?}");
    assert!(
        text.contains("nope") && text.contains("DOCKER_CONTEXT"),
        "{text}"
    );
    assert!(text.contains(&context_id("nope")), "{text}");
}

#[test]
fn a_broken_config_json_is_an_error_naming_the_file() {
    let s = Stage::new(Platform::Linux);
    let path = s.file(".docker/config.json", "{not json");
    let err = resolve(AUTO, &s.env()).unwrap_err();
    assert!(matches!(err, Error::DockerConfig { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    // A config.json without currentContext is fine.
    s.file(".docker/config.json", r#"{"auths":{}}"#);
    assert_eq!(s.resolve(AUTO)[0].1, Source::PlatformDefault);
}

#[test]
fn a_context_without_a_docker_endpoint_is_an_error() {
    let s = Stage::new(Platform::Linux).var("DOCKER_CONTEXT", "k8s");
    s.file(
        &format!(".docker/contexts/meta/{}/meta.json", context_id("k8s")),
        r#"{"Name":"k8s","Endpoints":{}}"#,
    );
    let text = resolve(AUTO, &s.env()).unwrap_err().to_string();
    assert!(text.contains("Endpoints.docker.Host"), "{text}");
}

#[test]
fn a_context_with_tls_material_carries_its_folder() {
    let s = Stage::new(Platform::Linux).var("DOCKER_CONTEXT", "remote");
    s.context(".docker", "remote", "tcp://10.0.0.5:2376");
    let tls = format!(".docker/contexts/tls/{}/docker", context_id("remote"));
    s.file(&format!("{tls}/ca.pem"), "x");
    let c = resolve(AUTO, &s.env()).unwrap();
    assert_eq!(c[0].tls, Some(s.path(&tls)));
    let s2 = Stage::new(Platform::Linux).var("DOCKER_CONTEXT", "plain");
    s2.context(".docker", "plain", "tcp://10.0.0.5:2375");
    assert_eq!(resolve(AUTO, &s2.env()).unwrap()[0].tls, None);
}

#[test]
fn no_home_still_gives_the_system_sockets() {
    let env = Env {
        platform: Platform::Linux,
        home: None,
        vars: HashMap::new(),
    };
    let e: Vec<String> = resolve(AUTO, &env)
        .unwrap()
        .into_iter()
        .map(|c| c.endpoint)
        .collect();
    assert_eq!(
        e,
        vec![
            "unix:///var/run/docker.sock".to_string(),
            "unix:///run/podman/podman.sock".into()
        ]
    );
}

#[test]
fn socket_paths_of_endpoints() {
    assert_eq!(
        socket_path("unix:///run/podman/podman.sock"),
        Some(PathBuf::from("/run/podman/podman.sock"))
    );
    assert_eq!(socket_path("tcp://127.0.0.1:2375"), None);
    assert!(is_endpoint("npipe:////./pipe/docker_engine"));
    assert!(!is_endpoint("desktop-linux"));
}
