package podman

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// SecretVersion identifies a podman secret's current value without reading
// it: its ID, its update time and berth's digest label (when berth made
// it). A secret created again or replaced has another version; a container
// started before holds the old value. exists is false when there is no such
// secret.
func (c *Client) SecretVersion(ctx context.Context, name string) (version string, exists bool, err error) {
	out, err := c.Output(ctx, "secret", "inspect", name)
	if err != nil {
		if ee, ok := err.(*ExecError); ok && strings.Contains(ee.Stderr, "no such secret") {
			return "", false, nil
		}
		return "", false, err
	}
	var rows []struct {
		ID        string
		UpdatedAt string
		Spec      struct{ Labels map[string]string }
	}
	if err := json.Unmarshal(out, &rows); err != nil || len(rows) == 0 {
		return "", false, fmt.Errorf("podman secret inspect %s: unexpected output: %v", name, err)
	}
	r := rows[0]
	v := r.ID + "@" + r.UpdatedAt
	if d := r.Spec.Labels[LabelSecretDigest]; d != "" {
		v += "#" + d
	}
	return v, true, nil
}
