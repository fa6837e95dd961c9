package kube

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/version"
)

// secretRef is one Secret the manifests reference: values berth knows
// (literal secret-looking variables, env files) and podman secrets whose
// values only SecretValue can give.
type secretRef struct {
	name   string
	unit   string
	key    string   // the unit key that references it first
	pos    diag.Pos // and its line
	data   map[string][]byte
	podman map[string]string // key → podman secret name
}

// configMap is one ConfigMap: an env file without secrets, or bind-mounted
// files.
type configMap struct {
	name string
	data map[string]string
}

// secret returns the Secret object name, made on its first reference: the
// unit, key and line that reference it first are where its report lines
// point.
func (e *exporter) secret(name, unit, key string, pos diag.Pos) *secretRef {
	if e.opts.For == ForPodman {
		// podman kube play reads a secretKeyRef's podman secret as a JSON
		// map of keys to values, so it cannot share the name of the plain
		// podman secret that the quadlet units use.
		name += "-kube"
	}
	name = objectName(name)
	if s := e.secrets[name]; s != nil {
		return s
	}
	s := &secretRef{name: name, unit: unit, key: key, pos: pos, data: map[string][]byte{}, podman: map[string]string{}}
	e.secrets[name] = s
	return s
}

func (e *exporter) configMap(name string) *configMap {
	name = objectName(name)
	if m := e.configs[name]; m != nil {
		return m
	}
	m := &configMap{name: name, data: map[string]string{}}
	e.configs[name] = m
	return m
}

// env sets the container's environment: Environment= (secret-looking
// values go to a Secret), EnvironmentFile= (a ConfigMap, or a Secret when a
// name looks secret) and Secret=.
func (s *source) env(w *workload, c *corev1.Container) {
	for _, kv := range s.keyVals("Environment") {
		if !kv.HasValue {
			s.lossFor("Environment", kv.Key, Dropped, kv.Key+" has no value: podman passes the host's, which the cluster cannot", "")
			continue
		}
		if secretLooking(kv.Key) && kv.Value != "" {
			pos := diag.Pos{}
			if l := s.lineNaming("Environment", kv.Key); l != nil {
				pos = l.Pos()
			}
			sec := s.e.secret(w.name+"-env", s.u.Name, "Environment", pos)
			sec.data[kv.Key] = []byte(kv.Value)
			c.Env = append(c.Env, secretEnv(kv.Key, sec.name, kv.Key))
			continue
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: kv.Key, Value: kv.Value})
	}
	for i, l := range s.lines("EnvironmentFile") {
		s.cur = l
		s.envFile(w, c, l.Value, i)
	}
	for _, l := range s.lines("Secret") {
		s.cur = l
		s.podmanSecret(w, c, l.Value)
	}
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}}
}

func (s *source) envFile(w *workload, c *corev1.Container, value string, i int) {
	optional := strings.HasPrefix(value, "-")
	p := s.e.path(s.u, strings.TrimPrefix(value, "-"))
	data, err := s.e.opts.ReadFile(p)
	if err != nil {
		if !optional {
			s.loss("EnvironmentFile", Dropped, "cannot read "+value+": "+unwrap(err), "")
		}
		return
	}
	pairs, err := envFile(data)
	if err != nil {
		s.loss("EnvironmentFile", Dropped, value+": "+err.Error(), "")
		return
	}
	secret := false
	for _, kv := range pairs {
		secret = secret || secretLooking(kv[0])
	}
	name := w.name + "-" + strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	if i > 0 && filepath.Base(p) == "" {
		name += "-" + strconv.Itoa(i)
	}
	ref := corev1.EnvFromSource{}
	if secret {
		sec := s.e.secret(name, s.u.Name, "EnvironmentFile", s.here("EnvironmentFile"))
		for _, kv := range pairs {
			sec.data[kv[0]] = []byte(kv[1])
		}
		ref.SecretRef = &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: sec.name}}
	} else {
		m := s.e.configMap(name)
		for _, kv := range pairs {
			m.data[kv[0]] = kv[1]
		}
		ref.ConfigMapRef = &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: m.name}}
	}
	c.EnvFrom = append(c.EnvFrom, ref)
}

