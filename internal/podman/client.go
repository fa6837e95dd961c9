package podman

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/version"
)

// Client runs podman subcommands through a Runner. Version and features are
// detected once per Client, not per call.
type Client struct {
	Runner Runner
	Path   string // podman binary; "" means "podman" from PATH
	// Mask hides credentials in the errors and logs this client returns; the
	// callers that print (the executor, logs, ps, doctor, traces) use the
	// same one. nil masks by name and URL only.
	Mask *Masker
	// VersionCache, when its File is set, answers Version from the cache of
	// the binary's version (see VersionCache) instead of running `podman
	// version` at every berth command: the client version is a property of
	// the binary, so the answer is the same (measured: ~250 of the ~3,200
	// podman processes of the host's e2e tests were that question).
	VersionCache VersionCache

	once     sync.Once
	ver      version.V
	verErr   error
	features Features
}

// Features are what berth needs to know about the installed podman.
type Features struct {
	SdnotifyHealthy bool // run --sdnotify=healthy (podman 4.7)
	CreateIgnore    bool // network/volume create --ignore (podman 4.4)
}

// New returns a client running the real podman.
func New() *Client { return &Client{Runner: ExecRunner{}, Mask: NewMasker()} }

func (c *Client) bin() string {
	if c.Path == "" {
		return "podman"
	}
	return c.Path
}

// Output runs `podman ARGS...` and returns stdout; a non-zero exit is an
// *ExecError with podman's stderr.
func (c *Client) Output(ctx context.Context, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	argv := append([]string{c.bin()}, args...)
	code, err := c.Runner.Run(ctx, Cmd{Argv: argv, Stdout: &out, Stderr: &errb})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.bin(), err)
	}
	if code != 0 {
		return out.Bytes(), &ExecError{Argv: c.Mask.Argv(argv), Code: code, Stderr: c.Mask.Text(errb.String())}
	}
	return out.Bytes(), nil
}

// Version returns the installed podman's version, asking podman (or the
// version cache) once.
func (c *Client) Version(ctx context.Context) (version.V, error) {
	c.once.Do(func() {
		if c.VersionCache.File != "" {
			if v, err := c.CachedBinaryVersion(ctx, c.VersionCache); err == nil && !v.IsZero() {
				c.setVersion(v)
				return
			}
		}
		out, err := c.Output(ctx, "version", "--format", "json")
		if err != nil {
			c.verErr = err
			return
		}
		var v struct {
			Client struct{ Version string }
		}
		if err := json.Unmarshal(out, &v); err != nil {
			c.verErr = fmt.Errorf("podman version: %w", err)
			return
		}
		// "4.3.1", "5.0.0-dev", "4.9.4-rhel": keep the numeric part.
		num, _, _ := strings.Cut(v.Client.Version, "-")
		ver, err := version.Parse(num)
		if err != nil {
			c.verErr = err
			return
		}
		c.setVersion(ver)
	})
	return c.ver, c.verErr
}

func (c *Client) setVersion(v version.V) {
	c.ver = v
	c.features = Features{
		SdnotifyHealthy: v.AtLeast(version.V{Major: 4, Minor: 7}),
		CreateIgnore:    v.AtLeast(version.V{Major: 4, Minor: 4}),
	}
}

// Features returns the detected features (detecting the version if needed).
func (c *Client) Features(ctx context.Context) (Features, error) {
	_, err := c.Version(ctx)
	return c.features, err
}

// State is what berth reads from `podman inspect` of a container.
type State struct {
	ID        string
	Name      string
	Status    string // created, running, exited, ...
	Running   bool
	ExitCode  int
	Pid       int
	ConmonPid int
	Health    string // "", starting, healthy, unhealthy
	Labels    map[string]string
}

// Inspect returns a container's state, or nil when it does not exist.
func (c *Client) Inspect(ctx context.Context, name string) (*State, error) {
	m, err := c.InspectMany(ctx, name)
	if err != nil {
		return nil, err
	}
	return m[name], nil
}

// InspectMany inspects several containers with one podman call (a podman
// process costs tens of milliseconds); missing ones are absent from the map.
func (c *Client) InspectMany(ctx context.Context, names ...string) (map[string]*State, error) {
	out, err := c.Output(ctx, append([]string{"container", "inspect", "--format", "json"}, names...)...)
	if err != nil {
		// With several names podman prints what it found and fails for the rest.
		if ee, ok := err.(*ExecError); !ok || !strings.Contains(ee.Stderr, "no such") {
			return nil, err
		}
	}
	var raw []struct {
		ID    string `json:"Id"`
		Name  string
		State struct {
			Status    string
			Running   bool
			ExitCode  int
			Pid       int
			ConmonPid int
			Health    *struct{ Status string } `json:"Health"`
			Health2   *struct{ Status string } `json:"Healthcheck"`
		}
		Config struct{ Labels map[string]string }
	}
	res := map[string]*State{}
	if len(bytes.TrimSpace(out)) == 0 {
		return res, nil
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("podman container inspect: unexpected output: %v", err)
	}
	for _, r := range raw {
		st := &State{ID: r.ID, Name: r.Name, Status: r.State.Status, Running: r.State.Running, ExitCode: r.State.ExitCode,
			Pid: r.State.Pid, ConmonPid: r.State.ConmonPid, Labels: r.Config.Labels}
		if h := r.State.Health; h != nil {
			st.Health = h.Status
		} else if h := r.State.Health2; h != nil {
			st.Health = h.Status
		}
		res[r.Name] = st
	}
	return res, nil
}

