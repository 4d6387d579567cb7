{{/* Names and labels shared by every template. */}}
{{- define "peregrine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "peregrine.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "peregrine.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "peregrine.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "peregrine.selector" with a component gives the selector subset. */}}
{{- define "peregrine.labels" -}}
app.kubernetes.io/name: {{ include "peregrine.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "peregrine.selector" -}}
app.kubernetes.io/name: {{ include "peregrine.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "peregrine.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Prometheus scrape annotations for a pod whose /metrics is on `port`. */}}
{{- define "peregrine.scrapeAnnotations" -}}
{{- if .root.Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* An HTTP GET probe on /healthz of the named container port. */}}
{{- define "peregrine.probes" -}}
readinessProbe:
  httpGet: {path: /healthz, port: {{ . }}}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
livenessProbe:
  httpGet: {path: /healthz, port: {{ . }}}
  initialDelaySeconds: 30
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{/* Security context of the containers that need no privilege at all. */}}
{{- define "peregrine.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities: {drop: [ALL]}
seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{- define "peregrine.routerHost" -}}
{{ include "peregrine.fullname" . }}-router.{{ .Release.Namespace }}.svc
{{- end -}}

{{/* CURVE keys: the processes refuse a secret key file readable by group or others (mode must be 0600 and the
     owner theirs), which a Secret volume cannot give a non-root user. This init container copies the keys
     from the Secret (group-readable through fsGroup) into a memory-backed emptyDir with mode 0600, owned by
     uid 10001. Arguments: root, secret (the key file), public (the other files). */}}
{{- define "peregrine.curveKeysInit" -}}
- name: curve-keys
  image: {{ include "peregrine.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command:
    - sh
    - -ec
    - install -m 0600 /run/peregrine/curve-secret/{{ .secret }} /etc/peregrine/keys/{{ .secret }}
      {{- range .public }} && install -m 0644 /run/peregrine/curve-secret/{{ . }} /etc/peregrine/keys/{{ . }}{{ end }}
  securityContext:
    {{- include "peregrine.restrictedContainer" .root | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {cpu: 100m, memory: 32Mi}
  volumeMounts:
    - {name: curve-secret, mountPath: /run/peregrine/curve-secret, readOnly: true}
    - {name: curve, mountPath: /etc/peregrine/keys}
{{- end -}}
