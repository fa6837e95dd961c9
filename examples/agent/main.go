// Command agent is the example stacks' application service: a small HTTP API
// standing in for the seeds' Colosseum agent and Botticelli bot server. It
// serves /healthz (healthy once its database answers), /metrics (Prometheus)
// and / (a JSON status), and reaches PostgreSQL at DATABASE_URL. With
// OTEL_EXPORTER_OTLP_ENDPOINT set it sends a span for every request (and
// for each database probe inside it) over OTLP.
//
// It also has a -check URL mode so that the same static binary can be an
// exec-form health command in a FROM scratch image, which has no shell.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	check := flag.String("check", "", "GET this URL and exit 0 if it answers 2xx (health-check mode)")
	addr := flag.String("addr", envOr("LISTEN_ADDR", ":8000"), "listen address")
	flag.Parse()
	if *check != "" {
		os.Exit(runCheck(*check))
	}
	if err := serve(*addr, os.Getenv("DATABASE_URL")); err != nil {
		log.Fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func runCheck(u string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintln(os.Stderr, resp.Status)
		return 1
	}
	return 0
}

type server struct {
	dbAddr   string
	requests *prometheus.CounterVec
	dbUp     prometheus.Gauge
	dbProbe  prometheus.Histogram
}

func newServer(databaseURL string, reg *prometheus.Registry) (*server, error) {
	s := &server{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agent_http_requests_total", Help: "HTTP requests by path and status code.",
		}, []string{"path", "code"}),
		dbUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "agent_database_up", Help: "1 when the database answered the last probe.",
		}),
		dbProbe: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agent_database_probe_seconds", Help: "Time to reach the database.",
		}),
	}
	reg.MustRegister(s.requests, s.dbUp, s.dbProbe)
	if databaseURL != "" {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		port := u.Port()
		if port == "" {
			port = "5432"
		}
		s.dbAddr = net.JoinHostPort(u.Hostname(), port)
	}
	return s, nil
}

// probeDB checks that the database accepts connections.
func (s *server) probeDB(ctx context.Context) error {
	if s.dbAddr == "" {
		return nil
	}
	_, span := otel.Tracer("agent").Start(ctx, "database probe", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("server.address", s.dbAddr)))
	defer span.End()
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.dbAddr)
	s.dbProbe.Observe(time.Since(start).Seconds())
	if err != nil {
		s.dbUp.Set(0)
		span.SetStatus(codes.Error, err.Error())
		return err
	}
	conn.Close()
	s.dbUp.Set(1)
	return nil
}

func (s *server) handler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.probeDB(ctx); err != nil {
			s.reply(w, r, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "database": err.Error()})
			return
		}
		s.reply(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		host, _ := os.Hostname()
		db := "not configured"
		if s.dbAddr != "" {
			db = "reachable"
			if err := s.probeDB(r.Context()); err != nil {
				db = err.Error()
			}
		}
		s.reply(w, r, http.StatusOK, map[string]string{"service": "agent", "host": host, "database": db})
	})
	return mux
}

func (s *server) reply(w http.ResponseWriter, r *http.Request, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
	s.requests.WithLabelValues(r.URL.Path, fmt.Sprint(code)).Inc()
}

func serve(addr, databaseURL string) error {
	reg := prometheus.NewRegistry()
	s, err := newServer(databaseURL, reg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	tr, flush, err := setupTracing(ctx)
	if err != nil {
		return err
	}
	defer flush()
	srv := &http.Server{Addr: addr, Handler: traced(tr, s.handler(reg)), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("agent listening on %s", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
