// Command client is a tiny HTTP/DNS client for berth's end-to-end tests
// (service discovery by container name across a network), packaged FROM
// scratch as localhost/berth-test/client. Exactly one mode per run:
//
//	client -get URL            print the body of URL; exit 1 unless 200
//	client -put URL VALUE      PUT VALUE to URL, print the status; exit 1 unless 2xx
//	client -wait URL           GET URL until it answers 200 (or -timeout
//	                           passes), then print the body; exit 1 on timeout
//	client -resolve NAME       print NAME's addresses, one a line; exit 1 if none
//	client -sleep              block until SIGTERM/SIGINT, then exit 0 (the
//	                           image's default, so tests can `podman exec` it)
//
// -timeout (default 30s) bounds every mode but -sleep. Flags must come before VALUE.
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	// Tolerate the binary's own path as first argument ("/client -get ..."),
	// since the image's entrypoint already is /client.
	if len(os.Args) > 1 && os.Args[1] == "/client" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	get := flag.String("get", "", "GET `URL` and print the body")
	put := flag.String("put", "", "PUT the VALUE argument to `URL`")
	wait := flag.String("wait", "", "GET `URL` until it answers 200, then print the body")
	resolve := flag.String("resolve", "", "print the addresses of host `NAME`")
	sleep := flag.Bool("sleep", false, "block until SIGTERM or SIGINT")
	timeout := flag.Duration("timeout", 30*time.Second, "overall time limit")
	flag.Parse()

	modes := 0
	for _, set := range []bool{*get != "", *put != "", *wait != "", *resolve != "", *sleep} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		usage("want exactly one of -get, -put, -wait, -resolve, -sleep")
	}
	if *put == "" && flag.NArg() > 0 {
		usage(fmt.Sprintf("unexpected arguments %q", flag.Args()))
	}
	if *put != "" && flag.NArg() != 1 {
		usage("-put wants exactly one VALUE argument after the URL")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	switch {
	case *get != "":
		err = doGet(ctx, *get)
	case *put != "":
		err = doPut(ctx, *put, flag.Arg(0))
	case *wait != "":
		err = doWait(ctx, *wait)
	case *resolve != "":
		err = doResolve(ctx, *resolve)
	case *sleep:
		doSleep()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "client: %s\n", msg)
	flag.Usage()
	os.Exit(2)
}

// fetch does one GET and returns the body if the status is 200.
func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func doGet(ctx context.Context, url string) error {
	body, err := fetch(ctx, url)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(body)
	return err
}

func doPut(ctx context.Context, url, value string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(value))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("PUT %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Println(resp.Status)
	return nil
}

func doWait(ctx context.Context, url string) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		body, err := fetch(attempt, url)
		cancel()
		if err == nil {
			_, err = os.Stdout.Write(body)
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("-wait %s: gave up: %v", url, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func doResolve(ctx context.Context, name string) error {
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}

// doSleep blocks until SIGTERM or SIGINT. As PID 1 in a container the
// process must handle SIGTERM itself, or `podman stop` waits for its
// timeout and then kills it.
func doSleep() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
