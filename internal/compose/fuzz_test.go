package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
			for _, u := range units { // every generated line has a place in a compose file (extends: may name another), or none
				lines := strings.Split(u.File.Format(), "\n")
				for n := 0; n <= len(lines)+1; n++ {
					if src := p.SourceAt(u.Name, lines, n); src.Pos.File != "" && src.Pos.File != file {
						if _, err := os.Stat(src.Pos.File); err != nil {
							t.Fatalf("%s:%d placed in %s, which is no file", u.Name, n, src.Pos.File)
						}
					}
				}
			}
		}
	})
}

// FuzzSourceAt places arbitrary unit lines of arbitrary unit names in a
// fixed project: never a panic, and a place is always in its compose file.
func FuzzSourceAt(f *testing.F) {
	data, err := os.ReadFile("testdata/source-map.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("smap-web.container", "Volume=./x:/usr/share/nginx/html")
	f.Add("smap-web-2.container", "Secret=smap_key,type=mount,target=/run/key")
	f.Add("smap-side.container", "Requires=smap-db.container")
	f.Add("smap-web.container", "PodmanArgs=--security-opt=label=disable")
	f.Add("smap-back.network", "Internal=true")
	dir := f.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		f.Fatal(err)
	}
	p, err := Load(context.Background(), LoadOptions{Files: []string{file}, Env: []string{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, unit, line string) {
		lines := strings.Split(line, "\n")
		for n := 0; n <= len(lines); n++ {
			if src := p.SourceAt(unit, lines, n); src.Pos.File != "" && src.Pos.File != file {
				t.Fatalf("%q line %d placed in %s", unit, n, src.Pos.File)
			}
		}
	})
}
