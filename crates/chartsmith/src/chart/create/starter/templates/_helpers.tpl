{#- Named partials for <CHARTNAME>. Use them as {{ <<CHARTID>.fullname/> }} or pipe them:
    {{ <<CHARTID>.labels/> | nindent(n=4) }} -#}

{%- component <CHARTID>.name(@Chart) -%}
{{ Chart.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endcomponent <CHARTID>.name -%}

{%- component <CHARTID>.fullname(@Release, @Chart) -%}
{%- if Chart.Name in Release.Name -%}
{{ Release.Name | trunc(n=63) | trimSuffix(suffix="-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ Chart.Name) | trunc(n=63) | trimSuffix(suffix="-") }}
{%- endif -%}
{%- endcomponent <CHARTID>.fullname -%}

{%- component <CHARTID>.selectorLabels(@Release, @Chart) -%}
app.kubernetes.io/name: {{ <<CHARTID>.name/> }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endcomponent <CHARTID>.selectorLabels -%}

{%- component <CHARTID>.labels(@Release, @Chart) -%}
helm.sh/chart: {{ (Chart.Name ~ "-" ~ Chart.Version) | replace(from="+", to="_") }}
{{ <<CHARTID>.selectorLabels/> }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endcomponent <CHARTID>.labels -%}

{%- component <CHARTID>.serviceAccountName(@Release, @Chart, @Values) -%}
{%- if Values.serviceAccount.create -%}
{{ Values.serviceAccount.name | default(value=<<CHARTID>.fullname/>) }}
{%- else -%}
{{ Values.serviceAccount.name | default(value="default") }}
{%- endif -%}
{%- endcomponent <CHARTID>.serviceAccountName -%}
