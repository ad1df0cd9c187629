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

{{/*
resources.limits.memory in MiB (a whole number of Gi, Mi, Ki, G, M or
bytes); 0 when it is unset or not in such a form.
*/}}
{{- define "rowkube.memoryLimitMiB" -}}
{{- $memory := toString (dig "limits" "memory" "" (default (dict) .Values.resources)) }}
{{- if regexMatch "^[0-9]+Gi$" $memory }}{{ mul (trimSuffix "Gi" $memory | atoi) 1024 }}
{{- else if regexMatch "^[0-9]+Mi$" $memory }}{{ trimSuffix "Mi" $memory | atoi }}
{{- else if regexMatch "^[0-9]+Ki$" $memory }}{{ div (trimSuffix "Ki" $memory | atoi) 1024 }}
{{- else if regexMatch "^[0-9]+G$" $memory }}{{ div (mul (trimSuffix "G" $memory | atoi) 1000000000) 1048576 }}
{{- else if regexMatch "^[0-9]+M$" $memory }}{{ div (mul (trimSuffix "M" $memory | atoi) 1000000) 1048576 }}
{{- else if regexMatch "^[0-9]+$" $memory }}{{ div ($memory | atoi) 1048576 }}
{{- else }}0{{ end }}
{{- end }}

{{/*
The heap limit node gets (--max-old-space-size, MiB): heapLimitPercent of
the memory limit. Node alone would take a quarter of the container's memory
(V8's default for that much physical memory), too little for the hub rows,
desired state and watch cache of a large installation; the rest of the limit
is for what lives outside V8's old generation (young generation, code,
buffers): docs/sizing.md. Empty when there is no limit to follow, or when
extraEnv sets NODE_OPTIONS itself.
*/}}
{{- define "rowkube.heapLimitMiB" -}}
{{- $limit := include "rowkube.memoryLimitMiB" . | atoi }}
{{- $own := false }}
{{- range .Values.extraEnv }}{{ if eq .name "NODE_OPTIONS" }}{{ $own = true }}{{ end }}{{ end }}
{{- if and (gt $limit 0) (gt (int .Values.heapLimitPercent) 0) (not $own) }}
{{- div (mul $limit (int .Values.heapLimitPercent)) 100 }}
{{- end }}
{{- end }}
