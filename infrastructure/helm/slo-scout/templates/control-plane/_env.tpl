{{/*
Environment of the API, the worker and the migration Job: the SLO_SCOUT_* settings the control
plane reads (slo_scout.settings.Settings; nested keys joined with "__"). Secrets come by
reference, never as values. tests/infrastructure checks every name against the settings class.
*/}}
{{- define "slo-scout.controlPlaneEnv" -}}
{{- $v := .ctx.Values -}}
{{- $cp := $v.controlPlane -}}
- name: SLO_SCOUT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "slo-scout.databaseSecretName" .ctx }}
      key: {{ include "slo-scout.databaseSecretKey" .ctx }}
- name: SLO_SCOUT_DATA_DIR
  value: /var/lib/slo-scout
- name: SLO_SCOUT_LOG_LEVEL
  value: {{ .logLevel | quote }}
- name: SLO_SCOUT_STATS_RETENTION_DAYS
  value: {{ $cp.statsRetentionDays | quote }}
- name: SLO_SCOUT_MAX_INGEST_BYTES
  value: {{ $cp.maxIngestBytes | int64 | quote }}
{{- with $cp.auth.oidcIssuer }}
- name: SLO_SCOUT_AUTH__OIDC_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $cp.auth.oidcAudience }}
- name: SLO_SCOUT_AUTH__OIDC_AUDIENCE
  value: {{ . | quote }}
{{- end }}
{{- with $cp.auth.oidcJwksUrl }}
- name: SLO_SCOUT_AUTH__OIDC_JWKS_URL
  value: {{ . | quote }}
{{- end }}
- name: SLO_SCOUT_AUTH__OIDC_ROLES_CLAIM
  value: {{ $cp.auth.oidcRolesClaim | quote }}
- name: SLO_SCOUT_AUTH__ALLOW_SELF_APPROVAL
  value: {{ $cp.auth.allowSelfApproval | quote }}
{{- with $v.secrets.bootstrapAdmin.existingSecret }}
- name: SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $v.secrets.bootstrapAdmin.key }}
{{- end }}
- name: SLO_SCOUT_JOBS__LEASE_SECONDS
  value: {{ $cp.jobs.leaseSeconds | quote }}
- name: SLO_SCOUT_JOBS__MAX_ATTEMPTS
  value: {{ $cp.jobs.maxAttempts | quote }}
- name: SLO_SCOUT_JOBS__POLL_SECONDS
  value: {{ $cp.jobs.pollSeconds | quote }}
{{- with $cp.history.prometheusUrl }}
- name: SLO_SCOUT_HISTORY__PROMETHEUS_URL
  value: {{ . | quote }}
- name: SLO_SCOUT_HISTORY__TIMEOUT_SECONDS
  value: {{ $cp.history.timeoutSeconds | quote }}
- name: SLO_SCOUT_HISTORY__STEP_SECONDS
  value: {{ $cp.history.stepSeconds | quote }}
{{- end }}
{{- with $v.secrets.history.existingSecret }}
- name: SLO_SCOUT_HISTORY__BEARER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $v.secrets.history.key }}
{{- end }}
{{- if or $v.milvus.enabled $v.milvus.external.uri }}
{{- /* the Milvus the embedding job writes: similar journeys read it (docs/similar.md) */}}
- name: SLO_SCOUT_VECTORS__URI
  value: {{ include "slo-scout.milvusUri" .ctx | quote }}
- name: SLO_SCOUT_VECTORS__COLLECTION
  value: {{ $v.milvus.collection | quote }}
{{- end }}
{{- end -}}

{{/* LLM keys and git tokens: whole Secrets whose keys are the variable names. */}}
{{- define "slo-scout.controlPlaneEnvFrom" -}}
{{- $s := .Values.secrets -}}
{{- if or $s.llm.existingSecret $s.git.existingSecret }}
envFrom:
{{- with $s.llm.existingSecret }}
  - secretRef:
      name: {{ . }}
{{- end }}
{{- with $s.git.existingSecret }}
  - secretRef:
      name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
