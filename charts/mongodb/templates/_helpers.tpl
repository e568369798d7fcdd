{#- Named partials of the mongodb chart. They are visible to a parent chart too, hence the
    `mongodb.` prefix. Use them as {{ <mongodb.fullname/> }}, or pipe them:
    {{ <mongodb.labels/> | nindent(n=4) }}.
    They read the calling template's Values, so call them from this chart's templates. -#}

{#- The chart name, or `nameOverride`. -#}
{%- component mongodb.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent mongodb.name -%}

{#- `<release>-mongodb`, or `fullnameOverride`. Deliberately no "release name already contains
    the chart name" shortcut: the name stays predictable for a parent chart that wires to it. -#}
{%- component mongodb.fullname(@Release, @Chart, @Values) -%}
{%- if Values.fullnameOverride -%}
{{ Values.fullnameOverride | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ <mongodb.name/>) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent mongodb.fullname -%}

{#- `mongodb-0.1.0`, the value of the helm.sh/chart label. -#}
{%- component mongodb.chart(@Chart) -%}
{{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent mongodb.chart -%}

{#- Labels that select the pods. They never change across upgrades (selectors are immutable). -#}
{%- component mongodb.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <mongodb.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: database
{%- endcomponent mongodb.selectorLabels -%}

{#- The Kubernetes recommended labels, for every resource of the chart. -#}
{%- component mongodb.labels(@Release, @Chart, @Values) -%}
helm.sh/chart: {{ <mongodb.chart/> }}
{{ <mongodb.selectorLabels/> }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent mongodb.labels -%}

{#- The Secret holding the root credentials: `auth.existingSecret`, or the one this chart
    renders, named like the Service. -#}
{%- component mongodb.secretName(@Release, @Chart, @Values) -%}
{{ Values.auth.existingSecret | default(value=<mongodb.fullname/>) }}
{%- endcomponent mongodb.secretName -%}

{#- `repository:tag`, or `repository:tag@digest`. A missing or `latest` tag is an error. -#}
{%- component mongodb.image(@Values, @Template) -%}
{%- set tag = Values.image.tag | toString | required(msg="mongodb: " ~ <mongodb.valuesPrefix/> ~ "image.tag is required; pin a MongoDB release such as \"7.0\"") -%}
{%- if tag == "latest" -%}
{{ fail(msg="mongodb: " ~ <mongodb.valuesPrefix/> ~ "image.tag must not be `latest`; pin a MongoDB release such as \"7.0\"") }}
{%- endif -%}
{{ Values.image.repository }}:{{ tag }}{% if Values.image.digest %}@{{ Values.image.digest }}{% endif %}
{%- endcomponent mongodb.image -%}

{#- One exec probe running mongosh's ping, with the timings of `probe` (a values section). -#}
{%- component mongodb.probe(probe) -%}
exec:
  command:
    - mongosh
    - --quiet
    - --eval
    - "db.adminCommand('ping')"
initialDelaySeconds: {{ probe.initialDelaySeconds }}
periodSeconds: {{ probe.periodSeconds }}
timeoutSeconds: {{ probe.timeoutSeconds }}
failureThreshold: {{ probe.failureThreshold }}
successThreshold: {{ probe.successThreshold }}
{%- endcomponent mongodb.probe -%}

{#- How the user reaches this chart's values, for error messages: "" when the chart is rendered
    on its own, "mongodb." (or "mid.mongodb." two levels down) when it is a subchart. -#}
{%- component mongodb.valuesPrefix(@Template) -%}
{%- for part in Template.BasePath | trimSuffix(suffix="/templates") | split(pat="/charts/") %}{% if not loop.first %}{{ part }}.{% endif %}{% endfor -%}
{%- endcomponent mongodb.valuesPrefix -%}
