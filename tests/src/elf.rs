//! Just enough of the ELF format to tell whether a binary is static: one
//! with no program interpreter (no `PT_INTERP` program header, so no dynamic
//! loader runs it) and no shared library dependencies (no `DT_NEEDED` entry
//! in its dynamic section). A static-pie binary has a dynamic section, for
//! its own relocations, but no `DT_NEEDED`.

use std::path::Path;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;

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

/// Inspects the bytes of an ELF file.
pub fn linkage(bytes: &[u8]) -> Result<Linkage, String> {
    let elf = Elf::new(bytes)?;
    let headers = elf.program_headers()?;
    let mut interpreter = None;
    let mut needed = Vec::new();
    for header in &headers {
        match header.kind {
            PT_INTERP => {
                let raw = elf.slice(header.offset, header.file_size)?;
                let name = raw.split(|&b| b == 0).next().unwrap_or_default();
                interpreter = Some(String::from_utf8_lossy(name).into_owned());
            }
            PT_DYNAMIC => {
                let entries = elf.dynamic_entries(header)?;
                let strtab = entries
                    .iter()
                    .find(|(tag, _)| *tag == DT_STRTAB)
                    .map(|(_, v)| *v);
                for (_, value) in entries.iter().filter(|(tag, _)| *tag == DT_NEEDED) {
                    let name = strtab
                        .and_then(|table| elf.string_at_address(&headers, table + value))
                        .unwrap_or_else(|| format!("(library name at string offset {value})"));
                    needed.push(name);
                }
            }
            _ => {}
        }
    }
    Ok(Linkage {
        interpreter,
        needed,
    })
}

struct ProgramHeader {
    kind: u32,
    offset: u64,
    address: u64,
    file_size: u64,
}

struct Elf<'a> {
    bytes: &'a [u8],
    wide: bool,
    little: bool,
}

impl<'a> Elf<'a> {
    fn new(bytes: &'a [u8]) -> Result<Elf<'a>, String> {
        if bytes.len() < 52 || &bytes[..4] != b"\x7fELF" {
            return Err("not an ELF file".into());
        }
        let wide = match bytes[4] {
            1 => false,
            2 => true,
            other => return Err(format!("unknown ELF class {other}")),
        };
        let little = match bytes[5] {
            1 => true,
            2 => false,
            other => return Err(format!("unknown ELF data encoding {other}")),
        };
        Ok(Elf {
            bytes,
            wide,
            little,
        })
    }

    fn slice(&self, offset: u64, len: u64) -> Result<&'a [u8], String> {
        let start = usize::try_from(offset).map_err(|_| "offset out of range")?;
        let end = start
            .checked_add(usize::try_from(len).map_err(|_| "length out of range")?)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("truncated: {len} bytes at {offset} run past the end"))?;
        Ok(&self.bytes[start..end])
    }

    fn uint(&self, offset: u64, size: u64) -> Result<u64, String> {
        let raw = self.slice(offset, size)?;
        let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
        Ok(if self.little {
            raw.iter().rev().fold(0, fold)
        } else {
            raw.iter().fold(0, fold)
        })
    }

    /// A word: 8 bytes in a 64-bit file, 4 in a 32-bit one.
    fn word(&self, offset: u64) -> Result<u64, String> {
        self.uint(offset, if self.wide { 8 } else { 4 })
    }

    fn program_headers(&self) -> Result<Vec<ProgramHeader>, String> {
        let (phoff, phentsize, phnum) = if self.wide {
            (self.word(0x20)?, self.uint(0x36, 2)?, self.uint(0x38, 2)?)
        } else {
            (self.word(0x1c)?, self.uint(0x2a, 2)?, self.uint(0x2c, 2)?)
        };
        (0..phnum)
            .map(|i| {
                let at = phoff + i * phentsize;
                let kind = self.uint(at, 4)? as u32;
                Ok(if self.wide {
                    ProgramHeader {
                        kind,
                        offset: self.word(at + 8)?,
                        address: self.word(at + 16)?,
                        file_size: self.word(at + 32)?,
                    }
                } else {
                    ProgramHeader {
                        kind,
                        offset: self.word(at + 4)?,
                        address: self.word(at + 8)?,
                        file_size: self.word(at + 16)?,
                    }
                })
            })
            .collect()
    }

    /// The (tag, value) pairs of a dynamic section, up to `DT_NULL`.
    fn dynamic_entries(&self, header: &ProgramHeader) -> Result<Vec<(u64, u64)>, String> {
        let size = if self.wide { 16 } else { 8 };
        let half = size / 2;
        let mut entries = Vec::new();
        for i in 0..header.file_size / size {
            let at = header.offset + i * size;
            let tag = self.word(at)?;
            if tag == DT_NULL {
                break;
            }
            entries.push((tag, self.word(at + half)?));
        }
        Ok(entries)
    }

    /// The NUL-terminated string at a virtual address, found through the
    /// loadable segment that maps it.
    fn string_at_address(&self, headers: &[ProgramHeader], address: u64) -> Option<String> {
        let segment = headers.iter().find(|h| {
            h.kind == PT_LOAD && address >= h.address && address < h.address + h.file_size
        })?;
        let start = usize::try_from(segment.offset + (address - segment.address)).ok()?;
        let rest = self.bytes.get(start..)?;
        let name = rest.split(|&b| b == 0).next()?;
        Some(String::from_utf8_lossy(name).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 64-bit little-endian ELF: the header, then `headers`
    /// (type, offset, vaddr, filesz) and `payload` after them.
    fn elf64(headers: &[(u32, u64, u64, u64)], payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
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
        for (tag, val) in [(DT_STRTAB, strtab_at), (DT_NEEDED, 1), (DT_NULL, 0)] {
            payload.extend(tag.to_le_bytes());
            payload.extend(val.to_le_bytes());
        }
        let total = headers_end + payload.len() as u64;
        let bytes = elf64(
            &[
                (PT_LOAD, 0, 0, total),
                (PT_INTERP, headers_end, headers_end, interp.len() as u64),
                (PT_DYNAMIC, dyn_at, dyn_at, 48),
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
        assert!(linkage(&bytes).unwrap_err().contains("truncated"));
    }
}
