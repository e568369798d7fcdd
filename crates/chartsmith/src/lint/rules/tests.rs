use super::*;

fn docs(sources: &[(&str, &str)]) -> Vec<Document> {
    sources
        .iter()
        .map(|(s, c)| Document::parse(s, c).expect("valid yaml"))
        .collect()
}

fn rules_of(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.rule).collect()
}

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  selector:
    app: db
  ports:
    - port: 3306
      targetPort: mysql
";

fn deployment(container: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
{container}"
    )
}

const GOOD_CONTAINER: &str = "        - name: mysql
          image: mysql:8.0
          ports:
            - name: mysql
              containerPort: 3306
          readinessProbe:
            tcpSocket:
              port: mysql
          resources:
            requests:
              cpu: 100m
";

fn check(container: &str, service: &str) -> Vec<Diagnostic> {
    let d = deployment(container);
    check_documents(
        &docs(&[
            ("c/templates/svc.yaml", service),
            ("c/templates/deploy.yaml", &d),
        ]),
        &[],
    )
}

#[test]
fn clean_pair_has_no_findings() {
    assert_eq!(check(GOOD_CONTAINER, SERVICE), vec![]);
}

#[test]
fn selector_matching_nothing() {
    let found = check(GOOD_CONTAINER, &SERVICE.replace("app: db", "app: mysql"));
    assert_eq!(rules_of(&found), ["service-selector-matches-nothing"]);
    assert_eq!(found[0].line, Some(6));
    assert_eq!(found[0].file, "c/templates/svc.yaml");
    assert_eq!(found[0].resource.as_deref(), Some("Service/db"));
}

#[test]
fn target_port_not_exposed() {
    let found = check(
        GOOD_CONTAINER,
        &SERVICE.replace("targetPort: mysql", "targetPort: 3307"),
    );
    assert_eq!(rules_of(&found), ["service-target-port-not-exposed"]);
    assert_eq!(found[0].line, Some(10));
    // By number, a declared port is fine.
    assert_eq!(
        check(
            GOOD_CONTAINER,
            &SERVICE.replace("targetPort: mysql", "targetPort: 3306")
        ),
        vec![]
    );
}

#[test]
fn probe_port_not_exposed() {
    let found = check(&GOOD_CONTAINER.replace("port: mysql", "port: sql"), SERVICE);
    assert_eq!(rules_of(&found), ["probe-port-not-exposed"]);
    assert_eq!(found[0].file, "c/templates/deploy.yaml");
    assert_eq!(found[0].line, Some(22));
}

#[test]
fn http_probe_on_database_port() {
    let container = GOOD_CONTAINER.replace("tcpSocket:", "httpGet:");
    let found = check(&container, SERVICE);
    assert_eq!(rules_of(&found), ["http-probe-on-database-port"]);
    let by_number = container.replace("port: mysql", "port: 3306");
    assert_eq!(
        rules_of(&check(&by_number, SERVICE)),
        ["http-probe-on-database-port"]
    );
    let redis = by_number.replace("3306", "6379");
    let service = SERVICE
        .replace("3306", "6379")
        .replace("targetPort: mysql", "targetPort: 6379");
    assert_eq!(
        rules_of(&check(&redis, &service)),
        ["http-probe-on-database-port"]
    );
}

#[test]
fn image_tags() {
    assert_eq!(image_problem("mysql:8.0"), None);
    assert_eq!(image_problem("registry:5000/team/app:1.2"), None);
    assert_eq!(image_problem("mysql@sha256:abcd"), None);
    assert!(image_problem("mysql").is_some());
    assert!(image_problem("mysql:latest").is_some());
    assert!(image_problem("registry:5000/team/app").is_some());
    let found = check(
        &GOOD_CONTAINER.replace("mysql:8.0", "mysql:latest"),
        SERVICE,
    );
    assert_eq!(rules_of(&found), ["image-tag-mutable"]);
    assert_eq!(found[0].line, Some(16));
    assert_eq!(found[0].severity, super::super::Severity::Warning);
}

#[test]
fn literal_ips() {
    assert!(is_literal_host_ip("10.96.168.235"));
    assert!(is_literal_host_ip("10.96.168.235:3306"));
    assert!(!is_literal_host_ip("0.0.0.0"));
    assert!(!is_literal_host_ip("127.0.0.1"));
    assert!(!is_literal_host_ip("mysql"));
    assert!(!is_literal_host_ip("1.2.3"));
    assert!(!is_literal_host_ip("8.0"));
    let container = format!(
        "{GOOD_CONTAINER}          env:\n            - name: MYSQL_HOST\n              value: \"10.96.168.235\"\n"
    );
    let found = check(&container, SERVICE);
    assert_eq!(rules_of(&found), ["env-literal-ip"]);
    assert_eq!(found[0].line, Some(28));
}

