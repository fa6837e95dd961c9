//go:build e2e

// berth kube export against real parts: a kube-apiserver with etcd (built by
// scripts/build-kube-apiserver.sh, on 127.0.0.1) validates every exported
// manifest with `kubectl apply --dry-run=server` and strict field
// validation; podman kube play runs the --for podman export of
// examples/colosseum until the agent reports the database reachable.
package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kubeBin is the folder of kube-apiserver, kubectl and etcd.
func kubeBin(t *testing.T) string {
	t.Helper()
	if os.Getenv("BERTH_E2E_KUBE") == "0" {
		t.Skip("BERTH_E2E_KUBE=0: the kube-apiserver was not built (scripts/build-kube-apiserver.sh)")
	}
	dir := os.Getenv("BERTH_KUBE_BIN")
	if dir == "" {
		dir = "/var/cache/berth/kube/bin"
	}
	for _, b := range []string{"kube-apiserver", "kubectl", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("%s/%s is missing: run scripts/build-kube-apiserver.sh (or set BERTH_E2E_KUBE=0)", dir, b)
		}
	}
	return dir
}

// kubePort is a free loopback port number.
func kubePort(t *testing.T) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(freePort(t))
	n, _ := strconv.Atoi(p)
	return n
}

// startDaemon starts a process that the test's cleanup stops.
func startDaemon(t *testing.T, log string, name string, args ...string) {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		f.Close()
	})
}

