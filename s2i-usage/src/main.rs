//! The S2I `usage` script: the builder image's default command. It says what
//! the image is, how to use it, and every setting it reads.

mod messages;

use s2i_common::settings;

use messages::Error;

/// The variable the image sets to its own name; the default stands in when
/// it is unset (a local run, or an image built without it).
const IMAGE: settings::Setting = settings::BUILDER_IMAGE;

fn main() {
    // Arguments are ignored (S2I passes none), but for the version.
    let version = matches!(std::env::args().nth(1).as_deref(), Some("-V" | "--version"));
    let image = std::env::var(IMAGE.name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| IMAGE.default.to_string());
    // Not print!, which panics (an abort, with panic=abort) when stdout is
    // gone: `podman run gobuilder | head` is a normal way to read this.
    let text = if version {
        concat!("s2i-usage ", env!("CARGO_PKG_VERSION"), "\n").to_string()
    } else {
        usage(image.trim())
    };
    match s2i_common::stdout::write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("s2i-usage: {}", Error::StdoutWrite { error });
            std::process::exit(1);
        }
        _ => {}
    }
}

fn usage(image: &str) -> String {
    format!(
        "\
This is {image}, a Source-to-Image (S2I) builder image for Go applications.

It builds a Go repository into a small image that runs the application:
modules (with a local or vendored dependency tree), go.work workspaces,
several programs under cmd/, GOPATH-era sources (IMPORT_URL), and a bare
main.go. Binaries land in $APP_ROOT/bin, the one to run also at
$APP_ROOT/gobinary; the application's other files (templates, assets) are
copied into $APP_ROOT/src, its working directory at run time.

To build an application image with the s2i tool:

    s2i build <source directory or git repository> {image} <application image>

then run it:

    podman run -p 8080:8080 <application image>

On OpenShift:

    oc new-app {image}~<git repository>

Incremental builds reuse Go's module and build caches from the previous
application image:

    s2i build --incremental <source> {image} <application image>

Without a container: s2i-assemble --src . --app-root ./out, then
APP_ROOT=./out s2i-run.

Settings (environment variables: s2i build -e NAME=VALUE, the BuildConfig's
env, or .s2i/environment in the source; the build settings may also be given
in .s2i/go.toml; the environment wins, then .s2i/environment, then go.toml):

{table}",
        table = settings::text_table(78)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_image_everywhere() {
        let text = super::usage("quay.io/acme/go-builder:1");
        assert_eq!(
            text.matches("quay.io/acme/go-builder:1").count(),
            4,
            "{text}"
        );
    }
}
