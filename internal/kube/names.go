package kube

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Kubernetes names are stricter than podman's: object names are DNS-1123
// labels or subdomains, Service names DNS-1035 labels (they must start with
// a letter). dnsLabel turns a podman name into the nearest valid label:
// lower case, every other character a dash, dashes trimmed, at most 63
// characters, and a letter first when first is set.
func dnsLabel(name string, first bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if first && s != "" && (s[0] < 'a' || s[0] > 'z') {
		s = "x-" + s
	}
	if len(s) > validation.DNS1123LabelMaxLength {
		s = strings.TrimRight(s[:validation.DNS1123LabelMaxLength], "-")
	}
	if s == "" {
		s = "x"
	}
	return s
}

// serviceName is dnsLabel for a Service: it must start with a letter.
func serviceName(name string) string { return dnsLabel(name, true) }

// objectName is dnsLabel for workloads, claims, config maps and secrets.
func objectName(name string) string { return dnsLabel(name, false) }

// configKey turns a file or secret name into a valid ConfigMap/Secret key.
func configKey(name string) string {
	if len(validation.IsConfigMapKey(name)) == 0 {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "value"
	}
	return s
}

// secretLooking reports whether a variable name looks like it holds a
// credential (the same words berth masks everywhere).
func secretLooking(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_FILE") { // the path of a secret, as images' *_FILE conventions read it
		return false
	}
	for _, w := range []string{"PASS", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
