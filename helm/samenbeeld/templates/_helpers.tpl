{{/* The chart name. */}}
{{- define "samenbeeld.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name, with the chart name unless it holds it. */}}
{{- define "samenbeeld.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The role, checked. */}}
{{- define "samenbeeld.role" -}}
{{- if not (has .Values.role (list "node" "party" "hub")) -}}
{{- fail "set role: node, party or hub" -}}
{{- end -}}
{{- if and (eq .Values.role "node") (not (regexMatch "^GM[0-9]{4}$" (toString .Values.node.municipality))) -}}
{{- fail "role node needs node.municipality, a CBS code such as GM0758" -}}
{{- end -}}
{{- .Values.role -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "samenbeeld.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "samenbeeld.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: samenbeeld
{{- end -}}

{{/* Labels that select this release's pods (all of them: service and migrations). */}}
{{- define "samenbeeld.selectorLabels" -}}
app.kubernetes.io/name: {{ include "samenbeeld.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels that select the service's pods. */}}
{{- define "samenbeeld.serviceSelector" -}}
{{ include "samenbeeld.selectorLabels" . }}
app.kubernetes.io/component: {{ include "samenbeeld.role" . }}
{{- end -}}

{{/* The image reference: digest wins over tag; the tag defaults to appVersion. */}}
{{- define "samenbeeld.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if or (eq $tag "latest") (eq $tag "") -}}
{{- fail "image.tag must name a release, not latest" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The existing Secret with the private key. */}}
{{- define "samenbeeld.keySecret" -}}
{{- .Values.secrets.key.name | default (printf "%s-key" (include "samenbeeld.fullname" .)) -}}
{{- end -}}

{{/* The existing Secret with the database URL. */}}
{{- define "samenbeeld.databaseSecret" -}}
{{- .Values.secrets.database.name | default (printf "%s-database" (include "samenbeeld.fullname" .)) -}}
{{- end -}}

{{/* The role's member code in settings: the municipality, the party index, or nothing. */}}
{{- define "samenbeeld.identityEnv" -}}
{{- if eq .Values.role "node" -}}
- name: SAMENBEELD_MUNICIPALITY
  value: {{ .Values.node.municipality | quote }}
{{- else if eq .Values.role "party" -}}
- name: SAMENBEELD_INDEX
  value: {{ .Values.party.index | quote }}
{{- end -}}
{{- end -}}

{{/* The database URL from its Secret. */}}
{{- define "samenbeeld.databaseEnv" -}}
- name: SAMENBEELD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "samenbeeld.databaseSecret" . }}
      key: {{ .Values.secrets.database.item }}
{{- end -}}

{{/* The pod security context; party and hub pin the ephemeral ports gloo listens on. */}}
{{- define "samenbeeld.podSecurityContext" -}}
{{- $context := deepCopy .Values.podSecurityContext -}}
{{- if has .Values.role (list "party" "hub") -}}
{{- $range := printf "%d %d" (int .Values.mpc.pairPorts.first) (int .Values.mpc.pairPorts.last) -}}
{{- $_ := set $context "sysctls" (list (dict "name" "net.ipv4.ip_local_port_range" "value" $range)) -}}
{{- end -}}
{{- toYaml $context -}}
{{- end -}}

{{/* Volumes every pod has: a writable /tmp (the root filesystem is read-only). */}}
{{- define "samenbeeld.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ (get .Values.resources (include "samenbeeld.role" .)).limits | dig "ephemeral-storage" "1Gi" }}
{{- end -}}
