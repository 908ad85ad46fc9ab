//! Which Go builds, and why: the image's own, or the toolchain go switches
//! to (GOTOOLCHAIN=auto, or a `go1.X.Y+auto`/`go1.X.Y` GOTOOLCHAIN) because
//! go.mod's `toolchain` or `go` line, or GOTOOLCHAIN itself, asks for a
//! newer one. go downloads that toolchain through GOPROXY into the module
//! cache, where incremental builds keep it (see `artifacts`).

use crate::detect::Declared;
use crate::gotool;

/// Why `effective` (what `go env GOVERSION` said where the build runs) is
/// not `local` (the image's Go), in words for the plan and the log; None
/// when it is the image's own.
pub fn switched(
    local: Option<&str>,
    effective: &str,
    gotoolchain: &str,
    declared: &Declared,
    file: &str,
) -> Option<String> {
    let local = local?;
    if local == effective {
        return None;
    }
    let mode = gotoolchain.trim();
    let named = mode.split('+').next().unwrap_or(mode);
    let why = if named.starts_with("go") && named == effective {
        format!("GOTOOLCHAIN={mode}")
    } else if declared.toolchain.as_deref() == Some(effective) {
        format!("{file}'s `toolchain {effective}` line (GOTOOLCHAIN={mode})")
    } else if let Some(go) = declared
        .go
        .as_deref()
        .filter(|go| !gotool::satisfies(local, go))
    {
        format!("{file}'s `go {go}` line (GOTOOLCHAIN={mode})")
    } else {
        format!("GOTOOLCHAIN={mode}")
    };
    Some(format!("switched from the image's {local} by {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(go: &str, toolchain: Option<&str>) -> Declared {
        Declared {
            go: Some(go.to_string()),
            toolchain: toolchain.map(str::to_string),
            ..Declared::default()
        }
    }

    #[test]
    fn the_reason_for_a_switch() {
        assert_eq!(
            switched(
                Some("go1.26.8"),
                "go1.27.3",
                "auto",
                &declared("1.21", Some("go1.27.3")),
                "go.mod"
            )
            .as_deref(),
            Some("switched from the image's go1.26.8 by go.mod's `toolchain go1.27.3` line (GOTOOLCHAIN=auto)")
        );
        assert_eq!(
            switched(
                Some("go1.26.8"),
                "go1.27.0",
                "auto",
                &declared("1.27", None),
                "go.work"
            )
            .as_deref(),
            Some(
                "switched from the image's go1.26.8 by go.work's `go 1.27` line (GOTOOLCHAIN=auto)"
            )
        );
        assert_eq!(
            switched(
                Some("go1.26.8"),
                "go1.27.3",
                "go1.27.3",
                &declared("1.21", None),
                "go.mod"
            )
            .as_deref(),
            Some("switched from the image's go1.26.8 by GOTOOLCHAIN=go1.27.3")
        );
        assert_eq!(
            switched(
                Some("go1.27.3"),
                "go1.27.3",
                "auto",
                &declared("1.21", None),
                "go.mod"
            ),
            None
        );
        assert_eq!(
            switched(None, "go1.27.3", "auto", &declared("1.21", None), "go.mod"),
            None
        );
    }
}
