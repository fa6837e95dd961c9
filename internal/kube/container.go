package kube

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// image sets the container's image: Image= itself, or the image a .image or
// .build unit of the stack names.
func (s *source) image(c *corev1.Container) {
	img, _ := s.last("Image")
	switch {
	case strings.HasSuffix(img, ".image"):
		if u := s.e.units[img]; u != nil {
			if tag, ok := lookup(u.File, "Image", "ImageTag"); ok && tag != "" {
				img = tag
			} else {
				img, _ = lookup(u.File, "Image", "Image")
			}
		}
	case strings.HasSuffix(img, ".build"):
		if u := s.e.units[img]; u != nil && s.e.opts.For == ForKubernetes {
			img = buildTag(u, img)
			s.e.rep.command("podman push " + img + " REGISTRY/" + strings.TrimPrefix(img, "localhost/") +
				"   # then set that image in the manifests")
			s.loss("Image", Note, "the image "+img+" is built on this host by "+s.e.describe(u.Name),
				"push it to a registry the cluster pulls from")
		} else if u != nil {
			img = buildTag(u, img)
		}
	}
	c.Image = img
	if strings.HasPrefix(img, "localhost/") && s.e.opts.For == ForKubernetes && !strings.HasSuffix(s.lastRaw("Image"), ".build") {
		s.loss("Image", Note, "the image "+img+" exists only on this host", "push it to a registry the cluster pulls from")
	}
	if v, ok := s.last("Pull"); ok {
		switch v {
		case "always", "newer":
			c.ImagePullPolicy = corev1.PullAlways
		case "missing":
			c.ImagePullPolicy = corev1.PullIfNotPresent
		case "never":
			c.ImagePullPolicy = corev1.PullNever
		}
		if v == "newer" {
			s.loss("Pull", Approximated, "newer is always: the cluster pulls at every start", "")
		}
	}
}

func (s *source) lastRaw(key string) string { v, _ := lookup(s.f, s.group, key); return v }

// command sets command (Entrypoint=) and args (Exec=), and the working
// folder.
func (s *source) command(c *corev1.Container) {
	if v, ok := s.last("Entrypoint"); ok && v != "" {
		var words []string
		if strings.HasPrefix(v, "[") && json.Unmarshal([]byte(v), &words) == nil {
			c.Command = words
		} else {
			c.Command = []string{v}
		}
	}
	if words, ok := s.args("Exec"); ok {
		c.Args = words
	}
	if v, ok := s.last("WorkingDir"); ok && v != "" {
		c.WorkingDir = v
	}
}

// resources sets memory and CPU limits from Memory= and PodmanArgs=.
func (s *source) resources(c *corev1.Container) {
	limits, requests := corev1.ResourceList{}, corev1.ResourceList{}
	if v, ok := s.last("Memory"); ok && v != "" {
		if q, err := memoryQuantity(v); err != nil {
			s.loss("Memory", Dropped, err.Error(), "")
		} else {
			limits[corev1.ResourceMemory] = q
		}
	}
	for _, l := range s.lines("PodmanArgs") { // every line adds flags; each is reported where it is
		s.cur = l
		words, err := unitfile.SplitQuadletArgs(l.Value)
		if !unitfile.WordsUsable(err) {
			s.loss("PodmanArgs", Dropped, "cannot split the value into words: "+err.Error(), "")
			continue
		}
		if rest := podmanResources(words, limits, requests); len(rest) > 0 {
			s.loss("PodmanArgs", Dropped, "podman options without a counterpart: "+strings.Join(rest, " "), "")
		}
	}
	s.cur = nil
	if len(limits) > 0 {
		c.Resources.Limits = limits
	}
	if len(requests) > 0 {
		c.Resources.Requests = requests
	}
}

