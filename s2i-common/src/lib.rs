//! What the s2i-go binaries share.
//!
//! Each module does one job: [`envfile`] reads `.s2i/environment` the way the
//! s2i CLI does, [`manifest`] is the contract between `s2i-assemble` (which
//! writes it) and `s2i-run` (which reads it), [`paths`] names the places of
//! the S2I layout, [`atomic`] writes files so that a reader never sees
//! half of one, [`install`] installs a build into the application root as
//! one step (a redo log that `s2i-assemble` and `s2i-run` both finish),
//! [`rename`] has the renames std lacks, [`memlimit`] reads the container's
//! memory limit from its cgroup, and [`display`] shows outside
//! names in log lines without their control characters; [`tree`] walks and
//! removes whole trees without following links.
//! [`settings`] is the one table of settings, [`values`] and [`signals`] the
//! grammars of their values, and [`message_keys!`] ties each error variant
//! to its README troubleshooting entry.

pub mod atomic;
pub mod display;
pub mod envfile;
pub mod install;
pub mod location;
pub mod manifest;
pub mod memlimit;
mod messages;
pub mod paths;
pub mod rename;
pub mod settings;
pub mod signals;
pub mod stdout;
pub mod tree;
pub mod values;
pub mod variable;
