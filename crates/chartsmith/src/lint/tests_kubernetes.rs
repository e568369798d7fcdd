//! The Kubernetes schema layer: findings on parsed documents, and the freshness of the
//! generated schema files.

use super::Document;
use super::kubernetes::{check, custom_kinds, embedded};

fn findings(yaml: &str, minor: u64) -> Vec<(String, String, Option<usize>)> {
    let doc = Document::parse("c/templates/t.yaml", yaml).expect("yaml");
    let custom = custom_kinds(std::iter::once(&doc.value));
    check(&[doc], minor, &custom)
        .into_iter()
        .map(|d| (d.rule.to_string(), d.message, d.line))
        .collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          resources:\n            requests: {cpu: 0.5, memory: 128Mi}\n          ports:\n            - containerPort: 80\n";

#[test]
fn a_valid_deployment_passes_on_both_versions() {
    assert_eq!(findings(DEPLOYMENT, 35), []);
    assert_eq!(findings(DEPLOYMENT, 34), []);
}

#[test]
fn unknown_field_wrong_type_and_missing_field_are_named() {
    let f = findings(&DEPLOYMENT.replace("  replicas: 2", "  replica: 2"), 35);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "kubernetes-schema");
    assert!(f[0].1.starts_with("spec.replica: unknown field"), "{f:?}");
    assert_eq!(f[0].2, Some(6));

    let f = findings(&DEPLOYMENT.replace("replicas: 2", "replicas: \"two\""), 35);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.starts_with("spec.replicas:"), "{f:?}");
    assert!(
        f[0].1.contains(r#""two" is not of type "integer""#),
        "{f:?}"
    );

    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: 12345\n";
    let f = findings(secret, 35);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.starts_with("stringData.password:"), "{f:?}");
    assert!(
        !f[0].1.contains("12345"),
        "a Secret's values are masked: {f:?}"
    );

    let f = findings(
        &DEPLOYMENT.replace("        - name: web\n", "        - \n"),
        35,
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1
            .starts_with("spec.template.spec.containers[0].name: required field is missing"),
        "{f:?}"
    );
}

#[test]
fn removed_api_versions_name_the_current_one() {
    let hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n  maxReplicas: 2\n";
    let f = findings(hpa, 35);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, "removed-api-version");
    assert!(f[0].1.contains("use autoscaling/v2"), "{f:?}");
    assert_eq!(f[0].2, Some(1));
}

#[test]
fn unknown_kinds_are_skipped_and_crd_kinds_known() {
    let f = findings(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
        35,
    );
    assert_eq!(f[0].0, "unknown-kind");
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n";
    let crd = Document::parse("c/crds/w.yaml", crd).expect("crd");
    let widget = Document::parse(
        "c/templates/w.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
    )
    .expect("w");
    // A version without a schema: known, not validated.
    let custom = custom_kinds(std::iter::once(&crd.value));
    assert!(check(&[widget], 35, &custom).is_empty());
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              required: [size]\n              properties:\n                size: {type: integer}\n                port: {x-kubernetes-int-or-string: true}\n                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}\n                labels: {type: object, additionalProperties: {type: string}}\n";

fn crd_findings(widget: &str) -> Vec<(String, String, Option<usize>)> {
    let crd = Document::parse("c/crds/w.yaml", CRD).expect("crd");
    let widget = Document::parse("c/templates/w.yaml", widget).expect("widget");
    let custom = custom_kinds(std::iter::once(&crd.value));
    check(&[widget], 35, &custom)
        .into_iter()
        .map(|d| (d.rule.to_string(), d.message, d.line))
        .collect()
}

#[test]
fn custom_resources_are_validated_against_their_crd_schema() {
    let ok = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  labels: {a: b}\nspec:\n  size: 3\n  port: http\n  extra: {any: {thing: 1}}\n  labels: {x: z}\n";
    assert_eq!(crd_findings(ok), []);
    assert_eq!(crd_findings(&ok.replace("port: http", "port: 8080")), []);

    let f = crd_findings(&ok.replace("  size: 3\n", "  size: 3\n  colour: blue\n"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "kubernetes-schema");
    assert!(f[0].1.starts_with("spec.colour: unknown field"), "{f:?}");
    assert!(f[0].1.contains("CRD widgets.example.com"), "{f:?}");
    assert_eq!(f[0].2, Some(8));

    let f = crd_findings(&ok.replace("size: 3", "size: three"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.starts_with("spec.size:"), "{f:?}");
    assert_eq!(f[0].2, Some(7));

    let f = crd_findings(&ok.replace("port: http", "port: [1]"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.starts_with("spec.port:"), "{f:?}");

    let f = crd_findings(&ok.replace("  size: 3\n", ""));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.starts_with("spec.size: required"), "{f:?}");

    let f = crd_findings(&ok.replace("example.com/v1", "example.com/v2"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("version v2 of Widget is not defined"),
        "{f:?}"
    );
}

/// The committed schema files must match their recorded generator input. Regenerating them
/// (building k8s-openapi once per Kubernetes version, minutes of compilation) is too heavy for the
/// test suite, so this test compares what the regeneration depends on instead: the k8s-openapi and
/// schemars versions in the generator's Cargo.lock, its version features, and a digest of the
/// generator's sources, against `schemas/kubernetes/SOURCE` (written by
/// `scripts/gen-k8s-schemas.sh`). Any change to the generator fails here until the script is re-run.
#[test]
fn kubernetes_schemas_are_fresh() {
    use sha2::Digest;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/{p}")).expect(p);
    let source = read("schemas/kubernetes/SOURCE");
    let recorded = |key: &str| {
        source
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} in SOURCE"))
            .to_string()
    };
    let lock = read("tools/gen-k8s-schemas/Cargo.lock");
    let locked = |name: &str| {
        let at = lock
            .find(&format!("name = \"{name}\"\nversion = \""))
            .unwrap_or_else(|| panic!("{name} in Cargo.lock"));
        let rest = &lock[at..];
        let v = rest.split('"').nth(3).unwrap_or_default();
        v.to_string()
    };
    let stale = "stale schemas/kubernetes: run scripts/gen-k8s-schemas.sh";
    assert_eq!(recorded("k8s-openapi"), locked("k8s-openapi"), "{stale}");
    assert_eq!(recorded("schemars"), locked("schemars"), "{stale}");
    let mut hasher = sha2::Sha256::new();
    for f in ["Cargo.toml", "build.rs", "src/main.rs"] {
        hasher.update(read(&format!("tools/gen-k8s-schemas/{f}")).as_bytes());
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(recorded("generator-sha256"), digest, "{stale}");
    // One embedded file per version feature, each saying which version it is.
    let features: Vec<String> = recorded("features")
        .split_whitespace()
        .map(|f| f.replace("v1_", "1."))
        .collect();
    let files = embedded();
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        features,
        "{stale}"
    );
    for (version, text) in files {
        let doc: serde_json::Value = serde_json::from_str(text).expect("schema JSON");
        assert_eq!(doc["kubernetes"], version.as_str());
        assert!(doc["index"]["apps/v1/Deployment"].is_string());
    }
}
