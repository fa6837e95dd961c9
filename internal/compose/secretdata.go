package compose

import (
	"fmt"
	"os"

	"github.com/berth-dev/berth/internal/diag"
)

// Secret is a podman secret a converted unit mounts and that must be created
// from a compose secret before the containers start. It never holds the
// value: Data reads it from its source when needed.
type Secret struct {
	Name    string   // podman secret name, e.g. "shop_db_password"
	Key     string   // the compose secret's key under secrets:
	File    string   // absolute path, for file: secrets
	Env     string   // variable name, for environment: secrets
	Content bool     // for content: secrets
	Service string   // for a secret-looking environment value: Key of this service's environment
	Pos     diag.Pos // where the compose secret is declared, when known
}

// Source says where the value comes from, for messages (never the value).
func (s Secret) Source() string {
	switch {
	case s.File != "":
		return "file " + s.File
	case s.Env != "":
		return "environment variable " + s.Env
	case s.Service != "":
		return "environment " + s.Key + " of service " + s.Service
	}
	return "inline content"
}

// Data reads the secret's value from its source: the file, the project's
// environment (the process environment and .env / --env-file, as compose
// reads it) or the inline content. Errors name where the secret is declared
// and say what to do; they never contain the value.
func (p *Project) Data(s Secret) ([]byte, error) {
	where := s.Pos.String()
	if where == "" {
		where = "secrets." + s.Key
	}
	switch {
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("%s: secret %s: cannot read its file: %w (create the file or fix secrets.%s.file)", where, s.Key, err, s.Key)
		}
		return b, nil
	case s.Env != "":
		v, ok := p.Environment[s.Env]
		if !ok {
			return nil, fmt.Errorf("%s: secret %s: environment variable %s is not set (export it or add it to .env)", where, s.Key, s.Env)
		}
		return []byte(v), nil
	case s.Service != "":
		svc, ok := p.Services[s.Service]
		if v := svc.Environment[s.Key]; ok && v != nil {
			return []byte(*v), nil
		}
		if v, ok := p.Environment[s.Key]; ok { // KEY alone: compose passes the project's value
			return []byte(v), nil
		}
		return nil, fmt.Errorf("%s: service %s: environment variable %s is not set (export it or add it to .env)", where, s.Service, s.Key)
	case s.Content:
		cfg, ok := p.Secrets[s.Key]
		if !ok {
			return nil, fmt.Errorf("%s: secret %s is not declared", where, s.Key)
		}
		return []byte(cfg.Content), nil
	}
	return nil, fmt.Errorf("%s: secret %s has no source (give it a file: or environment:)", where, s.Key)
}

// ContainerFile is the name of the .container unit of a compose service.
func ContainerFile(p *Project, service string) string { return p.Name + "-" + service + ".container" }

// ContainerName is the container of a service: its container_name, else
// docker compose's <project>-<service>-1.
func ContainerName(p *Project, service string) string {
	if s, ok := p.Services[service]; ok && s.ContainerName != "" {
		return s.ContainerName
	}
	return p.Name + "-" + service + "-1"
}
