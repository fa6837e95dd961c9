// Package compose turns compose files into quadlet units. Compose files are
// loaded with compose-go, the loader docker compose itself uses, so that
// overrides, .env files, interpolation, extends, include, anchors and
// profiles mean exactly what they mean to docker compose; every compose key
// is then mapped to quadlet keys that exist for the target podman, and
// whatever does not map exactly is listed in a Report.
package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// LoadOptions select the compose files and their environment, as the flags
// of docker compose do.
type LoadOptions struct {
	Files      []string // -f; empty means compose.yaml (or COMPOSE_FILE) in WorkingDir
	EnvFiles   []string // --env-file; empty means WorkingDir/.env if present
	Profiles   []string // --profile; empty means COMPOSE_PROFILES
	Name       string   // -p; empty means COMPOSE_PROJECT_NAME, name:, or the folder
	WorkingDir string   // --project-directory; empty means the first file's folder
	// Env is the environment used for interpolation; nil means the process
	// environment.
	Env []string
	// Enable names services to run even when their profile is not active:
	// docker compose enables a service named on its command line.
	Enable []string
}

// Project is a loaded compose project with the source positions of its keys.
type Project struct {
	*types.Project
	pos *positions
}

// Load reads and merges the compose files. Errors name the file (and, where
// compose-go knows it, the line) and what is wrong.
func Load(ctx context.Context, o LoadOptions) (*Project, error) {
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	if len(o.Files) == 0 && o.WorkingDir != "" {
		files, err := Discover(o.WorkingDir, env, o.EnvFiles...)
		if err != nil {
			return nil, loadError(o, nil, err)
		}
		if len(files) > 0 {
			// The project folder is the first file's, as docker compose's.
			o.Files, o.WorkingDir = files, ""
		}
	}
	p, err := load(ctx, o, env, o.Profiles)
	if err != nil {
		return nil, err
	}
	var more []string
	for _, name := range o.Enable {
		if s, ok := p.DisabledServices[name]; ok {
			more = append(more, s.Profiles...)
		}
	}
	if len(more) > 0 {
		if p, err = load(ctx, o, env, append(append([]string{}, p.Profiles...), more...)); err != nil {
			return nil, err
		}
	}
	return &Project{Project: p, pos: indexFiles(sourceFiles(p))}, nil
}

// load runs compose-go with the given profiles (none: COMPOSE_PROFILES).
func load(ctx context.Context, o LoadOptions, env, profiles []string) (*types.Project, error) {
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithEnv(env),
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithResolvedPaths(true),
		cli.WithoutEnvironmentResolution,
	}
	if len(profiles) > 0 {
		fns = append(fns, cli.WithProfiles(profiles))
	} else {
		fns = append(fns, cli.WithDefaultProfiles())
	}
	if o.Name != "" {
		fns = append(fns, cli.WithName(o.Name))
	}
	opts, err := cli.NewProjectOptions(o.Files, fns...)
	if err != nil {
		return nil, loadError(o, nil, err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, loadError(o, opts.ConfigPaths, err)
	}
	return p, nil
}

// sourceFiles lists the compose files and the files they include, for
// positions. Included files come first so the including file wins.
func sourceFiles(p *types.Project) []string {
	var files []string
	seen := map[string]bool{}
	var add func(f string, depth int)
	add = func(f string, depth int) {
		if seen[f] || f == "-" || depth > 8 {
			return
		}
		seen[f] = true
		for _, inc := range includes(f) {
			add(inc, depth+1)
		}
		files = append(files, f)
	}
	for _, f := range p.ComposeFiles {
		add(f, 0)
	}
	return files
}

// includes lists the files a compose file's include: names (short form,
// or path: of the long form), relative to its folder.
func includes(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var doc struct {
		Include []any `yaml:"include"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	var out []string
	addPath := func(p any) {
		if s, ok := p.(string); ok && s != "" {
			if !filepath.IsAbs(s) {
				s = filepath.Join(filepath.Dir(file), s)
			}
			out = append(out, s)
		}
	}
	for _, item := range doc.Include {
		switch v := item.(type) {
		case string:
			addPath(v)
		case map[string]any:
			if list, ok := v["path"].([]any); ok {
				for _, p := range list {
					addPath(p)
				}
			} else {
				addPath(v["path"])
			}
		}
	}
	return out
}

// FromTypes wraps a project loaded elsewhere; positions are read from its
// ComposeFiles.
func FromTypes(p *types.Project) *Project {
	return &Project{Project: p, pos: indexFiles(sourceFiles(p))}
}

// rel shows path relative to the project folder when it is inside it.
func (p *Project) rel(path string) string {
	if r, err := filepath.Rel(p.WorkingDir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
