//! Keeps in the caches only what the last build used, so that what is saved
//! does not grow from build to build.
//!
//! One module per cache: `build_cache` keeps the entries this build used
//! ([`BuildCacheUse`]), `module_cache` the modules of its build list
//! ([`BuildList`]).

mod build_cache;
mod module_cache;

pub use build_cache::{backdated, needs_backdating, BuildCacheUse};
pub use module_cache::{BuildList, BuildListInputs, LIST_FORMAT};

use crate::Size;

/// What a prune removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: Size,
    pub kept: Size,
}
