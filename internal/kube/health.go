package kube

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// publish reads one PublishPort= value, reporting what cannot be read.
func (s *source) publish(v string) []port {
	ps, err := parsePublish(v)
	if err != nil {
		s.loss("PublishPort", Dropped, "PublishPort="+v+": "+err.Error(), "")
	}
	return ps
}

// containerPorts declares the container's ports (PublishPort=,
// ExposeHostPort=) and remembers them for the workload's Services. Only
// --for podman publishes on the host (hostPort): a cluster reaches pods
// through Services.
func (s *source) containerPorts(w *workload, c *corev1.Container) {
	var ps []port
	for _, l := range s.lines("PublishPort") {
		s.cur = l
		ps = append(ps, s.publish(l.Value)...)
	}
	for _, l := range s.lines("ExposeHostPort") {
		s.cur = l
		exposed, err := parsePublish(l.Value)
		if err != nil {
			s.loss("ExposeHostPort", Dropped, "ExposeHostPort="+l.Value+": "+err.Error(), "")
		}
		ps = append(ps, exposed...)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		key := strconv.Itoa(int(p.Port)) + "/" + string(p.Protocol)
		if seen[key] {
			continue
		}
		seen[key] = true
		cp := corev1.ContainerPort{ContainerPort: p.Port, Protocol: p.Protocol}
		if s.e.opts.For == ForPodman && p.HostPort != 0 {
			cp.HostPort, cp.HostIP = p.HostPort, p.HostIP
		}
		c.Ports = append(c.Ports, cp)
		w.ports = append(w.ports, p)
	}
}

// health turns HealthCmd= and its settings into probes: readiness always,
// liveness when HealthOnFailure= kills or restarts, a startup probe for
// HealthStartPeriod= or HealthStartupCmd=.
func (s *source) health(w *workload, c *corev1.Container) {
	s.use("HealthInterval", "HealthTimeout", "HealthRetries", "HealthStartPeriod", "HealthOnFailure",
		"HealthStartupCmd", "HealthStartupInterval", "HealthStartupRetries", "HealthStartupSuccess", "HealthStartupTimeout")
	v, ok := s.last("HealthCmd")
	if !ok {
		return
	}
	cmd, err := healthCommand(v)
	if err != nil {
		s.loss("HealthCmd", Dropped, err.Error(), "")
		return
	}
	if cmd == nil {
		return
	}
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		PeriodSeconds: 30, TimeoutSeconds: 30, FailureThreshold: 3} // podman's defaults
	s.duration("HealthInterval", &probe.PeriodSeconds)
	s.duration("HealthTimeout", &probe.TimeoutSeconds)
	s.count("HealthRetries", &probe.FailureThreshold)
	c.ReadinessProbe = probe
	switch f, _ := s.last("HealthOnFailure"); f {
	case "kill", "restart":
		live := *probe
		c.LivenessProbe = &live
	case "stop":
		s.loss("HealthOnFailure", Approximated, "stop: Kubernetes only takes an unready pod out of its Services", "")
	}
	s.startupProbe(c, probe)
}

func (s *source) startupProbe(c *corev1.Container, probe *corev1.Probe) {
	start := int32(0)
	s.duration("HealthStartPeriod", &start)
	cmdText, hasCmd := s.last("HealthStartupCmd")
	if start == 0 && !hasCmd {
		return
	}
	sp := *probe
	if hasCmd {
		cmd, err := healthCommand(cmdText)
		if err != nil || cmd == nil {
			s.loss("HealthStartupCmd", Dropped, "no command to run", "")
		} else {
			sp.ProbeHandler = corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}
		}
		s.duration("HealthStartupInterval", &sp.PeriodSeconds)
		s.duration("HealthStartupTimeout", &sp.TimeoutSeconds)
		s.count("HealthStartupRetries", &sp.FailureThreshold)
	}
	if start > 0 { // failures during the start period do not count
		sp.FailureThreshold += (start + sp.PeriodSeconds - 1) / sp.PeriodSeconds
	}
	c.StartupProbe = &sp
}

func (s *source) duration(key string, into *int32) {
	v, ok := s.last(key)
	if !ok || v == "" {
		return
	}
	n, err := seconds(v)
	if err != nil {
		s.loss(key, Dropped, err.Error(), "")
		return
	}
	*into = n
}

func (s *source) count(key string, into *int32) {
	v, ok := s.last(key)
	if !ok || v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		s.loss(key, Dropped, v+" is not a positive number", "")
		return
	}
	*into = int32(n)
}
