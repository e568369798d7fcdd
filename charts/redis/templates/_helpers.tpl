{#- Named partials of the redis chart. They are visible to a parent chart too, hence the
    `redis.` prefix. Use them as {{ <redis.fullname/> }}, or pipe them:
    {{ <redis.labels/> | nindent(n=4) }}.
    They read the calling template's Values, so call them from this chart's templates. -#}

{#- The chart name, or `nameOverride`. -#}
{%- component redis.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent redis.name -%}

{#- `<release>-redis`, or `fullnameOverride`. Deliberately no "release name already contains
    the chart name" shortcut: the names stay predictable for a parent chart that wires to them. -#}
{%- component redis.fullname(@Release, @Chart, @Values) -%}
{%- if Values.fullnameOverride -%}
{{ Values.fullnameOverride | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ <redis.name/>) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent redis.fullname -%}

{#- `<release>-redis-master`: the Deployment, the Service and the claim of the master. -#}
{%- component redis.masterFullname(@Release, @Chart, @Values) -%}
{{ (<redis.fullname/> ~ "-master") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent redis.masterFullname -%}

{#- `redis-0.1.0`, the value of the helm.sh/chart label. -#}
{%- component redis.chart(@Chart) -%}
{{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent redis.chart -%}

{#- Labels that select the master pod. They never change across upgrades (selectors are
    immutable). -#}
{%- component redis.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <redis.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: master
{%- endcomponent redis.selectorLabels -%}

{#- The Kubernetes recommended labels, for every resource of the chart. -#}
{%- component redis.labels(@Release, @Chart, @Values) -%}
helm.sh/chart: {{ <redis.chart/> }}
{{ <redis.selectorLabels/> }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent redis.labels -%}

{#- The Secret holding the password: `auth.existingSecret`, or the one this chart renders. -#}
{%- component redis.secretName(@Release, @Chart, @Values) -%}
{{ Values.auth.existingSecret | default(value=<redis.fullname/>) }}
{%- endcomponent redis.secretName -%}

{#- `repository:tag`, or `repository:tag@digest`. A missing or `latest` tag is an error. -#}
{%- component redis.image(@Values, @Template) -%}
{%- set tag = Values.image.tag | toString | required(msg="redis: " ~ <redis.valuesPrefix/> ~ "image.tag is required; pin a Redis release such as \"7.2\"") -%}
{%- if tag == "latest" -%}
{{ fail(msg="redis: " ~ <redis.valuesPrefix/> ~ "image.tag must not be `latest`; pin a Redis release such as \"7.2\"") }}
{%- endif -%}
{{ Values.image.repository }}:{{ tag }}{% if Values.image.digest %}@{{ Values.image.digest }}{% endif %}
{%- endcomponent redis.image -%}

{#- Probe timings from `probe` (a values section). -#}
{%- component redis.probeTimings(probe) -%}
initialDelaySeconds: {{ probe.initialDelaySeconds }}
periodSeconds: {{ probe.periodSeconds }}
timeoutSeconds: {{ probe.timeoutSeconds }}
failureThreshold: {{ probe.failureThreshold }}
successThreshold: {{ probe.successThreshold }}
{%- endcomponent redis.probeTimings -%}

{#- How the user reaches this chart's values, for error messages: "" when the chart is rendered
    on its own, "redis." (or "mid.redis." two levels down) when it is a subchart. -#}
{%- component redis.valuesPrefix(@Template) -%}
{%- for part in Template.BasePath | trimSuffix(suffix="/templates") | split(pat="/charts/") %}{% if not loop.first %}{{ part }}.{% endif %}{% endfor -%}
{%- endcomponent redis.valuesPrefix -%}