// security sets the container's security context: user, group,
// capabilities, read-only root, no new privileges, seccomp.
func (s *source) security(w *workload, c *corev1.Container) {
	sc := &corev1.SecurityContext{}
	set := false
	if v, ok := s.last("User"); ok && v != "" {
		user, group, _ := strings.Cut(v, ":")
		if id, ok := numericID(user); ok {
			sc.RunAsUser, set = &id, true
		} else {
			s.loss("User", Dropped, "user "+user+" is a name: Kubernetes takes a numeric UID", s.e.say("write User=UID", "write user: UID"))
		}
		if group != "" {
			s.groupID(sc, "User", group)
			set = true
		}
	}
	if v, ok := s.last("Group"); ok && v != "" {
		s.groupID(sc, "Group", v)
		set = true
	}
	for _, l := range s.lines("GroupAdd") {
		s.cur = l
		for _, g := range strings.Fields(l.Value) {
			if id, ok := numericID(g); ok {
				if w.spec.SecurityContext == nil {
					w.spec.SecurityContext = &corev1.PodSecurityContext{}
				}
				w.spec.SecurityContext.SupplementalGroups = append(w.spec.SecurityContext.SupplementalGroups, id)
			} else {
				s.loss("GroupAdd", Dropped, "group "+g+" is a name: Kubernetes takes numeric GIDs", "")
			}
		}
	}
	if v, ok := s.boolean("ReadOnly"); ok && v {
		sc.ReadOnlyRootFilesystem, set = &v, true
		if tmp, ok := s.boolean("ReadOnlyTmpfs"); !ok || tmp {
			for _, dir := range []string{"/tmp", "/var/tmp", "/run"} {
				addEmptyDir(w, c, "tmpfs"+strings.ReplaceAll(dir, "/", "-"), dir, corev1.StorageMediumMemory, nil)
			}
		}
	}
	if v, ok := s.boolean("NoNewPrivileges"); ok && v {
		f := false
		sc.AllowPrivilegeEscalation, set = &f, true
	}
	if caps := s.capabilities(); caps != nil {
		sc.Capabilities, set = caps, true
	}
	if v, ok := s.last("SeccompProfile"); ok {
		if v == "unconfined" {
			sc.SeccompProfile, set = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}, true
		} else {
			s.loss("SeccompProfile", Dropped, "a seccomp profile file must be installed on each node",
				"use seccompProfile type Localhost with the file in the kubelet's seccomp folder")
		}
	}
	if set {
		c.SecurityContext = sc
	}
}

func (s *source) groupID(sc *corev1.SecurityContext, key, g string) {
	if id, ok := numericID(g); ok {
		sc.RunAsGroup = &id
		return
	}
	s.loss(key, Dropped, "group "+g+" is a name: Kubernetes takes a numeric GID", "")
}

func (s *source) capabilities() *corev1.Capabilities {
	var caps corev1.Capabilities
	for _, key := range []string{"DropCapability", "AddCapability"} {
		for _, l := range s.lines(key) {
			for _, c := range strings.Fields(l.Value) {
				c = strings.TrimPrefix(strings.ToUpper(c), "CAP_")
				if key == "DropCapability" {
					caps.Drop = append(caps.Drop, corev1.Capability(c))
				} else {
					caps.Add = append(caps.Add, corev1.Capability(c))
				}
			}
		}
	}
	if caps.Add == nil && caps.Drop == nil {
		return nil
	}
	return &caps
}

func numericID(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 10 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}

// buildTag is the image a .build unit tags.
func buildTag(u *quadlet.Unit, fallback string) string {
	if tags := u.File.Strv("Build", "ImageTag"); len(tags) > 0 {
		return tags[0]
	}
	return fallback
}

// podmanResources takes --cpus and --memory-reservation out of PodmanArgs=
// words into limits and requests, and returns the words left.
func podmanResources(words []string, limits, requests corev1.ResourceList) []string {
	var rest []string
	for i := 0; i < len(words); i++ {
		flag, val, hasVal := strings.Cut(words[i], "=")
		if !hasVal && i+1 < len(words) && (flag == "--cpus" || flag == "--memory-reservation") {
			i++
			val = words[i]
		}
		switch flag {
		case "--cpus":
			if q, err := resource.ParseQuantity(val); err == nil {
				limits[corev1.ResourceCPU] = q
				continue
			}
		case "--memory-reservation":
			if q, err := memoryQuantity(val); err == nil {
				requests[corev1.ResourceMemory] = q
				continue
			}
		}
		rest = append(rest, words[i])
	}
	return rest
}
