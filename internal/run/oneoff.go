package run

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/berth-dev/berth/internal/podman"
)

// LabelOneOff marks a one-off container of `berth run`: it belongs to the
// project and to the service the label names, but is not the service's
// container (up, ps and the supervisor leave it alone; down removes it).
const LabelOneOff = "io.berth.oneoff"

// OneOff describes a `berth run` container.
type OneOff struct {
	Name   string // container name
	Remove bool   // --rm
	Detach bool   // -d: start and return
	TTY    bool   // -t (with -i)
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// RunOneOff runs a one-off container from unit u, compiled with the
// one-off's command, entrypoint and environment: the same podman run line
// as the service's, attached instead of detached, under its own name and
// without replacing the service's container. It returns podman's exit
// code, which is the container's.
func (e *Executor) RunOneOff(ctx context.Context, u *Unit, o OneOff) (int, error) {
	if len(u.Svc.ExecStart) == 0 || podmanVerb(u.Svc.ExecStart[0].Argv, "run") < 0 {
		return 0, errors.New(u.Name + ": not a podman run unit")
	}
	env, err := e.env(u)
	if err != nil {
		return 0, err
	}
	path, argv := u.Svc.ExecStart[0].Resolve(env, e.Host.Shell)
	argv = oneOffArgv(argv, u.Service, o)
	cmd := podman.Cmd{Argv: argv, Path: path, Env: env.List()}
	switch {
	case o.Detach:
		cmd.Stdout, cmd.Stderr = io.Discard, o.Stderr
	case o.TTY:
		cmd.Foreground = true
	default:
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	}
	return e.Runner.Run(ctx, cmd)
}

// oneOffArgv edits a compiled `podman run` line: quadlet's own flags, which
// come before the image, are replaced (the first --name value, --replace,
// --sdnotify and the -d after it, the service label), the rest is kept.
func oneOffArgv(argv []string, service string, o OneOff) []string {
	i := podmanVerb(argv, "run")
	out := append([]string{}, argv[:i+1]...)
	if o.Remove {
		out = append(out, "--rm")
	}
	if o.Detach {
		out = append(out, "-d")
	} else {
		out = append(out, "-i")
		if o.TTY {
			out = append(out, "-t")
		}
	}
	out = append(out, "--label", LabelOneOff+"="+service)
	seen := map[string]bool{}
	once := func(flag string) bool { // the first occurrence only: quadlet's
		if seen[flag] {
			return false
		}
		seen[flag] = true
		return true
	}
	for j := i + 1; j < len(argv); j++ {
		a := argv[j]
		switch {
		case a == "--name" && j+1 < len(argv) && once("--name"):
			out = append(out, "--name", o.Name)
			j++
		case a == "--replace" && once(a):
		case strings.HasPrefix(a, "--sdnotify=") && once("--sdnotify"):
			// quadlet writes -d right after it, before the image; a
			// oneshot unit has neither, and a -d after the image is the
			// command's
			if j+1 < len(argv) && argv[j+1] == "-d" {
				j++
			}
		case a == "--label" && j+1 < len(argv) && strings.HasPrefix(argv[j+1], LabelService+"=") && once("label"):
			j++
		default:
			out = append(out, a)
		}
	}
	return out
}
