package compose

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// FuzzConvert loads arbitrary text as a compose file and converts whatever
// compose-go accepts: conversion must never panic, and what it produces must
// compile (errors are fine, panics are not).
func FuzzConvert(f *testing.F) {
	for _, name := range []string{"basic", "deps", "keys-all", "losses"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name, "compose.yaml")); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("services:\n  a:\n    image: x\n    ports: ['127.0.0.1:1-3:1-3/udp']\n    healthcheck: {test: [CMD-SHELL, 'exit 0']}\n")
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), LoadOptions{Files: []string{file}, Name: "fz", Env: []string{}})
		if err != nil {
			return
		}
		for _, o := range []Options{{}, {Target: version.Must("4.3.1"), Pod: true}} {
			units, _, err := ToUnits(p, o)
			if err != nil {
				continue
			}
			quadlet.Compile(units, quadlet.Options{Target: o.Target})
		}
	})
}
