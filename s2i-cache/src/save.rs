//! Writes the caches as one tar stream: `go-build/...` and `go-mod/...`.
//!
//! Modes are normalised (directories 0775, files 0664, or 0775 when
//! executable) so that the stream extracts and later deletes cleanly as any
//! user: Go leaves the module cache's directories read-only, which would
//! otherwise stop a non-root `tar -x` from filling them and anyone from
//! removing them. Build-cache entries that the image already holds in its
//! base cache (`S2I_GO_BASE_CACHE`) are left out: the next build finds them
//! there.
//!
//! A file or directory that cannot be read is left out with a warning that
//! names it, and the stream stays a whole tar: what is saved is still
//! useful. A build-cache entry left out is one Go recompiles; a module
//! missing a file is marked incomplete in the stream (its `.partial` file,
//! [`layout::partial_marker`]), so that Go extracts it again instead of
//! trusting the directory.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, DirEntry, File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::SystemTime;

use s2i_common::display::reason;

use crate::sink::Sink;
use crate::{header, layout, prune, tree, CacheDirs, Size, BUILD_ENTRY, MODULE_ENTRY};

/// What went into the stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Saved {
    pub build: Size,
    pub module: Size,
    /// How many build-cache entries were left out because the base cache
    /// has them (counted, not sized: most are hard links to the base
    /// cache's files, recognised by their inode number without a `stat`).
    pub in_base: u64,
    /// What could not be read and was left out: one warning each.
    pub unreadable: Vec<Unreadable>,
}

/// A file or directory of the caches that could not be read, and so is
/// left out of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Its name in the stream (`go-mod/...`).
    pub name: PathBuf,
    /// Why, as the system says it (`Permission denied`).
    pub reason: String,
}

impl Saved {
    pub fn is_empty(&self) -> bool {
        self.build.files == 0 && self.module.files == 0
    }
}

/// One entry of the stream: its name there, the file or directory, and
/// whether it is a build-cache entry (`<xx>/<hex>-a`, `<xx>/<hex>-d`).
struct Item {
    name: PathBuf,
    path: PathBuf,
    kind: Kind,
    build_entry: bool,
}

/// What the walk saw an item to be. A file's metadata is read when it is
/// opened, from the open file: one look-up of its name instead of two,
/// and the header then says what the data is.
enum Kind {
    /// A directory, with its modification time.
    Dir(i64),
    File,
}

/// Writes the caches to `out` as a tar stream, leaving out build-cache
/// entries present (same name, same size) in `base`. Nothing to save: nothing
/// is written at all, not even the end-of-archive blocks.
///
/// Build-cache entries are dated at most [`prune::backdated`] in the stream,
/// so that a restore that keeps the times (s2i's extraction does) need not
/// date them again for the prune.
///
/// The caches' directories (and the base cache's, to leave its entries out)
/// are read on a thread of their own, ahead of the writing: with a cache of
/// small files, reading those 512 directories cost as much as the copy, and
/// the stream need not wait for it.
///
/// An error is one of writing to `out`, of reading a file after its header
/// went out (it names the file), or of the listing: the stream is then
/// incomplete (and, after a listing error, has no end-of-archive blocks).
pub fn save(caches: &CacheDirs, base: Option<&Path>, out: impl Sink) -> io::Result<Saved> {
    let (batches, listed) = mpsc::sync_channel(BATCHES_AHEAD);
    let (listing, written) = std::thread::scope(|scope| {
        let lister = std::thread::Builder::new()
            .name("listing".into())
            .spawn_scoped(scope, move || list(caches, base, Batches::Sent(batches)));
        match lister {
            Ok(lister) => {
                let written = Writer::new(out).write(listed);
                let listing = lister
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (listing, written)
            }
            // No thread to be had (a container's limit on processes).
            Err(_) => listing_first(caches, base, out),
        }
    });
    // A failed write stops the listing too: the write's error is the cause.
    let writer = written?;
    let mut collected = match listing {
        Ok(collected) => collected,
        Err(e) => {
            writer.abandon();
            return Err(e);
        }
    };
    for (name, e) in &writer.unreadable {
        collected.left_out(name, e);
    }
    let saved = Saved {
        build: writer.build,
        module: writer.module,
        in_base: collected.in_base,
        unreadable: std::mem::take(&mut collected.unreadable),
    };
    let Some(mut builder) = writer.builder else {
        return Ok(saved); // no file anywhere: nothing written
    };
    // Modules that miss something: Go extracts them again.
    for marker in &collected.partial {
        let name = Path::new(MODULE_ENTRY).join(marker);
        append_header(
            &mut builder,
            &name,
            header::Kind::File,
            0o664,
            0,
            writer.latest,
        )?;
    }
    builder.into_inner()?.flush()?;
    Ok(saved)
}

