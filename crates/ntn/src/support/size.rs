//! Sizes for people: `999 B`, `1.5 KiB`, `12.0 MiB`, `1.00 GiB`.

/// One MiB.
pub const MIB: u64 = 1024 * 1024;

/// A byte count in binary units, one or two decimals.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit >= 2 {
        format!("{v:.2} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_well() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 * MIB), "10.0 MiB");
        assert_eq!(human_bytes(1 << 30), "1.00 GiB");
    }
}
