package podman

import (
	"strings"
	"testing"
)

// TestMaskerTable: issue 11's leaks and their neighbours. want is what is
// printed; every secret in leak must be gone.
func TestMaskerTable(t *testing.T) {
	m := NewMasker("opaque-podman-secret")
	for _, tc := range []struct {
		in, want string
		leak     []string
	}{
		// By URL, whatever the variable's name.
		{"DATABASE_URL=postgres://u:PW@db/x", "DATABASE_URL=postgres://u:******@db/x", []string{"PW@"}},
		{"REDIS_URL=redis://:PW@cache:6379/0", "REDIS_URL=redis://:******@cache:6379/0", []string{"PW"}},
		{"--env URL=amqp://guest:p@ss@mq/vh", "--env URL=amqp://guest:******@mq/vh", []string{"p@ss"}},
		{"connect mysql://root:hunter22@10.0.0.1:3306 failed", "connect mysql://root:******@10.0.0.1:3306 failed", []string{"hunter22"}},
		{"https://example.com/x:y@z", "https://example.com/x:y@z", nil}, // no userinfo: a path
		{"http://user@host/", "http://user@host/", nil},                 // no password
		// By name.
		{"DB_PASS=abc", "DB_PASS=******", []string{"abc"}},
		{"PGPASS=abc", "PGPASS=******", []string{"abc"}},
		{"PGPASSWORD=abc", "PGPASSWORD=******", []string{"abc"}},
		{"MYSQL_PWD=abc", "MYSQL_PWD=******", []string{"abc"}},
		{"API_TOKEN=abc", "API_TOKEN=******", []string{"abc"}},
		{"client_secret=abc", "client_secret=******", []string{"abc"}},
		{"AWS_SECRET_ACCESS_KEY=abc", "AWS_SECRET_ACCESS_KEY=******", []string{"abc"}},
		{"SSH_KEY=abc", "SSH_KEY=******", []string{"abc"}},
		{"GOOGLE_APPLICATION_CREDENTIALS=/c.json", "GOOGLE_APPLICATION_CREDENTIALS=******", []string{"/c.json"}},
		{"BASIC_AUTH=u:p", "BASIC_AUTH=******", []string{"u:p"}},
		{"--env DB_PASSWORD=a b", "--env DB_PASSWORD=****** b", nil}, // unquoted: one word
		{`--env "DB_PASSWORD=a b"`, `--env "DB_PASSWORD=******"`, []string{"a b"}},
		{"-e TOKEN=x1 -e USER=bob", "-e TOKEN=****** -e USER=bob", []string{"x1"}},
		{"--secret db-pw,type=env,target=PW", "--secret ******", []string{"db-pw"}},
		{"--creds bob:pw123", "--creds ******", []string{"pw123"}},
		{"PWD=/home/bob USER=bob", "PWD=/home/bob USER=bob", nil}, // the shell's working folder
		// As written, where the word split cannot put the mask back.
		{`env DB_PASS="hunter2 x" app`, `env DB_PASS=****** app`, []string{"hunter2", " x"}},
		{`sh -c "exec podman run --env \"API_KEY=k1 k2\" img"`, `sh -c "exec podman run --env \"API_KEY=******\" img"`, []string{"k1", "k2"}},
		{"--env=DB_PASS=abc", "--env=DB_PASS=******", []string{"abc"}},
		{`{"level":"info","msg":"TOKEN=abc1 given"}`, `{"level":"info","msg":"TOKEN=******"}`, []string{"abc1"}},
		{"podman secret create --secret=s1 x", "podman secret create --secret=****** x", []string{"s1"}},
		// By value: a podman secret berth knows, anywhere.
		{"password is opaque-podman-secret.", "password is ******.", []string{"opaque-podman-secret"}},
		{"/bin/sh -c 'exec podman run --env X=opaque-podman-secret img'", "/bin/sh -c 'exec podman run --env X=****** img'", []string{"opaque"}},
	} {
		got := m.Text(tc.in)
		if got != tc.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		for _, l := range tc.leak {
			if strings.Contains(got, l) {
				t.Errorf("Text(%q) leaks %q: %q", tc.in, l, got)
			}
		}
	}
}

func TestMaskerLearnsFromArgvAndEnv(t *testing.T) {
	m := NewMasker()
	m.AddArgv([]string{"/usr/bin/podman", "run", "--env", "DB_PASS=s3cr3t", "--env=DSN=postgres://app:dsnpass1@db/app",
		"--creds", "bob:credpass", "img", "/bin/sh", "-c", "APP_TOKEN=tok-12345 exec app"})
	m.AddEnv("PGPASS", "pgpass-value")
	m.AddEnv("HARMLESS", "not-a-secret")
	m.AddEnv("x", "s") // too short to mask by value
	log := "connected with s3cr3t and dsnpass1 as bob/credpass, tok-12345, pgpass-value; not-a-secret; s"
	want := "connected with ****** and ****** as bob/******, ******, ******; not-a-secret; s"
	if got := m.Text(log); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := m.Value("api_key", "abc"); got != Masked {
		t.Errorf("Value(api_key) = %q", got)
	}
	if got := m.Value("service", "web"); got != "web" {
		t.Errorf("Value(service) = %q", got)
	}
	var b strings.Builder
	w := m.Writer(&b)
	_, _ = w.Write([]byte("line one s3cr"))
	_, _ = w.Write([]byte("3t\nDB_PASS=zz\npartial s3cr3t"))
	_ = w.Close()
	if got := b.String(); got != "line one ******\nDB_PASS=******\npartial ******" {
		t.Errorf("Writer: %q", got)
	}
	var nilM *Masker
	if got := nilM.Text("u=redis://:pw@h DB_PASS=1"); got != "u=redis://:******@h DB_PASS=******" {
		t.Errorf("nil Masker: %q", got)
	}
}

// FuzzMaskerHidesValues: whatever the text, a registered value never comes
// out, and masking never panics.
func FuzzMaskerHidesValues(f *testing.F) {
	f.Add("DATABASE_URL=postgres://u:PW@db/x DB_PASS=hunter2", "hunter2")
	f.Add(`sh -c "exec podman run --env \"API_KEY=k1 k2\" img"`, "k1 k2")
	f.Add("--secret=s1 --creds a:b", "a:b-c")
	f.Fuzz(func(t *testing.T, text, secret string) {
		secret = strings.TrimSpace(secret)
		m := NewMasker(secret)
		out := m.Text(text)
		_ = m.Argv(strings.Fields(text))
		if len(secret) >= minValueLen && !strings.Contains(secret, "*") && strings.Contains(out, secret) {
			t.Errorf("Text(%q) = %q shows %q", text, out, secret)
		}
	})
}
