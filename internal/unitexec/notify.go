package unitexec

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Notification is one sd_notify datagram, parsed.
type Notification struct {
	Ready     bool
	Stopping  bool
	Reloading bool
	MainPID   int
	Status    string
	Errno     int
	Fields    map[string]string
}

// ParseNotify reads "KEY=VALUE\n..." as sd_notify(3) sends it. Unknown keys
// are kept in Fields.
func ParseNotify(msg []byte) (Notification, error) {
	n := Notification{Fields: map[string]string{}}
	for _, line := range strings.Split(string(msg), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return n, fmt.Errorf("notify: malformed line %q", line)
		}
		n.Fields[k] = v
		switch k {
		case "READY":
			n.Ready = v == "1"
		case "STOPPING":
			n.Stopping = v == "1"
		case "RELOADING":
			n.Reloading = v == "1"
		case "STATUS":
			n.Status = v
		case "MAINPID":
			pid, err := strconv.Atoi(v)
			if err != nil || pid <= 0 {
				return n, fmt.Errorf("notify: bad MAINPID %q", v)
			}
			n.MainPID = pid
		case "ERRNO":
			n.Errno, _ = strconv.Atoi(v)
		}
	}
	return n, nil
}

// NotifySocket is a NOTIFY_SOCKET for one service start.
type NotifySocket struct {
	Path string
	conn *net.UnixConn
	C    <-chan Notification
}

// ListenNotify creates a unixgram socket at a fresh path under dir and
// delivers what arrives on C until Close.
func ListenNotify(dir, name string) (*NotifySocket, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "notify-"+name+"-*")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	// conmon runs as this user, but a container's own sd_notify may come
	// from another uid: let everyone send, as systemd's socket does.
	_ = os.Chmod(path, 0o777)
	ch := make(chan Notification, 16)
	s := &NotifySocket{Path: path, conn: conn, C: ch}
	go s.read(ch)
	return s, nil
}

func (s *NotifySocket) read(ch chan<- Notification) {
	defer close(ch)
	buf := make([]byte, 4096)
	for {
		n, _, err := s.conn.ReadFromUnix(buf)
		if err != nil {
			return
		}
		if msg, err := ParseNotify(buf[:n]); err == nil {
			ch <- msg
		}
	}
}

// Close stops listening and removes the socket file.
func (s *NotifySocket) Close() error {
	err := s.conn.Close()
	os.Remove(filepath.Clean(s.Path))
	return err
}
