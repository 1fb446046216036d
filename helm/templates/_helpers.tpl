{{- define "jenkins-bridge.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "jenkins-bridge.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "jenkins-bridge.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jenkins-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jenkins-bridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "jenkins-bridge.secretName" -}}
{{- default (include "jenkins-bridge.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "jenkins-bridge.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The container shared by every bridge process; the caller passes (dict "root" $ "args" list "resources" map),
     and optionally "env" (a list of variables set over the ConfigMap's and Secret's). */}}
{{- define "jenkins-bridge.container" -}}
image: {{ include "jenkins-bridge.image" .root | quote }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
args: {{ toJson .args }}
envFrom:
  - configMapRef:
      name: {{ include "jenkins-bridge.fullname" .root }}
  - secretRef:
      name: {{ include "jenkins-bridge.secretName" .root }}
{{- with .env }}
env: {{ toYaml . | nindent 2 }}
{{- end }}
securityContext: {{ toYaml .root.Values.securityContext | nindent 2 }}
resources: {{ toYaml .resources | nindent 2 }}
volumeMounts: {{- include "jenkins-bridge.volumeMounts" .root | nindent 2 }}
{{- end -}}

{{/* Mounts of every bridge container: data, /tmp (the root filesystem is read-only), and the Secrets
     holding files (static kubeconfigs, TLS), read-only. */}}
{{- define "jenkins-bridge.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- if include "jenkins-bridge.staticClusters" . }}
- name: kubeconfigs
  mountPath: /etc/jenkins-bridge/kubeconfigs
  readOnly: true
{{- end }}
{{- if .Values.tls.existingSecret }}
- name: tls
  mountPath: /etc/jenkins-bridge/tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Non-empty when the static cluster source is on. */}}
{{- define "jenkins-bridge.staticClusters" -}}
{{- if has "static" .Values.clusters.sources }}true{{ end -}}
{{- end -}}

{{/* The metrics container port, when on. */}}
{{- define "jenkins-bridge.metricsPort" -}}
{{- if .Values.metrics.enabled }}
- name: metrics
  containerPort: {{ .Values.metrics.port }}
{{- end }}
{{- end -}}

{{/* The pod fields every bridge pod shares (ServiceAccount, security context, scheduling, volumes). */}}
{{- define "jenkins-bridge.podSpecCommon" -}}
{{- include "jenkins-bridge.podSpec" (dict "root" . "kubeApi" (include "jenkins-bridge.needsKubeApi" .)) }}
{{- end -}}

{{/* The same, given (dict "root" $ "kubeApi" "true" or ""): whether the pod gets a ServiceAccount token. */}}
{{- define "jenkins-bridge.podSpec" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "jenkins-bridge.serviceAccountName" $root }}
automountServiceAccountToken: {{ .kubeApi | empty | not }}
securityContext: {{ toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity: {{ toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: data
    {{- if include "jenkins-bridge.externalDatabase" $root }}
    emptyDir: {}
    {{- else }}
    persistentVolumeClaim:
      claimName: {{ include "jenkins-bridge.fullname" $root }}-data
    {{- end }}
  - name: tmp
    emptyDir: {}
  {{- if include "jenkins-bridge.staticClusters" $root }}
  - name: kubeconfigs
    secret:
      secretName: {{ $root.Values.clusters.static.existingSecret }}
      defaultMode: 0400
  {{- end }}
  {{- if $root.Values.tls.existingSecret }}
  - name: tls
    secret:
      secretName: {{ $root.Values.tls.existingSecret }}
      defaultMode: 0400
  {{- end }}
{{- end -}}

{{/* Non-empty when the state lives in an external PostgreSQL (API and worker then run apart). */}}
{{- define "jenkins-bridge.externalDatabase" -}}
{{- if or .Values.database.url .Values.database.external -}}true{{- end -}}
{{- end -}}

{{/* The Secret holding the database owner's URL (key BRIDGE_DATABASE_URL); read by init containers only. */}}
{{- define "jenkins-bridge.ownerSecretName" -}}
{{- default (printf "%s-db-owner" (include "jenkins-bridge.fullname" .)) .Values.database.owner.existingSecret -}}
{{- end -}}

{{/* Init containers that migrate as the owner and grant the runtime role (PostgreSQL with runtimeRole). */}}
{{- define "jenkins-bridge.ownerInit" -}}
{{- if and .Values.database.runtimeRole (include "jenkins-bridge.externalDatabase" .) }}
{{- if not (or .Values.database.owner.url .Values.database.owner.existingSecret) }}
{{- fail "database.runtimeRole needs the owner's URL: set database.owner.url or database.owner.existingSecret" }}
{{- end }}
{{- range $step := list (list "migrate" (list "db" "migrate")) (list "grant" (list "db" "grant-runtime-role" $.Values.database.runtimeRole)) }}
- name: db-{{ index $step 0 }}
  image: {{ include "jenkins-bridge.image" $ | quote }}
  imagePullPolicy: {{ $.Values.image.pullPolicy }}
  args: {{ toJson (index $step 1) }}
  envFrom:
    - configMapRef:
        name: {{ include "jenkins-bridge.fullname" $ }}
    - secretRef:
        name: {{ include "jenkins-bridge.secretName" $ }}
  env:
    - name: BRIDGE_DATABASE_URL
      valueFrom:
        secretKeyRef:
          name: {{ include "jenkins-bridge.ownerSecretName" $ }}
          key: BRIDGE_DATABASE_URL
  securityContext: {{ toYaml $.Values.securityContext | nindent 4 }}
  resources: {{ toYaml $.Values.database.migrationJob.resources | nindent 4 }}
  volumeMounts: {{- include "jenkins-bridge.volumeMounts" $ | nindent 4 }}
{{- end }}
{{- end }}
{{- end -}}


{{/* Non-empty when the bridge talks to the host cluster's API (inventory sources or TokenReview); otherwise
     the pods get no ServiceAccount token at all. */}}
{{- define "jenkins-bridge.needsKubeApi" -}}
{{- if or (has "kubesphere" .Values.clusters.sources) (has "argocd" .Values.clusters.sources) .Values.auth.tokenReview }}true{{ end -}}
{{- end -}}

{{/* Non-empty when webhooks are exposed (webhooks.service or webhooks.ingress): `jenkins-bridge receive` then
     runs, and the webhooks Service points at it. */}}
{{- define "jenkins-bridge.receiver" -}}
{{- if or .Values.webhooks.service.enabled .Values.webhooks.ingress.enabled }}true{{ end -}}
{{- end -}}

{{/* The receiver's container (`receive`): the same image, settings, Secrets, mounts and security context as
     serve's, plain HTTP on its own port. It refuses a TLS certificate (TLS ends at the Ingress or load
     balancer), so it gets the TLS settings emptied: with tls.existingSecret, serve alone speaks HTTPS. */}}
{{- define "jenkins-bridge.receiveContainer" -}}
{{- $r := .Values.webhooks.receiver }}
{{- $embedded := not (include "jenkins-bridge.externalDatabase" .) }}
{{- if $embedded }}
{{- if or (eq (int $r.port) (int .Values.serve.port)) (and .Values.metrics.enabled (eq (int $r.port) (int .Values.metrics.port))) }}
{{- fail "webhooks.receiver.port must differ from serve.port and metrics.port: they share the serve pod" }}
{{- end }}
{{- end }}
{{- $args := list "receive" "--host" "0.0.0.0" "--port" (toString $r.port) }}
{{- $env := list }}
{{- range list "BRIDGE_API_TLS_CERT" "BRIDGE_API_TLS_KEY" "BRIDGE_API_TLS_CLIENT_CA" }}
{{- $env = append $env (dict "name" . "value" "") }}
{{- end -}}
{{- if include "jenkins-bridge.receiverMetrics" . }}
{{- $env = append $env (dict "name" "BRIDGE_METRICS_PORT" "value" (toString $r.metricsPort)) }}
{{- end -}}
- name: receive
  {{- include "jenkins-bridge.container" (dict "root" . "args" $args "resources" $r.resources "env" $env) | nindent 2 }}
  ports:
    - name: webhooks
      containerPort: {{ $r.port }}
    {{- if include "jenkins-bridge.receiverMetrics" . }}
    - name: webhook-metrics
      containerPort: {{ $r.metricsPort }}
    {{- else if not $embedded }}
    {{- with include "jenkins-bridge.metricsPort" . }}{{ . | trim | nindent 4 }}{{ end }}
    {{- end }}
  startupProbe:
    httpGet: {path: /healthz, port: webhooks, scheme: HTTP}
    {{- toYaml $r.startupProbe | nindent 4 }}
  readinessProbe:
    httpGet: {path: /healthz, port: webhooks, scheme: HTTP}
    {{- toYaml $r.readinessProbe | nindent 4 }}
  livenessProbe:
    httpGet: {path: /healthz, port: webhooks, scheme: HTTP}
    {{- toYaml $r.livenessProbe | nindent 4 }}
{{- end -}}

{{/* The component label of the pods that run the receiver: serve's pod (embedded SQLite: the file is on
     that pod's volume) or the receive Deployment's (external database). */}}
{{- define "jenkins-bridge.receiverComponent" -}}
{{- if include "jenkins-bridge.externalDatabase" . }}receive{{ else }}serve{{ end -}}
{{- end -}}


{{/* Non-empty when the receiver is a sidecar of the serve pod (embedded SQLite) and metrics are on: its
     /metrics then listens on webhooks.receiver.metricsPort (named `webhook-metrics`), since serve holds
     metrics.port in that pod. With an external database its own pods use metrics.port like the others. */}}
{{- define "jenkins-bridge.receiverMetrics" -}}
{{- if and .Values.metrics.enabled (include "jenkins-bridge.receiver" .) (not (include "jenkins-bridge.externalDatabase" .)) -}}
{{- $r := .Values.webhooks.receiver -}}
{{- $p := int $r.metricsPort -}}
{{- if or (eq $p (int .Values.serve.port)) (eq $p (int .Values.metrics.port)) (eq $p (int $r.port)) -}}
{{- fail "webhooks.receiver.metricsPort must differ from serve.port, metrics.port and webhooks.receiver.port: they share the serve pod" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}
