package compose

import (
	"os"
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
		case cfg.File != "" && !regularFile(cfg.File):
			v.fail(key, "secret "+ref.Source+": its file "+cfg.File+" does not exist or is not a regular file; podman secret create fails when the stack starts",
				"create the file, or fix secrets."+ref.Source+".file")
			continue
		case cfg.File != "":
			v.setupCommand(Secret{Name: name, Key: ref.Source, File: cfg.File},
				"podman secret create "+shellQuote(name)+" "+shellQuote(cfg.File))
		case cfg.Environment != "":
			v.setupCommand(Secret{Name: name, Key: ref.Source, Env: cfg.Environment},
				"podman secret create --env "+shellQuote(name)+" "+shellQuote(cfg.Environment))
		case cfg.Content != "":
			v.setupCommand(Secret{Name: name, Key: ref.Source, Content: true},
				"podman secret create "+shellQuote(name)+" - # paste the content: value of secret "+ref.Source)
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

// setupCommand records a podman secret to create, and the command that
// creates it, once per secret.
func (v *svc) setupCommand(sec Secret, cmd string) {
	if v.conv.secrets[sec.Name] {
		return
	}
	v.conv.secrets[sec.Name] = true
	sec.Pos = v.p.pos.find("secrets." + sec.Key)
	if sec.Service != "" {
		sec.Pos = v.p.pos.find("services." + sec.Service + ".environment." + sec.Key)
	}
	v.rep.Secrets = append(v.rep.Secrets, sec)
	v.rep.Commands = append(v.rep.Commands, cmd)
}

// shellQuote quotes a word for sh when it needs it.
func shellQuote(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func regularFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// envSecret keeps a secret-looking environment value out of the unit: the
// container gets it from a podman secret of its own (type=env), which berth
// up creates from the loaded value, and convert lists the command for.
func (v *svc) envSecret(k string) {
	name := v.p.Name + "_" + v.name + "_" + strings.ToLower(k)
	v.setupCommand(Secret{Name: name, Key: k, Service: v.name},
		"podman secret create --env "+shellQuote(name)+" "+shellQuote(k)+" # with "+k+" exported, e.g. from .env")
	v.u.setWords("Secret", name+",type=env,target="+k)
	v.note("environment."+k, "the value is not written into "+v.u.name+": it becomes podman secret "+name+
		" (Secret="+name+",type=env,target="+k+")", "berth up creates the secret; pass --keep-env-values to write the value instead")
}
