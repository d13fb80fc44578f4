//! Docker image references (`[host[:port]/]path[:tag][@algo:digest]`), checked before they reach
//! the engine so a typo gets a precise reason instead of a 400 from Docker.

/// Checks `reference` against Docker's reference grammar; the error says what is wrong.
pub fn validate(reference: &str) -> Result<(), String> {
    if reference.is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = reference
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("contains {c:?}; image references have no spaces"));
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    if let Some(digest) = digest {
        validate_digest(digest)?;
    }
    // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_and_tag[..last_slash + i],
            Some(&name_and_tag[last_slash + i + 1..]),
        ),
        None => (name_and_tag, None),
    };
    if let Some(tag) = tag {
        validate_tag(tag)?;
    }
    // Docker's limit is on the name; a tag (at most 128) and a digest come on top.
    if name.len() > 255 {
        return Err("has a name longer than 255 characters".into());
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && is_domain_like(components[0]) {
        validate_domain(components.remove(0))?;
    }
    for component in components {
        validate_path_component(component)?;
    }
    Ok(())
}

/// Splits a reference into repository and tag (or digest), defaulting the tag to `latest`.
pub fn split_tag(reference: &str) -> (&str, &str) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name, digest);
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            &reference[..last_slash + i],
            &reference[last_slash + i + 1..],
        ),
        None => (reference, "latest"),
    }
}

/// Docker treats the first component as a registry host when it has a '.' or ':' or is localhost.
fn is_domain_like(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

fn validate_domain(domain: &str) -> Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("has registry port {port:?}, which is not a number"));
        }
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.is_empty() || !host.split('.').all(label_ok) {
        return Err(format!(
            "has registry host {host:?}, which is not a valid host name"
        ));
    }
    Ok(())
}

fn validate_path_component(component: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err("has an empty path component (two '/' in a row, or one at an end)".into());
    }
    if component.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "has upper-case letters in {component:?}; repository names are lower-case"
        ));
    }
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(format!(
            "has {component:?}, which must start and end with a letter or digit"
        ));
    }
    // Separators between alphanumeric runs: '.', '_', '__' or any run of '-'.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return Err(format!(
                "has {sep:?} in {component:?}, which is not allowed there"
            ));
        }
    }
    Ok(())
}

fn validate_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "has tag {tag:?}; a tag is 1–128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ))
    }
}

fn validate_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!(
            "has digest {digest:?}, which lacks an algorithm such as sha256:"
        ));
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if algorithm_ok && hex_ok && (algorithm != "sha256" || hex.len() == 64) {
        Ok(())
    } else {
        Err(format!("has digest {digest:?}, which is not algorithm:hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::{split_tag, validate};

    #[test]
    fn splits_tags_not_ports() {
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b:1"),
            ("127.0.0.1:5000/a/b", "1")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/a"),
            ("127.0.0.1:5000/a", "latest")
        );
        assert_eq!(split_tag("a@sha256:ff"), ("a", "sha256:ff"));
    }

    #[test]
    fn accepts_common_references() {
        for r in [
            "opencode-cloud:local",
            "ubuntu",
            "ubuntu:24.04",
            "ghcr.io/opencode-cloud/opencode-cloud:latest",
            "docker.io/library/busybox:1.36",
            "127.0.0.1:5000/occ-test:1",
            "localhost/a/b__c.d-e---f:v1.0_x",
            "busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ] {
            assert_eq!(validate(r), Ok(()), "{r}");
        }
    }

    #[test]
    fn the_length_limit_is_on_the_name_not_on_tag_and_digest() {
        let long = format!(
            "a/{}:{}@sha256:{}",
            "b".repeat(200),
            "t".repeat(128),
            "0".repeat(64)
        );
        assert_eq!(validate(&long), Ok(()));
        let err = validate(&"b".repeat(256)).expect_err("name too long");
        assert!(err.contains("255"), "{err}");
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("my image", "no spaces"),
            ("Opencode:latest", "lower-case"),
            ("a//b", "empty path component"),
            ("-a", "start and end"),
            ("a:", "tag"),
            ("a:.x", "tag"),
            ("host:port/a", "not a number"),
            ("a@sha256:xyz", "digest"),
            ("a..b", "not allowed"),
        ];
        for (r, why) in cases {
            let err = validate(r).expect_err(r);
            assert!(err.contains(why), "{r}: {err}");
        }
    }
}