#[test]
fn hpa_without_cpu_requests() {
    let hpa = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: db
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: db
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
";
    let no_requests = deployment(&GOOD_CONTAINER.replace("cpu: 100m", "memory: 64Mi"));
    let found = check_documents(
        &docs(&[
            ("c/svc.yaml", SERVICE),
            ("c/d.yaml", &no_requests),
            ("c/hpa.yaml", hpa),
        ]),
        &[],
    );
    assert_eq!(rules_of(&found), ["hpa-target-without-cpu-requests"]);
    assert_eq!(found[0].file, "c/d.yaml");
    let with = deployment(GOOD_CONTAINER);
    assert_eq!(
        check_documents(
            &docs(&[
                ("c/svc.yaml", SERVICE),
                ("c/d.yaml", &with),
                ("c/hpa.yaml", hpa)
            ]),
            &[]
        ),
        vec![]
    );
    // Scaling on memory only does not need CPU requests.
    let memory = hpa.replace("name: cpu", "name: memory");
    assert_eq!(
        check_documents(
            &docs(&[
                ("c/svc.yaml", SERVICE),
                ("c/d.yaml", &no_requests),
                ("c/hpa.yaml", &memory)
            ]),
            &[]
        ),
        vec![]
    );
}

#[test]
fn node_ports() {
    let service = SERVICE.replace(
        "targetPort: mysql",
        "targetPort: mysql\n      nodePort: 3004",
    );
    let found = check(GOOD_CONTAINER, &service);
    assert_eq!(rules_of(&found), ["node-port-out-of-range"]);
    assert_eq!(found[0].line, Some(11));
    let ok = SERVICE.replace(
        "targetPort: mysql",
        "targetPort: mysql\n      nodePort: 30004",
    );
    assert_eq!(check(GOOD_CONTAINER, &ok), vec![]);
}

#[test]
fn host_paths() {
    let container = format!(
        "{GOOD_CONTAINER}      volumes:\n        - name: code\n          hostPath:\n            path: /src\n"
    );
    let found = check(&container, SERVICE);
    assert_eq!(rules_of(&found), ["host-path-volume"]);
    assert_eq!(found[0].line, Some(28));
}

#[test]
fn references_not_rendered() {
    let container = format!(
        "{GOOD_CONTAINER}          envFrom:\n            - secretRef:\n                name: db-creds\n            - configMapRef:\n                name: db-config\n                optional: true\n"
    );
    let found = check(&container, SERVICE);
    assert_eq!(rules_of(&found), ["config-reference-not-rendered"]);
    assert!(found[0].message.contains("Secret `db-creds`"));
    assert_eq!(found[0].line, Some(28));
    let d = deployment(&container);
    let docs_ = docs(&[("c/svc.yaml", SERVICE), ("c/d.yaml", &d)]);
    assert_eq!(check_documents(&docs_, &["Secret/db-creds".into()]), vec![]);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-creds\n";
    assert_eq!(
        check_documents(
            &docs(&[
                ("c/svc.yaml", SERVICE),
                ("c/d.yaml", &d),
                ("c/s.yaml", secret)
            ]),
            &[]
        ),
        vec![]
    );
    let marked = d.replace(
        "  name: db\nspec:",
        "  name: db\n  annotations:\n    chartsmith.dev/external: \"true\"\nspec:",
    );
    assert_eq!(
        check_documents(
            &docs(&[("c/svc.yaml", SERVICE), ("c/d.yaml", &marked)]),
            &[]
        ),
        vec![]
    );
}

#[test]
fn credential_keys() {
    for k in [
        "password",
        "rootPassword",
        "apiToken",
        "secret",
        "clientSecret",
        "api_key",
        "secretKey",
    ] {
        assert!(is_credential_key(k), "{k}");
    }
    for k in [
        "existingSecret",
        "passwordKey",
        "secretName",
        "imagePullSecrets",
        "tokenTtl",
        "username",
    ] {
        assert!(!is_credential_key(k), "{k}");
    }
}

#[test]
fn credentials_in_values() {
    let raw = "# comment\nauth:\n  user: app\n  # password: x\n  password: hunter2\n  rootPassword: \"\"\n  secretKeys:\n    password: mysql-password\n";
    let values = crate::yaml::map_from_str(raw, "values.yaml").expect("yaml");
    let found = check_values_credentials(&values, raw, "c/values.yaml");
    assert_eq!(rules_of(&found), ["credentials-in-values"]);
    assert_eq!(found[0].line, Some(5));
    assert_eq!(found[0].column, Some(3));
    assert!(found[0].message.contains("auth.password"));
    assert!(!found[0].message.contains("hunter2"));
}

#[test]
fn every_rule_has_a_description() {
    let ids: std::collections::BTreeSet<_> = super::super::RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), super::super::RULES.len());
    for r in super::super::RULES {
        assert!(!r.summary.is_empty() && !r.hint.is_empty(), "{}", r.id);
    }
}
