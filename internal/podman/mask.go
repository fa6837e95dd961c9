package podman

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Masked is what replaces a secret value.
const Masked = "******"

// minValueLen is the shortest registered value masked wherever it appears:
// masking every "ab" would garble output and hide nothing. Shorter secrets
// are still masked by name (DB_PASS=ab) and inside URLs.
const minValueLen = 4

// LooksSecret reports whether a variable (or label, or attribute) name
// suggests its value must not be printed: it contains PASS, PWD, SECRET,
// TOKEN, KEY, CREDENTIAL, AUTH or PRIVATE, in any case. The shell's own PWD
// and OLDPWD (working folders) are not secrets.
func LooksSecret(name string) bool {
	up := strings.ToUpper(name)
	if up == "PWD" || up == "OLDPWD" {
		return false
	}
	for _, w := range [...]string{"PASS", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH", "PRIVATE"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// Masker hides credentials in everything berth prints: failing commands,
// their stderr, container logs, ps, doctor, trace attributes and metric
// labels all go through one Masker. It masks
//   - by name: the value of NAME=VALUE (a word, or --env/-e NAME=VALUE) whose
//     NAME looks secret (LooksSecret), and the value of --secret and --creds;
//   - by URL: the password of scheme://user:PASSWORD@host;
//   - by value: every value registered with Add or found by AddEnv/AddArgv
//     (podman secrets berth created, secret-looking variables of the
//     stack's units), wherever it appears.
//
// A nil *Masker masks by name and URL. Methods are safe for concurrent use.
type Masker struct {
	mu     sync.RWMutex
	values []string // longest first, so that a value containing another is masked whole
}

// NewMasker returns a Masker that also masks values.
func NewMasker(values ...string) *Masker {
	m := &Masker{}
	m.Add(values...)
	return m
}

// Add registers secret values (shorter than 4 bytes are ignored).
func (m *Masker) Add(values ...string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) < minValueLen || slices.Contains(m.values, v) {
			continue
		}
		m.values = append(m.values, v)
	}
	sort.SliceStable(m.values, func(i, j int) bool { return len(m.values[i]) > len(m.values[j]) })
}

// AddEnv registers the value of a secret-looking variable and the password
// of any URL in a value, whatever the variable's name.
func (m *Masker) AddEnv(name, value string) {
	if LooksSecret(name) {
		m.Add(value)
	}
	m.Add(URLPasswords(value)...)
}

// AddArgv registers what a command line gives away: the values of
// NAME=VALUE words and --env/-e with secret names, --creds passwords, and
// URL passwords in any word (shell wrappers' words are split too).
func (m *Masker) AddArgv(argv []string) {
	for i, a := range argv {
		if strings.ContainsAny(a, " \t") && i > 0 {
			if words, err := unitfile.Split(a, unitfile.SplitOptions{Unquote: true, Relax: true}); err == nil {
				m.AddArgv(words)
				continue
			}
		}
		flag, val, inline := strings.Cut(a, "=")
		switch {
		case flag == "--creds" && inline:
			m.addCreds(val)
		case a == "--creds" && i+1 < len(argv):
			m.addCreds(argv[i+1])
		case (flag == "--env" || flag == "-e") && inline:
			m.addAssignment(val)
		case inline && isEnvName(flag):
			m.addAssignment(a)
		}
		m.Add(URLPasswords(a)...)
	}
}

func (m *Masker) addAssignment(kv string) {
	if name, val, ok := strings.Cut(kv, "="); ok && isEnvName(name) {
		m.AddEnv(name, val)
	}
}

func (m *Masker) addCreds(v string) {
	if _, pass, ok := strings.Cut(v, ":"); ok {
		m.Add(pass)
	}
}

func (m *Masker) snapshot() []string {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.values
}

// Argv returns a copy of argv safe to print.
func (m *Masker) Argv(argv []string) []string {
	out := make([]string, len(argv))
	copy(out, argv)
	for i := 0; i < len(out); i++ {
		flag, val, inline := strings.Cut(out[i], "=")
		switch {
		case flag == "--env" || flag == "-e":
			if inline {
				out[i] = flag + "=" + maskAssignment(val)
			} else if i+1 < len(out) {
				i++
				out[i] = maskAssignment(out[i])
			}
		case flag == "--secret" || flag == "--creds":
			if inline {
				out[i] = flag + "=" + Masked
			} else if i+1 < len(out) {
				i++
				out[i] = Masked
			}
		case inline:
			out[i] = maskAssignment(out[i])
		}
	}
	values := m.snapshot()
	for i := range out {
		out[i] = maskValues(maskURLs(out[i]), values)
	}
	return out
}

// Text masks free text: a shell script, a command's stderr, log lines, an
// error message. NAME=VALUE words and --env/--secret/--creds arguments are
// found by splitting the text into words the way systemd and the shell
// quote them.
func (m *Masker) Text(s string) string {
	if s == "" {
		return s
	}
	if words, err := unitfile.Split(s, unitfile.SplitOptions{Unquote: true, Relax: true}); err == nil && len(words) > 0 {
		masked := (*Masker)(nil).Argv(words)
		for i, w := range words {
			if masked[i] != w {
				s = strings.Replace(s, w, masked[i], 1)
			}
		}
	}
	// What the word split cannot put back (a word quoted in the middle,
	// DB_PASS="a b"; escaped quotes in a shell wrapper) is found as written.
	s = maskFlagsRaw(maskAssignmentsRaw(s))
	return maskValues(maskURLs(s), m.snapshot())
}

