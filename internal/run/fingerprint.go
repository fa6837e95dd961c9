package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/unitfile"
)

// What counts as a change of a unit, for both executors: its compiled unit
// (Unit.Hash, comments aside) and what it reads when it starts (Inputs):
//   - files named by EnvironmentFile= (the unit's own and podman's
//     --env-file),
//   - bind-mounted host files and folders (-v /host:..., --mount
//     type=bind,source=/host),
//   - a build's Containerfile and context folder,
//   - the podman secrets it uses (their ID and update time: a secret made
//     again, or replaced, is a change).
// Drop-ins are merged into the quadlet file before compiling, so they are
// part of the compiled unit and of its keys.

// unitHash hashes a compiled unit's text without its comments and blank
// lines: a comment edited in a quadlet file changes nothing that runs.
func unitHash(text string) string {
	h := sha256.New()
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		io.WriteString(h, t)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// sourceKeys digests each key of a quadlet file (drop-ins merged), so that
// a plan names the keys that changed. Keys of the file's own group are
// named "Key=", others "[Section] Key=".
func sourceKeys(f *unitfile.File, group string) map[string]string {
	if f == nil {
		return nil
	}
	vals := map[string][]string{}
	for _, sec := range f.SectionNames() {
		for _, l := range f.Entries(sec) {
			name := l.Key + "="
			if sec != group {
				name = "[" + sec + "] " + name
			}
			vals[name] = append(vals[name], l.Value)
		}
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		sum := sha256.Sum256([]byte(strings.Join(v, "\x00")))
		out[k] = hex.EncodeToString(sum[:6])
	}
	return out
}

// InputRefs are the host paths and secrets a unit reads at start.
type InputRefs struct {
	Files   []string // absolute paths of files or folders
	Secrets []string // podman secret names
}

// Refs finds what the unit reads at start, from its compiled Exec lines.
func (u *Unit) Refs(stackDir string) InputRefs {
	var r InputRefs
	wd := u.Svc.WorkingDirectory
	if wd == "" {
		wd = stackDir
	}
	abs := func(p string) string {
		p = strings.TrimPrefix(p, "-")
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wd, p)
	}
	for _, f := range u.Svc.EnvFiles {
		r.Files = append(r.Files, abs(f))
	}
	for _, c := range concatCmds(u.Svc.ExecStartPre, u.Svc.ExecStart) {
		if i := podmanVerb(c.Argv, "run"); i >= 0 {
			runRefs(c.Argv[i+1:], abs, &r)
		} else if i := podmanVerb(c.Argv, "build"); i >= 0 {
			buildRefs(c.Argv[i+1:], abs, &r)
		}
	}
	r.Files = uniqSorted(r.Files)
	r.Secrets = uniqSorted(r.Secrets)
	return r
}

// flagValue returns the value of a flag at args[i] ("--x v" or "--x=v")
// and how many words it took.
func flagValue(args []string, i int, names ...string) (string, int, bool) {
	a := args[i]
	for _, n := range names {
		if a == n && i+1 < len(args) {
			return args[i+1], 2, true
		}
		if v, ok := strings.CutPrefix(a, n+"="); ok && strings.HasPrefix(n, "--") {
			return v, 1, true
		}
	}
	return "", 1, false
}

// runRefs reads `podman run` options up to the image.
func runRefs(args []string, abs func(string) string, r *InputRefs) {
	for i := 0; i < len(args); {
		if !strings.HasPrefix(args[i], "-") {
			return // the image: the rest is the container's command
		}
		if v, n, ok := flagValue(args, i, "--env-file"); ok {
			r.Files = append(r.Files, abs(v))
			i += n
			continue
		}
		if v, n, ok := flagValue(args, i, "-v", "--volume"); ok {
			if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") {
				r.Files = append(r.Files, abs(src))
			}
			i += n
			continue
		}
		if v, n, ok := flagValue(args, i, "--mount"); ok {
			if src := bindSource(v); src != "" {
				r.Files = append(r.Files, abs(src))
			}
			i += n
			continue
		}
		if v, n, ok := flagValue(args, i, "--secret"); ok {
			name, _, _ := strings.Cut(v, ",")
			r.Secrets = append(r.Secrets, name)
			i += n
			continue
		}
		if a := args[i]; strings.Contains(a, "=") || runBoolFlags[a] {
			i++
		} else {
			i += 2 // a flag and its value
		}
	}
}

