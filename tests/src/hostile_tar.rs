//! Tar streams written the way an attacker could write them, for the tests
//! of what restoring build artifacts refuses.

/// A tar whose entries are `(name, type, data, link target)`, with names and
/// link targets written raw: the tar crate's safe API refuses `..` and
/// absolute names, which is exactly what these tests need to send.
pub fn raw_tar(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for &(name, kind, data, link) in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}
