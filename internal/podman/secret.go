package podman

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// LabelSecretDigest is the label berth puts on the podman secrets it
// creates: "SALT:SHA256(SALT+VALUE)", so that the next up knows whether the
// value changed without reading it back (podman 4.3 cannot show a secret's
// value). The salted digest reveals nothing the secret's owner cannot
// already read: podman's file driver keeps the value itself, unencrypted,
// in the same user's storage.
const LabelSecretDigest = "io.berth.secret-digest"

// SecretDigest returns the label podman holds for a secret, "" when the
// secret does not exist (or was not created by berth).
func (c *Client) SecretDigest(ctx context.Context, name string) (digest string, exists bool, err error) {
	r, err := c.secretInspect(ctx, name)
	if r == nil || err != nil {
		return "", false, err
	}
	return r.Spec.Labels[LabelSecretDigest], true, nil
}

// secretInfo is what berth reads of `podman secret inspect`.
type secretInfo struct {
	ID        string
	UpdatedAt string
	Spec      struct{ Labels map[string]string }
}

// secretInspect inspects one secret: nil, and no error, when there is no
// such secret.
func (c *Client) secretInspect(ctx context.Context, name string) (*secretInfo, error) {
	out, err := c.Output(ctx, "secret", "inspect", name)
	if err != nil {
		if ee, ok := err.(*ExecError); ok && strings.Contains(ee.Stderr, "no such secret") {
			return nil, nil
		}
		return nil, err
	}
	var rows []secretInfo
	if err := json.Unmarshal(out, &rows); err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("podman secret inspect %s: unexpected output: %v", name, err)
	}
	return &rows[0], nil
}

// SecretMatches reports whether a digest label was made from value.
func SecretMatches(digest string, value []byte) bool {
	salt, _, ok := strings.Cut(digest, ":")
	return ok && digest == secretDigest(salt, value)
}

func secretDigest(salt string, value []byte) string {
	h := sha256.New()
	h.Write([]byte(salt))
	h.Write(value)
	return salt + ":" + hex.EncodeToString(h.Sum(nil))
}

// SecretCreate creates (or, with replace, replaces) a podman secret. The
// value goes to podman on stdin: never on a command line, where other users
// could read it from /proc.
func (c *Client) SecretCreate(ctx context.Context, name string, value []byte, labels map[string]string, replace bool) error {
	c.Mask.Add(string(value))
	if replace {
		if _, err := c.Output(ctx, "secret", "rm", name); err != nil {
			if ee, ok := err.(*ExecError); !ok || !strings.Contains(ee.Stderr, "no such secret") {
				return err
			}
		}
	}
	var saltb [8]byte
	if _, err := rand.Read(saltb[:]); err != nil {
		return err
	}
	argv := []string{c.bin(), "secret", "create", "--label", LabelSecretDigest + "=" + secretDigest(hex.EncodeToString(saltb[:]), value)}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		argv = append(argv, "--label", k+"="+labels[k])
	}
	argv = append(argv, name, "-")
	var out, errb bytes.Buffer
	code, err := c.Runner.Run(ctx, Cmd{Argv: argv, Stdin: bytes.NewReader(value), Stdout: &out, Stderr: &errb})
	if err != nil {
		return fmt.Errorf("%s: %w", c.bin(), err)
	}
	if code != 0 {
		return &ExecError{Argv: c.Mask.Argv(argv), Code: code, Stderr: NewMasker(string(value)).Text(c.Mask.Text(errb.String()))}
	}
	return nil
}

// SecretsByLabel returns the names of the podman secrets whose label key
// has value, sorted. Podman 4.3's `secret ls` filters by name and ID only,
// so every secret's labels are read with one `secret inspect`.
func (c *Client) SecretsByLabel(ctx context.Context, key, value string) ([]string, error) {
	out, err := c.Output(ctx, "secret", "ls", "--noheading", "--format", "{{.ID}}")
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = c.Output(ctx, append([]string{"secret", "inspect"}, ids...)...)
	if err != nil {
		// One was removed in between: podman prints the others and fails.
		if ee, ok := err.(*ExecError); !ok || !strings.Contains(ee.Stderr, "no such secret") {
			return nil, err
		}
	}
	var raw []struct {
		Spec struct {
			Name   string
			Labels map[string]string
		}
	}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &raw); err != nil {
			return nil, fmt.Errorf("podman secret inspect: unexpected output: %v", err)
		}
	}
	var names []string
	for _, r := range raw {
		if v, ok := r.Spec.Labels[key]; ok && v == value {
			names = append(names, r.Spec.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// SecretRemove removes podman secrets; one already gone is not an error.
func (c *Client) SecretRemove(ctx context.Context, names ...string) error {
	for _, n := range names {
		if _, err := c.Output(ctx, "secret", "rm", n); err != nil {
			if ee, ok := err.(*ExecError); !ok || !strings.Contains(ee.Stderr, "no such secret") {
				return err
			}
		}
	}
	return nil
}
