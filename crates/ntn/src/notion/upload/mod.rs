//! The file-upload engine: how a file of a known size is split
//! ([`plan`]), where part bytes come from ([`source`]), what type a file is
//! ([`sniff`]).
//!
//! Notion's rules: up to 20 MiB is one `single_part` upload; larger files are
//! `multi_part`, 5 to 20 MiB per part (10 MiB here), at most 1000 parts.

use crate::error::{Error, Result};
use crate::support::size::human_bytes;

pub mod sniff;
pub mod source;

pub use crate::support::size::MIB;
/// Largest `single_part` upload, and largest part.
pub const SINGLE_PART_MAX: u64 = 20 * MIB;
/// Part size of `multi_part` uploads (Notion accepts 5 to 20 MiB).
pub const PART_SIZE: u64 = 10 * MIB;
/// Most parts Notion accepts.
pub const MAX_PARTS: u64 = 1000;
/// Attempts per part.
pub const MAX_ATTEMPTS: u32 = 3;

/// How a file of a known size is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Single,
    Multi { part_size: u64, parts: u32 },
}

impl Plan {
    pub fn parts(&self) -> u32 {
        match self {
            Plan::Single => 1,
            Plan::Multi { parts, .. } => *parts,
        }
    }
}

/// The plan for `size` bytes: one part up to 20 MiB, else 10 MiB parts (or
/// larger, whole MiB, when 10 MiB would need more than 1000 parts).
pub fn plan(size: u64) -> Result<Plan> {
    if size <= SINGLE_PART_MAX {
        return Ok(Plan::Single);
    }
    let part_size = PART_SIZE.max(size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB);
    if part_size > SINGLE_PART_MAX {
        return Err(Error::local(format!(
            "{} is too large for a Notion upload (at most {MAX_PARTS} parts of 20 MiB, {})",
            human_bytes(size),
            human_bytes(MAX_PARTS * SINGLE_PART_MAX)
        ))
        .hint("split the file (for instance with `split -b 10G`) and upload the pieces"));
    }
    Ok(Plan::Multi {
        part_size,
        parts: size.div_ceil(part_size) as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_up_to_20_mib_are_one_part() {
        assert_eq!(plan(0).unwrap(), Plan::Single);
        assert_eq!(plan(SINGLE_PART_MAX).unwrap(), Plan::Single);
    }

    #[test]
    fn larger_sizes_use_10_mib_parts_with_a_smaller_last_one() {
        assert_eq!(
            plan(SINGLE_PART_MAX + 1).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 3
            }
        );
        assert_eq!(
            plan(30 * MIB).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 3
            }
        );
        assert_eq!(
            plan(1000 * PART_SIZE).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 1000
            }
        );
    }

    #[test]
    fn huge_files_get_bigger_parts_within_1000() {
        let Plan::Multi { part_size, parts } = plan(1000 * PART_SIZE + 1).unwrap() else {
            panic!()
        };
        assert_eq!(part_size, 11 * MIB);
        assert!(u64::from(parts) <= MAX_PARTS);
        assert!(plan(MAX_PARTS * SINGLE_PART_MAX).is_ok());
        let e = plan(MAX_PARTS * SINGLE_PART_MAX + 1).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
    }
}
