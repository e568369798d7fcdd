//! Engine behaviour on in-memory charts.

use crate::chart::File;
use crate::chart::loader::{LoadOptions, from_files};
use crate::template::{Rendered, TemplateOptions, template};

fn chart(files: &[(&str, &str)]) -> crate::Chart {
    let files = files
        .iter()
        .map(|(n, d)| File {
            name: n.to_string(),
            data: d.as_bytes().to_vec(),
        })
        .collect();
    from_files(files, "test", &LoadOptions::default()).unwrap()
}

fn render(files: &[(&str, &str)]) -> Result<Rendered, crate::template::TemplateError> {
    template(
        &chart(files),
        &Default::default(),
        &TemplateOptions::default(),
    )
}

const CHART: (&str, &str) = (
    "Chart.yaml",
    "apiVersion: v2\nname: app\nversion: 1.2.3\nappVersion: \"9.9\"\n",
);

#[test]
fn builtin_objects_have_helms_names() {
    let out = render(&[
        CHART,
        ("values.yaml", "x: 1\n"),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n  r: {{ Release.Name }}/{{ Release.Namespace }}/{{ Release.Revision }}/{{ Release.IsInstall }}\n  c: {{ Chart.Name }}-{{ Chart.Version }}-{{ Chart.AppVersion }}\n  k: {{ Capabilities.KubeVersion.Version }}-{{ \"apps/v1\" in Capabilities.APIVersions }}\n  t: {{ Template.Name }} {{ Template.BasePath }}\n  v: {{ Values.x }}\n",
        ),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(out.contains("r: release-name/default/1/true"), "{out}");
    assert!(out.contains("c: app-1.2.3-9.9"), "{out}");
    assert!(out.contains("k: v1.35.0-true"), "{out}");
    assert!(
        out.contains("t: app/templates/cm.yaml app/templates"),
        "{out}"
    );
    assert!(out.contains("v: 1"), "{out}");
}

#[test]
fn subcharts_use_parent_partials_and_see_scoped_values_and_globals() {
    let out = render(&[
        CHART,
        ("values.yaml", "global:\n  env: prod\ndb:\n  port: 3306\n"),
        ("templates/_helpers.tpl", "{% component app.label(@Values) %}env-{{ Values.global.env }}{% endcomponent %}"),
        ("charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n"),
        ("charts/db/values.yaml", "port: 1\nname: db\n"),
        ("charts/db/templates/svc.yaml", "kind: Service\nmetadata:\n  name: {{ Values.name }}-{{ Values.port }}\n  labels:\n    l: {{ <app.label/> }}\n"),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(
        out.contains("# Source: app/charts/db/templates/svc.yaml"),
        "{out}"
    );
    assert!(out.contains("name: db-3306"), "{out}");
    assert!(out.contains("l: env-prod"), "{out}");
}

#[test]
fn library_charts_render_nothing_but_share_partials() {
    let out = render(&[
        CHART,
        ("Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n"),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\nmetadata:\n  name: {{ <common.name/> }}\n",
        ),
        (
            "charts/common/Chart.yaml",
            "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n",
        ),
        (
            "charts/common/templates/_names.tpl",
            "{% component common.name(@Release) %}{{ Release.Name }}-common{% endcomponent %}",
        ),
        (
            "charts/common/templates/cm.yaml",
            "kind: ConfigMap\nmetadata:\n  name: never-rendered\n",
        ),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(out.contains("name: release-name-common"), "{out}");
    assert!(!out.contains("never-rendered"), "{out}");
}

#[test]
fn files_functions_read_only_the_charts_own_files() {
    let out = render(&[
        CHART,
        ("config/app.conf", "a=1\n"),
        ("config/db.conf", "b=2\n"),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n  get: {{ filesGet(path=\"config/app.conf\") | quote }}\n  missing: {{ filesGet(path=\"../../etc/passwd\") | quote }}\n  lines: {{ filesLines(path=\"config/db.conf\") | length }}\n  glob: {{ filesGlob(pattern=\"config/*.conf\") | length }}\n  conf:\n    {{- filesAsConfig(pattern=\"config/*\") | nindent(n=4) }}\n  secret:\n    {{- filesAsSecrets(pattern=\"config/app.conf\") | nindent(n=4) }}\n",
        ),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(out.contains("get: \"a=1\\n\""), "{out}");
    assert!(out.contains("missing: \"\""), "{out}");
    assert!(out.contains("lines: 1"), "{out}");
    assert!(out.contains("glob: 2"), "{out}");
    assert!(out.contains("    app.conf: |\n      a=1\n"), "{out}");
    assert!(out.contains("    app.conf: YT0xCg=="), "{out}");
}

#[test]
fn notes_come_from_the_top_chart_only() {
    let rendered = render(&[
        CHART,
        ("templates/NOTES.txt", "Reach {{ Release.Name }}"),
        (
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 0.1.0\n",
        ),
        (
            "charts/db/templates/NOTES.txt",
            "{{ fail(msg=\"subchart notes are not rendered\") }}",
        ),
    ])
    .unwrap();
    assert_eq!(rendered.notes.as_deref(), Some("Reach release-name"));
    assert!(rendered.manifests.is_empty());
}

#[test]
fn tpl_renders_values_with_the_callers_objects() {
    let out = render(&[
        CHART,
        (
            "values.yaml",
            "host: \"{{ Release.Name }}-db.{{ Release.Namespace }}.svc\"\n",
        ),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n  host: {{ Values.host | tpl }}\n",
        ),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(out.contains("host: release-name-db.default.svc"), "{out}");
}

#[test]
fn rendering_is_deterministic() {
    let files = [
        CHART,
        ("values.yaml", "m: {z: 1, a: 2, m: 3}\nl: [3, 1, 2]\n"),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n{%- for k, v in Values.m %}\n  {{ k }}: {{ v }}\n{%- endfor %}\n  y: {{ Values | toYaml | sha256sum }}\n",
        ),
    ];
    let first = render(&files).unwrap().to_helm_output(false);
    for _ in 0..5 {
        assert_eq!(render(&files).unwrap().to_helm_output(false), first);
    }
    // Maps iterate in sorted key order, as Go's templates range over maps.
    assert!(first.contains("  a: 2\n  m: 3\n  z: 1\n"), "{first}");
}

#[test]
fn kube_version_constraint_is_checked() {
    let c = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: \">=1.36.0-0\"\n",
    )]);
    let e = template(&c, &Default::default(), &TemplateOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("requires kubeVersion: >=1.36.0-0"),
        "{e}"
    );
    let options = TemplateOptions {
        capabilities: crate::engine::Capabilities::new(Some("1.36.1"), &[]).unwrap(),
        ..Default::default()
    };
    template(&c, &Default::default(), &options).unwrap();
}

#[test]
fn a_parse_error_names_the_template_line_and_column() {
    let e = render(&[
        CHART,
        ("templates/a.yaml", "ok: 1\n"),
        ("templates/b.yaml", "a: 1\nb: {{ Values.x | nosuch }}\n"),
    ])
    .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("app/templates/b.yaml:2:"), "{text}");
    assert!(text.contains("Unknown filter `nosuch`"), "{text}");
}

#[test]
fn output_limit_is_enforced() {
    let c = chart(&[
        CHART,
        (
            "templates/a.yaml",
            "{% for i in range(end=10000) %}0123456789{% endfor %}",
        ),
    ]);
    let options = TemplateOptions {
        limits: crate::engine::RenderLimits {
            max_output_bytes: 1000,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = template(&c, &Default::default(), &options).unwrap_err();
    assert!(
        e.to_string().contains("exceeds the limit of 1000 bytes"),
        "{e}"
    );
}

#[test]
fn helm_default_and_required_semantics() {
    let out = render(&[
        CHART,
        ("values.yaml", "e: \"\"\nz: 0\nf: false\nl: []\ns: x\n"),
        ("templates/a.yaml", "a: {{ Values.e | default(value=\"d1\") }} {{ Values.z | default(value=\"d2\") }} {{ Values.f | default(value=\"d3\") }} {{ Values.l | default(value=\"d4\") }} {{ Values.s | default(value=\"d5\") }} {{ Values.nope | default(value=\"d6\") }}\nb: {{ Values.s | required(msg=\"never\") }}\n"),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(out.contains("a: d1 d2 d3 d4 x d6"), "{out}");
    assert!(out.contains("b: x"), "{out}");
}

#[test]
fn a_render_that_takes_too_long_is_stopped() {
    let list: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
    let values = format!("l: [{}]\n", list.join(","));
    let c = chart(&[
        CHART,
        ("values.yaml", &values),
        (
            "templates/a.yaml",
            "{% for a in Values.l %}{% for b in Values.l %}{% endfor %}{% endfor %}",
        ),
    ]);
    let options = TemplateOptions {
        limits: crate::engine::RenderLimits {
            max_duration: std::time::Duration::from_millis(20),
            ..Default::default()
        },
        ..Default::default()
    };
    let e = template(&c, &Default::default(), &options).unwrap_err();
    assert!(
        e.to_string()
            .contains("rendering took longer than the limit"),
        "{e}"
    );
}

#[test]
fn a_library_chart_reached_twice_shares_its_partials() {
    let common = "{% component common.name(@Release) %}{{ Release.Name }}{% endcomponent %}";
    let out = render(&[
        CHART,
        (
            "templates/a.yaml",
            "kind: A\nmetadata:\n  name: {{ <common.name/> }}-a\n",
        ),
        (
            "charts/common/Chart.yaml",
            "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n",
        ),
        ("charts/common/templates/_names.tpl", common),
        (
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 0.1.0\n",
        ),
        (
            "charts/db/templates/b.yaml",
            "kind: B\nmetadata:\n  name: {{ <common.name/> }}-b\n",
        ),
        (
            "charts/db/charts/common/Chart.yaml",
            "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n",
        ),
        ("charts/db/charts/common/templates/_names.tpl", common),
    ])
    .unwrap()
    .to_helm_output(false);
    assert!(
        out.contains("name: release-name-a") && out.contains("name: release-name-b"),
        "{out}"
    );
}

#[test]
fn a_library_chart_alone_is_not_installable() {
    let e = render(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
    )])
    .unwrap_err();
    assert!(
        e.to_string().contains("library charts are not installable"),
        "{e}"
    );
}

#[test]
fn a_document_that_is_not_a_mapping_is_an_error() {
    let e = render(&[CHART, ("templates/a.yaml", "- a\n- b\n")]).unwrap_err();
    assert!(
        e.to_string().contains("must be a mapping, found a list"),
        "{e}"
    );
}
