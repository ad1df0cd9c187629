{{/* The chart's name, or nameOverride. */}}
{{- define "rowkube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's name for every object: <release> if it already contains the chart's name, else <release>-<chart>. */}}
{{- define "rowkube.fullname" -}}
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

{{- define "rowkube.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rowkube.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rowkube.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "rowkube.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "rowkube.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rowkube.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "rowkube.configMapName" -}}
{{- default (include "rowkube.fullname" .) .Values.existingConfigMap }}
{{- end }}

{{/* Where the Leases live: as rowkube finds them (leaderElection.namespace, else the pod's namespace). */}}
{{- define "rowkube.leaseNamespace" -}}
{{- .Values.rbac.leaseNamespace | default (dig "leaderElection" "namespace" "" .Values.config) | default .Release.Namespace }}
{{- end }}

{{/* Cluster-scoped names are shared by every namespace: the release's namespace keeps two releases of one name apart. */}}
{{- define "rowkube.clusterRoleName" -}}
{{- printf "%s-%s" (include "rowkube.fullname" .) .Release.Namespace | trunc 253 }}
{{- end }}

{{/*
The configuration file: values.config with the observability server on all
addresses and on the metrics port, so that the kubelet's probes and a scraper
reach it (rowkube's default, 127.0.0.1, serves only the pod itself), and with
leader election on unless the config says otherwise: the chart runs replicas.
*/}}
{{- define "rowkube.configYaml" -}}
{{- $config := deepCopy .Values.config }}
{{- $leaderElection := default (dict) (get $config "leaderElection") }}
{{- if not (hasKey $leaderElection "enabled") }}
{{- $_ := set $leaderElection "enabled" true }}
{{- end }}
{{- $_ := set $config "leaderElection" $leaderElection }}
{{- $observability := merge (dict "host" "0.0.0.0" "port" (int .Values.metrics.port)) (default (dict) (get $config "observability")) }}
{{- $_ := set $observability "host" "0.0.0.0" }}
{{- $_ := set $observability "port" (int .Values.metrics.port) }}
{{- $_ := set $config "observability" $observability }}
{{- toYaml $config }}
{{- end }}

{{/* The PromQL label matchers of this release's scraped series. */}}
{{- define "rowkube.metricsSelector" -}}
namespace="{{ .Release.Namespace }}", job="{{ include "rowkube.fullname" . }}"
{{- end }}
