{{/* Names: <release>-slo-scout, or the release name when it already says slo-scout. */}}
{{- define "slo-scout.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "slo-scout.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's object name: (dict "ctx" $ "component" "api"). */}}
{{- define "slo-scout.componentName" -}}
{{- printf "%s-%s" (include "slo-scout.fullname" .ctx | trunc 40 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "slo-scout.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "slo-scout.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slo-scout.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "slo-scout.labels" -}}
{{ include "slo-scout.selectorLabels" . }}
helm.sh/chart: {{ include "slo-scout.chart" .ctx }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: slo-scout
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* image reference: (dict "image" .Values.images.controlPlane "ctx" $). */}}
{{- define "slo-scout.image" -}}
{{- $tag := default .ctx.Chart.AppVersion .image.tag -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "slo-scout.imagePullSecrets" -}}
{{- with .Values.images.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "slo-scout.podSecurityContext" -}}
securityContext:
{{ toYaml .Values.podSecurityContext | indent 2 }}
{{- end -}}

{{- define "slo-scout.containerSecurityContext" -}}
securityContext:
{{ toYaml .Values.containerSecurityContext | indent 2 }}
{{- end -}}

{{/* Writable scratch space for containers with a read-only root filesystem. */}}
{{- define "slo-scout.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "slo-scout.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Kafka bootstrap servers: the in-chart Strimzi cluster's plain listener, or the external list. */}}
{{- define "slo-scout.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s-kafka-bootstrap.%s.svc:9092" (include "slo-scout.componentName" (dict "ctx" . "component" "kafka")) .Release.Namespace -}}
{{- else -}}
{{- required "kafka.external.bootstrapServers is required when kafka.enabled is false" .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{/* Milvus URI: the in-chart standalone service, or the external URI. */}}
{{- define "slo-scout.milvusUri" -}}
{{- if .Values.milvus.enabled -}}
{{- printf "http://%s.%s.svc:19530" (include "slo-scout.componentName" (dict "ctx" . "component" "milvus")) .Release.Namespace -}}
{{- else -}}
{{- required "milvus.external.uri is required when milvus.enabled is false" .Values.milvus.external.uri -}}
{{- end -}}
{{- end -}}

{{/* The Secret and key that hold DATABASE_URL. */}}
{{- define "slo-scout.databaseSecretName" -}}
{{- if .Values.timescaledb.enabled -}}
{{- include "slo-scout.componentName" (dict "ctx" . "component" "database") -}}
{{- else -}}
{{- required "secrets.database.existingSecret is required when timescaledb.enabled is false" .Values.secrets.database.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "slo-scout.databaseSecretKey" -}}
{{- if .Values.timescaledb.enabled -}}url{{- else -}}{{ .Values.secrets.database.key }}{{- end -}}
{{- end -}}

{{/* Egress to DNS, which every pod needs to find the services it calls. */}}
{{- define "slo-scout.dnsEgress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}

{{/* Egress to a dependency: in-chart pods by label, else the external CIDRs (any address when none). */}}
{{- define "slo-scout.dependencyEgress" -}}
{{- if .inChart }}
- to:
    - podSelector:
        matchLabels:
{{ include "slo-scout.selectorLabels" (dict "ctx" .ctx "component" .component) | indent 10 }}
  ports:
{{- range .ports }}
    - {protocol: TCP, port: {{ . }}}
{{- end }}
{{- else }}
- to:
{{- range (default (list "0.0.0.0/0") .cidrs) }}
    - ipBlock:
        cidr: {{ . }}
{{- end }}
  ports:
{{- range .ports }}
    - {protocol: TCP, port: {{ . }}}
{{- end }}
{{- end }}
{{- end -}}

{{/* A list of CIDRs as NetworkPolicy peers. */}}
{{- define "slo-scout.ipBlocks" -}}
{{- range . }}
- ipBlock:
    cidr: {{ . }}
{{- end }}
{{- end -}}
