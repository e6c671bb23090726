{{/* The chart name, or nameOverride. */}}
{{- define "alertprof.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full resource name: fullnameOverride, else release-chart (release alone when it contains the chart name). */}}
{{- define "alertprof.fullname" -}}
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

{{- define "alertprof.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "alertprof.labels" -}}
helm.sh/chart: {{ include "alertprof.chart" . }}
{{ include "alertprof.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the pods. */}}
{{- define "alertprof.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alertprof.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the pod runs as. */}}
{{- define "alertprof.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "alertprof.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the credentials: existingSecret, or the chart's. */}}
{{- define "alertprof.secretName" -}}
{{- default (include "alertprof.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The rendered config file: the config value (listen comes from service.port). */}}
{{- define "alertprof.config" -}}
{{- if hasKey .Values.config "listen" }}
{{- fail "config.listen is set by the chart from service.port; remove it" }}
{{- end }}
{{- toYaml .Values.config }}
{{- end }}

{{/* The webhook URL inside the cluster. */}}
{{- define "alertprof.webhookURL" -}}
http://{{ include "alertprof.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}/api/v1/alerts
{{- end }}

{{/* Namespaces that get a Role when rbac.clusterWide is false. */}}
{{- define "alertprof.rbacNamespaces" -}}
{{- if .Values.rbac.namespaces }}
{{- toJson .Values.rbac.namespaces }}
{{- else }}
{{- toJson (list .Release.Namespace) }}
{{- end }}
{{- end }}

{{/* Exactly kube.RBACRules (capture/kube/rbac.go); the chart tests compare them. */}}
{{- define "alertprof.rbacRules" -}}
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["pods/proxy"]
  verbs: ["get"]
{{- end }}
