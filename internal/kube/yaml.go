package kube

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// YAML renders the objects as one multi-document YAML stream, each document
// marshalled from its k8s.io/api type. Fields that only the server fills in
// (status, metadata.creationTimestamp) are left out, so the same stack
// always gives the same bytes.
func YAML(objs []Object) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		doc, err := marshal(o.Obj)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(doc)
	}
	return b.Bytes(), nil
}

func marshal(obj any) ([]byte, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	prune(m)
	return yaml.Marshal(m)
}

// prune drops status and creationTimestamp wherever they appear (the object,
// pod templates, claim templates), and the empty maps they leave.
func prune(v any) {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "status")
		delete(t, "creationTimestamp")
		for k, child := range t {
			prune(child)
			if m, ok := child.(map[string]any); ok && len(m) == 0 && (k == "metadata" || k == "resources" || k == "strategy") {
				delete(t, k)
			}
		}
	case []any:
		for _, child := range t {
			prune(child)
		}
	}
}
