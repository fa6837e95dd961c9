package compose

import (
	"encoding/json"
)

// misc maps logging, shm_size, tty/stdin and the keys that only need a note.
func (v *svc) misc() {
	s := v.s
	v.logging()
	if s.ShmSize > 0 {
		v.keyOr("ShmSize", bytesString(int64(s.ShmSize)), "--shm-size")
	}
	if s.Tty {
		v.u.podmanArgs("--tty")
	}
	if s.StdinOpen {
		v.u.podmanArgs("--interactive")
	}
	if d := s.Deploy; d != nil {
		v.deploy()
	}
	v.serviceExtensions()
}

// logging maps logging: (and the legacy log_driver/log_opt).
func (v *svc) logging() {
	driver, opts := v.s.LogDriver, v.s.LogOpt
	if l := v.s.Logging; l != nil {
		if l.Driver != "" {
			driver = l.Driver
		}
		if len(l.Options) > 0 {
			opts = l.Options
		}
	}
	switch driver {
	case "":
	case "json-file", "k8s-file", "journald", "none", "passthrough":
		v.keyOr("LogDriver", driver, "--log-driver")
	case "local":
		v.keyOr("LogDriver", "k8s-file", "--log-driver")
		v.approx("logging.driver", "podman has no local driver; k8s-file is the closest", "")
	default:
		v.dropped("logging.driver", "podman has no "+driver+" log driver; podman's default driver is used", "use journald and forward from the journal")
	}
	for _, k := range sortedKeys(opts) {
		if k == "max-file" || k == "compress" || k == "mode" {
			v.dropped("logging.options."+k, "podman has no "+k+" log option", "rotate with max-size, or log to journald")
			continue
		}
		v.keyOr("LogOpt", k+"="+opts[k], "--log-opt")
	}
}

// deploy reports the swarm keys of deploy: that one host cannot honour.
func (v *svc) deploy() {
	d := v.s.Deploy
	if d.Mode != "" && d.Mode != "replicated" {
		v.note("deploy.mode", "swarm-only setting ignored", "")
	}
	if len(d.Labels) > 0 {
		v.note("deploy.labels", "swarm service labels ignored; labels: applies to the container", "")
	}
	if d.UpdateConfig != nil || d.RollbackConfig != nil || len(d.Placement.Constraints) > 0 ||
		len(d.Placement.Preferences) > 0 || d.EndpointMode != "" {
		v.note("deploy", "swarm update, rollback, placement and endpoint settings ignored", "")
	}
}

// handledKeys are the service keys this package maps or reports.
var handledKeys = map[string]bool{
	"annotations": true, "blkio_config": true, "build": true, "cap_add": true, "cap_drop": true,
	"cgroup": true, "cgroup_parent": true, "command": true, "configs": true, "container_name": true,
	"cpu_count": true, "cpu_percent": true, "cpu_period": true, "cpu_quota": true, "cpu_rt_period": true,
	"cpu_rt_runtime": true, "cpus": true, "cpuset": true, "cpu_shares": true, "depends_on": true,
	"deploy": true, "device_cgroup_rules": true, "devices": true, "dns": true, "dns_opt": true,
	"dns_search": true, "domainname": true, "entrypoint": true, "env_file": true, "environment": true,
	"expose": true, "external_links": true, "extra_hosts": true, "gpus": true, "group_add": true,
	"healthcheck": true, "hostname": true, "image": true, "init": true, "ipc": true, "labels": true,
	"links": true, "logging": true, "log_driver": true, "log_opt": true, "mac_address": true,
	"mem_limit": true, "mem_reservation": true, "memswap_limit": true, "mem_swappiness": true,
	"network_mode": true, "networks": true, "oom_kill_disable": true, "oom_score_adj": true, "pid": true,
	"pids_limit": true, "platform": true, "ports": true, "privileged": true, "profiles": true,
	"pull_policy": true, "read_only": true, "restart": true, "runtime": true, "scale": true,
	"secrets": true, "security_opt": true, "shm_size": true, "stdin_open": true, "stop_grace_period": true,
	"stop_signal": true, "storage_opt": true, "sysctls": true, "tmpfs": true, "tty": true, "ulimits": true,
	"umask": true, "user": true, "userns_mode": true, "uts": true, "volume_driver": true, "volumes": true,
	"volumes_from": true, "working_dir": true,
	// resolved by compose-go while loading
	"extends": true, "label_file": true,
}

// unknownKeys reports every set service key nothing above handled, so no
// key is ever lost silently, including keys newer compose specs add.
func (v *svc) unknownKeys() {
	data, err := json.Marshal(v.s)
	if err != nil {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return
	}
	for _, k := range sortedKeys(m) {
		if handledKeys[k] || string(m[k]) == "null" {
			continue
		}
		v.dropped(k, "berth has no conversion for this key", keyHint(k))
	}
}

func keyHint(k string) string {
	switch k {
	case "develop":
		return "file watching is a docker compose feature; rebuild with berth up"
	case "attach":
		return "follow the logs with journalctl"
	case "isolation", "credential_spec":
		return "Windows-only setting"
	case "use_api_socket":
		return "bind-mount the podman socket instead"
	}
	return "add the podman flag through PodmanArgs= by hand"
}