// HealthcheckRun runs a container's health check once. Podman itself applies
// the container's --health-on-failure action when the check turns unhealthy.
func (c *Client) HealthcheckRun(ctx context.Context, name string) (healthy bool, err error) {
	_, err = c.Output(ctx, "healthcheck", "run", name)
	if ee, ok := err.(*ExecError); ok && ee.Code == 1 {
		return false, nil
	}
	return err == nil, err
}

// Exists reports whether a podman object exists; kind is container, network,
// volume, pod or image.
func (c *Client) Exists(ctx context.Context, kind, name string) (bool, error) {
	_, err := c.Output(ctx, kind, "exists", name)
	if ee, ok := err.(*ExecError); ok && ee.Code == 1 {
		return false, nil
	}
	return err == nil, err
}

// PsEntry is one row of `podman ps --format json`.
type PsEntry struct {
	ID       string `json:"Id"`
	Names    []string
	State    string
	Status   string
	ExitCode int
	Labels   map[string]string
}

// Name is the container's first name.
func (e PsEntry) Name() string {
	if len(e.Names) == 0 {
		return ""
	}
	return e.Names[0]
}

// PsByLabel lists all containers (running or not) carrying label=value.
func (c *Client) PsByLabel(ctx context.Context, label, value string) ([]PsEntry, error) {
	out, err := c.Output(ctx, "ps", "-a", "--format", "json", "--filter", "label="+label+"="+value)
	if err != nil {
		return nil, err
	}
	var rows []PsEntry
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("podman ps: %w", err)
	}
	return rows, nil
}

// LogOptions select what Logs prints.
type LogOptions struct {
	Follow bool
	Tail   int // -1 means all
}

// Logs copies a container's log to w (stdout and stderr both).
func (c *Client) Logs(ctx context.Context, name string, o LogOptions, w io.Writer) error {
	args := []string{c.bin(), "logs"}
	if o.Follow {
		args = append(args, "-f")
	}
	if o.Tail >= 0 {
		args = append(args, "--tail", strconv.Itoa(o.Tail))
	}
	args = append(args, name)
	var errb bytes.Buffer
	// Container logs print passwords too. One masking writer per stream:
	// stdout and stderr are copied concurrently, each in whole lines.
	mo, me := c.Mask.Writer(w), c.Mask.Writer(w)
	code, err := c.Runner.Run(ctx, Cmd{Argv: args, Stdout: mo, Stderr: io.MultiWriter(me, &errb)})
	_, _ = mo.Close(), me.Close()
	if err != nil {
		return err
	}
	if code != 0 && ctx.Err() == nil {
		return &ExecError{Argv: c.Mask.Argv(args), Code: code, Stderr: c.Mask.Text(errb.String())}
	}
	return nil
}

// LastExitCode returns the exit code of the container's last "died" event,
// which survives --rm removing the container; ok is false when none is known.
func (c *Client) LastExitCode(ctx context.Context, id string) (code int, ok bool) {
	out, err := c.Output(ctx, "events", "--stream=false", "--since", "10m", "--filter", "container="+id,
		"--filter", "event=died", "--format", "{{.ContainerExitCode}}")
	if err != nil {
		return 0, false
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(lines[len(lines)-1])
	return n, err == nil
}

// Exec runs a command in a running container; with tty the terminal is
// passed through (-it). It returns the command's exit code.
func (c *Client) Exec(ctx context.Context, name string, tty bool, env []string, cmd []string) (int, error) {
	args := []string{c.bin(), "exec"}
	if tty {
		args = append(args, "-it")
	} else {
		args = append(args, "-i")
	}
	for _, e := range env {
		args = append(args, "--env", e)
	}
	args = append(args, name)
	args = append(args, cmd...)
	return c.Runner.Run(ctx, Cmd{Argv: args, Foreground: true})
}

// Remove force-removes containers (ignoring missing ones) with a stop timeout.
func (c *Client) Remove(ctx context.Context, timeout int, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	args := append([]string{"rm", "-f", "-i", "-v", "-t", strconv.Itoa(timeout)}, names...)
	_, err := c.Output(ctx, args...)
	return err
}

// RemoveNetwork removes a network. removed is false, with no error, when
// there was no such network; podman's refusal to remove a network that
// containers still use is an error.
func (c *Client) RemoveNetwork(ctx context.Context, name string) (removed bool, err error) {
	_, err = c.Output(ctx, "network", "rm", name)
	var ee *ExecError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && strings.Contains(ee.Stderr, "network not found"):
		return false, nil
	}
	return false, err
}
