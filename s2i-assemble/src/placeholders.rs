//! `GO_LDFLAGS`' placeholders: what the build knows of the commit and the
//! version, for the program to carry (`-X main.version=${S2I_VERSION}`).
//!
//! A small, fixed set, expanded in `GO_LDFLAGS` only (any other `${...}`
//! stays as it is; a misspelt `${S2I_...}` is an error). A value the build
//! cannot know becomes `unknown`, with a warning.

use std::collections::BTreeSet;

/// Each placeholder and where its value comes from (README and `s2i-usage`).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "S2I_GIT_COMMIT",
        "the commit built: the sources' git HEAD, else OPENSHIFT_BUILD_COMMIT",
    ),
    ("S2I_GIT_SHORT_COMMIT", "its first 12 characters"),
    (
        "S2I_GIT_REF",
        "OPENSHIFT_BUILD_REFERENCE, else the tag at HEAD, else the branch",
    ),
    (
        "S2I_VERSION",
        "`git describe --tags --always --dirty` (v1.2.3, v1.2.3-4-gabcdef0), else OPENSHIFT_BUILD_REFERENCE, else the short commit",
    ),
    (
        "S2I_BUILD_DATE",
        "RFC 3339, UTC: SOURCE_DATE_EPOCH, else the commit's time, else the build's",
    ),
];

/// `GO_LDFLAGS`, split into text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Placeholder(&'static str),
}

/// The values, as far as the build knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub commit: Option<String>,
    pub reference: Option<String>,
    pub version: Option<String>,
    pub date: Option<String>,
}

impl Template {
    /// Reads `ldflags`; Err names a misspelt placeholder.
    pub fn parse(ldflags: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = ldflags;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 2..start + len];
            let known = PLACEHOLDERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, _)| *n);
            match known {
                Some(name) => {
                    pieces.push(Piece::Text(rest[..start].to_string()));
                    pieces.push(Piece::Placeholder(name));
                }
                None if name.starts_with("S2I_") => {
                    let names: Vec<String> = PLACEHOLDERS
                        .iter()
                        .map(|(n, _)| format!("${{{n}}}"))
                        .collect();
                    return Err(format!(
                        "${{{name}}} is no placeholder; the placeholders are {}",
                        names.join(", ")
                    ));
                }
                None => pieces.push(Piece::Text(rest[..start + len + 1].to_string())),
            }
            rest = &rest[start + len + 1..];
        }
        pieces.push(Piece::Text(rest.to_string()));
        pieces.retain(|p| *p != Piece::Text(String::new()));
        Ok(Template(pieces))
    }

    /// The placeholders used.
    pub fn names(&self) -> BTreeSet<&'static str> {
        self.0
            .iter()
            .filter_map(|p| match p {
                Piece::Placeholder(name) => Some(*name),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// The flags with each placeholder replaced, and the placeholders whose
    /// value is unknown (replaced by `unknown`).
    pub fn expand(&self, values: &Values) -> (String, Vec<&'static str>) {
        let mut out = String::new();
        let mut unknown = Vec::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Placeholder(name) => match value(name, values) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push_str("unknown");
                        if !unknown.contains(name) {
                            unknown.push(*name);
                        }
                    }
                },
            }
        }
        (out, unknown)
    }
}

fn value(name: &str, values: &Values) -> Option<String> {
    let value = match name {
        "S2I_GIT_COMMIT" => values.commit.clone(),
        "S2I_GIT_SHORT_COMMIT" => values.commit.as_ref().map(|c| c.chars().take(12).collect()),
        "S2I_GIT_REF" => values.reference.clone(),
        "S2I_VERSION" => values.version.clone(),
        "S2I_BUILD_DATE" => values.date.clone(),
        _ => None,
    };
    // go splits -ldflags at white space and quotes: such a value would
    // change the flags, not just fill them in.
    value.filter(|v| {
        !v.is_empty()
            && !v
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "'\"`\\".contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            reference: Some("main".into()),
            version: Some("v1.2.3-4-g0123456".into()),
            date: Some("2024-01-02T03:04:05Z".into()),
        }
    }

    #[test]
    fn placeholders_are_filled_in() {
        let template = Template::parse(
            "-s -w -X main.commit=${S2I_GIT_COMMIT} -X main.short=${S2I_GIT_SHORT_COMMIT} -X 'main.v=${S2I_VERSION}' -X main.ref=${S2I_GIT_REF} -X main.date=${S2I_BUILD_DATE}",
        )
        .unwrap();
        assert_eq!(template.names().len(), 5);
        let (flags, unknown) = template.expand(&values());
        assert_eq!(
            flags,
            "-s -w -X main.commit=0123456789abcdef0123456789abcdef01234567 -X main.short=0123456789ab -X 'main.v=v1.2.3-4-g0123456' -X main.ref=main -X main.date=2024-01-02T03:04:05Z"
        );
        assert!(unknown.is_empty());
    }

    #[test]
    fn unknown_values_and_other_dollars() {
        let template = Template::parse(
            "-X a=${S2I_GIT_COMMIT}${S2I_GIT_COMMIT} -X b=${HOME} -X c=$PATH -X d=${",
        )
        .unwrap();
        let (flags, unknown) = template.expand(&Values::default());
        assert_eq!(flags, "-X a=unknownunknown -X b=${HOME} -X c=$PATH -X d=${");
        assert_eq!(unknown, ["S2I_GIT_COMMIT"]);
        let mut spaced = values();
        spaced.reference = Some("a b".into());
        let (flags, unknown) = Template::parse("-X r=${S2I_GIT_REF}")
            .unwrap()
            .expand(&spaced);
        assert_eq!(
            (flags.as_str(), unknown),
            ("-X r=unknown", vec!["S2I_GIT_REF"])
        );
    }

    #[test]
    fn a_misspelt_placeholder_is_refused() {
        let e = Template::parse("-X main.c=${S2I_GIT_COMIT}").unwrap_err();
        assert!(
            e.starts_with(
                "${S2I_GIT_COMIT} is no placeholder; the placeholders are ${S2I_GIT_COMMIT}, "
            ),
            "{e}"
        );
        assert!(Template::parse("no placeholders")
            .unwrap()
            .names()
            .is_empty());
    }
}
