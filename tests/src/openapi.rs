//! Checking Kubernetes and OpenShift objects against the API's own OpenAPI
//! (Swagger 2.0) definitions, as `oc apply --validate=strict` does:
//! unknown fields, wrong types, missing required fields and values outside
//! an enum are errors, each named by its JSON path.
//!
//! The definitions come from Go modules, at pinned versions, through the Go
//! module proxy (and the machine's module cache): OpenShift's from
//! `github.com/openshift/api` (`openapi/openapi.json`), and Kubernetes' own
//! (`apps/v1` is not in OpenShift's file) from `k8s.io/kubernetes`
//! (`api/openapi-spec/swagger.json`).
//!
//! Also OpenShift's template processing (`oc process`): parameters
//! substituted into the objects, so that the objects are checked as the
//! cluster receives them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use crate::go::Go;

/// OpenShift's API module, pinned (its go.mod names k8s.io/api v0.35.1).
pub const OPENSHIFT_API: (&str, &str) = (
    "github.com/openshift/api",
    "v0.0.0-20260318185450-1f2fa3f09f4e",
);
/// Kubernetes, at the version OpenShift's API module builds on.
pub const KUBERNETES: (&str, &str) = ("k8s.io/kubernetes", "v1.35.1");

/// The folder of `module@version` in the module cache, downloaded through
/// the Go module proxy if it is not there yet (`go mod download -json`).
/// The default GOPROXY and GOSUMDB, and the machine's GOMODCACHE: this is a
/// download from a package registry, cached across runs.
pub fn module_dir(go: &Go, (module, version): (&str, &str)) -> Result<PathBuf, String> {
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = Command::new(&go.bin)
        .args(["mod", "download", "-json", &format!("{module}@{version}")])
        .current_dir(scratch.path()) // outside any module
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GOWORK", "off")
        .output()
        .map_err(|e| format!("cannot start {}: {e}", go.bin.display()))?;
    let reply: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "go mod download {module}@{version}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    match reply["Dir"].as_str() {
        Some(dir) if out.status.success() => Ok(PathBuf::from(dir)),
        _ => Err(format!(
            "go mod download {module}@{version} failed: {} {}",
            reply["Error"].as_str().unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// One OpenAPI document's `definitions`.
struct Document {
    definitions: Map<String, Value>,
}

/// The definitions of several documents, and which definition describes
/// which `apiVersion` and `kind`.
pub struct Schemas {
    documents: Vec<Document>,
    /// (apiVersion, kind) -> (document, definition name)
    kinds: BTreeMap<(String, String), (usize, String)>,
}

impl Schemas {
    /// Loads the OpenAPI documents at `paths`; a kind defined in several
    /// comes from the first that defines it.
    pub fn load(paths: &[&Path]) -> Result<Schemas, String> {
        let mut schemas = Schemas {
            documents: Vec::new(),
            kinds: BTreeMap::new(),
        };
        for path in paths {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            let definitions = doc["definitions"]
                .as_object()
                .ok_or_else(|| format!("{} has no definitions", path.display()))?
                .clone();
            schemas.add(Document { definitions });
        }
        Ok(schemas)
    }

    /// Definitions given as a JSON object (for tests of the checker).
    pub fn from_definitions(definitions: Value) -> Schemas {
        let mut schemas = Schemas {
            documents: Vec::new(),
            kinds: BTreeMap::new(),
        };
        let definitions = definitions.as_object().cloned().unwrap_or_default();
        schemas.add(Document { definitions });
        schemas
    }

    fn add(&mut self, doc: Document) {
        let index = self.documents.len();
        for (name, definition) in &doc.definitions {
            for (api_version, kind) in kinds_of(name, definition) {
                self.kinds
                    .entry((api_version, kind))
                    .or_insert_with(|| (index, name.clone()));
            }
        }
        self.documents.push(doc);
    }

    /// The definition name for an object's `apiVersion` and `kind`.
    pub fn definition_of(&self, api_version: &str, kind: &str) -> Option<&str> {
        self.kinds
            .get(&(api_version.to_string(), kind.to_string()))
            .map(|(_, name)| name.as_str())
    }

    /// The errors of `object` against the definition of its `apiVersion`
    /// and `kind` (none: it is valid). An object of a kind no document
    /// defines is an error too.
    pub fn validate(&self, object: &Value) -> Vec<String> {
        let api_version = object["apiVersion"].as_str().unwrap_or("");
        let kind = object["kind"].as_str().unwrap_or("");
        let Some((doc, name)) = self.kinds.get(&(api_version.to_string(), kind.to_string())) else {
            return vec![format!(
                "no OpenAPI definition for apiVersion {api_version:?}, kind {kind:?}"
            )];
        };
        let mut errors = Vec::new();
        let schema = Value::String(name.clone());
        self.check(*doc, &reference(&schema), object, "", &mut errors);
        errors
    }

    fn check(
        &self,
        doc: usize,
        schema: &Value,
        value: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let at = if path.is_empty() {
            "(the object)"
        } else {
            path
        };
        if let Some(target) = schema["$ref"].as_str() {
            let name = target.trim_start_matches("#/definitions/");
            match self.documents[doc].definitions.get(name) {
                Some(definition) => self.check(doc, definition, value, path, errors),
                None => errors.push(format!(
                    "{at}: the schema refers to {target}, which it does not define"
                )),
            }
            return;
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                errors.push(format!(
                    "{at}: {value} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        let Some(expected) = schema["type"].as_str() else {
            return; // no type: anything goes (as for RawExtension's contents)
        };
        let format = schema["format"].as_str().unwrap_or("");
        let fits = match (expected, value) {
            ("object", Value::Object(_)) => true,
            ("array", Value::Array(_)) => true,
            ("string", Value::String(_)) => true,
            // IntOrString: a port may be 8080 or "http".
            ("string", Value::Number(n)) if format == "int-or-string" => n.is_i64(),
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("number", Value::Number(_)) => true,
            ("boolean", Value::Bool(_)) => true,
            _ => false,
        };
        if !fits {
            errors.push(format!(
                "{at}: expected {}, found {}",
                type_name(expected, format),
                describe(value)
            ));
            return;
        }
        match value {
            Value::Object(fields) => {
                let properties = schema["properties"].as_object();
                let additional = &schema["additionalProperties"];
                for (name, field) in fields {
                    let field_path = format!("{path}.{name}");
                    match properties.and_then(|p| p.get(name)) {
                        Some(field_schema) => {
                            self.check(doc, field_schema, field, &field_path, errors)
                        }
                        None if additional.is_object() => {
                            self.check(doc, additional, field, &field_path, errors)
                        }
                        None if additional == &Value::Bool(true) => {}
                        // An object without properties is free-form (RawExtension).
                        None if properties.is_none() && additional.is_null() => {}
                        None => errors.push(format!("{field_path}: unknown field {name:?}")),
                    }
                }
                for required in schema["required"].as_array().into_iter().flatten() {
                    let name = required.as_str().unwrap_or("");
                    if !fields.contains_key(name) {
                        errors.push(format!("{at}: missing required field {name:?}"));
                    }
                }
            }
            Value::Array(items) if schema["items"].is_object() => {
                for (i, item) in items.iter().enumerate() {
                    self.check(doc, &schema["items"], item, &format!("{path}[{i}]"), errors);
                }
            }
            _ => {}
        }
    }
}

/// `{"$ref": "#/definitions/NAME"}` for a definition name given as a string.
fn reference(name: &Value) -> Value {
    let mut map = Map::new();
    map.insert(
        "$ref".into(),
        Value::String(format!("#/definitions/{}", name.as_str().unwrap_or(""))),
    );
    Value::Object(map)
}

/// Which (apiVersion, kind) a definition describes: Kubernetes' documents
/// say so in `x-kubernetes-group-version-kind`; OpenShift's do not, and name
/// their top-level kinds `com.github.openshift.api.GROUP.VERSION.KIND` for
/// the API group `GROUP.openshift.io`.
fn kinds_of(name: &str, definition: &Value) -> Vec<(String, String)> {
    if let Some(gvks) = definition["x-kubernetes-group-version-kind"].as_array() {
        return gvks
            .iter()
            .map(|gvk| {
                let group = gvk["group"].as_str().unwrap_or("");
                let version = gvk["version"].as_str().unwrap_or("");
                let api_version = if group.is_empty() {
                    version.to_string()
                } else {
                    format!("{group}/{version}")
                };
                (api_version, gvk["kind"].as_str().unwrap_or("").to_string())
            })
            .collect();
    }
    let Some(rest) = name.strip_prefix("com.github.openshift.api.") else {
        return Vec::new();
    };
    let parts: Vec<&str> = rest.split('.').collect();
    match parts.as_slice() {
        // Only objects (those with apiVersion and kind), not their parts.
        [group, version, kind] if definition["properties"].get("kind").is_some() => {
            vec![(format!("{group}.openshift.io/{version}"), kind.to_string())]
        }
        _ => Vec::new(),
    }
}

fn type_name(expected: &str, format: &str) -> String {
    match (expected, format) {
        ("string", "int-or-string") => "an integer or a string".into(),
        ("object", _) => "an object".into(),
        ("array", _) => "a list".into(),
        ("integer", _) => "an integer".into(),
        (other, _) => format!("a {other}"),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// OpenShift's template processing (`oc process`): every `${NAME}` in the
/// strings of the template's objects becomes the parameter's value (given
/// in `values`, else the template's default), and a string that is exactly
/// `${{NAME}}` becomes the value parsed as JSON (a number, a boolean).
/// A parameter with neither is an error, as with `oc process`.
pub fn process_template(
    template: &Value,
    values: &BTreeMap<&str, &str>,
) -> Result<Vec<Value>, String> {
    let mut parameters = BTreeMap::new();
    for p in template["parameters"].as_array().into_iter().flatten() {
        let name = p["name"]
            .as_str()
            .ok_or_else(|| format!("a parameter without a name: {p}"))?;
        let value = values
            .get(name)
            .map(|v| v.to_string())
            .or_else(|| p["value"].as_str().map(str::to_string));
        match value {
            Some(v) => {
                parameters.insert(name.to_string(), v);
            }
            None if p["required"] == true => {
                return Err(format!(
                    "template parameter {name} is required and has no value"
                ))
            }
            None => {
                parameters.insert(name.to_string(), String::new());
            }
        }
    }
    let objects = template["objects"]
        .as_array()
        .ok_or("the template has no objects list")?;
    objects.iter().map(|o| substitute(o, &parameters)).collect()
}

fn substitute(value: &Value, parameters: &BTreeMap<String, String>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
                let raw = parameters
                    .get(name)
                    .ok_or_else(|| format!("${{{{{name}}}}} names no parameter"))?;
                serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone()))
            } else {
                let mut out = String::new();
                let mut rest = s.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| format!("an unclosed ${{ in {s:?}"))?;
                    let name = &after[..end];
                    let value = parameters
                        .get(name)
                        .ok_or_else(|| format!("${{{name}}} in {s:?} names no parameter"))?;
                    out.push_str(value);
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                Value::String(out)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute(i, parameters))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, parameters)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        Schemas::from_definitions(json!({
            "com.github.openshift.api.build.v1.BuildConfig": {
                "type": "object",
                "required": ["spec"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"$ref": "#/definitions/ObjectMeta"},
                    "spec": {
                        "type": "object",
                        "properties": {
                            "incremental": {"type": "boolean"},
                            "port": {"type": "string", "format": "int-or-string"},
                            "replicas": {"type": "integer", "format": "int32"},
                            "policy": {"type": "string", "enum": ["Serial", "Parallel"]},
                            "env": {"type": "array", "items": {"type": "object", "required": ["name"],
                                "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
                            "raw": {"type": "object"}
                        }
                    }
                }
            },
            "ObjectMeta": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }
        }))
    }

    fn object(spec: Value) -> Value {
        json!({"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
               "metadata": {"name": "x", "labels": {"app": "x"}}, "spec": spec})
    }

    #[test]
    fn a_valid_object_has_no_errors() {
        let spec = json!({"incremental": true, "port": 8080, "replicas": 2, "policy": "Serial",
                          "env": [{"name": "A", "value": "b"}], "raw": {"anything": [1, "x"]}});
        assert_eq!(schemas().validate(&object(spec)), Vec::<String>::new());
        let spec = json!({"port": "http"});
        assert_eq!(schemas().validate(&object(spec)), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_error_is_named_by_its_path() {
        let spec = json!({"incremental": "yes", "replicas": 1.5, "policy": "Sometimes",
                          "env": [{"value": "b"}], "incremental_": true});
        let mut o = object(spec);
        o["metadata"]["labels"]["n"] = json!(3);
        assert_eq!(
            schemas().validate(&o),
            [
                ".metadata.labels.n: expected a string, found the number 3",
                ".spec.env[0]: missing required field \"name\"",
                ".spec.incremental: expected a boolean, found the string \"yes\"",
                ".spec.incremental_: unknown field \"incremental_\"",
                ".spec.policy: \"Sometimes\" is not one of [\"Serial\",\"Parallel\"]",
                ".spec.replicas: expected an integer, found the number 1.5",
            ]
        );
    }

    #[test]
    fn missing_required_fields_and_unknown_kinds_are_errors() {
        let mut o = object(json!({}));
        o.as_object_mut().unwrap().remove("spec");
        assert_eq!(
            schemas().validate(&o),
            ["(the object): missing required field \"spec\""]
        );
        let o = json!({"apiVersion": "build.openshift.io/v1", "kind": "BuildConfg"});
        assert_eq!(
            schemas().validate(&o),
            ["no OpenAPI definition for apiVersion \"build.openshift.io/v1\", kind \"BuildConfg\""]
        );
    }

    #[test]
    fn templates_are_processed_as_oc_process_does() {
        let template = json!({
            "parameters": [
                {"name": "NAME", "required": true},
                {"name": "TAG", "value": "latest"},
                {"name": "REPLICAS", "value": "2"},
                {"name": "EMPTY"}
            ],
            "objects": [{"metadata": {"name": "${NAME}-x"}, "to": "${NAME}:${TAG}${EMPTY}",
                         "replicas": "${{REPLICAS}}"}]
        });
        let values = BTreeMap::from([("NAME", "app")]);
        assert_eq!(
            process_template(&template, &values).unwrap(),
            [json!({"metadata": {"name": "app-x"}, "to": "app:latest", "replicas": 2})]
        );
        let err = process_template(&template, &BTreeMap::new()).unwrap_err();
        assert_eq!(err, "template parameter NAME is required and has no value");
    }
}
