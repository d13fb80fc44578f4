//! The server password: generated on first use, kept in `<config dir>/server-password` (mode
//! 0600, created with that mode), never in `settings.json`. opencode turns on HTTP basic auth when
//! [`PASSWORD_ENV`] is set in its environment; the user is [`USERNAME`].

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

pub use crate::settings::PASSWORD_ENV;
/// opencode's variable for the basic-auth user name.
pub const USERNAME_ENV: &str = "OPENCODE_SERVER_USERNAME";
/// The user name the app sets (opencode's own default).
pub const USERNAME: &str = "opencode";
/// The file in the config dir that holds the password.
pub const FILE_NAME: &str = "server-password";
/// Random bytes per password: 192 bits, 32 characters of base64url.
const PASSWORD_BYTES: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    #[error("Could not {action} the password file {}: {message}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error(
        "The password file {} can be read by other users (mode {mode:o}). Run `chmod 600 {}` \
         or `occ credentials --rotate`.", path.display(), path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(
        "The password file {} is empty or holds more than one line. Run `occ credentials \
         --rotate` to write a new one.", path.display()
    )]
    Malformed { path: PathBuf },
    #[error("Could not get random bytes for a password from the system: {0}")]
    Random(String),
}

/// The server's user and password. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &USERNAME)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    pub fn username(&self) -> &'static str {
        USERNAME
    }

    /// The password itself: for the container's environment and for `occ credentials`.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The `Authorization` header value for HTTP basic auth.
    pub fn basic_auth(&self) -> String {
        let pair = format!("{USERNAME}:{}", self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// A one-way digest, for the container's settings fingerprint: a new password recreates it.
    pub fn digest(&self) -> String {
        Sha256::digest(format!("occ-password:{}", self.password).as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `url` with the user and password in its user-info part (`http://user:pw@host:port/`).
    /// The password is base64url, so it needs no escaping there.
    pub fn url_with_login(&self, url: &str) -> String {
        match url.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{USERNAME}:{}@{rest}", self.password),
            None => url.to_string(),
        }
    }

    /// Whether `text` is usable as a password (what a migrated `env` entry must be).
    fn acceptable(text: &str) -> bool {
        !text.is_empty() && !text.contains(['\n', '\r', '\0'])
    }
}

/// The password file in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The password in `dir`, generated and stored first when there is none yet.
pub fn load_or_create(dir: &Path) -> Result<Credentials, CredentialsError> {
    let path = path_in(dir);
    match read(&path)? {
        Some(credentials) => Ok(credentials),
        None => match create(&path, &generate()?) {
            Ok(credentials) => Ok(credentials),
            // Someone else (the app, another `occ`) made it a moment ago: theirs wins.
            Err(CredentialsError::Io { .. }) if path.exists() => {
                read(&path)?.ok_or(CredentialsError::Malformed { path })
            }
            Err(e) => Err(e),
        },
    }
}

/// The password in `dir`, if the file exists.
pub fn load(dir: &Path) -> Result<Option<Credentials>, CredentialsError> {
    read(&path_in(dir))
}

/// Replaces the password in `dir` with a fresh one and returns it.
pub fn rotate(dir: &Path) -> Result<Credentials, CredentialsError> {
    replace(dir, &generate()?)
}

/// Stores `password` in `dir` unless a password file exists already; true when it was stored.
/// For a password found in the old place (`env` in settings.json).
pub(crate) fn adopt(dir: &Path, password: &str) -> Result<bool, CredentialsError> {
    let path = path_in(dir);
    if !Credentials::acceptable(password) || path.exists() {
        return Ok(false);
    }
    create(&path, password).map(|_| true)
}

fn generate() -> Result<String, CredentialsError> {
    let mut bytes = [0u8; PASSWORD_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| CredentialsError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn io(action: &'static str, path: &Path, e: std::io::Error) -> CredentialsError {
    CredentialsError::Io {
        action,
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn read(path: &Path) -> Result<Option<Credentials>, CredentialsError> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path, e)),
    };
    let mode = file
        .metadata()
        .map_err(|e| io("read", path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(CredentialsError::TooOpen {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| io("read", path, e))?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    if !Credentials::acceptable(password) {
        return Err(CredentialsError::Malformed {
            path: path.to_path_buf(),
        });
    }
    Ok(Some(Credentials {
        password: password.to_string(),
    }))
}

/// Writes a new file at `path`, mode 0600 from the moment it exists; fails if it exists.
fn create(path: &Path, password: &str) -> Result<Credentials, CredentialsError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", path, e))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io("create", path, e))?;
    file.write_all(format!("{password}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io("write", path, e))?;
    Ok(Credentials {
        password: password.to_string(),
    })
}

/// Replaces the file atomically: a fresh 0600 sibling, then a rename over the old one.
fn replace(dir: &Path, password: &str) -> Result<Credentials, CredentialsError> {
    let path = path_in(dir);
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("replace", &path, e)),
    }
    let credentials = create(&tmp, password)?;
    std::fs::rename(&tmp, &path).map_err(|e| io("replace", &path, e))?;
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_use_creates_a_private_random_password_and_keeps_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("created");
        assert_eq!(first.password().len(), 32);
        assert!(first
            .password()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let mode = std::fs::metadata(path_in(dir.path()))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_create(dir.path()).expect("again"), first);
        let rotated = rotate(dir.path()).expect("rotated");
        assert_ne!(rotated, first);
        assert_eq!(load(dir.path()).expect("load"), Some(rotated));
        let mode = std::fs::metadata(path_in(dir.path()))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn debug_hides_the_password() {
        let c = Credentials {
            password: "s3cret-value".into(),
        };
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.basic_auth(), "Basic b3BlbmNvZGU6czNjcmV0LXZhbHVl");
        assert_eq!(
            c.url_with_login("http://127.0.0.1:3000/"),
            "http://opencode:s3cret-value@127.0.0.1:3000/"
        );
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(path_in(dir.path()), "pw\n").expect("write");
        std::fs::set_permissions(path_in(dir.path()), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let err = load(dir.path()).expect_err("too open");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(!err.to_string().contains("pw\n"));
    }
}
