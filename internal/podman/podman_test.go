package podman

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestMask(t *testing.T) {
	argv := []string{"podman", "run", "--env", "DB_PASSWORD=hunter2", "-e", "MODE=dev", "--env=API_TOKEN=abc",
		"--secret", "mysecret,type=env", "--creds=u:p", "--label", "x=opaque123", "img"}
	got := Mask(argv, "opaque123")
	want := []string{"podman", "run", "--env", "DB_PASSWORD=******", "-e", "MODE=dev", "--env=API_TOKEN=******",
		"--secret", "******", "--creds=******", "--label", "x=******", "img"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if argv[3] != "DB_PASSWORD=hunter2" {
		t.Error("Mask changed its input")
	}
	if s := MaskText(`podman network exists n || exec podman run --env PASSWORD=pw img`); s != `podman network exists n || exec podman run --env PASSWORD=****** img` {
		t.Errorf("MaskText: %s", s)
	}
}

func TestClientVersionOnceAndErrors(t *testing.T) {
	stub := (&Stub{}).On("podman version", 0, `{"Client":{"Version":"4.3.1"}}`).
		On("podman container inspect", 125, "")
	stub.Replies[1].Stderr = "Error: no such container x"
	c := &Client{Runner: stub}
	for i := 0; i < 3; i++ {
		v, err := c.Version(context.Background())
		if err != nil || v.String() != "4.3.1" {
			t.Fatalf("%v %v", v, err)
		}
	}
	if f, _ := c.Features(context.Background()); f.SdnotifyHealthy || f.CreateIgnore {
		t.Errorf("features of 4.3.1: %+v", f)
	}
	if n := len(stub.Calls); n != 1 {
		t.Errorf("version asked %d times", n)
	}
	st, err := c.Inspect(context.Background(), "x")
	if st != nil || err != nil {
		t.Errorf("missing container: %v %v", st, err)
	}
	stub.On("podman healthcheck run", 1, "unhealthy")
	if ok, err := c.HealthcheckRun(context.Background(), "x"); ok || err != nil {
		t.Errorf("unhealthy: %v %v", ok, err)
	}
	stub.Replies = append([]Reply{{Prefix: []string{"podman", "volume"}, Code: 2, Stderr: "boom"}}, stub.Replies...)
	_, err = c.Output(context.Background(), "volume", "rm", "v")
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Code != 2 || ee.Stderr != "boom" {
		t.Errorf("%#v", err)
	}
}
