//! Whether a binary is static: one with no program interpreter (no
//! `PT_INTERP` program header, so no dynamic loader runs it) and no shared
//! library dependencies (no `DT_NEEDED` entry in its dynamic section). A
//! static-pie binary has a dynamic section, for its own relocations, but no
//! `DT_NEEDED`. Read through the program headers, as the loader reads them
//! (a stripped binary's sections say nothing the loader uses); the `object`
//! crate parses them.

use std::path::Path;

use object::elf::{FileHeader32, FileHeader64, DT_NEEDED, DT_STRSZ, DT_STRTAB, PT_LOAD};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::Endianness;

/// How a binary is linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linkage {
    /// The program interpreter (`PT_INTERP`), e.g. `/lib64/ld-linux-x86-64.so.2`.
    pub interpreter: Option<String>,
    /// The shared libraries it needs (`DT_NEEDED`), by name.
    pub needed: Vec<String>,
}

impl Linkage {
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none() && self.needed.is_empty()
    }
}

/// Reads the file at `path` and inspects it.
pub fn linkage_of(path: &Path) -> Result<Linkage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    linkage(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Inspects the bytes of an ELF file, 32- or 64-bit, of either byte order.
pub fn linkage(bytes: &[u8]) -> Result<Linkage, String> {
    // e_ident[EI_CLASS]: 1 for 32-bit; the parser checks it against the header.
    match bytes.get(4) {
        Some(1) => linkage_as::<FileHeader32<Endianness>>(bytes),
        _ => linkage_as::<FileHeader64<Endianness>>(bytes),
    }
}

fn linkage_as<Elf: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Result<Linkage, String> {
    let header = Elf::parse(bytes).map_err(|e| format!("not an ELF file: {e}"))?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    let segments = header
        .program_headers(endian, bytes)
        .map_err(|e| format!("truncated: {e}"))?;
    let mut interpreter = None;
    let mut needed = Vec::new();
    for segment in segments {
        let interp = segment
            .interpreter(endian, bytes)
            .map_err(|e| format!("truncated: {e}"))?;
        if let Some(name) = interp {
            interpreter = Some(String::from_utf8_lossy(name).into_owned());
        }
        let Some(entries) = segment
            .dynamic(endian, bytes)
            .map_err(|e| format!("truncated: {e}"))?
        else {
            continue;
        };
        let value = |tag| {
            entries
                .iter()
                .find(|d| d.d_tag(endian) == tag)
                .map(|d| d.d_val(endian).into())
        };
        // The dynamic string table, found through the loadable segment
        // that maps its address.
        let strings = value(DT_STRTAB).and_then(|address: u64| {
            let size = value(DT_STRSZ).unwrap_or(0);
            segments
                .iter()
                .filter(|s| s.p_type(endian) == PT_LOAD)
                .find_map(|s| s.data_range(endian, bytes, address, size).ok().flatten())
        });
        for entry in entries.iter().filter(|d| d.d_tag(endian) == DT_NEEDED) {
            let offset: u64 = entry.d_val(endian).into();
            let name = strings
                .and_then(|table| table.get(usize::try_from(offset).ok()?..))
                .and_then(|rest| rest.split(|&b| b == 0).next())
                .map(|name| String::from_utf8_lossy(name).into_owned())
                .unwrap_or_else(|| format!("(library name at string offset {offset})"));
            needed.push(name);
        }
    }
    Ok(Linkage {
        interpreter,
        needed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT_LOAD: u32 = 1;
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NULL: u64 = 0;
    const DT_NEEDED: u64 = 1;
    const DT_STRTAB: u64 = 5;
    const DT_STRSZ: u64 = 10;

    /// A minimal 64-bit little-endian ELF: the header, then `headers`
    /// (type, offset, vaddr, filesz) and `payload` after them.
    fn elf64(headers: &[(u32, u64, u64, u64)], payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1; // EV_CURRENT
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        for &(kind, offset, vaddr, filesz) in headers {
            let mut h = vec![0u8; 56];
            h[..4].copy_from_slice(&kind.to_le_bytes());
            h[8..16].copy_from_slice(&offset.to_le_bytes());
            h[16..24].copy_from_slice(&vaddr.to_le_bytes());
            h[32..40].copy_from_slice(&filesz.to_le_bytes());
            b.extend(h);
        }
        b.extend(payload);
        b
    }

    #[test]
    fn static_pie_has_a_dynamic_section_but_needs_nothing() {
        // The dynamic section follows the two program headers.
        let dyn_at = 64 + 2 * 56;
        let mut dynamic = Vec::new();
        for (tag, val) in [(DT_STRTAB, 0u64), (DT_NULL, 0)] {
            dynamic.extend(tag.to_le_bytes());
            dynamic.extend(val.to_le_bytes());
        }
        let bytes = elf64(
            &[
                (PT_LOAD, 0, 0, 4096),
                (PT_DYNAMIC, dyn_at, dyn_at, dynamic.len() as u64),
            ],
            &dynamic,
        );
        let l = linkage(&bytes).unwrap();
        assert!(l.is_static(), "{l:?}");
    }

    #[test]
    fn interpreter_and_needed_libraries_are_found() {
        let headers_end = 64 + 3 * 56;
        let interp = b"/lib/ld-test.so\0";
        let strtab = b"\0libfoo.so.1\0";
        let dyn_at = headers_end + interp.len() as u64 + strtab.len() as u64;
        let strtab_at = headers_end + interp.len() as u64;
        let mut payload = interp.to_vec();
        payload.extend(strtab);
        for (tag, val) in [
            (DT_STRTAB, strtab_at),
            (DT_STRSZ, strtab.len() as u64),
            (DT_NEEDED, 1),
            (DT_NULL, 0),
        ] {
            payload.extend(tag.to_le_bytes());
            payload.extend(val.to_le_bytes());
        }
        let total = headers_end + payload.len() as u64;
        let bytes = elf64(
            &[
                (PT_LOAD, 0, 0, total),
                (PT_INTERP, headers_end, headers_end, interp.len() as u64),
                (PT_DYNAMIC, dyn_at, dyn_at, 64),
            ],
            &payload,
        );
        let l = linkage(&bytes).unwrap();
        assert_eq!(l.interpreter.as_deref(), Some("/lib/ld-test.so"));
        assert_eq!(l.needed, ["libfoo.so.1"]);
        assert!(!l.is_static());
    }

    #[test]
    fn this_test_binary_is_dynamic() {
        // cargo links test binaries against the system's C library.
        let me = std::env::current_exe().unwrap();
        let l = linkage_of(&me).unwrap();
        assert!(!l.is_static(), "{l:?}");
        assert!(l.needed.iter().any(|n| n.starts_with("libc.")), "{l:?}");
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(linkage(b"#!/bin/sh\necho hi\n").is_err());
        let mut bytes = elf64(&[(PT_LOAD, 0, 0, 10)], &[]);
        bytes.truncate(80);
        let error = linkage(&bytes).unwrap_err();
        assert!(error.contains("truncated"), "{error}");
    }
}
