package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berth-dev/berth/internal/atomicfile"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// StateDir is where a project's state file, lock, notify sockets and control
// socket live: $XDG_RUNTIME_DIR/berth/<project> for a user, else
// /run/berth/<project>. It is on a tmpfs on purpose: after a reboot no
// container runs and no supervisor either.
func StateDir(project string, user bool, runtimeDir string) string {
	if user && runtimeDir != "" {
		return filepath.Join(runtimeDir, "berth", project)
	}
	return filepath.Join("/run/berth", project)
}

// State is what berth remembers about a project between invocations.
type State struct {
	Project string `json:"project"`
	Dir     string `json:"dir"`
	// ConfigFiles are the compose files of a compose project (ls shows them).
	ConfigFiles []string              `json:"configFiles,omitempty"`
	Units       map[string]*UnitState `json:"units"`
}

// UnitState is one unit's remembered state.
type UnitState struct {
	Service  string `json:"service"`
	Source   string `json:"source"`
	Resource string `json:"resource,omitempty"`
	Hash     string `json:"hash"`
	Text     string `json:"text"` // the compiled unit it was started from
	// Keys and Inputs are the unit's quadlet key digests and the digests of
	// what it read at start (see Unit): the next up compares them.
	Keys    map[string]string `json:"keys,omitempty"`
	Inputs  map[string]string `json:"inputs,omitempty"`
	Wanted  bool              `json:"wanted"` // started by the user and not stopped since
	Active  bool              `json:"active"`
	Failed  string            `json:"failed,omitempty"` // why the last start failed
	MainPID int               `json:"mainPid,omitempty"`
	// StartedAt and StartTook are when `up` last started the unit and how
	// long it took to be ready: the supervisor records each such start once
	// in its start-duration metric, as it records its own restarts.
	StartedAt time.Time     `json:"startedAt,omitempty"`
	StartTook time.Duration `json:"startTook,omitempty"`
}

// Store reads and writes a project's state under its lock.
type Store struct {
	Dir string
}

func (s Store) path() string { return filepath.Join(s.Dir, "state.json") }

// SocketPath is the supervisor's control socket.
func (s Store) SocketPath() string { return filepath.Join(s.Dir, "control.sock") }

// Load reads the state; a missing file is an empty state.
func (s Store) Load() (*State, error) {
	st := &State{Units: map[string]*UnitState{}}
	b, err := os.ReadFile(s.path())
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(), err)
	}
	if st.Units == nil {
		st.Units = map[string]*UnitState{}
	}
	return st, nil
}

// Save writes the state atomically.
func (s Store) Save(st *State) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path(), b, 0o600)
}

// Update loads, changes and saves the state under the project lock.
func (s Store) Update(fn func(*State) error) error {
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.Load()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return s.Save(st)
}

// Lock takes the project's lock: one berth command changes a project at a
// time, and the supervisor takes it before restarting anything, so it never
// races a user's stop or recreate.
func (s Store) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Dir, "lock")
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		// `down` removes the state directory, lock file included, while it
		// holds the lock: a process that waited on the removed file holds
		// a lock nobody else sees, so it takes the lock again on the file
		// the path names now.
		if sameFile(f, path) {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		f.Close()
		if err := os.MkdirAll(s.Dir, 0o700); err != nil {
			return nil, err
		}
	}
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}
