{#- Named partials of mysql-chart. Their names start with `mysql_chart.` because every chart of a
    release sees them (an umbrella chart and its other subcharts too). Use them as
    {{ <mysql_chart.fullname/> }} or pipe them: {{ <mysql_chart.labels/> | nindent(n=4) }}.
    Partials that run `tpl` declare every built-in object, since tpl sees only what they declare. -#}

{#- The chart name, or nameOverride. -#}
{%- component mysql_chart.name(@Chart, @Values) -%}
{{ Values.nameOverride | default(value=Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent mysql_chart.name -%}

{#- The full name of every object, and the name of the client Service (the host applications
    connect to): global.mysql.fullname (set by an umbrella chart, so that its app chart knows it),
    else fullnameOverride, else RELEASE-mysql-chart (just RELEASE when it contains the chart name:
    `chartsmith install mysql-chart charts/mysql-chart` gives a Service named mysql-chart). -#}
{%- component mysql_chart.fullname(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set g = Values.global | default(value={}) -%}
{%- set gm = g.mysql | default(value={}) -%}
{%- set fromGlobal = gm.fullname | default(value="") -%}
{%- set override = Values.fullnameOverride | default(value="") -%}
{%- set name = Values.nameOverride | default(value=Chart.Name) -%}
{%- if fromGlobal -%}
{{ fromGlobal | tpl | trunc(n=63) | trimSuffix(suffix="-") }}
{%- elif override -%}
{{ override | tpl | trunc(n=63) | trimSuffix(suffix="-") }}
{%- elif name in Release.Name -%}
{{ Release.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent mysql_chart.fullname -%}

{#- The full name with a suffix, kept within 63 characters. -#}
{%- component mysql_chart.fullnameWith(suffix, @Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ <mysql_chart.fullname/> | trunc(n=62 - suffix | length) | trimSuffix(suffix="-") }}-{{ suffix }}
{%- endcomponent mysql_chart.fullnameWith -%}

{#- Label selector of the MySQL pod. -#}
{%- component mysql_chart.selectorLabels(@Release, @Chart, @Values) -%}
app.kubernetes.io/name: {{ <mysql_chart.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endcomponent mysql_chart.selectorLabels -%}

{#- Kubernetes' recommended labels, plus helm.sh/chart. The version is the MySQL image tag. -#}
{%- component mysql_chart.labels(component="database", @Release, @Chart, @Values) -%}
{%- set g = Values.global | default(value={}) -%}
helm.sh/chart: {{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") | trunc(n=63) | trimSuffix(suffix="-") }}
{{ <mysql_chart.selectorLabels/> }}
app.kubernetes.io/version: {{ Values.image.tag | toString | trunc(n=63) | quote }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/part-of: {{ g.partOf | default(value=Chart.Name) }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent mysql_chart.labels -%}

{#- The existing Secret in effect (global.mysql.existingSecret, else auth.existingSecret), or
    nothing when the chart renders its own. -#}
{%- component mysql_chart.existingSecret(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set g = Values.global | default(value={}) -%}
{%- set gm = g.mysql | default(value={}) -%}
{%- set name = gm.existingSecret | default(value=Values.auth.existingSecret) | default(value="") -%}
{%- if name -%}{{ name | tpl }}{%- endif -%}
{%- endcomponent mysql_chart.existingSecret -%}

{#- The Secret holding the credentials: the existing one, else the one the chart renders. -#}
{%- component mysql_chart.secretName(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{{ <mysql_chart.existingSecret/> | default(value=<mysql_chart.fullname/>) }}
{%- endcomponent mysql_chart.secretName -%}

{#- The database created on first start: global.mysql.database, else auth.database. -#}
{%- component mysql_chart.database(@Values, @Template) -%}
{%- set g = Values.global | default(value={}) -%}
{%- set gm = g.mysql | default(value={}) -%}
{{ gm.database | default(value=Values.auth.database) | required(msg="mysql-chart: " ~ <mysql_chart.valuesPrefix/> ~ "auth.database is required: the database to create on first start, e.g. mydb") }}
{%- endcomponent mysql_chart.database -%}

{#- The image reference: a pinned tag (never latest), plus the digest when given. -#}
{%- component mysql_chart.image(@Values, @Template) -%}
{%- set tag = Values.image.tag | default(value="") | toString -%}
{%- if not tag -%}
{{ fail(msg="mysql-chart: " ~ <mysql_chart.valuesPrefix/> ~ "image.tag is required: pin a MySQL version such as \"8.0\" or \"5.7\"") }}
{%- elif tag == "latest" -%}
{{ fail(msg="mysql-chart: " ~ <mysql_chart.valuesPrefix/> ~ "image.tag must not be \"latest\" (it moved to MySQL 9 and broke the seed's client): pin a version such as \"8.0\" or \"5.7\"") }}
{%- endif -%}
{{ Values.image.repository }}:{{ tag }}{% if Values.image.digest %}@{{ Values.image.digest }}{% endif %}
{%- endcomponent mysql_chart.image -%}

{#- The ServiceAccount the pod runs as. -#}
{%- component mysql_chart.serviceAccountName(@Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- if Values.serviceAccount.create -%}
{{ Values.serviceAccount.name | default(value=<mysql_chart.fullname/>) }}
{%- else -%}
{{ Values.serviceAccount.name | default(value="default") }}
{%- endif -%}
{%- endcomponent mysql_chart.serviceAccountName -%}

{#- The pod template shared by the StatefulSet and the Deployment. `claim` is the name of the
    PersistentVolumeClaim to mount as the data volume ("" in a StatefulSet, whose
    volumeClaimTemplates provide it, or when persistence is off). -#}
{%- component mysql_chart.podTemplate(claim="", @Release, @Chart, @Values, @Capabilities, @Template) -%}
{%- set secret = <mysql_chart.secretName/> -%}
{%- set keys = Values.auth.secretKeys -%}
metadata:
  labels:
    {{- <mysql_chart.labels/> | nindent(n=4) }}
    {%- if Values.podLabels %}
    {{- Values.podLabels | toYaml | nindent(n=4) }}
    {%- endif %}
  {%- if Values.podAnnotations %}
  annotations:
    {{- Values.podAnnotations | toYaml | nindent(n=4) }}
  {%- endif %}
spec:
  serviceAccountName: {{ <mysql_chart.serviceAccountName/> }}
  automountServiceAccountToken: false
  {%- if Values.imagePullSecrets %}
  imagePullSecrets:
    {{- Values.imagePullSecrets | toYaml | nindent(n=4) }}
  {%- endif %}
  {%- if Values.podSecurityContext %}
  securityContext:
    {{- Values.podSecurityContext | toYaml | nindent(n=4) }}
  {%- endif %}
  containers:
    - name: mysql
      image: {{ <mysql_chart.image/> | quote }}
      imagePullPolicy: {{ Values.image.pullPolicy }}
      {%- if Values.args %}
      args:
        {{- Values.args | toYaml | nindent(n=8) }}
      {%- endif %}
      ports:
        - name: mysql
          containerPort: 3306
          protocol: TCP
      env:
        - name: MYSQL_ROOT_PASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ secret }}
              key: {{ keys.rootPassword }}
        - name: MYSQL_DATABASE
          value: {{ <mysql_chart.database/> | quote }}
        - name: MYSQL_USER
          valueFrom:
            secretKeyRef:
              name: {{ secret }}
              key: {{ keys.username }}
        - name: MYSQL_PASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ secret }}
              key: {{ keys.password }}
        {%- if Values.extraEnv %}
        {{- Values.extraEnv | toYaml | nindent(n=8) }}
        {%- endif %}
      livenessProbe:
        tcpSocket:
          port: 3306
        initialDelaySeconds: {{ Values.livenessProbe.initialDelaySeconds }}
        periodSeconds: {{ Values.livenessProbe.periodSeconds }}
        timeoutSeconds: {{ Values.livenessProbe.timeoutSeconds }}
        failureThreshold: {{ Values.livenessProbe.failureThreshold }}
      readinessProbe:
        tcpSocket:
          port: 3306
        initialDelaySeconds: {{ Values.readinessProbe.initialDelaySeconds }}
        periodSeconds: {{ Values.readinessProbe.periodSeconds }}
        timeoutSeconds: {{ Values.readinessProbe.timeoutSeconds }}
        failureThreshold: {{ Values.readinessProbe.failureThreshold }}
      {%- if Values.resources %}
      resources:
        {{- Values.resources | toYaml | nindent(n=8) }}
      {%- endif %}
      {%- if Values.securityContext %}
      securityContext:
        {{- Values.securityContext | toYaml | nindent(n=8) }}
      {%- endif %}
      volumeMounts:
        - name: data
          mountPath: /var/lib/mysql
        {%- if Values.initdb.enabled %}
        - name: initdb
          mountPath: /docker-entrypoint-initdb.d
          readOnly: true
        {%- endif %}
  {%- if Values.nodeSelector %}
  nodeSelector:
    {{- Values.nodeSelector | toYaml | nindent(n=4) }}
  {%- endif %}
  {%- if Values.affinity %}
  affinity:
    {{- Values.affinity | toYaml | nindent(n=4) }}
  {%- endif %}
  {%- if Values.tolerations %}
  tolerations:
    {{- Values.tolerations | toYaml | nindent(n=4) }}
  {%- endif %}
  {%- if claim or not Values.persistence.enabled or Values.initdb.enabled %}
  volumes:
    {%- if claim %}
    - name: data
      persistentVolumeClaim:
        claimName: {{ claim }}
    {%- elif not Values.persistence.enabled %}
    - name: data
      emptyDir: {}
    {%- endif %}
    {%- if Values.initdb.enabled %}
    - name: initdb
      configMap:
        name: {{ Values.initdb.existingConfigMap | default(value=<mysql_chart.fullnameWith suffix="initdb"/>) }}
    {%- endif %}
  {%- endif %}
{%- endcomponent mysql_chart.podTemplate -%}

{#- storageClassName for a claim: omitted when empty (the cluster's default class), "" for "-". -#}
{%- component mysql_chart.storageClass(@Values) -%}
{%- set sc = Values.persistence.storageClass | default(value="") -%}
{%- if sc == "-" -%}
storageClassName: ""
{%- elif sc -%}
storageClassName: {{ sc | quote }}
{%- endif -%}
{%- endcomponent mysql_chart.storageClass -%}

{#- How the user reaches this chart's values, for error messages: "" when the chart is rendered
    on its own, "mysql-chart." (or "parent.mysql-chart.") when it is a subchart. -#}
{%- component mysql_chart.valuesPrefix(@Template) -%}
{%- for part in Template.BasePath | trimSuffix(suffix="/templates") | split(pat="/charts/") %}{% if not loop.first %}{{ part }}.{% endif %}{% endfor -%}
{%- endcomponent mysql_chart.valuesPrefix -%}
