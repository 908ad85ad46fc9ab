//! The OpenShift manifests of image/openshift/ agree with each other and with
//! the Dockerfiles they build: names, image stream tags, build arguments,
//! the runtime image's input files, ports. No cluster needed: a mismatch here
//! is a build or deployment that would fail (or silently use the wrong image)
//! in the user's cluster.
//!
//! The manifests are JSON, which `oc` takes as it takes YAML (OpenShift's own
//! sample templates are JSON), so they are read with serde_json.
//!
//! And every object follows the API itself: OpenShift's and Kubernetes'
//! OpenAPI definitions, from their Go modules at pinned versions
//! (`s2i_tests::openapi`), as `oc apply --validate=strict` would check them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use s2i_tests::go::require_go;
use s2i_tests::openapi::{self, Schemas};
use s2i_tests::workspace_root;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = workspace_root().join("image/openshift").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let template: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert_eq!(template["kind"], "Template", "{name}");
    assert_eq!(template["apiVersion"], "template.openshift.io/v1", "{name}");
    template
}

/// The template's objects of `kind`.
fn objects<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    template["objects"]
        .as_array()
        .expect("objects is a list")
        .iter()
        .filter(|o| o["kind"] == kind)
        .collect()
}

fn object<'a>(template: &'a Value, kind: &str, name: &str) -> &'a Value {
    objects(template, kind)
        .into_iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} named {name}"))
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value}"))
}

