package run

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Request is one message on the supervisor's control socket (one JSON
// object per line; one request per connection).
type Request struct {
	Op string `json:"op"` // status, reload, quit
}

// Response answers a Request.
type Response struct {
	OK       bool            `json:"ok"`
	Error    string          `json:"error,omitempty"`
	PID      int             `json:"pid,omitempty"`
	Services []ServiceStatus `json:"services,omitempty"`
	// Metrics is the address the supervisor serves /metrics on; "" when it
	// serves none.
	Metrics string `json:"metrics,omitempty"`
}

// Serve answers control requests on path until ctx ends; quit cancels via
// the quit function.
func (s *Supervisor) Serve(ctx context.Context, path string, quit func()) error {
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	_ = os.Chmod(path, 0o600)
	go func() { <-ctx.Done(); l.Close() }()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				_ = os.Remove(path)
				return nil
			}
			return err
		}
		go s.answer(ctx, conn, quit)
	}
}

func (s *Supervisor) answer(ctx context.Context, conn net.Conn, quit func()) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var req Request
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&req); err != nil {
		return
	}
	resp := Response{OK: true, PID: os.Getpid()}
	switch req.Op {
	case "status":
		resp.Services, resp.Metrics = s.Status(), s.MetricsAddr
	case "reload":
		if err := s.Reload(ctx); err != nil {
			resp.OK, resp.Error = false, err.Error()
		}
	case "quit":
		// Before the answer: whoever asked goes on (down stops the
		// containers) only once this supervisor has stopped acting.
		quit()
	default:
		resp.OK, resp.Error = false, fmt.Sprintf("unknown op %q", req.Op)
	}
	_ = json.NewEncoder(conn).Encode(resp)
}

// ErrNoSupervisor means nothing listens on the control socket.
var ErrNoSupervisor = errors.New("no supervisor is running")

// Ask sends one request to a project's supervisor.
func Ask(path string, op string) (*Response, error) {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return nil, ErrNoSupervisor
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(conn).Encode(Request{Op: op}); err != nil {
		return nil, err
	}
	var resp Response
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		return nil, err
	}
	if !resp.OK {
		return &resp, errors.New(resp.Error)
	}
	return &resp, nil
}
