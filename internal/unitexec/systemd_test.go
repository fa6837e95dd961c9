package unitexec

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/unitfile"
)

func testHost() *Host {
	return &Host{UserName: "root", UID: 0, GroupName: "root", GID: 0, Home: "/root", Shell: "/bin/sh",
		Hostname: "box.example.com", MachineID: "mid", BootID: "bid", KernelRelease: "6.1", Arch: "x86-64",
		RuntimeDir: "/run", StateDir: "/var/lib", CacheDir: "/var/cache", LogsDir: "/var/log", ConfigDir: "/etc",
		TempDir: "/tmp", VarTmpDir: "/var/tmp", OS: map[string]string{"ID": "debian"}}
}

func TestSpecifiers(t *testing.T) {
	u := ParseUnitName(`web-app@a-b\x2dc.service`)
	u.Fragment = "/etc/q/web.service"
	h := testHost()
	for in, want := range map[string]string{
		"%n": `web-app@a-b\x2dc.service`, "%N": `web-app@a-b\x2dc`, "%p": "web-app", "%P": "web/app",
		"%i": `a-b\x2dc`, "%I": "a/b-c", "%j": "app", "%J": "app", "%f": "/a/b-c", "%t": "/run", "%S": "/var/lib",
		"%C": "/var/cache", "%L": "/var/log", "%E": "/etc", "%h": "/root", "%u": "root", "%U": "0", "%g": "root",
		"%G": "0", "%H": "box.example.com", "%l": "box", "%m": "mid", "%b": "bid", "%v": "6.1", "%T": "/tmp",
		"%V": "/var/tmp", "%%": "%", "100%%": "100%", "%y": "/etc/q/web.service", "%Y": "/etc/q", "%o": "debian",
		"x-%N-y": `x-web-app@a-b\x2dc-y`,
	} {
		got, err := Expand(in, u, h)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Expand("%z", u, h); err == nil {
		t.Error("unknown specifier accepted")
	}
	if got, _ := Expand("%f", ParseUnitName("srv-www.service"), h); got != "/srv/www" {
		t.Errorf("%%f without instance = %q", got)
	}
}

func TestParseExecPrefixes(t *testing.T) {
	for _, tc := range []struct {
		in                   string
		path                 string
		argv                 []string
		ignore, noEnv, viaSh bool
		priv                 string
	}{
		{"/bin/true a", "/bin/true", []string{"/bin/true", "a"}, false, false, false, ""},
		{"-/bin/false", "/bin/false", []string{"/bin/false"}, true, false, false, ""},
		{"@/bin/sleep mysleep 1", "/bin/sleep", []string{"mysleep", "1"}, false, false, false, ""},
		{"-@:/bin/echo e $X", "/bin/echo", []string{"e", "$X"}, true, true, false, ""},
		{"+/bin/id", "/bin/id", []string{"/bin/id"}, false, false, false, "+"},
		{"!!/bin/id", "/bin/id", []string{"/bin/id"}, false, false, false, "!!"},
		{"|echo hi", "echo", []string{"echo", "hi"}, false, false, true, ""},
		{`/bin/sh -c "a b"`, "/bin/sh", []string{"/bin/sh", "-c", "a b"}, false, false, false, ""},
	} {
		c, err := ParseExec(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if c.Path != tc.path || !reflect.DeepEqual(c.Argv, tc.argv) || c.IgnoreFail != tc.ignore ||
			c.NoEnvExpand != tc.noEnv || c.ViaShell != tc.viaSh || c.Privileged != tc.priv {
			t.Errorf("%q: got %+v", tc.in, c)
		}
	}
	if _, err := ParseExec("+!/bin/id"); err == nil {
		t.Error("conflicting privilege prefixes accepted")
	}
}

// TestSubstitution: every case was run under systemd 252 (a oneshot unit
// printing its arguments); want is what systemd passed.
func TestSubstitution(t *testing.T) {
	var env Env
	if err := ParseEnvironment(&env, `ONE=one "TWO='two two' too" THREE= A=x "SP=a  b"`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"$ONE", []string{"one"}},
		{"$TWO", []string{"two two", "too"}}, // split at whitespace, quotes respected and removed
		{"${TWO}", []string{"'two two' too"}},
		{"$SP", []string{"a", "b"}},
		{"${SP}", []string{"a  b"}},
		{"$THREE", nil},            // set but empty: no word
		{"${THREE}", []string{""}}, // always exactly one word
		{"$UNSET", nil},
		{"${UNSET}", []string{""}},
		{"x${UNSET}y", []string{"xy"}},
		{"x$ONE", []string{"x$ONE"}}, // $NAME inside a word is literal
		{"$$ONE", []string{"$ONE"}},
		{"a$$b", []string{"a$b"}},
		{"$$", []string{"$"}},
		{"$", nil},
		{"$1x", nil},
		{"$A.B", nil},
		{"$ONE$ONE", nil}, // a lone word looks up "ONE$ONE"
		{"$ONE${A}", nil},
		{"${A}${A}", []string{"xx"}},
		{"${", []string{"${"}},
		{"${A", []string{"${A"}},
		{"${}", []string{""}},
		{"${1x}", []string{""}},
		{"${BAD-x}", []string{""}},
		{"pre-${A}-post", []string{"pre-x-post"}},
	} {
		got := SubstituteArgs([]string{"/bin/echo", tc.in}, env)[1:]
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
	}
	c, _ := ParseExec(":/bin/echo $ONE")
	if _, argv := c.Resolve(env, ""); argv[1] != "$ONE" {
		t.Errorf(": prefix substituted: %q", argv)
	}
	c, _ = ParseExec("|echo $SP")
	if path, argv := c.Resolve(env, "/bin/bash"); path != "/bin/bash" || argv[2] != "echo a b" {
		t.Errorf("| prefix: %s %q", path, argv)
	}
	c, _ = ParseExec("@/bin/echo $ONE x")
	if path, argv := c.Resolve(env, ""); path != "/bin/echo" || !reflect.DeepEqual(argv, []string{"one", "x"}) {
		t.Errorf("@ with a variable argv[0]: %s %q", path, argv)
	}
}

// TestManagerEnv: a system service sees PATH and the locale only (measured:
// systemd 252 gives a unit without User= no HOME, USER, LOGNAME or SHELL);
// a user manager's services see the user's login variables. Nothing comes
// from the caller's environment.
func TestManagerEnv(t *testing.T) {
	t.Setenv("HOME", "/caller-home")
	t.Setenv("USER", "caller")
	t.Setenv("SECRET_OF_THE_CALLER", "x")
	h := testHost()
	got := ManagerEnv(h).List()
	want := []string{"LANG=C.UTF-8", "PATH=" + DefaultPath}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("system manager: %q, want %q", got, want)
	}
	h.Locale = []string{"LANG=de_DE.UTF-8", "LC_TIME=C"}
	if got := ManagerEnv(h).List(); !reflect.DeepEqual(got, []string{"LANG=de_DE.UTF-8", "LC_TIME=C", "PATH=" + DefaultPath}) {
		t.Errorf("locale: %q", got)
	}
	u := &Host{User: true, UserName: "alice", UID: 1001, Home: "/home/alice", LoginShell: "/bin/bash",
		RuntimeDir: "/run/user/1001", UserBus: true}
	want = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1001/bus", "HOME=/home/alice", "LANG=C.UTF-8",
		"LOGNAME=alice", "PATH=" + DefaultPath, "SHELL=/bin/bash", "USER=alice", "XDG_RUNTIME_DIR=/run/user/1001"}
	if got := ManagerEnv(u).List(); !reflect.DeepEqual(got, want) {
		t.Errorf("user manager: %q\nwant %q", got, want)
	}
}