/// [`save`]'s listing and writing one after the other, on this thread.
fn listing_first<S: Sink>(
    caches: &CacheDirs,
    base: Option<&Path>,
    out: S,
) -> (io::Result<Collected>, io::Result<Writer<S>>) {
    match list(caches, base, Batches::Kept(Vec::new())) {
        Ok(mut collected) => {
            let kept = collected.batches.take_kept();
            (Ok(collected), Writer::new(out).write(kept))
        }
        Err(e) => (Err(e), Writer::new(out).write(Vec::new())),
    }
}

/// How many batches of items the listing may run ahead of the writing.
const BATCHES_AHEAD: usize = 64;

/// How many items the listing sends at a time.
const BATCH: usize = 32;

/// Lists both caches, sending the items to save in batches, in the stream's
/// order.
fn list(caches: &CacheDirs, base: Option<&Path>, batches: Batches) -> io::Result<Collected> {
    let mut collected = Collected {
        batches,
        ..Collected::default()
    };
    let mut base = base.map(BaseIndex::new);
    collected.collect(&caches.build, BUILD_ENTRY, base.as_mut())?;
    collected.collect(&caches.module, MODULE_ENTRY, None)?;
    collected.batches.end();
    Ok(collected)
}

/// Where the listing's batches go.
#[derive(Default)]
enum Batches {
    /// To the writing, on another thread.
    Sent(mpsc::SyncSender<Vec<Item>>),
    /// Kept for the writing, which comes after.
    Kept(Vec<Vec<Item>>),
    /// Nowhere: the listing ended, or the writing stopped.
    #[default]
    Stopped,
}

impl Batches {
    /// False when the writing stopped.
    fn send(&mut self, batch: Vec<Item>) -> bool {
        let sent = match self {
            Batches::Sent(sender) => sender.send(batch).is_ok(),
            Batches::Kept(kept) => {
                kept.push(batch);
                true
            }
            Batches::Stopped => false,
        };
        if !sent {
            *self = Batches::Stopped;
        }
        sent
    }

    /// The end of the listing: the writing's channel closes (what is kept
    /// stays).
    fn end(&mut self) {
        if let Batches::Sent(_) = self {
            *self = Batches::Stopped;
        }
    }

    fn take_kept(&mut self) -> Vec<Vec<Item>> {
        match std::mem::take(self) {
            Batches::Kept(kept) => kept,
            _ => Vec::new(),
        }
    }
}

/// The writing side of [`save`]: the stream's items as they are listed.
struct Writer<S: Sink> {
    out: Option<S>,
    /// Made when the first item comes: there is a file to save then.
    builder: Option<tar::Builder<S>>,
    opener: Opener,
    latest: u64,
    build: Size,
    module: Size,
    /// Files that could not be opened, by their name in the stream.
    unreadable: Vec<(PathBuf, io::Error)>,
}

impl<S: Sink> Writer<S> {
    fn new(out: S) -> Writer<S> {
        let latest = prune::backdated(SystemTime::now())
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Writer {
            out: Some(out),
            builder: None,
            opener: Opener::default(),
            latest,
            build: Size::default(),
            module: Size::default(),
            unreadable: Vec::new(),
        }
    }

    /// Writes every batch the listing sends, until it is done.
    fn write(mut self, listed: impl IntoIterator<Item = Vec<Item>>) -> io::Result<Writer<S>> {
        for batch in listed {
            for item in &batch {
                let builder = match &mut self.builder {
                    Some(builder) => builder,
                    None => self
                        .builder
                        .insert(tar::Builder::new(self.out.take().expect("one builder"))),
                };
                match append(builder, &mut self.opener, item, self.latest)? {
                    Appended::Dir => {}
                    Appended::File(size) if item.name.starts_with(BUILD_ENTRY) => {
                        self.build.add(size)
                    }
                    Appended::File(size) => self.module.add(size),
                    Appended::Unreadable(e) => self.unreadable.push((item.name.clone(), e)),
                }
            }
        }
        Ok(self)
    }

