// Command kv is a tiny key-value store over HTTP for berth's end-to-end tests
// (volume persistence), packaged FROM scratch as localhost/berth-test/kv.
//
// Server mode (no flags):
//
//	PUT    /k/NAME   store the request body in DATA_DIR/NAME (fsync'd), 204
//	GET    /k/NAME   200 with the stored value, 404 if absent
//	DELETE /k/NAME   remove the key, 204 (also if absent)
//	GET    /k/       200, the stored key names, one per line, sorted
//	GET    /healthz  200 if DATA_DIR is a writable directory, else 503
//
// NAME is 1-128 characters from [A-Za-z0-9._-] and does not start with a dot.
// Environment: PORT (default 8081), DATA_DIR (default /data).
//
// Check mode, for exec-form health commands (the image has no shell):
//
//	/kv -check http://127.0.0.1:8081/healthz
//
// exits 0 if the URL answers 200 within -timeout (default 3s), 1 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const maxValue = 16 << 20

var validName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

func main() {
	// Tolerate the binary's own path as first argument ("/kv -check ..."),
	// since the image's entrypoint already is /kv.
	if len(os.Args) > 1 && os.Args[1] == "/kv" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	check := flag.String("check", "", "GET `URL` once; exit 0 on 200, 1 otherwise")
	timeout := flag.Duration("timeout", 3*time.Second, "timeout for -check")
	flag.Parse()
	if *check != "" {
		os.Exit(runCheck(*check, *timeout))
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "kv: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := serve(); err != nil {
		log.Fatalf("kv: %v", err)
	}
}

func runCheck(url string, timeout time.Duration) int {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kv -check: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "kv -check: %s: %s\n", url, resp.Status)
		return 1
	}
	return 0
}

type store struct {
	dir string
	mu  sync.Mutex // serialises writers; readers see whole files thanks to rename
}

func serve() error {
	port := envOr("PORT", "8081")
	s := &store{dir: envOr("DATA_DIR", "/data")}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/k/", s.handleKey)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.writable(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return listenUntilSignal(srv, fmt.Sprintf("kv: listening on :%s, data in %s", port, s.dir))
}

func (s *store) handleKey(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/k/")
	if name == "" {
		if r.Method != http.MethodGet {
			http.Error(w, "use GET /k/ to list keys", http.StatusMethodNotAllowed)
			return
		}
		s.list(w)
		return
	}
	if !validName.MatchString(name) {
		http.Error(w, "bad key name (want [A-Za-z0-9._-], not starting with a dot)", http.StatusBadRequest)
		return
	}
	path := filepath.Join(s.dir, name)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(b)
	case http.MethodPut, http.MethodPost:
		b, err := io.ReadAll(io.LimitReader(r.Body, maxValue+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if len(b) > maxValue {
			http.Error(w, "value too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := s.put(name, b); err != nil {
			log.Printf("kv: put %s: %v", name, err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.mu.Lock()
		err := os.Remove(path)
		if err == nil {
			err = syncDir(s.dir)
		}
		s.mu.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "use GET, PUT or DELETE", http.StatusMethodNotAllowed)
	}
}

// put writes a temporary file, fsyncs it, renames it over the key and fsyncs
// the directory, so a value is either wholly there or not after a crash.
func (s *store) put(name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.CreateTemp(s.dir, ".tmp-"+name+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(value); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return err
	}
	return syncDir(s.dir)
}

func (s *store) list(w http.ResponseWriter) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && validName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(w, n)
	}
}

func (s *store) writable() error {
	f, err := os.CreateTemp(s.dir, ".healthz-")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// listenUntilSignal serves until SIGTERM or SIGINT. As PID 1 in a container
// the process must handle SIGTERM itself, or `podman stop` waits for its
// timeout and then kills it.
func listenUntilSignal(srv *http.Server, banner string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Print(banner)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Print("kv: signal received, shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
