package kube

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/berth-dev/berth/internal/version"
)

// Object is one manifest.
type Object struct {
	Kind, Name string
	Obj        any // a k8s.io/api type with its TypeMeta set
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func (e *exporter) meta(name string, labels map[string]string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: e.opts.Namespace, Labels: map[string]string{
		"app.kubernetes.io/managed-by": "berth"}}
	if e.opts.Project != "" {
		m.Labels["app.kubernetes.io/part-of"] = objectName(e.opts.Project)
	}
	for k, v := range labels {
		m.Labels[k] = v
	}
	return m
}

// selector is the labels that pick a workload's pods.
func (e *exporter) selector(w *workload) map[string]string {
	sel := map[string]string{"app.kubernetes.io/name": w.name}
	if e.opts.Project != "" {
		sel["app.kubernetes.io/part-of"] = objectName(e.opts.Project)
	}
	return sel
}

// objects returns every manifest in apply order: namespace, config maps,
// secrets, claims, services, workloads; by name within a kind.
func (e *exporter) objects() []Object {
	var out []Object
	if e.opts.Namespace != "" && e.opts.For == ForKubernetes {
		out = append(out, Object{Kind: "Namespace", Name: e.opts.Namespace, Obj: &corev1.Namespace{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: e.opts.Namespace}}})
	}
	for _, name := range sortedKeys(e.configs) {
		out = append(out, Object{Kind: "ConfigMap", Name: name, Obj: &corev1.ConfigMap{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: e.meta(name, nil),
			Data: e.configs[name].data}})
	}
	out = append(out, e.secretObjects()...)
	templated := e.templatedClaims()
	for _, name := range sortedKeys(e.claims) {
		if templated[name] {
			continue
		}
		out = append(out, Object{Kind: "PersistentVolumeClaim", Name: name, Obj: e.pvc(e.meta(name, nil), e.claims[name])})
	}
	if e.opts.For == ForKubernetes {
		out = append(out, e.services()...)
	}
	for _, w := range e.dependencyOrder() {
		out = append(out, e.workload(w))
	}
	return out
}

func (e *exporter) secretObject(name string, data map[string][]byte) Object {
	return Object{Kind: "Secret", Name: name, Obj: &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: e.meta(name, nil),
		Type: corev1.SecretTypeOpaque, Data: data}}
}

func (e *exporter) pvc(meta metav1.ObjectMeta, cl *claim) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}, ObjectMeta: meta,
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: cl.size}},
		}}
}

// templatedClaims are the claims that only StatefulSets use: they become
// volumeClaimTemplates, one claim per replica.
func (e *exporter) templatedClaims() map[string]bool {
	users := map[string][]*workload{}
	for _, w := range e.workloads {
		for _, c := range w.claims {
			users[c] = append(users[c], w)
		}
	}
	out := map[string]bool{}
	for c, ws := range users {
		if len(ws) == 1 && ws[0].kind == kindStatefulSet && e.opts.For == ForKubernetes {
			out[c] = true
		}
	}
	return out
}

// services makes one Service per name a workload was reached by on the
// stack's network, when it has ports: names resolve in the namespace as
// they did on the network.
func (e *exporter) services() []Object {
	var out []Object
	taken := map[string]string{}
	for _, w := range e.workloads {
		if len(w.ports) == 0 {
			continue
		}
		for _, dns := range w.dnsNames {
			name := serviceName(dns)
			if prev, ok := taken[name]; ok {
				if prev != w.name {
					e.nameLoss(w, dns, Dropped, "the name "+dns+" is also "+prev+"'s: no Service for it", "")
				}
				continue
			}
			taken[name] = w.name
			if name != dns {
				e.nameLoss(w, dns, Approximated, "the name "+dns+" is not a valid Service name: its Service is "+name,
					"make the containers that call "+dns+" use "+name)
			}
			out = append(out, e.service(name, w))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (e *exporter) service(name string, w *workload) Object {
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: e.meta(name, nil),
		Spec: corev1.ServiceSpec{Selector: e.selector(w), Type: e.opts.ServiceType}}
	seen := map[string]bool{}
	for _, p := range w.ports {
		pname := strings.ToLower(string(p.Protocol)) + "-" + strconv.Itoa(int(p.Port))
		if seen[pname] {
			continue
		}
		seen[pname] = true
		sp := corev1.ServicePort{Name: pname, Port: p.Port, TargetPort: intstr.FromInt32(p.Port), Protocol: p.Protocol}
		if e.opts.ServiceType == corev1.ServiceTypeNodePort && p.HostPort >= 30000 && p.HostPort <= 32767 {
			sp.NodePort = p.HostPort
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return Object{Kind: "Service", Name: name, Obj: svc}
}

// workload makes the Deployment, StatefulSet or Job.
func (e *exporter) workload(w *workload) Object {
	sel := e.selector(w)
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}, Spec: w.spec}
	for k, v := range w.labels {
		tmpl.Labels[k] = v
	}
	for k, v := range sel {
		tmpl.Labels[k] = v
	}
	if len(w.annotations) > 0 {
		tmpl.Annotations = w.annotations
	}
	meta := e.meta(w.name, sel)
	switch w.kind {
	case kindJob:
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
		if w.restart != "" && w.restart != "no" {
			tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}
		if e.opts.For == ForPodman && !e.opts.Podman.IsZero() && e.opts.Podman.Less(version.V{Major: 5, Minor: 3}) {
			// podman kube play reads Job documents from 5.3 on (its release
			// notes; 4.3.1 says "does not contain any supported kube kind").
			e.loss(w.unit, "Service", "Type", Approximated, "podman "+e.opts.Podman.String()+
				" plays no Job (5.3 does): a Pod that runs once", "")
			tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
			return Object{Kind: "Pod", Name: w.name, Obj: &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: e.meta(w.name, tmpl.Labels), Spec: tmpl.Spec}}
		}
		return Object{Kind: kindJob, Name: w.name, Obj: &batchv1.Job{
			TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: kindJob}, ObjectMeta: meta,
			Spec: batchv1.JobSpec{Template: tmpl}}}
	case kindStatefulSet:
		return e.statefulSet(w, meta, sel, tmpl)
	}
	e.restartNote(w)
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindDeployment}, ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{Replicas: &w.replicas, Selector: &metav1.LabelSelector{MatchLabels: sel}, Template: tmpl}}
	if len(w.claims) > 0 { // a ReadWriteOnce claim cannot be mounted by the old and the new pod at once
		d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	}
	return Object{Kind: kindDeployment, Name: w.name, Obj: d}
}

