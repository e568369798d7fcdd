{#- Named partials of the efk chart, prefixed `efk.` because a parent chart sees them too. Use
    them as {{ <efk.fullname/> }}, or pipe them: {{ <efk.labels component="kibana"/> | nindent(n=4) }}.
    They read the calling template's Values, so call them from this chart's templates. -#}

{#- The chart name, or `nameOverride`. -#}
{%- component efk.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent efk.name -%}

{#- `<release>-efk`, or `fullnameOverride`. The component names are appended to it, so it is cut
    short enough for `-elasticsearch` to fit into a 63-character label. -#}
{%- component efk.fullname(@Release, @Chart, @Values) -%}
{%- if Values.fullnameOverride -%}
{{ Values.fullnameOverride | trunc(n=40) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ <efk.name/>) | trunc(n=40) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent efk.fullname -%}

{#- The namespace of every namespaced resource: `namespaceOverride`, else the release's. -#}
{%- component efk.namespace(@Release, @Values) -%}
{{ Values.namespaceOverride | default(value=Release.Namespace) }}
{%- endcomponent efk.namespace -%}

{#- `<fullname>-elasticsearch`, `<fullname>-fluentd`, `<fullname>-kibana`. -#}
{%- component efk.elasticsearchName(@Release, @Chart, @Values) -%}
{{ <efk.fullname/> }}-elasticsearch
{%- endcomponent efk.elasticsearchName -%}
{%- component efk.fluentdName(@Release, @Chart, @Values) -%}
{{ <efk.fullname/> }}-fluentd
{%- endcomponent efk.fluentdName -%}
{%- component efk.kibanaName(@Release, @Chart, @Values) -%}
{{ <efk.fullname/> }}-kibana
{%- endcomponent efk.kibanaName -%}

{#- The ClusterRole and ClusterRoleBinding: `<fullname>-fluentd-<namespace>`. Cluster-scoped names
    are shared by every namespace, so the namespace is part of them: two releases of the same name
    in two namespaces do not collide. -#}
{%- component efk.fluentdClusterName(@Release, @Chart, @Values) -%}
{{ (<efk.fluentdName/> ~ "-" ~ <efk.namespace/>) | trunc(n=253) | trimSuffix(suffix="-") }}
{%- endcomponent efk.fluentdClusterName -%}

{#- `efk-0.1.0`, the value of the helm.sh/chart label. -#}
{%- component efk.chart(@Chart) -%}
{{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent efk.chart -%}

{#- Labels that select the pods of one component. They never change across upgrades (selectors
    are immutable). -#}
{%- component efk.selectorLabels(component, @Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <efk.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: {{ component }}
{%- endcomponent efk.selectorLabels -%}

{#- The Kubernetes recommended labels of one component's resources. -#}
{%- component efk.labels(component, @Release, @Chart, @Values) -%}
helm.sh/chart: {{ <efk.chart/> }}
{{ <efk.selectorLabels component={component}/> }}
app.kubernetes.io/part-of: efk
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent efk.labels -%}

{#- `repository:tag` of a values section's `image`. A missing or `latest` tag is an error naming
    the value to set. -#}
{%- component efk.image(image, key, @Values, @Template) -%}
{%- set tag = image.tag | toString | required(msg="efk: " ~ <efk.valuesPrefix/> ~ key ~ ".image.tag is required; pin a release") -%}
{%- if tag == "latest" -%}
{{ fail(msg="efk: " ~ <efk.valuesPrefix/> ~ key ~ ".image.tag must not be `latest`; pin a release") }}
{%- endif -%}
{{ image.repository }}:{{ tag }}
{%- endcomponent efk.image -%}

{#- Where Fluentd and Kibana reach Elasticsearch: the chart's client Service by name, or
    fluentd.elasticsearch.host. -#}
{%- component efk.elasticsearchHost(@Release, @Chart, @Values) -%}
{{ Values.fluentd.elasticsearch.host | default(value=<efk.elasticsearchName/>) }}
{%- endcomponent efk.elasticsearchHost -%}
{%- component efk.elasticsearchUrl(@Release, @Chart, @Values) -%}
{{ Values.fluentd.elasticsearch.scheme }}://{{ <efk.elasticsearchHost/> }}:{{ Values.fluentd.elasticsearch.port }}
{%- endcomponent efk.elasticsearchUrl -%}

{#- Probe timings from `probe` (a values section). -#}
{%- component efk.probeTimings(probe) -%}
initialDelaySeconds: {{ probe.initialDelaySeconds }}
periodSeconds: {{ probe.periodSeconds }}
timeoutSeconds: {{ probe.timeoutSeconds }}
failureThreshold: {{ probe.failureThreshold }}
successThreshold: {{ probe.successThreshold }}
{%- endcomponent efk.probeTimings -%}

{#- How the user reaches this chart's values, for error messages: "" on its own, "efk." as a
    subchart. -#}
{%- component efk.valuesPrefix(@Template) -%}
{%- for part in Template.BasePath | trimSuffix(suffix="/templates") | split(pat="/charts/") %}{% if not loop.first %}{{ part }}.{% endif %}{% endfor -%}
{%- endcomponent efk.valuesPrefix -%}
