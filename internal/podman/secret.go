package podman

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	out, err := c.Output(ctx, "secret", "inspect", name)
	if err != nil {
		if ee, ok := err.(*ExecError); ok && strings.Contains(ee.Stderr, "no such secret") {
			return "", false, nil
		}
		return "", false, err
	}
	var rows []struct {
		Spec struct {
			Labels map[string]string
		}
	}
	if err := json.Unmarshal(out, &rows); err != nil || len(rows) == 0 {
		return "", false, fmt.Errorf("podman secret inspect %s: unexpected output: %v", name, err)
	}
	return rows[0].Spec.Labels[LabelSecretDigest], true, nil
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
	for _, k := range sortedLabelKeys(labels) {
		argv = append(argv, "--label", k+"="+labels[k])
	}
	argv = append(argv, name, "-")
	var out, errb bytes.Buffer
	code, err := c.Runner.Run(ctx, Cmd{Argv: argv, Stdin: bytes.NewReader(value), Stdout: &out, Stderr: &errb})
	if err != nil {
		return fmt.Errorf("%s: %w", c.bin(), err)
	}
	if code != 0 {
		return &ExecError{Argv: Mask(argv), Code: code, Stderr: MaskText(errb.String(), string(value))}
	}
	return nil
}

func sortedLabelKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
