#!/usr/bin/env python3
"""Generates the benchmark charts used by crates/chartsmith/benches/render.rs and bench/compare.sh.

Each chart is written twice, with the same Chart.yaml and values.yaml:

  fixtures/charts/<chart>/tera/   templates in Tera, for chartsmith
  fixtures/charts/<chart>/go/     the same templates in Go text/template, for helm

so both tools render the same manifests (only `app.kubernetes.io/managed-by`, which is
`Release.Service`, differs: `chartsmith` vs `Helm`).

  bench-small  5 templates: Deployment, Service, ConfigMap, ServiceAccount, Ingress.
  bench-500    500 templates: Deployment, Service and ConfigMap in turn for 167 components
               (the last component has no ConfigMap), all reading their own section of a large
               values.yaml; 500 documents.

Every template uses what real charts use: named partials from _helpers.tpl piped through
nindent, values lookups, `default`, `quote`, `toYaml`, `trunc`/`trimSuffix`, conditionals and
loops over lists and maps from the values.

Usage: scripts/gen-bench-chart.py [--templates N]   (default 500; writes both charts)
Only the Python standard library is needed. The output is deterministic.
"""
import argparse
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures/charts"

# --------------------------------------------------------------------------------------------------
# A tiny YAML emitter (block style, sorted as given), enough for the values files.
# --------------------------------------------------------------------------------------------------


def scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    plain_ok = (
        s
        and s.strip() == s
        and not any(c in s for c in ":#{}[],&*!|>'\"%@`")
        and s.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "~", "y", "n")
        and not s[0] in "-?"
        and not _looks_numeric(s)
    )
    return s if plain_ok else '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _looks_numeric(s):
    try:
        float(s)
        return True
    except ValueError:
        return s.startswith("0x") or s.startswith("0o")


