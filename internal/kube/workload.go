package kube

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Workload kinds.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindJob         = "Job"
)

// workload is one Deployment, StatefulSet or Job: a container unit of its
// own, or a .pod unit and the containers in it.
type workload struct {
	name        string
	unit        *quadlet.Unit // the unit that names it
	kind        string
	replicas    int32
	spec        corev1.PodSpec
	labels      map[string]string // the user's labels, on the pod template
	annotations map[string]string
	dnsNames    []string        // the names other containers used for it on the stack's network
	nameAt      map[string]Loss // where each name is set: unit, key and line, for report lines about it
	ports       []port          // every container port, for its Services
	members     []string        // unit names of its containers
	deps        []dependency
	claims      []string // claim names it mounts
	restart     string   // the unit's Restart=
}

// dependency is a unit a workload's container waits for.
type dependency struct {
	from *quadlet.Unit
	on   string   // unit name
	key  string   // the [Unit] key that names it
	pos  diag.Pos // the line that names it
}

func (e *exporter) newWorkload(u *quadlet.Unit, name string) *workload {
	w := &workload{name: objectName(name), unit: u, kind: kindDeployment, replicas: 1,
		labels: map[string]string{}, annotations: map[string]string{}, nameAt: map[string]Loss{}}
	if prev, taken := e.names["workload/"+w.name]; taken {
		base := w.name
		for i := 2; taken; i++ {
			w.name = objectName(base + "-" + strconv.Itoa(i))
			_, taken = e.names["workload/"+w.name]
		}
		e.loss(u, "", "", Approximated, "its name "+base+" is taken by "+e.describe(prev)+": exported as "+w.name, "")
	}
	e.names["workload/"+w.name] = u.Name
	e.workloads = append(e.workloads, w)
	e.byUnit[u.Name] = w
	return w
}

// addName adds a name the workload is reached by, set by key on line l (nil:
// the unit's default name).
func (w *workload) addName(name string, s *source, key string, l *unitfile.Line) {
	w.dnsNames = append(w.dnsNames, name)
	if _, ok := w.nameAt[name]; ok {
		return
	}
	at := Loss{Unit: s.u.Name}
	if l != nil {
		at.Pos, at.Key = l.Pos(), key
	} else {
		at.Pos.File = s.u.Path
	}
	w.nameAt[name] = at
}

// nameLoss reports a loss about one of the workload's names at the line
// that sets it.
func (e *exporter) nameLoss(w *workload, name string, sev Severity, msg, hint string) {
	l, ok := w.nameAt[name]
	if !ok {
		l = Loss{Unit: w.unit.Name, Pos: diag.Pos{File: w.unit.Path}}
	}
	l.Severity, l.Message, l.Hint, l.Item = sev, msg, hint, name
	e.rep.add(l)
}

// addPod makes the workload of a .pod unit; its containers join it.
func (e *exporter) addPod(u *quadlet.Unit) {
	name, ok := lookup(u.File, "Pod", "PodName")
	if !ok || name == "" {
		name = "systemd-" + unitStem(u.Name)
	}
	w := e.newWorkload(u, strings.TrimPrefix(name, "systemd-"))
	s := e.source(u, "Pod")
	w.addName(name, s, "PodName", u.File.LastLine("Pod", "PodName"))
	s.use("PodName")
	for _, l := range s.lines("PublishPort") {
		s.cur = l
		w.ports = append(w.ports, s.publish(l.Value)...)
	}
	s.networking(w, nil)
	s.podLabels(w)
	s.serviceSection(w)
	s.unitDeps(w)
	s.rest("")
}

// addContainer converts a .container unit: into the workload of its pod
// (Pod=), or into a workload of its own.
func (e *exporter) addContainer(u *quadlet.Unit) {
	s := e.source(u, "Container")
	if img, _ := lookup(u.File, "Container", "Image"); img == "" {
		e.loss(u, "Container", "Rootfs", Dropped, "a container without an image (Rootfs=) cannot run on a cluster: not exported",
			"build an image of the root file system")
		return
	}
	name, ok := s.last("ContainerName")
	if !ok || name == "" {
		name = "systemd-" + unitStem(u.Name)
	}
	ctrName := dnsLabel(strings.TrimPrefix(name, "systemd-"), false) // a DNS-1123 label, as container names must be
	var w *workload
	if pod, ok := s.last("Pod"); ok && pod != "" {
		if w = e.byUnit[pod]; w == nil {
			e.loss(u, "Container", "Pod", Dropped, "pod "+pod+" is not in the stack: exported as a workload of its own", "")
		}
	}
	if w == nil {
		w = e.newWorkload(u, strings.TrimPrefix(name, "systemd-"))
	}
	e.byUnit[u.Name] = w
	w.members = append(w.members, u.Name)
	w.addName(name, s, "ContainerName", u.File.LastLine("Container", "ContainerName"))
	c := corev1.Container{Name: ctrName}
	s.image(&c)
	s.command(&c)
	s.env(w, &c)
	s.containerPorts(w, &c)
	s.resources(&c)
	s.security(w, &c)
	s.health(w, &c)
	s.storage(w, &c)
	s.networking(w, &c)
	s.podLabels(w)
	s.serviceSection(w)
	s.unitDeps(w)
	s.rest("Container")
	dedupeMounts(&c)
	w.spec.Containers = append(w.spec.Containers, c)
	s.workloadKind(w)
}

// workloadKind picks Deployment, StatefulSet or Job from the unit's
// Type=oneshot and berth's kube labels.
func (s *source) workloadKind(w *workload) {
	if v, ok := s.f.Lookup("Service", "Type"); ok && strings.TrimSpace(v) == "oneshot" {
		w.kind = kindJob
	}
	if v := w.labels[LabelReplicas]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.e.loss(s.u, s.group, "Label", Dropped, "label "+LabelReplicas+"="+v+" is not a number of replicas", "")
		} else {
			w.replicas = int32(n)
		}
		delete(w.labels, LabelReplicas)
	}
	switch v := strings.ToLower(w.labels[LabelKind]); v {
	case "":
		if w.replicas > 1 && len(w.claims) > 0 {
			w.kind = kindStatefulSet
		}
	case "deployment":
		w.kind = kindDeployment
	case "statefulset":
		w.kind = kindStatefulSet
	case "job":
		w.kind = kindJob
	default:
		s.e.loss(s.u, s.group, "Label", Dropped, "label "+LabelKind+"="+v+" is not deployment, statefulset or job", "")
	}
	delete(w.labels, LabelKind)
}

// dedupeMounts keeps the last mount of each path: an explicit Tmpfs=/run or
// Volume= replaces the tmpfs that ReadOnly= puts there, as in podman.
func dedupeMounts(c *corev1.Container) {
	last := map[string]int{}
	for i, m := range c.VolumeMounts {
		last[m.MountPath] = i
	}
	var out []corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if last[m.MountPath] == i {
			out = append(out, m)
		}
	}
	c.VolumeMounts = out
}
