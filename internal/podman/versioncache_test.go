package podman

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/version"
)

// The cache answers for the same binary, and asks podman again once the
// binary is replaced (an upgrade) or the entry is unreadable.
func TestCachedBinaryVersion(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "podman")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := VersionCache{File: filepath.Join(dir, "cache", "podman-version.json")}
	ask := func(reply string) (version.V, int) {
		t.Helper()
		stub := (&Stub{}).On(bin+" --version", 0, reply)
		v, err := (&Client{Runner: stub, Path: bin}).CachedBinaryVersion(context.Background(), cache)
		if err != nil {
			t.Fatal(err)
		}
		return v, len(stub.Calls)
	}
	steps := []struct {
		name   string
		before func()
		reply  string
		want   string
		calls  int
	}{
		{"first run asks podman", nil, "podman version 4.3.1\n", "4.3.1", 1},
		{"second run uses the cache", nil, "podman version 9.9.9\n", "4.3.1", 0},
		{"an upgraded binary is asked again", func() {
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n# 5.8.2\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(time.Minute)
			_ = os.Chtimes(bin, later, later)
		}, "podman version 5.8.2\n", "5.8.2", 1},
		{"and then cached", nil, "podman version 9.9.9\n", "5.8.2", 0},
		{"a damaged entry is replaced", func() {
			if err := os.WriteFile(cache.File, []byte("{not json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "podman version 5.8.2\n", "5.8.2", 1},
		{"read-only: used but not written", func() {
			cache.ReadOnly = true
			_ = os.Remove(cache.File)
		}, "podman version 5.8.2\n", "5.8.2", 1},
		{"so the next run asks again", nil, "podman version 5.8.2\n", "5.8.2", 1},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		v, calls := ask(s.reply)
		if v.String() != s.want || calls != s.calls {
			t.Errorf("%s: version %v after %d podman runs; want %s after %d", s.name, v, calls, s.want, s.calls)
		}
	}
}

func TestDefaultVersionCacheFile(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	tests := []struct {
		euid int
		env  func(string) (string, bool)
		want string
	}{
		{0, env("HOME", "/root"), "/var/cache/berth/podman-version.json"},
		{1000, env("HOME", "/home/a", "XDG_CACHE_HOME", "/x/cache"), "/x/cache/berth/podman-version.json"},
		{1000, env("HOME", "/home/a", "XDG_CACHE_HOME", "relative"), "/home/a/.cache/berth/podman-version.json"},
		{1000, env(), ""},
	}
	for _, tc := range tests {
		if got := DefaultVersionCacheFile(tc.euid, tc.env); got != tc.want {
			t.Errorf("euid %d: %q, want %q", tc.euid, got, tc.want)
		}
	}
}

// Version answers from the cache when the client has one (no `podman
// version` at every command), with the features that follow from it, and
// asks `podman version` without one.
func TestVersionUsesTheCache(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "podman")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := VersionCache{File: filepath.Join(dir, "podman-version.json")}
	for i, want := range []int{1, 0} {
		stub := (&Stub{}).On(bin+" --version", 0, "podman version 5.8.2\n")
		c := &Client{Runner: stub, Path: bin, VersionCache: cache}
		v, err := c.Version(context.Background())
		if err != nil || v.String() != "5.8.2" {
			t.Fatalf("run %d: %v, %v", i, v, err)
		}
		if f, _ := c.Features(context.Background()); !f.SdnotifyHealthy || !f.CreateIgnore {
			t.Errorf("run %d: features %+v for 5.8.2", i, f)
		}
		if len(stub.Calls) != want {
			t.Errorf("run %d: %d podman calls %v, want %d", i, len(stub.Calls), stub.Commands(), want)
		}
	}
	stub := (&Stub{}).On(bin+" version --format json", 0, `{"Client":{"Version":"4.3.1"}}`)
	c := &Client{Runner: stub, Path: bin}
	if v, err := c.Version(context.Background()); err != nil || v.String() != "4.3.1" {
		t.Fatalf("without a cache: %v, %v", v, err)
	}
	if f, _ := c.Features(context.Background()); f.SdnotifyHealthy || f.CreateIgnore {
		t.Errorf("features %+v for 4.3.1", f)
	}
}
