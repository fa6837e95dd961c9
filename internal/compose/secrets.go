package compose

import (
	"strconv"
	"strings"
)

// secrets maps service secrets to podman secrets mounted where compose
// mounts them. The value never goes into a unit: the report lists the
// `podman secret create` command that stores it in podman first.
func (v *svc) secrets() {
	for i, ref := range v.s.Secrets {
		key := "secrets." + strconv.Itoa(i)
		cfg, ok := v.p.Secrets[ref.Source]
		if !ok {
			v.fail(key, "secret "+ref.Source+" is not declared", "declare it under the top-level secrets:")
			continue
		}
		name := v.p.Name + "_" + ref.Source
		switch {
		case bool(cfg.External):
			name = cfg.Name
			if name == "" {
				name = ref.Source
			}
		case cfg.File != "":
			v.setupCommand(name, "podman secret create "+shellQuote(name)+" "+shellQuote(cfg.File))
		case cfg.Environment != "":
			v.setupCommand(name, "podman secret create --env "+shellQuote(name)+" "+shellQuote(cfg.Environment))
		case cfg.Content != "":
			v.setupCommand(name, "podman secret create "+shellQuote(name)+" - # paste the content: value of secret "+ref.Source)
		default:
			v.fail(key, "secret "+ref.Source+" has no file, environment or content source", "give it a file: or environment: source")
			continue
		}
		target := ref.Target
		if target == "" {
			target = ref.Source
		}
		spec := name + ",type=mount,target=" + target
		if ref.UID != "" {
			spec += ",uid=" + ref.UID
		}
		if ref.GID != "" {
			spec += ",gid=" + ref.GID
		}
		if ref.Mode != nil {
			spec += ",mode=" + strconv.FormatInt(int64(*ref.Mode), 8)
		}
		v.u.setWords("Secret", spec)
	}
}

// setupCommand records a setup command once per podman secret.
func (v *svc) setupCommand(secret, cmd string) {
	if v.conv.secrets[secret] {
		return
	}
	v.conv.secrets[secret] = true
	v.rep.Commands = append(v.rep.Commands, cmd)
}

// shellQuote quotes a word for sh when it needs it.
func shellQuote(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
