//! [`message_keys!`](crate::message_keys): each error variant's key, the
//! start of its message as printed, so that README.md's troubleshooting
//! section can be checked to quote every one.

/// Gives an error enum `KEYS` (every key, in table order) and `key()` (the
/// key of one error), from one table: a new variant does not compile
/// without its key, and a test sees every key. Each key is the start of
/// the variant's message as printed, `…` standing for each value (or, when
/// the message starts with a value, its first constant words); a variant
/// whose message has two forms has a key for each, the more specific first:
///
/// ```ignore
/// s2i_common::message_keys! {
///     Error {
///         SourceMissing => "source directory … does not exist",
///         BuildFailed { offline: true } => "go build failed (…); …; a dependency could not be downloaded",
///         BuildFailed => "go build failed (…)",
///     }
/// }
/// ```
///
/// Only struct and unit variants (a pattern per named field).
#[macro_export]
macro_rules! message_keys {
    ($type:ident { $($variant:ident $({ $($field:ident: $value:pat),* })? => $key:literal,)* }) => {
        impl $type {
            /// Every variant's key, in the order of [`Self::key`]'s table.
            #[cfg_attr(not(test), allow(dead_code))]
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// This error's key: the start of its message as printed.
            #[cfg_attr(not(test), allow(dead_code))]
            pub fn key(&self) -> &'static str {
                match self {
                    $($type::$variant { $($($field: $value,)*)? .. } => $key,)*
                }
            }
        }
    };
}
