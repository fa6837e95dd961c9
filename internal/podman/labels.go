package podman

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Labels returns the labels of a podman object: kind is container, network,
// volume or pod. exists is false, with no error, when there is no object of
// that name.
func (c *Client) Labels(ctx context.Context, kind, name string) (labels map[string]string, exists bool, err error) {
	if kind == "container" {
		st, err := c.Inspect(ctx, name)
		if err != nil || st == nil {
			return nil, false, err
		}
		if st.Labels == nil {
			st.Labels = map[string]string{}
		}
		return st.Labels, true, nil
	}
	out, err := c.Output(ctx, kind, "inspect", "--format", "{{json .Labels}}", name)
	var ee *ExecError
	if errors.As(err, &ee) && notFound(ee.Stderr) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" || line == "null" {
		return map[string]string{}, true, nil
	}
	if err := json.Unmarshal([]byte(line), &labels); err != nil {
		return nil, true, fmt.Errorf("podman %s inspect %s: unexpected output: %v", kind, name, err)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	return labels, true, nil
}

// notFound recognises podman's "no such ..." and "... not found" errors
// (the wording differs between object kinds and versions).
func notFound(stderr string) bool {
	s := strings.ToLower(stderr)
	return strings.Contains(s, "no such") || strings.Contains(s, "not found")
}