// podmanSecret maps Secret=NAME[,type=env|mount][,target=...] to a Secret
// reference: an environment variable, or a file mounted at the target
// (default /run/secrets/NAME).
func (s *source) podmanSecret(w *workload, c *corev1.Container, value string) {
	fields := strings.Split(value, ",")
	name := strings.TrimSpace(fields[0])
	typ, target := "mount", ""
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "type":
			typ = v
		case "target":
			target = v
		case "mode", "uid", "gid":
			s.loss("Secret", Approximated, "secret "+name+": "+k+"= is not carried over", "set defaultMode or the pod's fsGroup")
		}
	}
	sec := s.e.secret(name, s.u.Name, "Secret", s.here("Secret"))
	key := configKey(name)
	sec.podman[key] = name
	if typ == "env" {
		if target == "" {
			target = name
		}
		c.Env = append(c.Env, secretEnv(target, sec.name, key))
		return
	}
	if target == "" {
		target = name
	}
	if !strings.HasPrefix(target, "/") {
		target = "/run/secrets/" + target
	}
	vol := "secret-" + sec.name
	addVolume(w, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: sec.name, Items: []corev1.KeyToPath{{Key: key, Path: key}}}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: target, SubPath: key, ReadOnly: true})
}

// addVolume adds a pod volume once (containers of one pod share them).
func addVolume(w *workload, v corev1.Volume) {
	for _, have := range w.spec.Volumes {
		if have.Name == v.Name {
			return
		}
	}
	w.spec.Volumes = append(w.spec.Volumes, v)
}

// secretObjects turns the referenced secrets into objects (with
// --include-secret-values) or into report lines and kubectl commands.
func (e *exporter) secretObjects() []Object {
	var out []Object
	for _, name := range sortedKeys(e.secrets) {
		sec := e.secrets[name]
		if e.opts.IncludeSecretValues && e.opts.For == ForPodman && !e.podmanReadsSecretObjects() {
			e.rep.add(Loss{Pos: sec.pos, Unit: sec.unit, Key: sec.key, Severity: Note,
				Message: fmt.Sprintf("secret %s: podman %s cannot read back a Secret object it plays, so its values are not written", sec.name, e.opts.Podman),
				Hint:    "create it as a podman secret (command below)"})
			e.rep.command(createSecretCommand(sec, e.opts.For))
			continue
		}
		if !e.opts.IncludeSecretValues {
			e.rep.add(Loss{Pos: sec.pos, Unit: sec.unit, Key: sec.key, Severity: Note,
				Message: fmt.Sprintf("secret %s is referenced, its values are not written", sec.name),
				Hint:    "create it before applying (command below), or export with --include-secret-values"})
			e.rep.command(createSecretCommand(sec, e.opts.For))
			continue
		}
		data := map[string][]byte{}
		for k, v := range sec.data {
			data[k] = v
		}
		for _, key := range sortedKeys(sec.podman) {
			if e.opts.SecretValue == nil {
				e.rep.add(Loss{Pos: sec.pos, Unit: sec.unit, Key: sec.key, Severity: Dropped, Message: "the value of secret " + sec.podman[key] + " is unknown here"})
				continue
			}
			v, err := e.opts.SecretValue(sec.podman[key])
			if err != nil {
				e.rep.add(Loss{Pos: sec.pos, Unit: sec.unit, Key: sec.key, Severity: Dropped, Message: "secret " + sec.podman[key] + ": " + err.Error()})
				continue
			}
			data[key] = v
		}
		out = append(out, e.secretObject(sec.name, data))
	}
	return out
}

// podmanReadsSecretObjects: podman 4.3 stores a played Secret object as
// YAML but reads secretKeyRef secrets only as JSON (measured: "secret X is
// not valid JSON"); podman 5.8 reads both. Versions in between are treated
// as the older.
func (e *exporter) podmanReadsSecretObjects() bool {
	return e.opts.Podman.IsZero() || !e.opts.Podman.Less(version.V{Major: 5})
}

// createSecretCommand is the command that creates a referenced secret: with
// kubectl, or for podman kube play as the JSON map of keys to base64 values
// that every podman version reads.
func createSecretCommand(sec *secretRef, target Target) string {
	if target == ForPodman {
		var keys, vals []string
		for _, k := range sortedKeys(sec.data) {
			keys = append(keys, fmt.Sprintf("%q:\"%%s\"", k))
			vals = append(vals, "\"$(printf %s VALUE | base64 -w0)\"")
		}
		for _, k := range sortedKeys(sec.podman) {
			keys = append(keys, fmt.Sprintf("%q:\"%%s\"", k))
			vals = append(vals, "\"$(base64 -w0 < FILE)\"")
		}
		return "printf '{" + strings.Join(keys, ",") + "}' " + strings.Join(vals, " ") + " | podman secret create " + sec.name + " -"
	}
	var b strings.Builder
	b.WriteString("kubectl create secret generic " + sec.name)
	for _, k := range sortedKeys(sec.data) {
		b.WriteString(" --from-literal=" + k + "=VALUE")
	}
	for _, k := range sortedKeys(sec.podman) {
		b.WriteString(" --from-file=" + k + "=FILE")
	}
	return b.String()
}
