package podman

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/unitfile"
)

// ExecError is a command that exited non-zero. Argv is already masked: it is
// safe to print.
type ExecError struct {
	Argv   []string
	Code   int
	Stderr string
}

func (e *ExecError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", unitfile.JoinArgs(e.Argv), e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

// Masked is what replaces a secret value.
const Masked = "******"

// secretWords mark an environment variable name as secret.
var secretWords = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE", "AUTH"}

// LooksSecret reports whether an environment variable name suggests its
// value must not be printed.
func LooksSecret(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// Mask returns a copy of argv safe to print: values of --env/-e NAME=VALUE
// with a secret-looking NAME, of --secret and --creds, and every occurrence
// of the extra secret strings are replaced by Masked.
func Mask(argv []string, secrets ...string) []string {
	out := make([]string, len(argv))
	copy(out, argv)
	for i := 0; i < len(out); i++ {
		flag, val, inline := strings.Cut(out[i], "=")
		switch flag {
		case "--env", "-e":
			if inline {
				out[i] = flag + "=" + maskEnv(val)
			} else if i+1 < len(out) {
				i++
				out[i] = maskEnv(out[i])
			}
		case "--secret", "--creds":
			if inline {
				out[i] = flag + "=" + Masked
			} else if i+1 < len(out) {
				i++
				out[i] = Masked
			}
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], s, Masked)
		}
	}
	return out
}

func maskEnv(kv string) string {
	name, _, ok := strings.Cut(kv, "=")
	if ok && LooksSecret(name) {
		return name + "=" + Masked
	}
	return kv
}

// MaskText masks the secrets inside a shell script or other free text, as
// quadlet's /bin/sh -c wrappers hold a whole podman command line in one word.
func MaskText(s string, secrets ...string) string {
	words, err := unitfile.Split(s, unitfile.SplitOptions{Unquote: true, Relax: true})
	if err != nil || len(words) == 0 {
		return s
	}
	masked := Mask(words, secrets...)
	for i, w := range words {
		if masked[i] != w {
			s = strings.Replace(s, w, masked[i], 1)
		}
	}
	return s
}
