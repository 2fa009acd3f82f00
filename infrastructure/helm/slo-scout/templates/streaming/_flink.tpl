{{/*
One FlinkDeployment for a PyFlink job: (dict "ctx" $ "component" "journey-job" "job" <values>
"module" "<python module>" "env" <list of EnvVar>). Application mode: the operator starts a
JobManager that runs PythonDriver on the module, and TaskManagers it asks for itself.
*/}}
{{- define "slo-scout.flinkDeployment" -}}
{{- $ctx := .ctx -}}
{{- $s := $ctx.Values.streaming -}}
{{- $job := .job -}}
{{- $c := dict "ctx" $ctx "component" .component -}}
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: {{ include "slo-scout.componentName" $c }}
  labels:
    {{- include "slo-scout.labels" $c | nindent 4 }}
spec:
  image: {{ include "slo-scout.image" (dict "image" $ctx.Values.images.flink "ctx" $ctx) }}
  imagePullPolicy: {{ $ctx.Values.images.flink.pullPolicy }}
  flinkVersion: {{ $s.flinkVersion }}
  serviceAccount: {{ include "slo-scout.componentName" (dict "ctx" $ctx "component" "flink") }}
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: {{ $job.taskManager.taskSlots | quote }}
    execution.checkpointing.interval: {{ printf "%ds" (int $s.checkpoints.intervalSeconds) | quote }}
    execution.checkpointing.mode: {{ $s.checkpoints.mode | quote }}
    execution.checkpointing.dir: {{ printf "%s/%s" (trimSuffix "/" $s.checkpoints.directory) .component | quote }}
    execution.checkpointing.savepoint-dir: {{ printf "%s/%s" (trimSuffix "/" $s.checkpoints.savepointsDirectory) .component | quote }}
    execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
    state.backend.type: {{ $s.stateBackend | quote }}
    {{- if $s.highAvailability.enabled }}
    high-availability.type: kubernetes
    high-availability.storageDir: {{ printf "%s/%s" (trimSuffix "/" $s.highAvailability.storageDirectory) .component | quote }}
    {{- end }}
    # Python operators run in the TaskManager's JVM thread (thread mode): process mode was far
    # slower in the measurements recorded in DESIGN.md.
    python.execution-mode: thread
    python.executable: /opt/slo-scout/bin/python
    python.client.executable: /opt/slo-scout/bin/python
    metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
    metrics.reporter.prom.port: "9249"
    {{- range $key, $value := $s.flinkConfiguration }}
    {{ $key }}: {{ $value | quote }}
    {{- end }}
  podTemplate:
    apiVersion: v1
    kind: Pod
    metadata:
      labels:
        {{- include "slo-scout.labels" $c | nindent 8 }}
        slo-scout.dev/flink: {{ $ctx.Release.Name | quote }}
    spec:
      {{- include "slo-scout.imagePullSecrets" $ctx | nindent 6 }}
      # The official Flink image's user.
      securityContext:
        runAsNonRoot: true
        runAsUser: 9999
        runAsGroup: 9999
        fsGroup: 9999
        seccompProfile: {type: RuntimeDefault}
      containers:
        # The operator merges this into the JobManager and TaskManager containers.
        - name: flink-main-container
          {{- with .env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: metrics
              containerPort: 9249
              protocol: TCP
          {{- include "slo-scout.containerSecurityContext" $ctx | nindent 10 }}
          volumeMounts:
            {{- include "slo-scout.tmpMount" $ctx | nindent 12 }}
            - name: flink-log
              mountPath: /opt/flink/log
      volumes:
        {{- include "slo-scout.tmpVolume" $ctx | nindent 8 }}
        - name: flink-log
          emptyDir: {sizeLimit: 512Mi}
  jobManager:
    replicas: 1
    resource:
      cpu: {{ $job.jobManager.cpu }}
      memory: {{ $job.jobManager.memory | quote }}
  taskManager:
    resource:
      cpu: {{ $job.taskManager.cpu }}
      memory: {{ $job.taskManager.memory | quote }}
  job:
    jarURI: {{ $s.jarURI }}
    entryClass: org.apache.flink.client.python.PythonDriver
    args:
      - -pyclientexec
      - /opt/slo-scout/bin/python
      - -pym
      - {{ .module }}
      {{- range .args }}
      - {{ . | quote }}
      {{- end }}
    parallelism: {{ $job.parallelism }}
    upgradeMode: {{ $job.upgradeMode }}
    state: running
{{- end -}}
