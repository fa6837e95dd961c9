package podman

import (
	"context"
)

// SecretVersion identifies a podman secret's current value without reading
// it: its ID, its update time and berth's digest label (when berth made
// it). A secret created again or replaced has another version; a container
// started before holds the old value. exists is false when there is no such
// secret.
func (c *Client) SecretVersion(ctx context.Context, name string) (version string, exists bool, err error) {
	r, err := c.secretInspect(ctx, name)
	if r == nil || err != nil {
		return "", false, err
	}
	v := r.ID + "@" + r.UpdatedAt
	if d := r.Spec.Labels[LabelSecretDigest]; d != "" {
		v += "#" + d
	}
	return v, true, nil
}