    /// Leaves the stream as it is, without the end-of-archive blocks that
    /// would make it look whole (the tar builder writes them when dropped).
    fn abandon(self) {
        if let Some(mut builder) = self.builder {
            let _ = builder.get_mut().flush();
            std::mem::forget(builder);
        }
    }
}

/// What the walk of the caches found to save.
#[derive(Default)]
struct Collected {
    /// The current cache's items not sent yet.
    items: Vec<Item>,
    /// Where the items go.
    batches: Batches,
    in_base: u64,
    unreadable: Vec<Unreadable>,
    /// The `.partial` markers of modules that miss something (relative to
    /// the module cache).
    partial: BTreeSet<PathBuf>,
}

impl Collected {
    /// Adds the cache at `root` as `name/...`, leaving out build-cache
    /// entries `base` has. A cache's items are sent once it has a file
    /// to save: only empty directories are not worth saving.
    fn collect(
        &mut self,
        root: &Path,
        name: &str,
        mut base: Option<&mut BaseIndex>,
    ) -> io::Result<()> {
        let root_meta = match fs::symlink_metadata(root) {
            Ok(meta) if meta.is_dir() => meta,
            _ => return Ok(()),
        };
        self.items.push(Item {
            name: PathBuf::from(name),
            path: root.to_path_buf(),
            kind: Kind::Dir(root_meta.mtime()),
            build_entry: false,
        });
        let mut files = 0;
        let mut unreadable = Vec::new();
        tree::walk_listing_lenient(
            root,
            &mut |relative, entry| {
                let kind = entry.file_type()?;
                if !kind.is_dir() && !kind.is_file() {
                    return Ok(()); // a cache holds no links or devices; never follow one
                }
                let kind = if kind.is_file() {
                    if let Some(base) = base.as_deref_mut() {
                        if base.has(relative, entry)? {
                            self.in_base += 1;
                            return Ok(());
                        }
                    }
                    files += 1;
                    Kind::File
                } else {
                    Kind::Dir(entry.metadata()?.mtime())
                };
                self.items.push(Item {
                    name: Path::new(name).join(relative),
                    path: root.join(relative),
                    kind,
                    build_entry: name == BUILD_ENTRY && layout::is_build_entry(relative),
                });
                if files > 0 && self.items.len() >= BATCH {
                    self.send()?;
                }
                Ok(())
            },
            &mut |relative, e| {
                unreadable.push((Path::new(name).join(relative), e));
                Ok(())
            },
        )?;
        for (path, e) in unreadable {
            self.left_out(&path, &e);
        }
        if files == 0 {
            self.items.clear();
        }
        self.send()
    }

    /// Sends the items listed so far to the writing.
    fn send(&mut self) -> io::Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.items);
        if self.batches.send(batch) {
            Ok(())
        } else {
            // The writing stopped (its error is the one that counts).
            Err(io::Error::other("the stream stopped"))
        }
    }

    /// Notes that `name` (in the stream) could not be read.
    fn left_out(&mut self, name: &Path, error: &io::Error) {
        self.unreadable.push(Unreadable {
            name: name.to_path_buf(),
            reason: reason(error),
        });
        if let Ok(relative) = name.strip_prefix(MODULE_ENTRY) {
            self.partial.extend(layout::partial_marker(relative));
        }
    }
}

/// The base cache's entries, read a directory at a time: name and inode
/// number, so that the usual case (the image's GOCACHE hard-linked to its
/// base cache) needs no look-up per entry. The walk visits a directory's
/// entries together, so one listing at a time is enough.
struct BaseIndex {
    root: PathBuf,
    /// The directory listed (relative to `root`), its entries sorted.
    listed: Option<(PathBuf, Vec<(OsString, u64)>)>,
}

impl BaseIndex {
    fn new(root: &Path) -> BaseIndex {
        BaseIndex {
            root: root.to_path_buf(),
            listed: None,
        }
    }

