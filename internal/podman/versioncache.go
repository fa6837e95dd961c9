package podman

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/version"
)

// VersionCache remembers the version of the podman binary, keyed by what
// stat(2) says of it, so that `podman --version` (about 40 ms: podman is a
// large program) runs once per installed podman instead of at every berth
// command and every generator run. Upgrading podman replaces the file, which
// changes its inode, size or modification time, so a stale entry is never
// used.
type VersionCache struct {
	// File holds the entry; "" disables the cache.
	File string
	// ReadOnly uses an entry but never writes one: a systemd generator must
	// not write outside its output folders (and /var may not be mounted yet).
	ReadOnly bool
}

// cacheEntry is the cache file's content.
type cacheEntry struct {
	Binary  string `json:"binary"` // resolved path of the podman binary
	Dev     uint64 `json:"dev"`
	Inode   uint64 `json:"inode"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	Version string `json:"version"`
}

// DefaultVersionCacheFile is where berth keeps the entry: under
// /var/cache/berth for root, else under the user's cache folder
// ($XDG_CACHE_HOME, else ~/.cache). lookup reads the environment.
func DefaultVersionCacheFile(euid int, lookup func(string) (string, bool)) string {
	if euid == 0 {
		return "/var/cache/berth/podman-version.json"
	}
	if d, ok := lookup("XDG_CACHE_HOME"); ok && filepath.IsAbs(d) {
		return filepath.Join(d, "berth", "podman-version.json")
	}
	if h, ok := lookup("HOME"); ok && filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "berth", "podman-version.json")
	}
	return ""
}

// CachedBinaryVersion is BinaryVersion, answered from cache when the entry
// there describes the same binary. Without a usable cache it just asks
// podman; a cache that cannot be written is not an error.
func (c *Client) CachedBinaryVersion(ctx context.Context, cache VersionCache) (version.V, error) {
	id, idErr := c.binaryID()
	if idErr == nil && cache.File != "" {
		if v, ok := readCache(cache.File, id); ok {
			return v, nil
		}
	}
	v, err := c.BinaryVersion(ctx)
	if err != nil || idErr != nil || cache.File == "" || cache.ReadOnly {
		return v, err
	}
	id.Version = v.String()
	if data, merr := json.Marshal(id); merr == nil {
		if os.MkdirAll(filepath.Dir(cache.File), 0o755) == nil {
			_ = atomicfile.Write(cache.File, append(data, '\n'), 0o644)
		}
	}
	return v, nil
}

// binaryID stats the podman binary the client runs (found in PATH as exec
// would find it, links followed).
func (c *Client) binaryID() (cacheEntry, error) {
	p, err := exec.LookPath(c.bin())
	if err != nil {
		return cacheEntry{}, err
	}
	if p, err = filepath.Abs(p); err != nil {
		return cacheEntry{}, err
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		return cacheEntry{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return cacheEntry{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return cacheEntry{}, errors.New("no stat data")
	}
	return cacheEntry{
		Binary:  p,
		Dev:     uint64(st.Dev), //nolint:unconvert // int32 on some platforms
		Inode:   st.Ino,
		Size:    fi.Size(),
		MtimeNs: fi.ModTime().UnixNano(),
	}, nil
}

func readCache(file string, id cacheEntry) (version.V, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return version.V{}, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil {
		return version.V{}, false
	}
	v, err := version.Parse(e.Version)
	if err != nil || v.IsZero() {
		return version.V{}, false
	}
	e.Version = ""
	if e != id {
		return version.V{}, false
	}
	return v, true
}
