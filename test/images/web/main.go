// Command web is a tiny HTTP server for berth's end-to-end tests, packaged
// FROM scratch as localhost/berth-test/web.
//
// Server mode (no flags):
//
//	GET  /            200, body: the hostname and a newline
//	GET  /healthz     503 until READY_AFTER seconds after start, then 200
//	                  (503 again after POST /sick, 200 after POST /well)
//	GET  /env/NAME    200 with the value of environment variable NAME, 404 if unset
//	GET  /file/PATH   200 with the contents of /PATH (secrets, mounts), 404 if absent
//	POST /exit?code=N the process exits with code N (default 1) after replying
//
// Environment: PORT (default 8080), READY_AFTER (seconds, default 0),
// MESSAGE (if set, GET / answers "HOSTNAME MESSAGE").
//
// Check mode, for exec-form health commands (the image has no shell):
//
//	/web -check http://127.0.0.1:8080/healthz
//
// exits 0 if the URL answers 200 within -timeout (default 3s), 1 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	// Tolerate the binary's own path as first argument ("/web -check ..."),
	// since the image's entrypoint already is /web.
	if len(os.Args) > 1 && os.Args[1] == "/web" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	check := flag.String("check", "", "GET `URL` once; exit 0 on 200, 1 otherwise")
	timeout := flag.Duration("timeout", 3*time.Second, "timeout for -check")
	flag.Parse()
	if *check != "" {
		os.Exit(runCheck(*check, *timeout))
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "web: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := serve(); err != nil {
		log.Fatalf("web: %v", err)
	}
}

func runCheck(url string, timeout time.Duration) int {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "web -check: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "web -check: %s: %s\n", url, resp.Status)
		return 1
	}
	return 0
}

func serve() error {
	port := envOr("PORT", "8080")
	readyAfter := 0.0
	if v := os.Getenv("READY_AFTER"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("READY_AFTER=%q: want a number of seconds", v)
		}
		readyAfter = f
	}
	start := time.Now()
	readyAt := start.Add(time.Duration(readyAfter * float64(time.Second)))
	host, _ := os.Hostname()
	message := os.Getenv("MESSAGE")
	var sick atomic.Bool

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if message != "" {
			fmt.Fprintf(w, "%s %s\n", host, message)
			return
		}
		fmt.Fprintln(w, host)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case sick.Load():
			http.Error(w, "sick", http.StatusServiceUnavailable)
		case time.Now().Before(readyAt):
			http.Error(w, "starting", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	mux.HandleFunc("/sick", func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		sick.Store(true)
		fmt.Fprintln(w, "sick")
	})
	mux.HandleFunc("/well", func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		sick.Store(false)
		fmt.Fprintln(w, "well")
	})
	mux.HandleFunc("/env/", func(w http.ResponseWriter, r *http.Request) {
		v, ok := os.LookupEnv(strings.TrimPrefix(r.URL.Path, "/env/"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("/file/", func(w http.ResponseWriter, r *http.Request) {
		p := filepath.Clean("/" + strings.TrimPrefix(r.URL.Path, "/file/"))
		b, err := os.ReadFile(p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		code := 1
		if v := r.URL.Query().Get("code"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				http.Error(w, "bad code", http.StatusBadRequest)
				return
			}
			code = n
		}
		fmt.Fprintf(w, "exiting with code %d\n", code)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		go func() {
			time.Sleep(100 * time.Millisecond)
			log.Printf("web: exiting with code %d on request", code)
			os.Exit(code)
		}()
	})

	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return listenUntilSignal(srv, fmt.Sprintf("web: %s listening on :%s (ready after %gs)", host, port, readyAfter))
}

func requirePost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return false
	}
	return true
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
	log.Print("web: signal received, shutting down")
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
