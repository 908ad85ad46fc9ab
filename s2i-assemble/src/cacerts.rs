//! A private CA for go and git, added to the system's roots: `GO_CA_BUNDLE`
//! names PEM files of CA certificates (a company proxy's, a git host's),
//! and the build gets one bundle that holds the system's roots and them,
//! for go (`SSL_CERT_FILE`) and git (`GIT_SSL_CAINFO`). Setting either to
//! the private CA alone would make every other host untrusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the system's roots are, in the order Go looks for them
/// (crypto/x509/root_linux.go); the first that exists is the system's.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// A PEM file that is no bundle of certificates, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: Option<usize>,
    pub problem: String,
}

/// Counts the certificates in a PEM text, checking that each is whole and
/// base64 (what is between them, such as comments, is left alone).
pub fn count_certificates(text: &str) -> Result<usize, Malformed> {
    let mut count = 0;
    let mut open: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line == BEGIN {
            if let Some(start) = open {
                return Err(Malformed {
                    line: Some(start),
                    problem: "a certificate that starts here has no END line".into(),
                });
            }
            open = Some(line_number);
        } else if line == END {
            if open.take().is_none() {
                return Err(Malformed {
                    line: Some(line_number),
                    problem: "an END line without its BEGIN line".into(),
                });
            }
            count += 1;
        } else if open.is_some()
            && !line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        {
            return Err(Malformed {
                line: Some(line_number),
                problem: "not base64 inside a certificate".into(),
            });
        }
    }
    if let Some(start) = open {
        return Err(Malformed {
            line: Some(start),
            problem: "a certificate that starts here has no END line".into(),
        });
    }
    if count == 0 {
        return Err(Malformed {
            line: None,
            problem: format!("no certificate in it (expected PEM: {BEGIN} ... {END})"),
        });
    }
    Ok(count)
}

/// The bundle the build trusts: what the environment trusts already (its
/// `SSL_CERT_FILE` and `GIT_SSL_CAINFO`, else the system's roots), then
/// the private CAs, each file once.
pub fn bundle_sources(env: &BTreeMap<String, String>, private: &[PathBuf]) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = ["SSL_CERT_FILE", "GIT_SSL_CAINFO"]
        .iter()
        .filter_map(|name| env.get(*name).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
        .collect();
    if sources.is_empty() {
        sources.extend(system_bundle());
    }
    for path in private {
        if !sources.contains(path) {
            sources.push(path.clone());
        }
    }
    sources
}

/// The system's bundle of roots, if the image has one.
pub fn system_bundle() -> Option<PathBuf> {
    SYSTEM_BUNDLES
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
}

/// The files' texts one after the other, each ending with a newline.
pub fn concatenate(texts: &[String]) -> String {
    let mut out = String::new();
    for text in texts {
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBATAK\nBggqhkjOPQQDAjAZ==\n-----END CERTIFICATE-----\n";

    #[test]
    fn certificates_are_counted_and_checked() {
        assert_eq!(count_certificates(CERT).unwrap(), 1);
        let two = format!("# corp CA\n{CERT}\nsubject=x\n{CERT}");
        assert_eq!(count_certificates(&two).unwrap(), 2);
        let e = count_certificates("just text\n").unwrap_err();
        assert_eq!(e.line, None);
        assert!(e.problem.starts_with("no certificate in it"));
        let cut = &CERT[..CERT.len() - 27];
        let e = count_certificates(cut).unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = count_certificates(&CERT.replace("BggqhkjOPQQDAjAZ", "Bggq hk!")).unwrap_err();
        assert_eq!(
            e,
            Malformed {
                line: Some(3),
                problem: "not base64 inside a certificate".into()
            }
        );
        let e = count_certificates("-----END CERTIFICATE-----\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn the_environments_roots_come_first_and_once() {
        let env: BTreeMap<String, String> =
            [("SSL_CERT_FILE".to_string(), "/corp/roots.pem".to_string())].into();
        let private = [PathBuf::from("/s/ca.crt"), PathBuf::from("/corp/roots.pem")];
        assert_eq!(
            bundle_sources(&env, &private),
            [PathBuf::from("/corp/roots.pem"), PathBuf::from("/s/ca.crt")]
        );
        let sources = bundle_sources(&BTreeMap::new(), &private[..1]);
        assert_eq!(sources.last().unwrap(), &PathBuf::from("/s/ca.crt"));
        assert_eq!(concatenate(&["a".into(), "b\n".into()]), "a\nb\n");
    }
}