/// The default value of parameter `name`.
fn default_of(template: &Value, name: &str) -> String {
    template["parameters"]
        .as_array()
        .expect("parameters is a list")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))["value"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// `text` with every `${PARAM}` replaced by its default, as `oc process` does.
fn with_defaults(template: &Value, text: &str) -> String {
    let mut out = text.to_string();
    for p in template["parameters"].as_array().expect("parameters") {
        let name = str_of(&p["name"]);
        out = out.replace(&format!("${{{name}}}"), p["value"].as_str().unwrap_or(""));
    }
    out
}

/// Every `${NAME}` in the objects is a declared parameter and every
/// parameter is used; required ones without a default are few and named.
fn check_parameters(template: &Value, must_be_given: &[&str]) {
    let text = template["objects"].to_string();
    let used: BTreeSet<String> = text
        .split("${")
        .skip(1)
        .map(|rest| rest.split('}').next().expect("a closing brace").to_string())
        .collect();
    let declared: BTreeSet<String> = template["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| str_of(&p["name"]).to_string())
        .collect();
    assert_eq!(used, declared, "parameters used vs declared");
    let without_default: Vec<&str> = template["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["required"] == true && p["value"].is_null())
        .map(|p| str_of(&p["name"]))
        .collect();
    assert_eq!(
        without_default, must_be_given,
        "required parameters without a default"
    );
}

/// The `ARG`s a Dockerfile declares, with their defaults ("" for none).
fn dockerfile_args(dockerfile: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(dockerfile)
        .unwrap_or_else(|e| panic!("{}: {e}", dockerfile.display()))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("ARG "))
        .map(|a| {
            let (name, default) = a.split_once('=').unwrap_or((a, ""));
            (name.trim().to_string(), default.trim().to_string())
        })
        .collect()
}

/// The value of `label` as a Dockerfile's LABEL instruction writes it.
fn dockerfile_label(dockerfile: &Path, label: &str) -> String {
    let text = std::fs::read_to_string(dockerfile).expect("read the Dockerfile");
    let start = text
        .find(&format!("{label}=\""))
        .unwrap_or_else(|| panic!("{} has no label {label}", dockerfile.display()))
        + label.len()
        + 2;
    text[start..]
        .split('"')
        .next()
        .expect("a closing quote")
        .to_string()
}

#[test]
fn builder_template_builds_the_dockerfiles_of_this_repository() {
    let t = load("gobuilder.json");
    check_parameters(&t, &["NAMESPACE", "SOURCE_REPOSITORY_URL"]);
    let streams: BTreeSet<String> = objects(&t, "ImageStream")
        .iter()
        .map(|s| with_defaults(&t, str_of(&s["metadata"]["name"])))
        .collect();
    let root = workspace_root();
    let builds = objects(&t, "BuildConfig");
    assert_eq!(
        builds.len(),
        2,
        "one BuildConfig for the builder, one for the runtime image"
    );
    for bc in builds {
        let name = with_defaults(&t, str_of(&bc["metadata"]["name"]));
        let spec = &bc["spec"];
        assert_eq!(spec["source"]["type"], "Git", "{name}");
        assert_eq!(
            spec["source"]["git"]["uri"], "${SOURCE_REPOSITORY_URL}",
            "{name}"
        );
        let docker = &spec["strategy"]["dockerStrategy"];
        assert_eq!(spec["strategy"]["type"], "Docker", "{name}");
        let context = spec["source"]["contextDir"].as_str().unwrap_or("");
        let dockerfile = root.join(context).join(str_of(&docker["dockerfilePath"]));
        assert!(
            dockerfile.is_file(),
            "{name}: {} does not exist",
            dockerfile.display()
        );
        let args = dockerfile_args(&dockerfile);
        for arg in docker["buildArgs"].as_array().expect("buildArgs") {
            let value = str_of(&arg["value"]);
            let arg = str_of(&arg["name"]);
            let Some(default) = args.get(arg) else {
                panic!("{name}: {} has no ARG {arg}", dockerfile.display());
            };
            // A parameter of the same name passes the Dockerfile's ARG on:
            // its default is the Dockerfile's, so the two cannot drift.
            if value == format!("${{{arg}}}") {
                assert_eq!(
                    &default_of(&t, arg),
                    default,
                    "{name}: the template's default for {arg} differs from {}'s",
                    dockerfile.display()
                );
            }
        }
        let output = &spec["output"]["to"];
        assert_eq!(output["kind"], "ImageStreamTag", "{name}");
        let stream = with_defaults(&t, str_of(&output["name"]));
        let stream = stream.split(':').next().expect("stream:tag");
        assert!(
            streams.contains(stream),
            "{name} pushes to {stream}, which the template does not create"
        );
    }
    let builder = object(&t, "BuildConfig", "${NAME}");
    assert_eq!(
        builder["spec"]["strategy"]["dockerStrategy"]["dockerfilePath"],
        "image/Dockerfile"
    );
    // The runtime image takes s2i-run from the builder image just built, and
    // is rebuilt when it changes.
    let runtime = object(&t, "BuildConfig", "${NAME}-runtime");
    let builder_arg = runtime["spec"]["strategy"]["dockerStrategy"]["buildArgs"][0].clone();
    assert_eq!(builder_arg["name"], "BUILDER_IMAGE");
    assert!(str_of(&builder_arg["value"]).ends_with("/${NAMESPACE}/${NAME}:latest"));
    let triggers = runtime["spec"]["triggers"].to_string();
    assert!(
        triggers.contains(r#""name":"${NAME}:latest""#),
        "runtime build lacks an ImageChange trigger on the builder: {triggers}"
    );
}

#[test]
fn application_template_uses_the_builder_and_runtime_images_consistently() {
    let builder_t = load("gobuilder.json");
    let t = load("go-app.json");
    check_parameters(&t, &["NAME", "SOURCE_REPOSITORY_URL", "IMAGES_NAMESPACE"]);

    // The image stream tags it builds from are the ones gobuilder.json makes.
    let builder_output = with_defaults(
        &builder_t,
        str_of(&object(&builder_t, "BuildConfig", "${NAME}")["spec"]["output"]["to"]["name"]),
    );
    let runtime_output = with_defaults(
        &builder_t,
        str_of(
            &object(&builder_t, "BuildConfig", "${NAME}-runtime")["spec"]["output"]["to"]["name"],
        ),
    );
    assert_eq!(default_of(&t, "BUILDER_IMAGESTREAMTAG"), builder_output);
    assert_eq!(default_of(&t, "RUNTIME_IMAGESTREAMTAG"), runtime_output);

    // The application build: Source strategy on the builder, incremental.
    let app = object(&t, "BuildConfig", "${NAME}");
    let source = &app["spec"]["strategy"]["sourceStrategy"];
    assert_eq!(app["spec"]["strategy"]["type"], "Source");
    assert_eq!(source["incremental"], true);
    assert_eq!(source["from"]["name"], "${BUILDER_IMAGESTREAMTAG}");
    assert_eq!(source["from"]["namespace"], "${IMAGES_NAMESPACE}");
    assert_eq!(app["spec"]["output"]["to"]["name"], "${NAME}:latest");

    // The chained build copies out of the application image exactly what the
    // runtime image's io.openshift.s2i.assemble-input-files label names, to
    // the same places.
    let chained = object(&t, "BuildConfig", "${NAME}-runtime");
    let input_files = dockerfile_label(
        &workspace_root().join("image/runtime/Dockerfile"),
        "io.openshift.s2i.assemble-input-files",
    );
    let mappings: Vec<(&str, &str)> = input_files
        .split(';')
        .map(|m| m.split_once(':').expect("src:dest"))
        .collect();
    let images = &chained["spec"]["source"]["images"];
    assert_eq!(images[0]["from"]["name"], "${NAME}:latest");
    let copied: Vec<&str> = images[0]["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| str_of(&p["sourcePath"]))
        .collect();
    let sources: Vec<&str> = mappings.iter().map(|(src, _)| *src).collect();
    assert_eq!(
        copied, sources,
        "source.images paths vs the runtime image's input files"
    );
    let dockerfile = str_of(&chained["spec"]["source"]["dockerfile"]);
    for (src, dest) in &mappings {
        let base = Path::new(src)
            .file_name()
            .expect("a file name")
            .to_str()
            .expect("UTF-8");
        let copy = format!("COPY --chown=1001:0 {base} {dest}\n");
        assert!(
            dockerfile.contains(&copy),
            "the chained Dockerfile lacks {copy:?}:\n{dockerfile}"
        );
    }
    let strategy = &chained["spec"]["strategy"]["dockerStrategy"]["from"];
    assert_eq!(strategy["name"], "${RUNTIME_IMAGESTREAMTAG}");
    assert!(chained["spec"]["triggers"]
        .to_string()
        .contains(r#""name":"${NAME}:latest""#));

    // Every output goes to an image stream the template creates.
    let streams: BTreeSet<&str> = objects(&t, "ImageStream")
        .iter()
        .map(|s| str_of(&s["metadata"]["name"]))
        .collect();
    for bc in objects(&t, "BuildConfig") {
        let to = str_of(&bc["spec"]["output"]["to"]["name"]);
        assert!(
            streams.contains(to.split(':').next().expect("stream")),
            "{to}"
        );
    }

    // The Deployment runs the chained image by default, on the port the
    // images expose, and the Service points at it.
    let deployment = object(&t, "Deployment", "${NAME}");
    let trigger: Value = serde_json::from_str(str_of(
        &deployment["metadata"]["annotations"]["image.openshift.io/triggers"],
    ))
    .expect("the image trigger annotation is JSON");
    let deployed = with_defaults(&t, str_of(&trigger[0]["from"]["name"]));
    assert_eq!(deployed, with_defaults(&t, "${NAME}-runtime:latest"));
    assert_eq!(
        trigger[0]["fieldPath"],
        r#"spec.template.spec.containers[?(@.name=="app")].image"#
    );
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "app");
    let expose = dockerfile_label(
        &workspace_root().join("image/Dockerfile"),
        "io.openshift.expose-services",
    );
    let port: u64 = expose
        .split(':')
        .next()
        .expect("port")
        .parse()
        .expect("a port number");
    assert_eq!(container["ports"][0]["containerPort"], port);
    let service = object(&t, "Service", "${NAME}");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], port);
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(
        dockerfile_label(
            &workspace_root().join("image/runtime/Dockerfile"),
            "io.openshift.expose-services"
        ),
        expose
    );
}

/// The OpenAPI definitions of OpenShift and Kubernetes, from their Go
/// modules at pinned versions (through the Go module proxy, cached in the
/// module cache), or a loud skip without Go.
fn openapi_schemas(test: &str) -> Option<Schemas> {
    let go = require_go(test)?;
    let openshift = openapi::module_dir(&go, openapi::OPENSHIFT_API)
        .unwrap_or_else(|e| panic!("{e}"))
        .join("openapi/openapi.json");
    let kubernetes = openapi::module_dir(&go, openapi::KUBERNETES)
        .unwrap_or_else(|e| panic!("{e}"))
        .join("api/openapi-spec/swagger.json");
    Some(Schemas::load(&[&openshift, &kubernetes]).unwrap_or_else(|e| panic!("{e}")))
}

/// Every error of the manifest `text` (named `name`) against the API: the
/// manifest itself, and for a template each object it holds, processed as
/// `oc process` does (required parameters without a default get "example").
fn schema_errors(schemas: &Schemas, name: &str, text: &str) -> (Vec<String>, usize) {
    let manifest: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    let mut errors: Vec<String> = schemas
        .validate(&manifest)
        .into_iter()
        .map(|e| format!("{name}: {e}"))
        .collect();
    let mut checked = 1;
    if manifest["kind"] == "Template" {
        let mut values = BTreeMap::new();
        for p in manifest["parameters"].as_array().into_iter().flatten() {
            if p["required"] == true && p["value"].is_null() {
                values.insert(str_of(&p["name"]), "example");
            }
        }
        let objects =
            openapi::process_template(&manifest, &values).unwrap_or_else(|e| panic!("{name}: {e}"));
        for object in &objects {
            let what = format!(
                "{name}: {} {}",
                object["kind"].as_str().unwrap_or("?"),
                object["metadata"]["name"].as_str().unwrap_or("?")
            );
            errors.extend(
                schemas
                    .validate(object)
                    .into_iter()
                    .map(|e| format!("{what}: {e}")),
            );
            checked += 1;
        }
    }
    (errors, checked)
}

#[test]
fn manifests_follow_the_openshift_and_kubernetes_openapi_definitions() {
    let Some(schemas) =
        openapi_schemas("manifests_follow_the_openshift_and_kubernetes_openapi_definitions")
    else {
        return;
    };
    let dir = workspace_root().join("image/openshift");
    let mut manifests: Vec<_> = std::fs::read_dir(&dir)
        .expect("read image/openshift")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    manifests.sort();
    assert!(!manifests.is_empty(), "no manifests in {}", dir.display());
    let mut all_errors = Vec::new();
    for path in &manifests {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).expect("read the manifest");
        let (errors, checked) = schema_errors(&schemas, &name, &text);
        eprintln!("{name}: {checked} objects checked, {} errors", errors.len());
        all_errors.extend(errors);
    }
    assert!(
        all_errors.is_empty(),
        "the manifests do not follow the API:\n{}",
        all_errors.join("\n")
    );
}

/// The check catches what `oc apply` would refuse: a test copy with a
/// misspelled field, a value of the wrong type, a required field removed.
#[test]
fn the_openapi_check_catches_misspelled_fields_wrong_types_and_missing_fields() {
    let Some(schemas) = openapi_schemas(
        "the_openapi_check_catches_misspelled_fields_wrong_types_and_missing_fields",
    ) else {
        return;
    };
    let read = |name: &str| {
        std::fs::read_to_string(workspace_root().join("image/openshift").join(name))
            .expect("read the manifest")
    };
    let broken = |name: &str, from: &str, to: &str| -> Vec<String> {
        let text = read(name);
        assert!(
            text.contains(from),
            "{name} no longer contains {from}: update this test"
        );
        schema_errors(&schemas, name, &text.replacen(from, to, 1)).0
    };
    let errors = broken("gobuilder.json", "\"dockerfilePath\"", "\"dockerfilePth\"");
    assert!(
        errors
            .iter()
            .any(|e| e.contains(".spec.strategy.dockerStrategy.dockerfilePth: unknown field")),
        "a misspelled field passed: {errors:?}"
    );
    let errors = broken(
        "go-app.json",
        "\"incremental\": true",
        "\"incremental\": \"yes\"",
    );
    assert!(
        errors.iter().any(|e| e.contains(".spec.strategy.sourceStrategy.incremental: expected a boolean, found the string \"yes\"")),
        "a value of the wrong type passed: {errors:?}"
    );
    let errors = broken("go-app.json", "\"containerPort\"", "\"containerPrt\"");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("missing required field \"containerPort\"")),
        "a missing required field passed: {errors:?}"
    );
}