// apiServer starts etcd and a kube-apiserver on loopback and returns a
// kubeconfig for kubectl.
func apiServer(t *testing.T, bin string) (kubeconfig string) {
	t.Helper()
	dir := t.TempDir()
	etcdPort, peerPort, apiPort := kubePort(t), kubePort(t), kubePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	startDaemon(t, filepath.Join(dir, "etcd.log"), filepath.Join(bin, "etcd"), "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	writeKubeFile(t, filepath.Join(dir, "sa.key"), string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})))
	writeKubeFile(t, filepath.Join(dir, "sa.pub"), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	token := base64.RawURLEncoding.EncodeToString(pub[20:44])
	writeKubeFile(t, filepath.Join(dir, "tokens.csv"), token+",admin,1,system:masters\n")
	startDaemon(t, filepath.Join(dir, "apiserver.log"), filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", etcdURL, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort), "--cert-dir", filepath.Join(dir, "certs"),
		"--service-account-key-file", filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--token-auth-file", filepath.Join(dir, "tokens.csv"), "--authorization-mode", "RBAC",
		"--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none")
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	t0 := time.Now()
	for {
		req, _ := http.NewRequest("GET", server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 90*time.Second {
			log, _ := os.ReadFile(filepath.Join(dir, "apiserver.log"))
			t.Fatalf("kube-apiserver not ready after 90s:\n%s", lastLines(string(log), 30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("kube-apiserver ready in %.1fs", time.Since(t0).Seconds())
	kubeconfig = filepath.Join(dir, "kubeconfig")
	writeKubeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: %q}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, server, token))
	return kubeconfig
}

func writeKubeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func kubectl(bin, kubeconfig string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubeStacks are the stacks the export is checked on: the examples, the
// compose corpus and the export's own golden cases.
func kubeStacks(t *testing.T, repo string) map[string][]string {
	t.Helper()
	stacks := map[string][]string{
		"colosseum":  {filepath.Join(repo, "examples/colosseum")},
		"botticelli": {"-f", filepath.Join(repo, "examples/botticelli/compose.yaml")},
	}
	composes, _ := filepath.Glob(filepath.Join(repo, "internal/compose/testdata/*/compose.yaml"))
	for _, c := range composes {
		stacks["compose/"+filepath.Base(filepath.Dir(c))] = []string{"-f", c}
	}
	cases, _ := filepath.Glob(filepath.Join(repo, "internal/kube/testdata/cases/*"))
	for _, c := range cases {
		stacks["kube/"+filepath.Base(c)] = []string{c}
	}
	return stacks
}

var lossKind = regexp.MustCompile(`: (note|approximated|dropped): ([A-Za-z]+=)?`)

// TestKubeExportServerDryRun exports every stack and has a real API server
// validate the manifests (strict field validation, server-side dry run).
func TestKubeExportServerDryRun(t *testing.T) {
	bin := kubeBin(t)
	berth := stBerth(t)
	repo := repoRoot(t)
	kubeconfig := apiServer(t, bin)
	// The check can fail: a manifest with an unknown field is refused.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeKubeFile(t, bad, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\nbogusField: 1\n")
	if out, err := kubectl(bin, kubeconfig, "apply", "--dry-run=server", "--validate=strict", "-f", bad); err == nil {
		t.Fatalf("the API server accepted an unknown field; strict validation is not on:\n%s", out)
	}
	// A cluster's controller-manager makes each namespace's "default"
	// service account; this bare API server has none, and admission of a
	// Pod (the --for podman export of a Job for podman < 5.3) needs it.
	if out, err := kubectl(bin, kubeconfig, "create", "serviceaccount", "default"); err != nil {
		t.Fatalf("kubectl create serviceaccount default: %v\n%s", err, out)
	}
	stacks := kubeStacks(t, repo)
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	exported, accepted := 0, 0
	losses := map[string]int{}
	for _, name := range names {
		out := filepath.Join(t.TempDir(), "k.yaml")
		for _, target := range []string{"kubernetes", "podman"} {
			args := append([]string{"kube", "export", "--for", target, "-o", "-"}, stacks[name]...)
			cmd := exec.Command(berth, args...)
			var stdout strings.Builder
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				if strings.Contains(stderr.String(), "no .container or .pod unit") {
					continue
				}
				if strings.HasPrefix(name, "compose/") && strings.Contains(stderr.String(), ": error: ") {
					if target == "kubernetes" {
						t.Logf("%s: not exported: the compose project does not convert (its own errors, as berth convert reports them)", name)
					}
					continue
				}
				t.Errorf("%s (%s): berth kube export: %v\n%s", name, target, err, stderr.String())
				continue
			}
			if target == "kubernetes" {
				exported++
				for _, m := range lossKind.FindAllStringSubmatch(stderr.String(), -1) {
					losses[m[1]+" "+m[2]]++
				}
			}
			writeKubeFile(t, out, stdout.String())
			if ns := regexp.MustCompile(`(?m)^kind: Namespace\n(?:.*\n)*?  name: (\S+)`).FindStringSubmatch(stdout.String()); ns != nil {
				_, _ = kubectl(bin, kubeconfig, "create", "namespace", ns[1])
				_, _ = kubectl(bin, kubeconfig, "-n", ns[1], "create", "serviceaccount", "default")
			}
			res, err := kubectl(bin, kubeconfig, "apply", "--dry-run=server", "--validate=strict", "-f", out)
			if err != nil {
				t.Errorf("%s (%s): the API server refused the export:\n%s\n--- manifests ---\n%s", name, target, res, stdout.String())
				continue
			}
			if target == "kubernetes" {
				accepted++
			}
		}
	}
	t.Logf("stacks exported: %d; accepted by kube-apiserver (--dry-run=server, strict): %d", exported, accepted)
	kinds := make([]string, 0, len(losses))
	for k := range losses {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("loss lines %-40s %d", k, losses[k])
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("BERTH_REPO"); r != "" {
		return r
	}
	wd, _ := os.Getwd() // test/e2e
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// TestKubePlayColosseum plays the --for podman export of examples/colosseum
// with podman itself: the podman secret is made by the command the export
// prints, and the agent must reach the database by its name.
func TestKubePlayColosseum(t *testing.T) {
	berth := stBerth(t)
	repo := repoRoot(t)
	if os.Getenv("BERTH_E2E_PG") == "0" {
		t.Skip("BERTH_E2E_PG=0: the PostgreSQL image was not built")
	}
	for _, obj := range [][]string{{"volume", "colosseum-db-data"}, {"secret", "colosseum-db-password-kube"}, {"pod", "colosseum-pod-0"}} {
		if exec.Command("podman", obj[0], "exists", obj[1]).Run() == nil {
			t.Fatalf("podman %s %s already exists: another colosseum run is on this host; remove it first", obj[0], obj[1])
		}
	}
	dir := t.TempDir()
	agent := filepath.Join(dir, "agent")
	mustRun(t, exec.Command("mkdir", "-p", filepath.Join(agent, "bin")))
	build := exec.Command("go", "build", "-o", filepath.Join(agent, "bin/agent"), "./examples/agent")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	mustRun(t, build)
	mustRun(t, exec.Command("podman", "build", "-q", "-t", "localhost/colosseum-agent:latest",
		"-f", filepath.Join(repo, "examples/agent/Containerfile"), agent))
	out := filepath.Join(dir, "out")
	cmd := exec.Command(berth, "kube", "export", "--for", "podman", "-o", out, filepath.Join(repo, "examples/colosseum"))
	report, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("berth kube export --for podman: %v\n%s", err, report)
	}
	manifest := filepath.Join(out, "colosseum.yaml")
	t.Cleanup(func() {
		_ = exec.Command("podman", "kube", "down", manifest).Run()
		_ = exec.Command("podman", "volume", "rm", "-f", "colosseum-db-data").Run()
		_ = exec.Command("podman", "secret", "rm", "colosseum-db-password-kube").Run()
	})
	create := ""
	for _, l := range strings.Split(string(report), "\n") {
		if strings.Contains(l, "podman secret create colosseum-db-password-kube") {
			create = strings.TrimSpace(l)
		}
	}
	if create == "" {
		t.Fatalf("the export did not say how to create the podman secret:\n%s", report)
	}
	pw := filepath.Join(dir, "pw")
	writeKubeFile(t, pw, "kube-play-pw")
	mustRun(t, exec.Command("sh", "-c", strings.ReplaceAll(create, "FILE", pw)))
	t0 := time.Now()
	if res, err := exec.Command("podman", "kube", "play", manifest).CombinedOutput(); err != nil {
		t.Fatalf("podman kube play: %v\n%s", err, res)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	last := ""
	for time.Since(t0) < 120*time.Second {
		if resp, err := client.Get("http://127.0.0.1:8000/"); err == nil {
			b := make([]byte, 4096)
			n, _ := resp.Body.Read(b)
			resp.Body.Close()
			last = string(b[:n])
			if strings.Contains(last, `"database":"reachable"`) {
				t.Logf("podman kube play: the agent reaches colosseum-db after %.1fs: %s", time.Since(t0).Seconds(), strings.TrimSpace(last))
				return
			}
		}
		time.Sleep(time.Second)
	}
	logs, _ := exec.Command("podman", "pod", "logs", "colosseum-pod-0").CombinedOutput()
	t.Fatalf("the agent did not report the database reachable within 120s; last answer %q\n%s", last, lastLines(string(logs), 30))
}

func mustRun(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}
