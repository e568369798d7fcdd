{#- Named partials of flask-app-chart. Their names start with `flask_app_chart.` because every
    chart of a release sees them (an umbrella chart and its other subcharts too). Use them as
    {{ <flask_app_chart.fullname/> }} or pipe them: {{ <flask_app_chart.labels/> | nindent(n=4) }}.
    Partials that run `tpl` declare every built-in object, since tpl sees only what they declare. -#}

{#- The chart name, or nameOverride. -#}
{%- component flask_app_chart.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent flask_app_chart.name -%}

{#- fullnameOverride, else RELEASE-flask-app-chart (just RELEASE when it contains the chart name). -#}
{%- component flask_app_chart.fullname(@Release, @Chart, @Values) -%}
{%- set name = Values.nameOverride | default(value=Chart.Name) -%}
{%- if Values.fullnameOverride | default(value="") -%}
{{ Values.fullnameOverride | trunc(n=63) | trimSuffix(suffix="-") }}
{%- elif name in Release.Name -%}
{{ Release.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent flask_app_chart.fullname -%}

{#- `flask-app-chart-0.1.0`, the value of the helm.sh/chart label. -#}
{%- component flask_app_chart.chart(@Chart) -%}
{{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent flask_app_chart.chart -%}

{#- Labels that select the app's pods (immutable across upgrades). -#}
{%- component flask_app_chart.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <flask_app_chart.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endcomponent flask_app_chart.selectorLabels -%}

{#- Kubernetes' recommended labels, plus helm.sh/chart. The version is the image tag. -#}
{%- component flask_app_chart.labels(@Release, @Chart, @Values) -%}
{%- set g = Values.global | default(value={}) -%}
helm.sh/chart: {{ <flask_app_chart.chart/> }}
{{ <flask_app_chart.selectorLabels/> }}
app.kubernetes.io/version: {{ Values.image.tag | toString | trunc(n=63) | quote }}
app.kubernetes.io/component: web
app.kubernetes.io/part-of: {{ g.partOf | default(value=Chart.Name) }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent flask_app_chart.labels -%}

{#- The ServiceAccount the pods run as. -#}
{%- component flask_app_chart.serviceAccountName(@Release, @Chart, @Values) -%}
{%- if Values.serviceAccount.create -%}
{{ Values.serviceAccount.name | default(value=<flask_app_chart.fullname/>) }}
{%- else -%}
{{ Values.serviceAccount.name | default(value="default") }}
{%- endif -%}
{%- endcomponent flask_app_chart.serviceAccountName -%}

{#- How the user reaches this chart's values, for error messages: "" when the chart is rendered
    on its own, "flask-app-chart." (or "parent.flask-app-chart.") when it is a subchart. -#}
{%- component flask_app_chart.valuesPrefix(@Template) -%}
{%- for part in Template.BasePath | trimSuffix(suffix="/templates") | split(pat="/charts/") %}{% if not loop.first %}{{ part }}.{% endif %}{% endfor -%}
{%- endcomponent flask_app_chart.valuesPrefix -%}

{#- `repository:tag`, or `repository:tag@digest`, from `image` (a values section). A missing or
    `latest` tag is an error naming `key`. -#}
{%- component flask_app_chart.image(image, key="image", @Template) -%}
{%- set v = <flask_app_chart.valuesPrefix/> -%}
{%- set tag = image.tag | default(value="") | toString -%}
{%- if not tag -%}
{{ fail(msg="flask-app-chart: " ~ v ~ key ~ ".tag is required: pin a version") }}
{%- elif tag == "latest" -%}
{{ fail(msg="flask-app-chart: " ~ v ~ key ~ ".tag must not be \"latest\": pin a version, so that a rollout knows what it runs") }}
{%- endif -%}
{{ image.repository }}:{{ tag }}{% if image.digest | default(value="") %}@{{ image.digest }}{% endif %}
{%- endcomponent flask_app_chart.image -%}

{#- Fails when `host` (the value of `key`) is an IP address: backends are reached by Service name,
    because a Service's ClusterIP changes when it is recreated. -#}
{%- component flask_app_chart.checkHost(host, key, @Template) -%}
{%- set stripped = host | replace(from="0", to="") | replace(from="1", to="") | replace(from="2", to="") | replace(from="3", to="") | replace(from="4", to="") | replace(from="5", to="") | replace(from="6", to="") | replace(from="7", to="") | replace(from="8", to="") | replace(from="9", to="") | replace(from=".", to="") -%}
{%- if stripped == "" or ":" in host -%}
{{ fail(msg="flask-app-chart: " ~ <flask_app_chart.valuesPrefix/> ~ key ~ " is the IP address " ~ host ~ ": use the Service's name (e.g. mysql-chart), which survives the Service being recreated; its ClusterIP does not") }}
{%- endif -%}
{%- endcomponent flask_app_chart.checkHost -%}

{#- A global string that wins over a local value; both rendered with tpl. Empty when neither is set. -#}
{%- component flask_app_chart.pick(section, key, local="", @Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set g = Values.global | default(value={}) -%}
{%- set gs = g | get(key=section, default={}) -%}
{%- set value = gs | get(key=key, default="") | default(value=local) | default(value="") -%}
{%- if value -%}{{ value | tpl }}{%- endif -%}
{%- endcomponent flask_app_chart.pick -%}

{#- MYSQL_HOST: global.mysql.fullname (set by an umbrella chart), else mysql.host. -#}
{%- component flask_app_chart.mysqlHost(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set host = <flask_app_chart.pick section="mysql" key="fullname" local={Values.mysql.host}/> -%}
{%- set v = <flask_app_chart.valuesPrefix/> -%}
{%- if not host -%}
{{ fail(msg="flask-app-chart: " ~ v ~ "mysql.host is required: the name of the MySQL Service, e.g. --set " ~ v ~ "mysql.host=mysql-chart (never its IP), or set " ~ v ~ "mysql.enabled=false") }}
{%- endif -%}
{{ <flask_app_chart.checkHost host={host} key="mysql.host"/> }}{{ host }}
{%- endcomponent flask_app_chart.mysqlHost -%}

{#- The Secret with the MySQL credentials: global.mysql.existingSecret, else mysql.existingSecret,
    else the one mysql-chart renders, which has its Service's name. -#}
{%- component flask_app_chart.mysqlSecret(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ <flask_app_chart.pick section="mysql" key="existingSecret" local={Values.mysql.existingSecret}/> | default(value=<flask_app_chart.mysqlHost/>) }}
{%- endcomponent flask_app_chart.mysqlSecret -%}

{#- MYSQL_DB: global.mysql.database, else mysql.database. -#}
{%- component flask_app_chart.mysqlDatabase(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ <flask_app_chart.pick section="mysql" key="database" local={Values.mysql.database}/> }}
{%- endcomponent flask_app_chart.mysqlDatabase -%}

{#- The MongoDB Service name: global.mongodb.host, else mongodb.host. -#}
{%- component flask_app_chart.mongodbHost(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set host = <flask_app_chart.pick section="mongodb" key="host" local={Values.mongodb.host}/> -%}
{%- set v = <flask_app_chart.valuesPrefix/> -%}
{%- if not host -%}
{{ fail(msg="flask-app-chart: " ~ v ~ "mongodb.host is required when " ~ v ~ "mongodb.enabled: the name of the MongoDB Service, e.g. mongodb") }}
{%- endif -%}
{{ <flask_app_chart.checkHost host={host} key="mongodb.host"/> }}{{ host }}
{%- endcomponent flask_app_chart.mongodbHost -%}

{#- The Secret with the MongoDB credentials: global.mongodb.existingSecret, else mongodb.existingSecret. -#}
{%- component flask_app_chart.mongodbSecret(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set name = <flask_app_chart.pick section="mongodb" key="existingSecret" local={Values.mongodb.existingSecret}/> -%}
{%- set v = <flask_app_chart.valuesPrefix/> -%}
{%- if not name -%}
{{ fail(msg="flask-app-chart: " ~ v ~ "mongodb.existingSecret is required when " ~ v ~ "mongodb.enabled: the Secret with the MongoDB user and password (charts/mongodb renders one named like its Service)") }}
{%- endif -%}
{{ name }}
{%- endcomponent flask_app_chart.mongodbSecret -%}

{#- The Redis Service name: global.redis.host, else redis.host. -#}
{%- component flask_app_chart.redisHost(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set host = <flask_app_chart.pick section="redis" key="host" local={Values.redis.host}/> -%}
{%- set v = <flask_app_chart.valuesPrefix/> -%}
{%- if not host -%}
{{ fail(msg="flask-app-chart: " ~ v ~ "redis.host is required when " ~ v ~ "redis.enabled: the name of the Redis Service, e.g. redis-master") }}
{%- endif -%}
{{ <flask_app_chart.checkHost host={host} key="redis.host"/> }}{{ host }}
{%- endcomponent flask_app_chart.redisHost -%}

{#- The Secret with the Redis password, or nothing (Redis without a password). -#}
{%- component flask_app_chart.redisSecret(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ <flask_app_chart.pick section="redis" key="existingSecret" local={Values.redis.existingSecret}/> }}
{%- endcomponent flask_app_chart.redisSecret -%}