func (e *exporter) restartNote(w *workload) {
	switch w.restart {
	case "always", "on-failure", "on-abnormal", "on-abort", "on-watchdog", "on-success":
		if w.restart != "always" {
			e.loss(w.unit, "Service", "Restart", Approximated, "Kubernetes restarts a Deployment's containers always, not "+w.restart, "")
		}
	default:
		e.loss(w.unit, "Service", "Restart", Note, "Kubernetes restarts a Deployment's containers always; "+
			e.say("the unit", "the service")+" does not restart",
			e.say("label the container "+LabelKind+"=job", "label the service "+LabelKind+": job")+" if it runs to completion")
	}
}

func (e *exporter) statefulSet(w *workload, meta metav1.ObjectMeta, sel map[string]string, tmpl corev1.PodTemplateSpec) Object {
	e.restartNote(w)
	ss := &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindStatefulSet}, ObjectMeta: meta,
		Spec: appsv1.StatefulSetSpec{Replicas: &w.replicas, Selector: &metav1.LabelSelector{MatchLabels: sel}}}
	if len(w.ports) > 0 && len(w.dnsNames) > 0 {
		ss.Spec.ServiceName = serviceName(w.dnsNames[0])
	}
	templated := e.templatedClaims()
	var vols []corev1.Volume
	for _, v := range tmpl.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && templated[v.PersistentVolumeClaim.ClaimName] {
			cl := e.claims[v.PersistentVolumeClaim.ClaimName]
			pvc := e.pvc(metav1.ObjectMeta{Name: v.Name}, cl)
			pvc.TypeMeta = metav1.TypeMeta{}
			ss.Spec.VolumeClaimTemplates = append(ss.Spec.VolumeClaimTemplates, *pvc)
			continue
		}
		vols = append(vols, v)
	}
	tmpl.Spec.Volumes = vols
	ss.Spec.Template = tmpl
	return Object{Kind: kindStatefulSet, Name: w.name, Obj: ss}
}

// dependencyOrder lists the workloads dependencies first, by name where
// nothing orders them: podman kube play starts each workload (and runs its
// init containers to the end) before it reads the next document, so a
// workload that waits for another must come after it.
func (e *exporter) dependencyOrder() []*workload {
	ws := append([]*workload(nil), e.workloads...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].name < ws[j].name })
	var out []*workload
	done, visiting := map[*workload]bool{}, map[*workload]bool{}
	var visit func(w *workload)
	visit = func(w *workload) {
		if done[w] || visiting[w] { // a cycle: lint and compile report it
			return
		}
		visiting[w] = true
		var deps []*workload
		for _, d := range w.deps {
			if dep := e.byUnit[d.on]; dep != nil && dep != w {
				deps = append(deps, dep)
			}
		}
		sort.Slice(deps, func(i, j int) bool { return deps[i].name < deps[j].name })
		for _, dep := range deps {
			visit(dep)
		}
		visiting[w], done[w] = false, true
		out = append(out, w)
	}
	for _, w := range ws {
		visit(w)
	}
	return out
}
