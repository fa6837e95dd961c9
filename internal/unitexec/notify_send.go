package unitexec

import "net"

// sendNotify sends one datagram the way sd_notify(3) does; berth uses it in
// tests and to tell a foreground supervisor's parent it is ready.
func sendNotify(path, msg string) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(msg))
	return err
}
