package compose

import (
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// lifecycle maps restart, stop_signal, stop_grace_period and init.
func (v *svc) lifecycle() {
	v.restart()
	s := v.s
	if s.StopSignal != "" {
		v.keyOr("StopSignal", s.StopSignal, "--stop-signal")
	}
	if s.StopGracePeriod != nil {
		secs := int64((time.Duration(*s.StopGracePeriod) + time.Second - 1) / time.Second)
		v.keyOr("StopTimeout", strconv.FormatInt(secs, 10), "--stop-timeout")
		if secs+30 > 90 {
			v.u.f.Add("Service", "TimeoutStopSec", strconv.FormatInt(secs+30, 10))
		}
	}
	if s.Init != nil {
		v.u.set("RunInit", strconv.FormatBool(*s.Init))
	}
}

// restartPolicy returns the compose restart policy, from restart: or from
// deploy.restart_policy.
func (v *svc) restartPolicy() (policy, key string) {
	if v.s.Restart != "" {
		return v.s.Restart, "restart"
	}
	if v.s.Deploy == nil || v.s.Deploy.RestartPolicy == nil {
		return "", ""
	}
	rp := v.s.Deploy.RestartPolicy
	key = "deploy.restart_policy"
	if rp.Delay != nil || rp.Window != nil {
		v.approx(key, "restart delay and window are not carried over", "add RestartSec= to [Service]")
	}
	switch rp.Condition {
	case "none":
		return "no", key
	case "on-failure":
		if rp.MaxAttempts != nil {
			return "on-failure:" + strconv.FormatUint(*rp.MaxAttempts, 10), key
		}
		return "on-failure", key
	}
	return "always", key
}

// restart maps the restart policy to systemd's Restart=. Containers that
// compose restarts when the daemon starts are enabled at boot.
func (v *svc) restart() {
	policy, key := v.restartPolicy()
	name, maxTries, _ := strings.Cut(policy, ":")
	switch name {
	case "", types.RestartPolicyNo:
		return
	case types.RestartPolicyAlways:
	case types.RestartPolicyUnlessStopped:
		v.approx(key, "unless-stopped became Restart=always: a unit stopped with systemctl stays stopped, but starts again at boot",
			"disable the unit (systemctl disable) to keep it stopped across boots")
	case types.RestartPolicyOnFailure:
		v.u.f.Add("Service", "Restart", "on-failure")
		if n, err := strconv.Atoi(maxTries); err == nil && maxTries != "" {
			v.u.f.Add("Unit", "StartLimitIntervalSec", "infinity")
			v.u.f.Add("Unit", "StartLimitBurst", strconv.Itoa(n+1))
			v.approx(key, "at most "+maxTries+" restarts became StartLimitBurst="+strconv.Itoa(n+1)+": manual starts count too",
				"reset the count with systemctl reset-failed")
		}
		return
	default:
		v.fail(key, "unknown restart policy "+strconv.Quote(policy), "use no, always, on-failure[:N] or unless-stopped")
		return
	}
	v.u.f.Add("Service", "Restart", "always")
	v.u.f.Add("Install", "WantedBy", "default.target")
}

// healthcheck maps healthcheck: CMD becomes a JSON exec array, CMD-SHELL a
// shell string, both read by podman's --health-cmd.
func (v *svc) healthcheck() {
	h := v.s.HealthCheck
	if h == nil {
		return
	}
	if h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE" {
		v.u.set("HealthCmd", "none")
		return
	}
	if len(h.Test) > 0 {
		cmd, ok := healthCmd(h.Test)
		if !ok {
			v.fail("healthcheck.test", "the test must start with CMD, CMD-SHELL or NONE", "write test: [\"CMD\", ...] or a string")
			return
		}
		v.u.set("HealthCmd", cmd)
	}
	for _, d := range []struct {
		key string
		val *types.Duration
	}{{"HealthInterval", h.Interval}, {"HealthTimeout", h.Timeout}, {"HealthStartPeriod", h.StartPeriod}} {
		if d.val != nil {
			v.u.set(d.key, time.Duration(*d.val).String())
		}
	}
	if h.Retries != nil {
		v.u.set("HealthRetries", strconv.FormatUint(*h.Retries, 10))
	}
	if h.StartInterval != nil {
		v.approx("healthcheck.start_interval", "podman checks at the normal interval during the start period",
			"shorten interval, or use HealthStartup* keys by hand")
	}
}

// healthCmd renders a compose test for --health-cmd.
func healthCmd(test []string) (string, bool) {
	switch test[0] {
	case "CMD":
		return jsonArray(test[1:]), true
	case "CMD-SHELL":
		shell := strings.Join(test[1:], " ")
		if strings.HasPrefix(shell, `"`) || strings.HasPrefix(shell, "[") {
			// quadlet would strip the quotes, podman would read JSON:
			// give the shell explicitly.
			return jsonArray([]string{"/bin/sh", "-c", shell}), true
		}
		return shell, true
	}
	return "", false
}
