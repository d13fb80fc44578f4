//! One formatter for the durations and sizes every surface shows (tray, window, notifications,
//! `occ`), so "1 min 05 s" and "120 MB" read the same everywhere.

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
}
