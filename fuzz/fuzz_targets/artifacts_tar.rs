//! Build artifacts as a tar stream (s2i-cache `restore` of a tar file),
//! any bytes. When the first byte is odd, the checksum of every header the
//! stream's sizes lead to is made right first, so that mutations reach
//! past the header check. No panic, no hang; nothing outside the caches
//! is created or changed (the tree beside them is compared before and
//! after); what is restored fits Go's layout with no link, special file,
//! second name, set-id, sticky or world-write bit; warnings are one log
//! line each.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s2i_cache::restore::restore;
use s2i_fuzz::Case;

/// Writes a correct checksum into each header found by walking the
/// stream by its entries' sizes; stops at what is no header.
fn fix_checksums(tar: &mut [u8]) {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &mut tar[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            return;
        }
        let size_field = &header[124..136];
        let text: String = size_field
            .iter()
            .take_while(|b| **b != 0 && **b != b' ')
            .map(|b| *b as char)
            .collect();
        let Ok(size) = u64::from_str_radix(text.trim_start_matches(' '), 8) else {
            return;
        };
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        let field = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(field.as_bytes());
        let Some(next) = usize::try_from(size.div_ceil(512) * 512)
            .ok()
            .and_then(|data| at.checked_add(512)?.checked_add(data))
        else {
            return;
        };
        at = next;
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&flags, stream)) = bytes.split_first() else {
        return;
    };
    let mut stream = stream.to_vec();
    if flags & 1 == 1 {
        fix_checksums(&mut stream);
    }
    let case = Case::new();
    let artifacts = case.dir.path().join("artifacts.tar");
    std::fs::write(&artifacts, &stream).unwrap();
    let before = case.surroundings(&artifacts);
    let report = restore(&artifacts, &case.caches());
    case.assert_restore_kept_to_its_place(&before, &artifacts, &report);
});
