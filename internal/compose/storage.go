package compose

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// storage maps volumes, tmpfs, configs and volumes_from.
func (v *svc) storage() {
	for i, m := range v.s.Volumes {
		v.mount("volumes."+strconv.Itoa(i), m)
	}
	for _, t := range v.s.Tmpfs {
		v.tmpfs(t)
	}
	for i, cfg := range v.s.Configs {
		v.config("configs."+strconv.Itoa(i), cfg)
	}
	for _, from := range v.s.VolumesFrom {
		v.volumesFrom(from)
	}
	if v.s.VolumeDriver != "" {
		v.dropped("volume_driver", "podman has no default volume driver per container", "set driver: on the named volumes")
	}
}

func (v *svc) mount(key string, m types.ServiceVolumeConfig) {
	switch m.Type {
	case types.VolumeTypeBind:
		v.bind(key, m)
	case types.VolumeTypeVolume:
		v.namedVolume(key, m)
	case types.VolumeTypeTmpfs:
		spec := m.Target
		if m.Tmpfs != nil {
			spec += tmpfsOptions(m.Tmpfs)
		}
		v.tmpfs(spec)
	case types.VolumeTypeImage:
		src := "type=image,source=" + m.Source + ",target=" + m.Target
		if m.Image != nil && m.Image.SubPath != "" {
			src += ",subpath=" + m.Image.SubPath
		}
		v.u.setWords("Mount", src)
	default:
		v.dropped(key, "volume type "+m.Type+" has no podman equivalent", "")
	}
	if m.Consistency != "" {
		v.note(key+".consistency", "macOS-only setting ignored", "")
	}
}

// bind maps a bind mount; compose-go made the source absolute against the
// project folder.
func (v *svc) bind(key string, m types.ServiceVolumeConfig) {
	var opts []string
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if b := m.Bind; b != nil {
		if b.SELinux != "" {
			opts = append(opts, b.SELinux)
		}
		if b.Propagation != "" {
			opts = append(opts, b.Propagation)
		}
		if b.Recursive != "" && b.Recursive != "enabled" {
			v.dropped(key+".bind.recursive", "podman has no recursive: "+b.Recursive+" bind mode", "")
		}
	}
	if strings.Contains(m.Source, ":") {
		v.u.setWords("Mount", mountCSV("bind", m.Source, m.Target, opts))
	} else {
		v.u.set("Volume", m.Source+":"+m.Target+optSuffix(opts))
	}
	if _, err := os.Stat(m.Source); os.IsNotExist(err) && (m.Bind == nil || bool(m.Bind.CreateHostPath)) {
		v.approx(key, "the bind source "+v.p.rel(m.Source)+" does not exist here: docker creates an empty folder for it, podman refuses to start",
			"make sure it exists where the units run (for a folder: mkdir -p "+m.Source+")")
	}
}

func optSuffix(opts []string) string {
	if len(opts) == 0 {
		return ""
	}
	return ":" + strings.Join(opts, ",")
}

func mountCSV(typ, src, dst string, opts []string) string {
	parts := []string{"type=" + typ, "source=" + src, "destination=" + dst}
	for _, o := range opts {
		switch o {
		case "ro":
			parts = append(parts, "readonly")
		case "z", "Z":
			parts = append(parts, "relabel="+map[string]string{"z": "shared", "Z": "private"}[o])
		default:
			parts = append(parts, "bind-propagation="+o)
		}
	}
	for i, p := range parts {
		if strings.ContainsAny(p, ",\"") {
			parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
	}
	return strings.Join(parts, ",")
}

// namedVolume maps a named or anonymous volume.
func (v *svc) namedVolume(key string, m types.ServiceVolumeConfig) {
	var opts []string
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if m.Volume != nil && m.Volume.NoCopy {
		opts = append(opts, "nocopy")
	}
	if m.Source == "" {
		v.u.set("Volume", m.Target+optSuffix(opts))
		return
	}
	src := m.Source
	external := true
	if vol, ok := v.p.Volumes[m.Source]; ok {
		src, external = resourceName(v.p.Name, m.Source, vol.Name), bool(vol.External)
		if !external {
			src = v.volumeFile(m.Source)
		}
	}
	if m.Volume != nil && m.Volume.Subpath != "" {
		v.u.setWords("Mount", "type=volume,source="+src+",destination="+m.Target+",subpath="+m.Volume.Subpath+optSuffixMount(opts))
		return
	}
	v.u.set("Volume", src+":"+m.Target+optSuffix(opts))
}

func optSuffixMount(opts []string) string {
	out := ""
	for _, o := range opts {
		if o == "ro" {
			o = "readonly"
		}
		out += "," + o
	}
	return out
}

func tmpfsOptions(t *types.ServiceVolumeTmpfs) string {
	var opts []string
	if t.Size > 0 {
		opts = append(opts, "size="+bytesString(int64(t.Size)))
	}
	if t.Mode != 0 {
		opts = append(opts, "mode="+strconv.FormatUint(uint64(t.Mode), 8))
	}
	return optSuffix(opts)
}

func (v *svc) tmpfs(spec string) { v.keyOr("Tmpfs", spec, "--tmpfs") }

// config mounts a file-based config read-only, as compose does.
func (v *svc) config(key string, ref types.ServiceConfigObjConfig) {
	cfg, ok := v.p.Configs[ref.Source]
	if !ok {
		v.fail(key, "config "+ref.Source+" is not declared", "declare it under the top-level configs:")
		return
	}
	target := ref.Target
	if target == "" {
		target = "/" + ref.Source
	}
	switch {
	case cfg.File != "":
		v.u.set("Volume", cfg.File+":"+target+":ro")
	case cfg.Content != "" || cfg.Environment != "":
		v.dropped(key, "config "+ref.Source+" comes from content:/environment:, which a unit file cannot mount",
			"write the content to a file and use file: "+filepath.Join(".", ref.Source))
		return
	default:
		v.dropped(key, "external config "+ref.Source+" is a swarm object podman does not have", "use a file: config")
		return
	}
	if ref.UID != "" || ref.GID != "" || ref.Mode != nil {
		v.approx(key, "the config is bind-mounted with the file's own owner and mode; uid/gid/mode are not applied",
			"set them on the file itself")
	}
}

// volumesFrom passes --volumes-from with the other service's container.
func (v *svc) volumesFrom(from string) {
	name, mode, _ := strings.Cut(from, ":")
	if strings.HasPrefix(name, "container:") {
		name = strings.TrimPrefix(name, "container:")
	} else if _, ok := v.p.Services[name]; ok {
		dep := ContainerName(v.p, name)
		if v.s.NetworkMode != "service:"+name {
			v.u.requires("Requires", v.containerFile(name))
		}
		name = dep
	}
	if mode != "" {
		name += ":" + mode
	}
	v.u.podmanArgs("--volumes-from=" + name)
}

// bytesString writes a byte count as podman reads it.
func bytesString(n int64) string {
	const k = 1024
	switch {
	case n%(k*k*k) == 0:
		return strconv.FormatInt(n/(k*k*k), 10) + "g"
	case n%(k*k) == 0:
		return strconv.FormatInt(n/(k*k), 10) + "m"
	case n%k == 0:
		return strconv.FormatInt(n/k, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}
