{{/* Replicas and their coordination through Kubernetes Leases.

Several replicas share incidents through the S3 store (config.store.s3)
and take turns through Leases (config.coordination), which live in the
Kubernetes API. The local store is one pod's directory and static mode has
no Kubernetes API, so both run one replica. */}}

{{/* "true" when config.store.s3 names a bucket. */}}
{{- define "alertprof.s3" -}}
{{- $store := .Values.config.store | default dict }}
{{- if (get ($store.s3 | default dict) "bucket") }}true{{ end }}
{{- end }}

{{/* "true" when capture.mode is static (no Kubernetes API). */}}
{{- define "alertprof.static" -}}
{{- $capture := .Values.config.capture | default dict }}
{{- if eq ($capture.mode | default "auto") "static" }}true{{ end }}
{{- end }}

{{/* The number of replicas: replicaCount, or when it is empty (null) 2
with the S3 store outside static mode and 1 otherwise. It refuses the
combinations that would capture and post twice or lose state: more than
one replica without S3, in static mode, with coordination turned off, or
sharing one existingClaim. */}}
{{- define "alertprof.replicas" -}}
{{- $s3 := include "alertprof.s3" . }}
{{- $static := include "alertprof.static" . }}
{{- $n := 1 }}
{{- if kindIs "invalid" .Values.replicaCount }}
{{- if and $s3 (not $static) }}
{{- $n = 2 }}
{{- end }}
{{- else }}
{{- $n = int .Values.replicaCount }}
{{- end }}
{{- if gt $n 1 }}
{{- if not $s3 }}
{{- fail (printf "replicaCount %d needs config.store.s3 (a bucket): replicas share incidents through the object store, and the local store is one pod's directory, so each replica would capture and post on its own. Set config.store.s3 or replicaCount=1" $n) }}
{{- end }}
{{- if $static }}
{{- fail (printf "replicaCount %d needs capture.mode kubernetes or auto: replicas take turns through Kubernetes Leases, and static mode runs one replica" $n) }}
{{- end }}
{{- $co := .Values.config.coordination | default dict }}
{{- if and (hasKey $co "enabled") (not $co.enabled) }}
{{- fail (printf "replicaCount %d with config.coordination.enabled false: each replica would capture and post on its own. Remove the setting (the chart turns coordination on) or set replicaCount=1" $n) }}
{{- end }}
{{- if and .Values.persistence.enabled .Values.persistence.existingClaim }}
{{- fail (printf "replicaCount %d cannot share persistence.existingClaim %s: with S3 each replica keeps its spool on its own emptyDir. Unset persistence.existingClaim or set replicaCount=1" $n .Values.persistence.existingClaim) }}
{{- end }}
{{- end }}
{{- $n }}
{{- end }}

{{/* "true" when replicas coordinate: config.coordination.enabled when
set, else more than one replica. */}}
{{- define "alertprof.coordination" -}}
{{- $co := .Values.config.coordination | default dict }}
{{- $replicas := include "alertprof.replicas" . | int }}
{{- if hasKey $co "enabled" }}
{{- if $co.enabled }}
{{- if not (include "alertprof.s3" .) }}
{{- fail "config.coordination.enabled needs config.store.s3: replicas share incidents through the object store" }}
{{- end }}
{{- if include "alertprof.static" . }}
{{- fail "config.coordination.enabled needs capture.mode kubernetes or auto: Leases live in the Kubernetes API" }}
{{- end -}}
true
{{- end }}
{{- else if gt $replicas 1 }}true{{ end }}
{{- end }}

{{/* "true" when the store and spool are on a PersistentVolumeClaim:
persistence.enabled with at most one replica. A ReadWriteOnce volume
attaches to one pod, and a spool is one replica's own, so with more
replicas (S3 holds the shared state) each pod has emptyDirs. */}}
{{- define "alertprof.persistent" -}}
{{- if and .Values.persistence.enabled (le (include "alertprof.replicas" . | int) 1) }}true{{ end }}
{{- end }}

{{/* The namespace of the Leases, where the chart grants them: the release
namespace (the pod's POD_NAMESPACE). A Lease elsewhere, in kube-system say,
may be another component's leader election: the chart refuses to grant one
there, and config.coordination.namespace must then come with rbac.create
false and a Role of your own. */}}
{{- define "alertprof.leaseNamespace" -}}
{{- $co := .Values.config.coordination | default dict }}
{{- if and .Values.rbac.create $co.namespace (ne $co.namespace .Release.Namespace) }}
{{- fail (printf "config.coordination.namespace %s: the chart grants Leases only in the release namespace %s. Leave it empty, or set rbac.create=false and grant the Leases yourself" $co.namespace .Release.Namespace) }}
{{- end }}
{{- .Release.Namespace }}
{{- end }}
