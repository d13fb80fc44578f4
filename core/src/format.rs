//! The formatters for the durations and sizes every surface shows (tray, window, notifications,
//! `occ`), in one place: "1 min 05 s", "120 MB" (decimal), memory limits in powers of 1024 as
//! the `memory` setting counts them, and sizes as the docker CLI writes them.

/// "4.2 s", "3 min 07 s", "1 h 02 min".
pub fn duration_ms(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        let secs = ms / 1000;
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        let mins = ms / 60_000;
        format!("{} h {:02} min", mins / 60, mins % 60)
    }
}

/// Decimal units, as Docker and file managers show image sizes: "950 B", "12.3 MB", "1.2 GB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// "4 GB", "512 MB", "1.5 GB": memory in the words of the status and notifications (powers of
/// 1024, as the `memory` setting counts).
pub fn binary_size(bytes: u64) -> String {
    let (value, unit) = if bytes >= GIB {
        (bytes as f64 / GIB as f64, "GB")
    } else if bytes >= MIB {
        (bytes as f64 / MIB as f64, "MB")
    } else {
        (bytes as f64 / KIB as f64, "KB")
    };
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {unit}")
    } else {
        format!("{rounded:.1} {unit}")
    }
}

/// A size as the docker CLI writes it (decimal units, `precision` significant digits): `1.99MB`,
/// `4.516kB`, `0B`.
pub fn docker_size(size: u64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut value = size as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", significant(value, precision), UNITS[unit])
}

/// Go's `%.{precision}g` for 0 ≤ value < 1000: `precision` significant digits, no trailing zeros.
fn significant(value: f64, precision: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let digits_before = (value.abs().log10().floor() as i64 + 1).max(1) as usize;
    let decimals = precision.saturating_sub(digits_before);
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_ms(4_200), "4.2 s");
        assert_eq!(duration_ms(187_000), "3 min 07 s");
        assert_eq!(duration_ms(3_720_000), "1 h 02 min");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(bytes(950), "950 B");
        assert_eq!(bytes(12_345_678), "12 MB");
        assert_eq!(bytes(1_234_567), "1.2 MB");
        assert_eq!(bytes(270_000_000), "270 MB");
        assert_eq!(bytes(1_200_000_000), "1.2 GB");
    }

    #[test]
    fn sizes_read_as_the_docker_cli_writes_them() {
        assert_eq!(docker_size(0, 3), "0B");
        assert_eq!(docker_size(61, 3), "61B");
        assert_eq!(docker_size(1_985_569, 3), "1.99MB");
        assert_eq!(docker_size(1_985_472, 4), "1.985MB");
        assert_eq!(docker_size(4_516, 4), "4.516kB");
        assert_eq!(docker_size(808_085_373, 4), "808.1MB");
        assert_eq!(docker_size(808_089_889, 3), "808MB");
        assert_eq!(docker_size(3_000_000, 3), "3MB");
        assert_eq!(docker_size(116_667_737, 3), "117MB");
    }

    #[test]
    fn binary_sizes_say_what_the_memory_setting_counts() {
        assert_eq!(binary_size(4 * GIB), "4 GB");
        assert_eq!(binary_size(512 * MIB), "512 MB");
        assert_eq!(binary_size(3 * GIB / 2), "1.5 GB");
        assert_eq!(binary_size(32 * MIB), "32 MB");
    }
}
