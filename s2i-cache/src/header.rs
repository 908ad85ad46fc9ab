//! The saved stream's tar headers, made without the tar crate's formatting
//! of each field (a `format!` per number, a path parsed into components):
//! for a build cache of small files that was a tenth of the writing. The
//! bytes are exactly those of `tar::Header::new_gnu` and its setters; a
//! name or number that does not fit the plain form is left to the tar crate
//! (see [`plain`]).

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A tar block.
pub const BLOCK: usize = 512;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// Numbers from 8 GiB (sizes) or the year 2242 (times) on take the tar
/// crate's binary form.
const OCTAL_LIMIT: u64 = 8 << 30;

/// The GNU header `tar::Header::new_gnu` gives after `set_mtime`,
/// `set_entry_type`, `set_mode`, `set_size`, `set_path` and `set_cksum`, or
/// `None` when `name` is not a plain relative path of at most 100 bytes or
/// a number needs the binary form: the caller then uses the tar crate.
pub fn plain(name: &Path, kind: Kind, mode: u32, size: u64, mtime: u64) -> Option<[u8; BLOCK]> {
    let name = name.as_os_str().as_bytes();
    if !is_plain(name) || size >= OCTAL_LIMIT || mtime >= OCTAL_LIMIT {
        return None;
    }
    let mut header = [0u8; BLOCK];
    header[..name.len()].copy_from_slice(name);
    octal(&mut header[100..108], u64::from(mode));
    octal(&mut header[124..136], size);
    octal(&mut header[136..148], mtime);
    header[156] = match kind {
        Kind::File => b'0',
        Kind::Dir => b'5',
    };
    header[257..263].copy_from_slice(b"ustar ");
    header[263..265].copy_from_slice(b" \0");
    // The checksum counts its own field as spaces.
    let sum: u64 = header.iter().map(|&b| u64::from(b)).sum::<u64>() + 8 * u64::from(b' ');
    octal(&mut header[148..156], sum);
    Some(header)
}

/// A relative path of normal components (no `.`, `..`, empty component,
/// leading or trailing slash, NUL) that fits the 100-byte name field.
fn is_plain(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.contains(&0)
        && name
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

/// `value` in octal, right-aligned and zero-padded, then a NUL: as the tar
/// crate writes a field (digits beyond the field's width are dropped).
fn octal(field: &mut [u8], mut value: u64) {
    let (last, digits) = field.split_last_mut().expect("a field");
    *last = 0;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (value & 7) as u8;
        value >>= 3;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_the_tar_crate(name: &Path, kind: Kind, mode: u32, size: u64, mtime: u64) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(mtime);
        header.set_entry_type(match kind {
            Kind::File => tar::EntryType::Regular,
            Kind::Dir => tar::EntryType::Directory,
        });
        header.set_mode(mode);
        header.set_size(size);
        let mut out = tar::Builder::new(Vec::new());
        out.append_data(&mut header, name, std::io::empty())
            .unwrap();
        out.into_inner().unwrap()[..BLOCK].to_vec()
    }

    #[test]
    fn the_saved_streams_names_are_plain_and_the_rest_is_left_to_tar() {
        let entry = format!("go-build/ab/{}-d", "ab".repeat(32));
        for plain_name in [
            entry.as_str(),
            "go-build",
            "go-mod/cache/download/a/@v/v1.0.0.zip",
        ] {
            assert!(is_plain(plain_name.as_bytes()), "{plain_name}");
        }
        let long = "m/".repeat(50) + "x";
        for name in [
            "",
            "/abs",
            "a//b",
            "a/./b",
            "a/../b",
            "dir/",
            "a\0b",
            long.as_str(),
        ] {
            assert!(!is_plain(name.as_bytes()), "{name:?}");
        }
        assert!(plain(Path::new("f"), Kind::File, 0o664, OCTAL_LIMIT, 0).is_none());
    }

    proptest! {
        /// Byte for byte what the tar crate writes, for the names, modes,
        /// sizes and times a saved stream has.
        #[test]
        fn the_same_bytes_as_the_tar_crate(
            parts in proptest::collection::vec("[a-zA-Z0-9@._+-]{1,20}", 1..6),
            dir in any::<bool>(),
            mode in prop_oneof![Just(0o664u32), Just(0o775u32), 0u32..0o7777],
            size in prop_oneof![Just(0u64), 0u64..1 << 20, 0..OCTAL_LIMIT],
            mtime in prop_oneof![0u64..1 << 33, 0..OCTAL_LIMIT],
        ) {
            let name = parts.join("/");
            prop_assume!(is_plain(name.as_bytes()));
            let kind = if dir { Kind::Dir } else { Kind::File };
            let ours = plain(Path::new(&name), kind, mode, size, mtime).unwrap();
            prop_assert_eq!(&ours[..], &by_the_tar_crate(Path::new(&name), kind, mode, size, mtime)[..]);
        }
    }
}
