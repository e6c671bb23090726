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

{{/* The rendered config file: the config value, with public_url from the
Ingress or HTTPRoute unless config.public_url is set, and
coordination.enabled true with more than one replica unless
config.coordination.enabled is set (listen comes from service.port). */}}
{{- define "alertprof.config" -}}
{{- if hasKey .Values.config "listen" }}
{{- fail "config.listen is set by the chart from service.port; remove it" }}
{{- end }}
{{- $c := deepCopy .Values.config }}
{{- with include "alertprof.publicURL" . }}
{{- $_ := set $c "public_url" . }}
{{- end }}
{{- if include "alertprof.coordination" . }}
{{- $co := get $c "coordination" | default dict }}
{{- $_ := set $co "enabled" true }}
{{- $_ := set $c "coordination" $co }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/* Where people reach alertprof: config.public_url, else the Ingress
(https when it has tls), else the HTTPRoute's first host name; empty when
none is set. */}}
{{- define "alertprof.publicURL" -}}
{{- if .Values.config.public_url }}
{{- .Values.config.public_url }}
{{- else if .Values.ingress.enabled }}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tls))) (required "ingress.host is required when ingress.enabled" .Values.ingress.host) }}
{{- else if .Values.httpRoute.enabled }}
{{- printf "%s://%s" .Values.httpRoute.scheme (required "httpRoute.hostnames needs at least one host name" (first .Values.httpRoute.hostnames)) }}
{{- end }}
{{- end }}

{{/* The image reference: repository@digest when image.digest is set, else repository:tag (tag defaults to the appVersion). */}}
{{- define "alertprof.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The kubernetes section of the config, or an empty dict. */}}
{{- define "alertprof.kubeConfig" -}}
{{- $capture := .Values.config.capture | default dict }}
{{- toJson ($capture.kubernetes | default dict) }}
{{- end }}

{{/* "true" when RBAC objects are made: rbac.create and a capture mode that
can use the Kubernetes API (not static). */}}
{{- define "alertprof.rbacEnabled" -}}
{{- $capture := .Values.config.capture | default dict }}
{{- if and .Values.rbac.create (ne ($capture.mode | default "auto") "static") }}true{{ end }}
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

{{/* The rules the configuration uses, exactly kube.RBACRulesFor(fetch_mode,
log_lines) (capture/kube/rbac.go; the chart tests compare them): pods
always; pods/log unless log_lines is 0 (its default is 50); pods/proxy
unless fetch_mode is direct (auto becomes the proxy from a kubeconfig). */}}
{{- define "alertprof.rbacRules" -}}
{{- $k := include "alertprof.kubeConfig" . | fromJson }}
{{- $logLines := 50 }}
{{- if hasKey $k "log_lines" }}
{{- $logLines = int $k.log_lines }}
{{- end }}
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
{{- if gt $logLines 0 }}
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
{{- end }}
{{- if ne ($k.fetch_mode | default "auto") "direct" }}
- apiGroups: [""]
  resources: ["pods/proxy"]
  verbs: ["get"]
{{- end }}
{{- end }}

{{/* The data directories (store and spool) of the config. */}}
{{- define "alertprof.dataDirs" -}}
{{- $store := .Values.config.store | default dict }}
{{- $dataDir := (get ($store.local | default dict) "dir") | default "/var/lib/alertprof/data" }}
{{- $spoolDir := (get ($store.spool | default dict) "dir") | default "/var/lib/alertprof/spool" }}
{{- toJson (list $dataDir $spoolDir) }}
{{- end }}

{{/* The PVC name: persistence.existingClaim, else the full name. */}}
{{- define "alertprof.claimName" -}}
{{- default (include "alertprof.fullname" .) .Values.persistence.existingClaim }}
{{- end }}

{{/* The chart Secret's data (base64 values by key), computed once per
render so that the Secret and the Deployment's checksum/secret agree.
Generated values are kept across upgrades (lookup of the existing
Secret); `helm template` cannot look up, so it generates new ones. */}}
{{- define "alertprof.secretData" -}}
{{- if not (hasKey .Values "__alertprofSecretData") }}
{{- $old := (lookup "v1" "Secret" .Release.Namespace (include "alertprof.fullname" .)).data | default dict }}
{{- $s := .Values.secret }}
{{- $d := dict }}
{{- $_ := set $d "ALERTPROF_WEBHOOK_TOKEN" ($s.webhookToken | b64enc | default (get $old "ALERTPROF_WEBHOOK_TOKEN") | default (randAlphaNum 40 | b64enc)) }}
{{- $_ := set $d "ALERTPROF_LINK_KEY" ($s.linkKey | b64enc | default (get $old "ALERTPROF_LINK_KEY") | default (randAlphaNum 40 | b64enc)) }}
{{- range $key, $v := dict "ALERTPROF_WEBHOOK_PASSWORD" $s.webhookPassword "ALERTPROF_CAPTURE_TOKEN" $s.captureToken "SLACK_BOT_TOKEN" $s.slackBotToken "AWS_ACCESS_KEY_ID" $s.awsAccessKeyId "AWS_SECRET_ACCESS_KEY" $s.awsSecretAccessKey }}
{{- if $v }}
{{- $_ := set $d $key ($v | b64enc) }}
{{- end }}
{{- end }}
{{- $_ := set .Values "__alertprofSecretData" $d }}
{{- end }}
{{- toYaml (get .Values "__alertprofSecretData") }}
{{- end }}