func TestEnvFile(t *testing.T) {
	var env Env
	env.Set("A", "from-env")
	err := ParseEnvFile(&env, "# c\n; c\nA=file\nexport B='x y'\nC=\"q\\\"s\"\nD=a\\\nb\nbad line\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=file", "B=x y", `C=q"s`, "D=ab"}
	if got := env.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if err := ReadEnvironmentFile(&env, "-/nonexistent/x"); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	if err := ReadEnvironmentFile(&env, "/nonexistent/x"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestRestartPolicy(t *testing.T) {
	results := []Result{ResultSuccess, ExitResult(1), ExitResult(137), ExitResult(134), ResultTimeout, ResultWatchdog}
	table := map[string]string{ // one letter per result above: y restarts
		"no": "nnnnnn", "always": "yyyyyy", "on-success": "ynnnnn", "on-failure": "nyyyyy",
		"on-abnormal": "nnyyyy", "on-abort": "nnyynn", "on-watchdog": "nnnnny",
	}
	for policy, row := range table {
		for i, r := range results {
			got, err := ShouldRestart(policy, r)
			if err != nil || got != (row[i] == 'y') {
				t.Errorf("Restart=%s on %s: %v %v", policy, r, got, err)
			}
		}
	}
	if ExitResult(143) != ResultSuccess || ExitResult(3, 3) != ResultSuccess {
		t.Error("SIGTERM or SuccessExitStatus not clean")
	}
	if _, err := ShouldRestart("sometimes", ResultSuccess); err == nil {
		t.Error("bad policy accepted")
	}
}

func TestStartLimit(t *testing.T) {
	l := StartLimit{Interval: 10 * time.Second, Burst: 3}
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !l.Allow(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("start %d refused", i)
		}
	}
	if l.Allow(t0.Add(3 * time.Second)) {
		t.Error("4th start within 10s allowed")
	}
	if !l.Allow(t0.Add(11 * time.Second)) {
		t.Error("start after the interval refused")
	}
}

func TestParseNotify(t *testing.T) {
	n, err := ParseNotify([]byte("MAINPID=31839\nREADY=1\nSTATUS=up and running\n"))
	if err != nil || !n.Ready || n.MainPID != 31839 || n.Status != "up and running" {
		t.Errorf("%+v %v", n, err)
	}
	n, _ = ParseNotify([]byte("STOPPING=1"))
	if !n.Stopping || n.Ready {
		t.Errorf("%+v", n)
	}
	if _, err := ParseNotify([]byte("MAINPID=x")); err == nil {
		t.Error("bad MAINPID accepted")
	}
}

func TestNotifySocket(t *testing.T) {
	s, err := ListenNotify(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := sendNotify(s.Path, "READY=1\nMAINPID=42"); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-s.C:
		if !n.Ready || n.MainPID != 42 {
			t.Errorf("%+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"90": 90 * time.Second, "5min 20s": 320 * time.Second,
		"1.5s": 1500 * time.Millisecond, "1m30s": 90 * time.Second, "500ms": 500 * time.Millisecond,
		"2h": 2 * time.Hour, "infinity": Infinity, "1min": time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDuration("5 parsecs"); err == nil {
		t.Error("bad unit accepted")
	}
}

func TestLoadService(t *testing.T) {
	src := `[Unit]
Requires=net.service
After=net.service network-online.target
[Service]
Type=notify
Environment=PODMAN_SYSTEMD_UNIT=%n
Environment=SECRET_TOKEN=x
ExecStart=/usr/bin/podman run --name systemd-%N --rm -d img
ExecStop=/usr/bin/podman rm -v -f -i systemd-%N
ExecStopPost=-/usr/bin/podman rm -v -f -i systemd-%N
TimeoutStartSec=30
Restart=always
RestartSec=2
StartLimitBurst=3
`
	f, d := unitfile.Parse("db.service", []byte(src))
	if d.HasErrors() {
		t.Fatal(d)
	}
	s, err := Load(f, "db.service", testHost())
	if err != nil {
		t.Fatal(err)
	}
	if s.ExecStart[0].Argv[3] != "systemd-db" || !s.ExecStopPost[0].IgnoreFail || s.Env.Get("PODMAN_SYSTEMD_UNIT") != "db.service" {
		t.Errorf("%+v", s)
	}
	if s.TimeoutStart != 30*time.Second || s.RestartSec != 2*time.Second || s.StartLimit.Burst != 3 || s.Restart != "always" {
		t.Errorf("times: %+v", s)
	}
	if !reflect.DeepEqual(s.Requirements(), []string{"net.service"}) {
		t.Errorf("requirements %q", s.Requirements())
	}
}
