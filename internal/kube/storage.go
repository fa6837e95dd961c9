package kube

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/berth-dev/berth/internal/diag"
)

// claim is one PersistentVolumeClaim: a .volume unit, or a named volume.
type claim struct {
	name string
	size resource.Quantity
	unit string
}

// storage mounts Volume=, Mount=, Tmpfs= and ShmSize=.
func (s *source) storage(w *workload, c *corev1.Container) {
	for _, l := range s.lines("Volume") {
		s.cur = l
		v, err := parseVolume(l.Value)
		if err != nil {
			s.loss("Volume", Dropped, "Volume="+l.Value+": "+err.Error(), "")
			continue
		}
		s.mount(w, c, "Volume", v.Source, v.Target, v.ReadOnly)
	}
	for _, l := range s.lines("Mount") {
		s.cur = l
		m, err := parseMount(l.Value)
		if err != nil {
			s.loss("Mount", Dropped, "Mount="+l.Value+": "+err.Error(), "")
			continue
		}
		switch m.Type {
		case "volume", "bind":
			if m.Type == "bind" && m.Source == "" {
				s.loss("Mount", Dropped, "a bind mount without a source", "")
				continue
			}
			s.mount(w, c, "Mount", m.Source, m.Target, m.ReadOnly)
		case "tmpfs":
			s.tmpfs(w, c, "Mount", m.Target, m.Size)
		default:
			s.loss("Mount", Dropped, "mounts of type "+m.Type+" have no counterpart", "")
		}
	}
	for _, l := range s.lines("Tmpfs") {
		s.cur = l
		dir, opts, _ := strings.Cut(l.Value, ":")
		size := ""
		for _, o := range strings.Split(opts, ",") {
			if v, ok := strings.CutPrefix(o, "size="); ok {
				size = v
			}
		}
		s.tmpfs(w, c, "Tmpfs", dir, size)
	}
	if v, ok := s.last("ShmSize"); ok && v != "" {
		s.tmpfs(w, c, "ShmSize", "/dev/shm", v)
	}
}

func (s *source) tmpfs(w *workload, c *corev1.Container, key, dir, size string) {
	var limit *resource.Quantity
	if size != "" {
		if q, err := memoryQuantity(size); err == nil {
			limit = &q
		} else {
			s.loss(key, Approximated, "size "+size+" not carried over: "+err.Error(), "")
		}
	}
	addEmptyDir(w, c, "tmpfs"+strings.ReplaceAll(dir, "/", "-"), dir, corev1.StorageMediumMemory, limit)
}

func addEmptyDir(w *workload, c *corev1.Container, name, dir string, medium corev1.StorageMedium, limit *resource.Quantity) {
	name = objectName(name)
	addVolume(w, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium, SizeLimit: limit}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: dir})
}

// mount carries one volume or bind mount over: a named volume becomes a
// claim; a bind-mounted file becomes a ConfigMap with its content; a
// bind-mounted folder is reported, not guessed; an anonymous volume is an
// emptyDir.
func (s *source) mount(w *workload, c *corev1.Container, key, src, dst string, ro bool) {
	switch {
	case src == "":
		addEmptyDir(w, c, "anon"+strings.ReplaceAll(dst, "/", "-"), dst, "", nil)
		s.loss(key, Approximated, "an anonymous volume at "+dst+" is an emptyDir: its data goes with the pod", "")
	case strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") || strings.HasPrefix(src, "%"):
		s.bindMount(w, c, key, src, dst, ro)
	default:
		cl := s.claim(src)
		vol := "data-" + cl.name
		addVolume(w, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: cl.name}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: dst, ReadOnly: ro})
		w.claims = append(w.claims, cl.name)
	}
}

// claim returns the claim of a named volume: NAME.volume (its VolumeName=
// and size label) or a plain podman volume name.
func (s *source) claim(src string) *claim {
	name, size, unit := src, s.e.opts.VolumeSize, s.u.Name
	var at diag.Pos // the size label's line
	if u := s.e.units[src]; u != nil && strings.HasSuffix(src, ".volume") {
		if l := lineNaming(u.File, "Volume", "Label", LabelSize); l != nil {
			at = l.Pos()
		}
		unit = u.Name
		name = "systemd-" + unitStem(src)
		if v, ok := lookup(u.File, "Volume", "VolumeName"); ok && v != "" {
			name = v
		}
		kvs, _ := u.File.KeyVals("Volume", "Label")
		for _, kv := range kvs {
			if kv.Key == LabelSize && kv.HasValue {
				size = kv.Value
			}
		}
	}
	cname := objectName(name)
	if cl := s.e.claims[cname]; cl != nil {
		return cl
	}
	q, err := resource.ParseQuantity(size)
	if err != nil {
		s.e.rep.add(Loss{Pos: at, Unit: unit, Key: "Label", Severity: Dropped, Message: "volume size " + size + " is not a quantity (e.g. 10Gi): 1Gi used"})
		q = resource.MustParse("1Gi")
	}
	cl := &claim{name: cname, size: q, unit: unit}
	s.e.claims[cname] = cl
	return cl
}

func (s *source) bindMount(w *workload, c *corev1.Container, key, src, dst string, ro bool) {
	p := s.e.path(s.u, src)
	fi, err := s.e.opts.Stat(p)
	switch {
	case err != nil:
		s.loss(key, Dropped, "bind mount of "+src+": "+unwrap(err), "")
		return
	case fi.IsDir():
		s.loss(key, Dropped, "bind mount of the folder "+src+" is not carried over",
			"put its files in a ConfigMap or the image, or use a claim")
		return
	case !fi.Mode().IsRegular():
		s.loss(key, Dropped, "bind mount of "+src+", which is not a regular file", "")
		return
	}
	data, err := s.e.opts.ReadFile(p)
	if err != nil {
		s.loss(key, Dropped, "cannot read "+src+": "+unwrap(err), "")
		return
	}
	m := s.e.configMap(w.name + "-files")
	k := configKey(filepath.Base(p))
	m.data[k] = string(data)
	vol := "files-" + m.name
	addVolume(w, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: m.name}}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: dst, SubPath: k, ReadOnly: true})
	s.loss(key, Note, "the file "+src+" is in ConfigMap "+m.name+" (read-only; edit it there)", "")
	_ = ro
}

// unwrap drops the path from a *fs.PathError: messages name the path as the
// unit writes it.
func unwrap(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
