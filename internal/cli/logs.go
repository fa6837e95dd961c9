package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/systemd"
)

// logsOptions are the flags of `berth logs`.
type logsOptions struct {
	follow bool
	// noColor and noPrefix are docker compose's --no-color and
	// --no-log-prefix.
	noColor, noPrefix bool
	tail              int
	// whole lists services whose whole log is shown whatever tail says: a
	// foreground up shows what the containers it started printed, even
	// those that ended before the stream began.
	whole map[string]bool
}

func (a *app) newLogsCmd() *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs [-f] [--tail N] [SERVICE...]",
		Short: "Show the containers' logs, interleaved and prefixed with the service name (the journal when installed)",
		RunE:  func(c *cobra.Command, args []string) error { return a.runLogs(o, args) },
	}
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "keep printing new lines")
	cmd.Flags().IntVarP(&o.tail, "tail", "n", -1, "print only the last `N` lines of each")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "do not colour the service prefixes")
	cmd.Flags().BoolVar(&o.noPrefix, "no-log-prefix", false, "print the lines without the service prefix")
	return cmd
}

func (a *app) runLogs(o logsOptions, args []string) error {
	ctx, cancel := a.signalContext(context.Background())
	defer cancel()
	if st, ok, err := a.systemdStack(); err != nil {
		return err
	} else if ok {
		// journalctl merges the units' journals by time itself.
		if _, err := selectUnits(st, args); err != nil {
			return err
		}
		lines := max(o.tail, 0) // -1 (all) is 0 for journalctl
		// Masked by name and URL as everything berth prints (the journal
		// holds podman's and the services' own lines).
		w := (*podman.Masker)(nil).Writer(a.stdout)
		err := st.Logs(ctx, systemd.JournalOptions{Units: args, Follow: o.follow, Lines: lines}, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	}
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	var names []string
	for _, u := range units {
		names = append(names, u.Service)
	}
	if len(names) == 0 {
		for _, u := range p.Stack.Units {
			if u.Kind == run.KindContainer {
				names = append(names, u.Service)
			}
		}
	}
	a.streamLogs(ctx, p, names, o)
	return nil
}

// ANSI colours cycled per service on a terminal.
var colours = []string{"36", "33", "32", "35", "34", "31", "96", "93"}

// streamLogs copies each service's log to stdout, every line prefixed with
// "service | ", until all end (or ctx does, with follow).
func (a *app) streamLogs(ctx context.Context, p *run.Project, services []string, o logsOptions) {
	var mu sync.Mutex
	width := 0
	for _, s := range services {
		width = max(width, len(s))
	}
	colour := false
	if f, ok := a.stdout.(*os.File); ok && isTTY(f) && os.Getenv("NO_COLOR") == "" && !o.noColor {
		colour = true
	}
	var wg sync.WaitGroup
	for i, s := range services {
		u := p.Stack.Unit(s)
		if u == nil || u.Kind != run.KindContainer {
			continue
		}
		prefix := fmt.Sprintf("%-*s | ", width, s)
		if o.noPrefix {
			prefix = ""
		} else if colour {
			prefix = "\x1b[" + colours[i%len(colours)] + "m" + prefix + "\x1b[0m"
		}
		w := &prefixWriter{mu: &mu, out: a.stdout, prefix: prefix}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tail := o.tail
			if o.whole[s] {
				tail = -1
			}
			if err := p.Foreign(ctx, u); err != nil {
				fmt.Fprintf(w, "%v\n", err)
				w.flush()
				return
			}
			_ = p.Podman.Logs(ctx, u.Resource, podman.LogOptions{Follow: o.follow, Tail: tail}, w)
			w.flush()
		}()
	}
	wg.Wait()
}

// prefixWriter writes whole lines with a prefix, so that lines of services
// never interleave mid-line.
type prefixWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.mu.Lock()
		_, _ = io.WriteString(w.out, w.prefix+string(w.buf[:i+1]))
		w.mu.Unlock()
		w.buf = w.buf[i+1:]
	}
}

func (w *prefixWriter) flush() {
	if len(w.buf) > 0 {
		_, _ = w.Write([]byte("\n"))
	}
}
