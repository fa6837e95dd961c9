package compose

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// FileNames are the compose files docker compose looks for in a folder, in
// its order of preference, and OverrideNames the override files it adds.
var (
	FileNames     = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}
	OverrideNames = []string{"compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"}
)

// Discover finds the compose files of a folder as docker compose does when
// no -f is given: COMPOSE_FILE from the environment, else from the folder's
// .env (paths relative to the folder, separated by COMPOSE_PATH_SEPARATOR or
// ':'); else the first compose file in the folder or the nearest parent
// folder that has one, with its override file. env is the process
// environment (nil: os.Environ()); envFiles, when given (--env-file),
// replace the folder's .env, as they do for docker compose. It returns nil
// when there is none.
func Discover(dir string, env []string, envFiles ...string) ([]string, error) {
	vars := envMap(env)
	dot, err := dotEnv(dir, vars, envFiles)
	if err != nil {
		return nil, err
	}
	list, ok := vars["COMPOSE_FILE"]
	if !ok {
		list, ok = dot["COMPOSE_FILE"]
	}
	if ok && list != "" {
		sep := vars["COMPOSE_PATH_SEPARATOR"]
		if sep == "" {
			sep = dot["COMPOSE_PATH_SEPARATOR"]
		}
		if sep == "" {
			sep = string(os.PathListSeparator)
		}
		var files []string
		for _, f := range strings.Split(list, sep) {
			if f == "" {
				continue
			}
			if !filepath.IsAbs(f) {
				f = filepath.Join(dir, f)
			}
			files = append(files, f)
		}
		return files, nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		if f := firstFile(d, FileNames); f != "" {
			files := []string{f}
			if o := firstFile(d, OverrideNames); o != "" {
				files = append(files, o)
			}
			return files, nil
		}
		if filepath.Dir(d) == d {
			return nil, nil
		}
	}
}

// dotEnv reads the variables of dir/.env (or of envFiles) (none when it does not exist), for
// settings docker compose takes from it: COMPOSE_FILE, COMPOSE_PROJECT_NAME,
// COMPOSE_PROFILES.
func dotEnv(dir string, vars map[string]string, envFiles []string) (map[string]string, error) {
	if len(envFiles) > 0 {
		return dotenv.GetEnvFromFile(vars, envFiles)
	}
	path := filepath.Join(dir, ".env")
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return map[string]string{}, nil
	}
	return dotenv.GetEnvFromFile(vars, []string{path})
}

func envMap(env []string) map[string]string {
	if env == nil {
		env = os.Environ()
	}
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func firstFile(dir string, names []string) string {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}
