package lint

import (
	"regexp"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Mentions: input podman accepts, but which rarely does what was meant.

func mentionRules() []Rule {
	return []Rule{
		{"network-in-pod", diag.Warning, "a container in a pod with its own Network= leaves the pod's network: the pod's ports and localhost do not reach it", checkNetworkInPod},
		{"label-no-value", diag.Warning, "Label=KEY without =VALUE sets the label to the empty string, which readers such as traefik take as unset or false", checkLabelNoValue},
		{"env-name", diag.Warning, "an environment variable whose name is not a shell name cannot be read as $NAME in the container", checkEnvNames},
		{"volume-no-section", diag.Note, "a .volume without [Volume] creates a volume with every default, named systemd-NAME", checkVolumeSection},
		{"ignored-mount-option", diag.Note, "podman drops the macOS-only bind options cached and delegated", checkIgnoredMountOptions},
		{"slash-specifier", diag.Warning, "a / before a specifier that is already an absolute path gives a path starting with //", checkSlashSpecifier},
		{"userns-private", diag.Warning, "UserNS=private works rootless (it is the default there) but rootful podman refuses it without a UID/GID mapping", checkUserNSPrivate},
		{"short-name", diag.Warning, "a short image name resolves through short-name aliases or a prompt: name the registry", checkShortName},
	}
}

func checkNetworkInPod(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"Network"}, ".container") {
		if pod, _ := e.u.File.Lookup("Container", "Pod"); pod != "" {
			out = append(out, find(e.l.Pos(), "set Network= in "+pod+" and drop it here: the pod's containers share its network",
				"Network= on a container in a pod (Pod=%s): the container gets its own network namespace, outside the pod's", short(pod)))
		}
	}
	return out
}

func checkLabelNoValue(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"Label"}) {
		for _, w := range splitWords(e.l.Value) {
			if !strings.Contains(w, "=") {
				out = append(out, find(e.l.Pos(), "write "+w+"=VALUE, e.g. "+w+"=true",
					"Label=%s has no =VALUE: podman sets it to the empty string", short(w)))
			}
		}
	}
	return out
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkEnvNames(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"Environment"}, ".container") {
		for _, w := range splitWords(e.l.Value) {
			name, _, _ := strings.Cut(w, "=")
			if name != "" && !shellName.MatchString(name) {
				out = append(out, find(e.l.Pos(), "use letters, digits and _, not starting with a digit",
					"Environment=%s: %q is not a valid variable name; programs and shells cannot read it", short(w), name))
			}
		}
	}
	return out
}

func splitWords(v string) []string {
	w, _ := unitfile.SplitQuadletArgs(v)
	return w
}

func checkVolumeSection(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		if u.Kind != nil && u.Kind.Ext == ".volume" && u.File.Section("Volume") == nil {
			out = append(out, find(diag.Pos{File: u.Path, Line: 1}, "add a [Volume] section, even an empty one, to say it is meant",
				"%s has no [Volume] section: podman creates the volume with every default", u.Name))
		}
	}
	return out
}

func checkIgnoredMountOptions(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"Volume"}, ".container", ".pod") {
		parts := strings.Split(value(e.l), ":")
		if len(parts) < 3 {
			continue
		}
		for _, o := range strings.Split(parts[len(parts)-1], ",") {
			if o == "cached" || o == "delegated" {
				out = append(out, find(e.l.Pos(), "remove :"+o+"; it means nothing on Linux",
					"Volume=%s: podman drops the option %s (Docker for macOS only)", short(value(e.l)), o))
			}
		}
	}
	return out
}

// absSpecifiers expand to absolute paths (systemd.unit(5)).
var slashSpecifier = regexp.MustCompile(`(^|[\s:=,])/%[hStTCELV]`)

func checkSlashSpecifier(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.groupLines("") {
		if m := slashSpecifier.FindStringIndex(e.l.Value); m != nil {
			spec := strings.TrimLeft(e.l.Value[m[0]:m[1]], " \t:=,")
			out = append(out, find(e.l.Pos(), "write "+spec[1:]+" without the leading /",
				"%s=%s: %s already is an absolute path, so this gives //...", e.l.Key, short(e.l.Value), spec[1:]))
		}
	}
	return out
}

// checkShortName reports what podman's generator warns about, so that lint
// and the generator agree.
func checkShortName(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		if u.Kind == nil {
			continue
		}
		out = append(out, generate.Lint(&quadlet.Unit{Name: u.Name, Path: u.Path, File: u.File})...)
	}
	for i := range out {
		out[i].Code, out[i].Severity = "", unset
	}
	return out
}

// checkUserNSPrivate: podman 4.3.1 measured rootful: "must provide at least
// one UID or GID mapping to configure a user namespace".
func checkUserNSPrivate(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"UserNS"}, ".container", ".pod", ".kube") {
		if !strings.EqualFold(value(e.l), "private") {
			continue
		}
		mapped := false
		for _, k := range []string{"UIDMap", "GIDMap", "SubUIDMap", "SubGIDMap"} {
			_, ok := e.u.File.Lookup(e.u.Group(), k)
			mapped = mapped || ok
		}
		if !mapped {
			out = append(out, find(s.valuePos(e.l), "for a rootful unit add UIDMap=/GIDMap= (or use UserNS=auto); rootless, the line changes nothing",
				"UserNS=private: rootless, the container gets a user namespace as it does anyway (container root is your user); rootful, podman refuses it without a UID or GID mapping"))
		}
	}
	return out
}