    /// True when the base has the entry at `relative` too: the same file
    /// (a hard link: same name and inode number, no `stat` needed), or a
    /// file of the same size.
    fn has(&mut self, relative: &Path, entry: &DirEntry) -> io::Result<bool> {
        let parent = relative.parent().unwrap_or(Path::new(""));
        if self.listed.as_ref().is_none_or(|(dir, _)| dir != parent) {
            let mut entries: Vec<_> = fs::read_dir(self.root.join(parent))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| (e.file_name(), e.ino()))
                        .collect()
                })
                .unwrap_or_default();
            entries.sort_unstable();
            self.listed = Some((parent.to_path_buf(), entries));
        }
        let Some((_, entries)) = &self.listed else {
            return Ok(false);
        };
        let Some(name) = relative.file_name() else {
            return Ok(false);
        };
        Ok(
            match entries.binary_search_by(|(n, _)| n.as_os_str().cmp(name)) {
                Err(_) => false,
                Ok(i) if entries[i].1 == entry.ino() => true,
                Ok(_) => crate::in_base(Some(&self.root), relative, &entry.metadata()?),
            },
        )
    }
}

/// What [`append`] did with an item.
enum Appended {
    Dir,
    File(Size),
    /// The file could not be opened: nothing of it went out.
    Unreadable(io::Error),
}

fn append(
    builder: &mut tar::Builder<impl Sink>,
    opener: &mut Opener,
    item: &Item,
    latest: u64,
) -> io::Result<Appended> {
    let mtime = |mtime: i64| {
        let mtime = mtime.max(0) as u64;
        if item.build_entry {
            mtime.min(latest)
        } else {
            mtime
        }
    };
    if let Kind::Dir(dir_mtime) = item.kind {
        append_dir(builder, &item.name, mtime(dir_mtime))?;
        return Ok(Appended::Dir);
    }
    // Opened before the header goes out: what cannot be read is left out
    // whole.
    let (file, meta) = match opener.open(&item.path) {
        Ok(opened) => opened,
        Err(e) => return Ok(Appended::Unreadable(e)),
    };
    append_file(builder, &item.name, &meta, mtime(meta.mtime()), file)?;
    Ok(Appended::File(Size {
        files: 1,
        bytes: meta.len(),
    }))
}

/// Opens the stream's files relative to their directory, kept open while
/// its files follow one another (a build-cache directory's entries do): the
/// kernel then looks up one name per file, not the whole path.
#[derive(Default)]
struct Opener {
    dir: Option<(PathBuf, File)>,
}

impl Opener {
    /// The regular file at `path`, and its metadata. A link is not followed
    /// and a FIFO does not block the open (the walk saw a regular file; this
    /// is what is there now): either is refused as unreadable.
    fn open(&mut self, path: &Path) -> io::Result<(File, Metadata)> {
        use nix::fcntl::{openat, OFlag};
        use nix::sys::stat::Mode;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        let dir = match self.dir.take() {
            Some((open, dir)) if open == parent => &self.dir.insert((open, dir)).1,
            _ => {
                &self
                    .dir
                    .insert((parent.to_path_buf(), File::open(parent)?))
                    .1
            }
        };
        let flags = OFlag::O_RDONLY
            | OFlag::O_CLOEXEC
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY;
        let file = File::from(openat(dir, name, flags, Mode::empty())?);
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other("no longer a regular file"));
        }
        Ok((file, meta))
    }
}

/// Appends the directory `name`, its mode normalised to 0775.
pub fn append_dir(
    builder: &mut tar::Builder<impl Write>,
    name: &Path,
    mtime: u64,
) -> io::Result<()> {
    append_header(builder, name, header::Kind::Dir, 0o775, 0, mtime)
}

/// Appends the header of `name`: made here when it is plain, else (a long
/// name's extra entry, a number in binary form) by the tar crate; the same
/// bytes either way ([`header`]).
fn append_header(
    builder: &mut tar::Builder<impl Write>,
    name: &Path,
    kind: header::Kind,
    mode: u32,
    size: u64,
    mtime: u64,
) -> io::Result<()> {
    if let Some(block) = header::plain(name, kind, mode, size, mtime) {
        return builder.get_mut().write_all(&block);
    }
    let mut header = tar::Header::new_gnu();
    header.set_mtime(mtime);
    header.set_entry_type(match kind {
        header::Kind::File => tar::EntryType::Regular,
        header::Kind::Dir => tar::EntryType::Directory,
    });
    header.set_mode(mode);
    header.set_size(size);
    builder.append_data(&mut header, name, io::empty())
}