// runBoolFlags are the `podman run` flags that take no separate value;
// every other flag written without "=" is followed by its value.
var runBoolFlags = map[string]bool{
	"-d": true, "--detach": true, "--rm": true, "--replace": true, "-i": true, "--interactive": true,
	"-t": true, "--tty": true, "--init": true, "--privileged": true, "--read-only": true,
	"--read-only-tmpfs": true, "--no-healthcheck": true, "--no-hosts": true, "--oom-kill-disable": true,
	"--sig-proxy": true, "--rmi": true, "-P": true, "--publish-all": true, "--http-proxy": true,
	"--env-host": true, "--passwd": true, "-q": true, "--quiet": true, "--tls-verify": true,
}

// bindSource is the host path of a --mount of type bind, else "".
func bindSource(v string) string {
	var typ, src string
	for _, f := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(f, "=")
		switch k {
		case "type":
			typ = val
		case "source", "src":
			src = val
		}
	}
	if typ != "bind" {
		return ""
	}
	return src
}

// buildRefs reads `podman build` options: the Containerfile and the
// context (the last word).
func buildRefs(args []string, abs func(string) string, r *InputRefs) {
	for i := 0; i < len(args); i++ {
		if v, n, ok := flagValue(args, i, "-f", "--file"); ok {
			r.Files = append(r.Files, abs(v))
			i += n - 1
		}
	}
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") && !strings.Contains(args[n-1], "://") {
		r.Files = append(r.Files, abs(args[n-1]))
	}
}

// SecretVersion returns what identifies a podman secret's current value
// (its ID and update time); exists is false when there is no such secret.
type SecretVersion func(ctx context.Context, name string) (version string, exists bool, err error)

// Fingerprint digests what each unit reads at start into Unit.Inputs,
// named by path relative to the stack's folder (absolute outside it) and
// "secret NAME". secrets may be nil: secrets are then not compared.
func (s *Stack) Fingerprint(ctx context.Context, secrets SecretVersion) error {
	cache := map[string]string{}
	for _, u := range s.Units {
		refs := u.Refs(s.Dir)
		in := map[string]string{}
		for _, p := range refs.Files {
			d, ok := cache[p]
			if !ok {
				var err error
				if d, err = digestPath(p); err != nil {
					return fmt.Errorf("%s: %w", u.Source, err)
				}
				cache[p] = d
			}
			in[s.displayPath(p, d)] = d
		}
		if secrets != nil {
			for _, name := range refs.Secrets {
				v, ok, err := secrets(ctx, name)
				if err != nil {
					return fmt.Errorf("%s: secret %s: %w", u.Source, name, err)
				}
				if !ok {
					v = "missing"
				}
				in["secret "+name] = v
			}
		}
		u.Inputs = in
	}
	return nil
}

func (s *Stack) displayPath(p, digest string) string {
	if rel, err := filepath.Rel(s.Dir, p); err == nil && s.Dir != "" && !strings.HasPrefix(rel, "..") {
		p = rel
	}
	if strings.HasPrefix(digest, "dir:") {
		p = strings.TrimSuffix(p, "/") + "/"
	}
	return p
}

// digestPath digests a file, or a folder's tree (names, modes, contents,
// link targets; .git folders aside); a missing path digests as "missing".
func digestPath(p string) (string, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing", nil
	}
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !fi.IsDir() {
		if err := hashFile(h, p); err != nil {
			return "", err
		}
		return "file:" + hex.EncodeToString(h.Sum(nil)[:12]), nil
	}
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, path)
		if d.IsDir() && d.Name() == ".git" && path != p {
			return filepath.SkipDir // a commit is not a change of what a build or a mount serves
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", rel, info.Mode())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t, _ := os.Readlink(path)
			io.WriteString(h, t)
		case d.Type().IsRegular():
			if err := hashFile(h, path); err != nil {
				return err
			}
		}
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return "", err
	}
	return "dir:" + hex.EncodeToString(h.Sum(nil)[:12]), nil
}

func hashFile(h io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func uniqSorted(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if s != "" && (i == 0 || s != in[i-1]) {
			out = append(out, s)
		}
	}
	return out
}
