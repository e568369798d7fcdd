{#- Named partials of two-tier. Their names start with `two_tier.`: the subcharts' partials
    (flask_app_chart.*, mysql_chart.*, redis.*, mongodb.*) live in the same namespace. -#}

{#- The chart name, or nameOverride. -#}
{%- component two_tier.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent two_tier.name -%}

{#- fullnameOverride, else RELEASE-two-tier (just RELEASE when it contains the chart name). The
    umbrella renders no object of its own; the name is for objects added here later. -#}
{%- component two_tier.fullname(@Release, @Chart, @Values) -%}
{%- set name = Values.nameOverride | default(value=Chart.Name) -%}
{%- if Values.fullnameOverride | default(value="") -%}
{{ Values.fullnameOverride | trunc(n=63) | trimSuffix(suffix="-") }}
{%- elif name in Release.Name -%}
{{ Release.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent two_tier.fullname -%}

{#- Labels that select the umbrella's own pods, if it ever has any. -#}
{%- component two_tier.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <two_tier.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endcomponent two_tier.selectorLabels -%}

{#- Kubernetes' recommended labels, plus helm.sh/chart. -#}
{%- component two_tier.labels(component="app", @Release, @Chart, @Values) -%}
helm.sh/chart: {{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{{ <two_tier.selectorLabels/> }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/part-of: {{ Values.global.partOf | default(value=Chart.Name) }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent two_tier.labels -%}

{#- The name of the app's Service, computed by flask-app-chart's own partial on its values. -#}
{%- component two_tier.appFullname(@Release, @Values) -%}
{{ include(name="flask_app_chart.fullname", Chart={"Name": "flask-app-chart"}, Values=Values["flask-app-chart"]) }}
{%- endcomponent two_tier.appFullname -%}

{#- The MySQL Service the app connects to (global.mysql.fullname, rendered with tpl). -#}
{%- component two_tier.mysqlHost(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ Values.global.mysql.fullname | required(msg="two-tier: global.mysql.fullname is required: the name of the MySQL Service both subcharts use, e.g. \"{{ Release.Name }}-mysql\"") | tpl }}
{%- endcomponent two_tier.mysqlHost -%}
