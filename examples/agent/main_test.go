package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthFollowsDatabase(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := newServer("postgresql://u@"+ln.Addr().String()+"/db", reg)
	if err != nil {
		t.Fatal(err)
	}
	h := s.handler(reg)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if rec := get("/healthz"); rec.Code != http.StatusOK {
		t.Fatalf("healthz with database listening = %d %s", rec.Code, rec.Body)
	}
	ln.Close()
	if rec := get("/healthz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("healthz with database gone = %d", rec.Code)
	}
	body := get("/metrics").Body.String()
	for _, want := range []string{"agent_database_up 0", `agent_http_requests_total{code="503",path="/healthz"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