/// Appends the regular file `file` (opened; `meta` its metadata) as
/// `name`: its mode normalised to 0775 when it is executable, else 0664;
/// exactly the size `meta` says, even if the file changed meanwhile (zeros
/// if it shrank). Its data goes by [`Sink::file_data`]: by the kernel where
/// the output takes it. A read that fails names `name`: the stream is
/// incomplete then.
pub fn append_file(
    builder: &mut tar::Builder<impl Sink>,
    name: &Path,
    meta: &Metadata,
    mtime: u64,
    file: File,
) -> io::Result<()> {
    let len = meta.len();
    let mode = if meta.mode() & 0o111 != 0 {
        0o775
    } else {
        0o664
    };
    // The header (and a long name's extra entry) as the tar crate writes
    // them; the data and its padding to a whole block, as it would.
    append_header(builder, name, header::Kind::File, mode, len, mtime)?;
    let out = builder.get_mut();
    out.file_data(&file, len, name)?;
    let block = header::BLOCK as u64;
    let padding = (block - len % block) % block;
    out.write_all(&ZEROS[..padding as usize])
}

/// A block of zeros, for padding: in static memory, not filled per file.
static ZEROS: [u8; header::BLOCK] = [0; header::BLOCK];

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that refuses every write, as a closed pipe does.
    struct Refusing;

    impl Write for Refusing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink for Refusing {}

    /// Without a thread for the listing, the stream is the same.
    #[test]
    fn listing_first_writes_the_same_stream() {
        let dir = tempfile::tempdir().unwrap();
        let caches = CacheDirs::under(dir.path());
        for n in 0..(BATCH * 3) {
            let sub = caches.build.join(format!("{:02x}", n % 7));
            fs::create_dir_all(&sub).unwrap();
            fs::write(sub.join(format!("{n:064x}-d")), n.to_string()).unwrap();
        }
        fs::create_dir_all(caches.module.join("cache/download")).unwrap();
        fs::write(caches.module.join("cache/download/f"), "m").unwrap();
        let mut streamed = Vec::new();
        let saved = save(&caches, None, &mut streamed).unwrap();
        let (collected, written) = listing_first(&caches, None, Vec::new());
        let (collected, written) = (collected.unwrap(), written.unwrap());
        assert_eq!(saved.build.files, BATCH as u64 * 3);
        assert_eq!((written.build, written.module), (saved.build, saved.module));
        assert!(collected.unreadable.is_empty());
        let mut builder = written.builder.expect("a stream");
        builder.finish().unwrap();
        assert!(streamed == *builder.get_ref(), "the same bytes");
    }

    /// The listing runs ahead of the writing; when the writing stops, the
    /// listing must too, even with more to list than it may hold.
    #[test]
    fn a_failed_write_stops_the_listing_and_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let caches = CacheDirs::under(dir.path());
        for n in 0..(BATCHES_AHEAD * BATCH + 500) {
            let sub = caches.build.join(format!("{:02x}", n % 256));
            fs::create_dir_all(&sub).unwrap();
            fs::write(sub.join(format!("{n:064x}-d")), "x").unwrap();
        }
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || done.send(save(&caches, None, Refusing)).unwrap());
        let result = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the save ended");
        assert_eq!(
            result.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe,
            "the write's error"
        );
    }

    /// What is at a path when the stream gets to it may not be what the
    /// walk saw: a link is not followed, a FIFO does not hang the save.
    #[test]
    fn a_file_is_opened_only_if_it_is_still_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("secret");
        fs::write(&outside, "not the cache's").unwrap();
        let cache = dir.path().join("cache");
        fs::create_dir(&cache).unwrap();
        fs::write(cache.join("entry-d"), "data").unwrap();
        std::os::unix::fs::symlink(&outside, cache.join("link-d")).unwrap();
        nix::unistd::mkfifo(&cache.join("fifo-d"), nix::sys::stat::Mode::S_IRWXU).unwrap();

        let mut opener = Opener::default();
        let (mut file, meta) = opener.open(&cache.join("entry-d")).unwrap();
        let mut data = String::new();
        io::Read::read_to_string(&mut file, &mut data).unwrap();
        assert_eq!((data.as_str(), meta.len()), ("data", 4));
        let link = opener.open(&cache.join("link-d")).unwrap_err();
        assert_eq!(link.raw_os_error(), Some(nix::libc::ELOOP), "{link}");
        let fifo = opener.open(&cache.join("fifo-d")).unwrap_err();
        assert!(
            fifo.to_string().contains("no longer a regular file"),
            "{fifo}"
        );
    }
}