// maskAssignmentsRaw masks, as written, the value of every NAME=VALUE in s
// whose NAME looks secret: a quoted value to its closing quote; after a
// quote that opens the word ("NAME=a b") to that quote's mate; else to the
// next blank or quote.
func maskAssignmentsRaw(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		j := i
		for j > 0 && isNameByte(s[j-1]) {
			j--
		}
		if name := s[j:i]; !isEnvName(name) || !LooksSecret(name) {
			continue
		}
		opener := ""
		if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
			opener = s[j-1 : j]
			if j > 1 && s[j-2] == '\\' {
				opener = s[j-2 : j] // \" inside a quoted shell script
			}
		}
		end := valueEnd(s, i+1, opener)
		if end == i+1 || s[i+1:end] == Masked {
			continue
		}
		b.WriteString(s[last : i+1])
		b.WriteString(Masked)
		last, i = end, end-1
	}
	b.WriteString(s[last:])
	return b.String()
}

func valueEnd(s string, start int, opener string) int {
	if start < len(s) && (s[start] == '"' || s[start] == '\'') {
		if k := strings.IndexByte(s[start+1:], s[start]); k >= 0 {
			return start + 1 + k + 1
		}
		return len(s)
	}
	if opener != "" {
		if k := strings.Index(s[start:], opener); k >= 0 {
			return start + k
		}
		return len(s)
	}
	end := start
	for end < len(s) && !strings.ContainsRune(" \t\n\r\"'", rune(s[end])) {
		end++
	}
	return end
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// secretFlag finds the values of --secret and --creds as written.
var secretFlag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(--secret|--creds)(=|[ \t]+)("[^"]*"|'[^']*'|[^\s"']+)`)
})

func maskFlagsRaw(s string) string {
	if !strings.Contains(s, "--secret") && !strings.Contains(s, "--creds") {
		return s
	}
	return secretFlag().ReplaceAllString(s, "${1}${2}"+Masked)
}

// Value masks one value printed on its own (a label, an attribute, a
// column) under name: whole when the name looks secret, else as text.
func (m *Masker) Value(name, value string) string {
	if LooksSecret(name) && value != "" {
		return Masked
	}
	return m.Text(value)
}

// Writer returns a writer that masks whole lines before passing them to w
// (a partial last line is passed on at Close, or when it grows past 64 KiB).
func (m *Masker) Writer(w io.Writer) io.WriteCloser { return &maskWriter{m: m, w: w} }

type maskWriter struct {
	m   *Masker
	w   io.Writer
	buf []byte
}

func (mw *maskWriter) Write(p []byte) (int, error) {
	mw.buf = append(mw.buf, p...)
	for {
		i := bytes.IndexByte(mw.buf, '\n')
		if i < 0 {
			if len(mw.buf) > 64<<10 {
				break
			}
			return len(p), nil
		}
		line := mw.buf[:i+1]
		if _, err := io.WriteString(mw.w, mw.m.Text(string(line))); err != nil {
			return 0, err
		}
		mw.buf = mw.buf[i+1:]
	}
	return len(p), mw.Close()
}

// Close writes a pending partial line.
func (mw *maskWriter) Close() error {
	if len(mw.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(mw.w, mw.m.Text(string(mw.buf)))
	mw.buf = nil
	return err
}

// urlPassword finds the password of scheme://user:PASSWORD@host. The password
// runs to the last "@" before a "/" or a space, so "p@ss" is one password.
// Compiled on first use.
var urlPassword = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'"]*:)([^\s/'"]*)@`)
})

// URLPasswords returns the passwords of the URLs in s.
func URLPasswords(s string) []string {
	if !strings.Contains(s, "://") {
		return nil
	}
	var out []string
	for _, m := range urlPassword().FindAllStringSubmatch(s, -1) {
		if m[2] != "" {
			out = append(out, m[2])
		}
	}
	return out
}

func maskURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlPassword().ReplaceAllStringFunc(s, func(m string) string {
		sub := urlPassword().FindStringSubmatch(m)
		if sub[2] == "" {
			return m
		}
		return sub[1] + Masked + "@"
	})
}

func maskValues(s string, values []string) string {
	for _, v := range values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Masked)
		}
	}
	return s
}

// maskAssignment masks NAME=VALUE when NAME looks secret.
func maskAssignment(kv string) string {
	name, _, ok := strings.Cut(kv, "=")
	if ok && isEnvName(name) && LooksSecret(name) {
		return name + "=" + Masked
	}
	return kv
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Mask returns a copy of argv safe to print, masking secrets as well.
func Mask(argv []string, secrets ...string) []string { return NewMasker(secrets...).Argv(argv) }

// MaskText masks free text, secrets as well (see Masker.Text).
func MaskText(s string, secrets ...string) string { return NewMasker(secrets...).Text(s) }