def emit(value, indent=0):
    pad = "  " * indent
    out = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for k, v in value.items():
            if isinstance(v, dict) and v:
                out.append(f"{pad}{k}:")
                out += emit(v, indent + 1)
            elif isinstance(v, list) and v:
                out.append(f"{pad}{k}:")
                out += emit(v, indent + 1)
            elif isinstance(v, dict):
                out.append(f"{pad}{k}: {{}}")
            elif isinstance(v, list):
                out.append(f"{pad}{k}: []")
            else:
                out.append(f"{pad}{k}: {scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                lines = emit(item, indent + 1)
                first = lines[0].lstrip()
                out.append(f"{pad}- {first}")
                out += lines[1:]
            else:
                out.append(f"{pad}- {scalar(item)}")
    else:
        out.append(pad + scalar(value))
    return out


def to_yaml(value):
    return "\n".join(emit(value)) + "\n"


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


def component_values(i):
    """The values section of component number i (deterministic, a little varied)."""
    name = f"app{i:03d}"
    ports = [{"name": "http", "containerPort": 8080, "servicePort": 80}]
    if i % 2 == 0:
        ports.append({"name": "metrics", "containerPort": 9090, "servicePort": 9090})
    if i % 5 == 0:
        ports.append({"name": "grpc", "containerPort": 50051, "servicePort": 50051, "protocol": "TCP"})
    values = {
        "enabled": True,
        "replicas": (i % 4) or None,  # null → default 1
        "image": {
            "repository": f"registry.example.com/platform/{name}",
            "tag": "" if i % 3 == 0 else f"1.{i % 10}.{i % 7}",
            "pullPolicy": "IfNotPresent",
        },
        "args": [f"--listen=:8080", f"--log-level={'debug' if i % 7 == 0 else 'info'}", f"--name={name}"],
        "env": [
            {"name": "LOG_FORMAT", "value": "json"},
            {"name": "WORKERS", "value": 2 + i % 6},
            {"name": "COMPONENT", "value": name},
            {"name": "FEATURE_FLAGS", "value": "alpha,beta" if i % 2 else "stable"},
        ],
        "ports": ports,
        "service": {"type": "NodePort" if i % 10 == 9 else "ClusterIP", "nodePort": 30000 + i if i % 10 == 9 else None},
        "resources": {
            "limits": {"cpu": f"{250 + (i % 4) * 250}m", "memory": f"{256 * (1 + i % 3)}Mi"},
            "requests": {"cpu": f"{50 + (i % 4) * 50}m", "memory": f"{128 * (1 + i % 3)}Mi"},
        },
        "podAnnotations": {"prometheus.io/port": "9090", "prometheus.io/scrape": "true"} if i % 2 == 0 else {},
        "nodeSelector": {"kubernetes.io/os": "linux"} if i % 3 == 1 else {},
        "config": {
            "CACHE_TTL": f"{60 * (1 + i % 5)}s",
            "DATABASE_HOST": f"db-{i % 8}.data.svc.cluster.local",
            "DATABASE_PORT": 5432,
            "ENABLE_TRACING": i % 2 == 0,
            "UPSTREAM_URL": f"http://app{(i + 1) % 167:03d}:80",
        },
        "settings": {
            "server": {"port": 8080, "readTimeout": "30s", "writeTimeout": "30s"},
            "limits": {"maxConnections": 100 + i, "burst": 20},
            "features": ["audit", "metrics"] + (["tracing"] if i % 2 == 0 else []),
        },
    }
    return name, values


def chart_yaml(name, description):
    return (
        "apiVersion: v2\n"
        f"name: {name}\n"
        f"description: {scalar(description)}\n"
        "type: application\n"
        "version: 1.4.2\n"
        'appVersion: "2.7.0"\n'
        "keywords:\n  - benchmark\n"
    )


def common_values():
    return {
        "nameOverride": "",
        "fullnameOverride": "",
        "serviceAccount": {"create": True, "name": "", "annotations": {"team": "platform"}},
        "global": {"environment": "production", "imageRegistry": "", "commonLabels": {"cost-center": "cc-1234", "team": "platform"}},
        "podSecurityContext": {"fsGroup": 2000, "runAsNonRoot": True, "runAsUser": 1000},
    }


# --------------------------------------------------------------------------------------------------
# Templates: helpers
# --------------------------------------------------------------------------------------------------

HELPERS_TERA = """\
{#- Named partials of the bench chart. -#}

{%- component bench.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent bench.name -%}

{%- component bench.fullname(@Release, @Chart, @Values) -%}
{%- if Values.fullnameOverride -%}
{{ Values.fullnameOverride | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{%- set name = Values.nameOverride | default(value=Chart.Name) -%}
{%- if name in Release.Name -%}
{{ Release.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endif -%}
{%- endcomponent bench.fullname -%}

{%- component bench.componentFullname(component, @Release, @Chart, @Values) -%}
{{ (<bench.fullname/> ~ "-" ~ component) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent bench.componentFullname -%}

{%- component bench.chart(@Chart) -%}
{{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent bench.chart -%}

{%- component bench.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <bench.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endcomponent bench.selectorLabels -%}

{%- component bench.labels(@Release, @Chart, @Values) -%}
helm.sh/chart: {{ <bench.chart/> }}
{{ <bench.selectorLabels/> }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- for key, value in Values.global.commonLabels %}
{{ key }}: {{ value | quote }}
{%- endfor %}
{%- endcomponent bench.labels -%}

{%- component bench.serviceAccountName(@Release, @Chart, @Values) -%}
{%- if Values.serviceAccount.create -%}
{{ Values.serviceAccount.name | default(value=<bench.fullname/>) }}
{%- else -%}
{{ Values.serviceAccount.name | default(value="default") }}
{%- endif -%}
{%- endcomponent bench.serviceAccountName -%}

{%- component bench.image(image, @Values, @Chart) -%}
{%- set registry = Values.global.imageRegistry -%}
{%- if registry -%}{{ registry }}/{%- endif -%}
{{ image.repository }}:{{ image.tag | default(value=Chart.AppVersion) }}
{%- endcomponent bench.image -%}
"""

HELPERS_GO = """\
{{/* Named partials of the bench chart. */}}

{{- define "bench.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bench.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bench.componentFullname" -}}
{{- printf "%s-%s" (include "bench.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bench.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bench.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bench.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bench.labels" -}}
helm.sh/chart: {{ include "bench.chart" . }}
{{ include "bench.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- range $key, $value := .Values.global.commonLabels }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{- define "bench.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bench.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bench.image" -}}
{{- $registry := .root.Values.global.imageRegistry -}}
{{- if $registry }}{{ $registry }}/{{ end -}}
{{ .image.repository }}:{{ .image.tag | default .root.Chart.AppVersion }}
{{- end }}
"""

# --------------------------------------------------------------------------------------------------
# Templates: one component's Deployment, Service and ConfigMap
# --------------------------------------------------------------------------------------------------


def deployment_tera(c):
    return f"""\
{{%- set app = Values.apps.{c} %}}
{{%- if app.enabled %}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ <bench.componentFullname component="{c}"/> }}}}
  namespace: {{{{ Release.Namespace | quote }}}}
  labels:
    {{{{- <bench.labels/> | nindent(n=4) }}}}
    app.kubernetes.io/component: {c}
spec:
  replicas: {{{{ app.replicas | default(value=1) }}}}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{{{- <bench.selectorLabels/> | nindent(n=6) }}}}
      app.kubernetes.io/component: {c}
  template:
    metadata:
      {{%- if app.podAnnotations %}}
      annotations:
        {{{{- app.podAnnotations | toYaml | nindent(n=8) }}}}
      {{%- endif %}}
      labels:
        {{{{- <bench.labels/> | nindent(n=8) }}}}
        app.kubernetes.io/component: {c}
    spec:
      serviceAccountName: {{{{ <bench.serviceAccountName/> }}}}
      securityContext:
        {{{{- Values.podSecurityContext | toYaml | nindent(n=8) }}}}
      containers:
        - name: {c}
          image: {{{{ <bench.image image={{app.image}}/> | quote }}}}
          imagePullPolicy: {{{{ app.image.pullPolicy | default(value="IfNotPresent") }}}}
          {{%- if app.args %}}
          args:
            {{%- for arg in app.args %}}
            - {{{{ arg | quote }}}}
            {{%- endfor %}}
          {{%- endif %}}
          env:
            - name: ENVIRONMENT
              value: {{{{ Values.global.environment | quote }}}}
            {{%- for e in app.env %}}
            - name: {{{{ e.name }}}}
              value: {{{{ e.value | quote }}}}
            {{%- endfor %}}
          envFrom:
            - configMapRef:
                name: {{{{ <bench.componentFullname component="{c}"/> }}}}
          ports:
            {{%- for port in app.ports %}}
            - name: {{{{ port.name }}}}
              containerPort: {{{{ port.containerPort }}}}
              protocol: {{{{ port.protocol | default(value="TCP") }}}}
            {{%- endfor %}}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          resources:
            {{{{- app.resources | toYaml | nindent(n=12) }}}}
      {{%- if app.nodeSelector %}}
      nodeSelector:
        {{{{- app.nodeSelector | toYaml | nindent(n=8) }}}}
      {{%- endif %}}
{{%- endif %}}
"""


def deployment_go(c):
    return f"""\
{{{{- $app := .Values.apps.{c} }}}}
{{{{- if $app.enabled }}}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "bench.componentFullname" (dict "root" . "component" "{c}") }}}}
  namespace: {{{{ .Release.Namespace | quote }}}}
  labels:
    {{{{- include "bench.labels" . | nindent 4 }}}}
    app.kubernetes.io/component: {c}
spec:
  replicas: {{{{ $app.replicas | default 1 }}}}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{{{- include "bench.selectorLabels" . | nindent 6 }}}}
      app.kubernetes.io/component: {c}
  template:
    metadata:
      {{{{- with $app.podAnnotations }}}}
      annotations:
        {{{{- toYaml . | nindent 8 }}}}
      {{{{- end }}}}
      labels:
        {{{{- include "bench.labels" . | nindent 8 }}}}
        app.kubernetes.io/component: {c}
    spec:
      serviceAccountName: {{{{ include "bench.serviceAccountName" . }}}}
      securityContext:
        {{{{- toYaml .Values.podSecurityContext | nindent 8 }}}}
      containers:
        - name: {c}
          image: {{{{ include "bench.image" (dict "root" . "image" $app.image) | quote }}}}
          imagePullPolicy: {{{{ $app.image.pullPolicy | default "IfNotPresent" }}}}
          {{{{- with $app.args }}}}
          args:
            {{{{- range . }}}}
            - {{{{ . | quote }}}}
            {{{{- end }}}}
          {{{{- end }}}}
          env:
            - name: ENVIRONMENT
              value: {{{{ .Values.global.environment | quote }}}}
            {{{{- range $app.env }}}}
            - name: {{{{ .name }}}}
              value: {{{{ .value | quote }}}}
            {{{{- end }}}}
          envFrom:
            - configMapRef:
                name: {{{{ include "bench.componentFullname" (dict "root" . "component" "{c}") }}}}
          ports:
            {{{{- range $app.ports }}}}
            - name: {{{{ .name }}}}
              containerPort: {{{{ .containerPort }}}}
              protocol: {{{{ .protocol | default "TCP" }}}}
            {{{{- end }}}}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          resources:
            {{{{- toYaml $app.resources | nindent 12 }}}}
      {{{{- with $app.nodeSelector }}}}
      nodeSelector:
        {{{{- toYaml . | nindent 8 }}}}
      {{{{- end }}}}
{{{{- end }}}}
"""


def service_tera(c):
    return f"""\
{{%- set app = Values.apps.{c} %}}
{{%- if app.enabled %}}
apiVersion: v1
kind: Service
metadata:
  name: {{{{ <bench.componentFullname component="{c}"/> }}}}
  namespace: {{{{ Release.Namespace | quote }}}}
  labels:
    {{{{- <bench.labels/> | nindent(n=4) }}}}
    app.kubernetes.io/component: {c}
spec:
  type: {{{{ app.service.type | default(value="ClusterIP") }}}}
  ports:
    {{%- for port in app.ports %}}
    - port: {{{{ port.servicePort }}}}
      targetPort: {{{{ port.name }}}}
      protocol: {{{{ port.protocol | default(value="TCP") }}}}
      name: {{{{ port.name }}}}
      {{%- if app.service.type == "NodePort" and app.service.nodePort and port.name == "http" %}}
      nodePort: {{{{ app.service.nodePort }}}}
      {{%- endif %}}
    {{%- endfor %}}
  selector:
    {{{{- <bench.selectorLabels/> | nindent(n=4) }}}}
    app.kubernetes.io/component: {c}
{{%- endif %}}
"""


def service_go(c):
    return f"""\
{{{{- $app := .Values.apps.{c} }}}}
{{{{- if $app.enabled }}}}
apiVersion: v1
kind: Service
metadata:
  name: {{{{ include "bench.componentFullname" (dict "root" . "component" "{c}") }}}}
  namespace: {{{{ .Release.Namespace | quote }}}}
  labels:
    {{{{- include "bench.labels" . | nindent 4 }}}}
    app.kubernetes.io/component: {c}
spec:
  type: {{{{ $app.service.type | default "ClusterIP" }}}}
  ports:
    {{{{- range $app.ports }}}}
    - port: {{{{ .servicePort }}}}
      targetPort: {{{{ .name }}}}
      protocol: {{{{ .protocol | default "TCP" }}}}
      name: {{{{ .name }}}}
      {{{{- if and (eq $app.service.type "NodePort") $app.service.nodePort (eq .name "http") }}}}
      nodePort: {{{{ $app.service.nodePort }}}}
      {{{{- end }}}}
    {{{{- end }}}}
  selector:
    {{{{- include "bench.selectorLabels" . | nindent 4 }}}}
    app.kubernetes.io/component: {c}
{{{{- end }}}}
"""


def configmap_tera(c):
    return f"""\
{{%- set app = Values.apps.{c} %}}
{{%- if app.enabled %}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ <bench.componentFullname component="{c}"/> }}}}
  namespace: {{{{ Release.Namespace | quote }}}}
  labels:
    {{{{- <bench.labels/> | nindent(n=4) }}}}
    app.kubernetes.io/component: {c}
data:
  {{%- for key, value in app.config %}}
  {{{{ key }}}}: {{{{ value | quote }}}}
  {{%- endfor %}}
  ENVIRONMENT: {{{{ Values.global.environment | default(value="dev") | quote }}}}
  settings.yaml: |
    {{{{- app.settings | toYaml | nindent(n=4) }}}}
{{%- endif %}}
"""


def configmap_go(c):
    return f"""\
{{{{- $app := .Values.apps.{c} }}}}
{{{{- if $app.enabled }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "bench.componentFullname" (dict "root" . "component" "{c}") }}}}
  namespace: {{{{ .Release.Namespace | quote }}}}
  labels:
    {{{{- include "bench.labels" . | nindent 4 }}}}
    app.kubernetes.io/component: {c}
data:
  {{{{- range $key, $value := $app.config }}}}
  {{{{ $key }}}}: {{{{ $value | quote }}}}
  {{{{- end }}}}
  ENVIRONMENT: {{{{ .Values.global.environment | default "dev" | quote }}}}
  settings.yaml: |
    {{{{- toYaml $app.settings | nindent 4 }}}}
{{{{- end }}}}
"""


# Extra templates of the small chart.

SERVICEACCOUNT_TERA = """\
{%- if Values.serviceAccount.create %}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ <bench.serviceAccountName/> }}
  labels:
    {{- <bench.labels/> | nindent(n=4) }}
  {%- if Values.serviceAccount.annotations %}
  annotations:
    {{- Values.serviceAccount.annotations | toYaml | nindent(n=4) }}
  {%- endif %}
automountServiceAccountToken: false
{%- endif %}
"""

SERVICEACCOUNT_GO = """\
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "bench.serviceAccountName" . }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
"""

INGRESS_TERA = """\
{%- if Values.ingress.enabled %}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ <bench.fullname/> }}
  labels:
    {{- <bench.labels/> | nindent(n=4) }}
  {%- if Values.ingress.annotations %}
  annotations:
    {{- Values.ingress.annotations | toYaml | nindent(n=4) }}
  {%- endif %}
spec:
  ingressClassName: {{ Values.ingress.className | default(value="nginx") }}
  {%- if Values.ingress.tls %}
  tls:
    {%- for tls in Values.ingress.tls %}
    - hosts:
        {%- for host in tls.hosts %}
        - {{ host | quote }}
        {%- endfor %}
      secretName: {{ tls.secretName }}
    {%- endfor %}
  {%- endif %}
  rules:
    {%- for host in Values.ingress.hosts %}
    - host: {{ host.host | quote }}
      http:
        paths:
          {%- for path in host.paths %}
          - path: {{ path.path }}
            pathType: {{ path.pathType | default(value="Prefix") }}
            backend:
              service:
                name: {{ <bench.componentFullname component={path.component}/> }}
                port:
                  name: http
          {%- endfor %}
    {%- endfor %}
{%- endif %}
"""

INGRESS_GO = """\
{{- if .Values.ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "bench.fullname" . }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
  {{- with .Values.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  ingressClassName: {{ .Values.ingress.className | default "nginx" }}
  {{- if .Values.ingress.tls }}
  tls:
    {{- range .Values.ingress.tls }}
    - hosts:
        {{- range .hosts }}
        - {{ . | quote }}
        {{- end }}
      secretName: {{ .secretName }}
    {{- end }}
  {{- end }}
  rules:
    {{- range .Values.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType | default "Prefix" }}
            backend:
              service:
                name: {{ include "bench.componentFullname" (dict "root" $ "component" .component) }}
                port:
                  name: http
          {{- end }}
    {{- end }}
{{- end }}
"""

KINDS = [
    ("deployment", deployment_tera, deployment_go),
    ("service", service_tera, service_go),
    ("configmap", configmap_tera, configmap_go),
]

HELMIGNORE = ".DS_Store\n.git/\n*.swp\n*.bak\n*.tmp\n"


def write_pair(chart_dir, name, description, values, tera_templates, go_templates):
    shutil.rmtree(chart_dir, ignore_errors=True)
    header = (
        f"# Values of the {name} benchmark chart (generated by scripts/gen-bench-chart.py; do not edit).\n"
    )
    for flavour, templates in (("tera", tera_templates), ("go", go_templates)):
        d = chart_dir / flavour
        (d / "templates").mkdir(parents=True)
        (d / "Chart.yaml").write_text(chart_yaml(name, description))
        (d / "values.yaml").write_text(header + to_yaml(values))
        (d / ".helmignore").write_text(HELMIGNORE)
        for path, text in templates.items():
            (d / "templates" / path).write_text(text)


def gen_large(count):
    napps = (count + len(KINDS) - 1) // len(KINDS)
    values = common_values()
    values["apps"] = dict(component_values(i) for i in range(napps))
    tera, go = {"_helpers.tpl": HELPERS_TERA}, {"_helpers.tpl": HELPERS_GO}
    for n in range(count):
        app, (kind, t, g) = n // len(KINDS), KINDS[n % len(KINDS)]
        c = f"app{app:03d}"
        tera[f"{c}-{kind}.yaml"] = t(c)
        go[f"{c}-{kind}.yaml"] = g(c)
    write_pair(
        ROOT / f"bench-{count}",
        "bench",
        f"Benchmark chart: {count} templates over {napps} components",
        values,
        tera,
        go,
    )


def gen_small():
    values = common_values()
    _, web = component_values(0)
    values["apps"] = {"web": web}
    values["ingress"] = {
        "enabled": True,
        "className": "nginx",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        "hosts": [{"host": "web.example.com", "paths": [{"path": "/", "pathType": "Prefix", "component": "web"}]}],
        "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
    }
    tera, go = {"_helpers.tpl": HELPERS_TERA}, {"_helpers.tpl": HELPERS_GO}
    for kind, t, g in KINDS:
        tera[f"{kind}.yaml"] = t("web")
        go[f"{kind}.yaml"] = g("web")
    tera["serviceaccount.yaml"], go["serviceaccount.yaml"] = SERVICEACCOUNT_TERA, SERVICEACCOUNT_GO
    tera["ingress.yaml"], go["ingress.yaml"] = INGRESS_TERA, INGRESS_GO
    write_pair(ROOT / "bench-small", "bench", "Benchmark chart: a small web application", values, tera, go)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=500, help="templates of the large chart (default 500)")
    args = parser.parse_args()
    gen_small()
    gen_large(args.templates)


if __name__ == "__main__":
    main()
