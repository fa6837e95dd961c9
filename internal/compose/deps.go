package compose

import "github.com/compose-spec/compose-go/v2/types"

// dependencies maps depends_on once every service has its unit, because a
// condition changes the dependency's unit too: service_healthy makes it
// report ready only when healthy (Notify=healthy), and
// service_completed_successfully makes it a oneshot the dependent waits for.
func (c *conv) dependencies() {
	healthy := map[string]bool{}
	completed := map[string]bool{}
	for _, name := range sortedKeys(c.p.Services) {
		s := c.p.Services[name]
		u := c.byName[c.containerFile(name)]
		for _, dep := range sortedKeys(s.DependsOn) {
			d := s.DependsOn[dep]
			key := "depends_on." + dep
			if _, ok := c.p.Services[dep]; !ok {
				if d.Required {
					c.fail(name, key, "service "+dep+" is not in the project (is its profile active?)", "enable it with --profile, or mark the dependency required: false")
				} else {
					c.note(name, key, "optional dependency "+dep+" is not in the project and is skipped", "")
				}
				continue
			}
			rel := "Requires"
			if !d.Required {
				rel = "Wants"
			}
			u.requires(rel, c.containerFile(dep))
			switch d.Condition {
			case types.ServiceConditionHealthy:
				healthy[dep] = true
				c.checkHealthcheck(name, key, dep)
			case types.ServiceConditionCompletedSuccessfully:
				completed[dep] = true
			}
		}
	}
	for _, dep := range sortedKeys(healthy) {
		if completed[dep] {
			c.approx(dep, "", "other services wait both for it to be healthy and to complete; it runs as a oneshot, so health is not waited for",
				"use one condition for "+dep)
			continue
		}
		c.byName[c.containerFile(dep)].setRaw("Notify", "healthy")
	}
	for _, dep := range sortedKeys(completed) {
		c.oneshot(dep)
	}
}

// checkHealthcheck warns when a service_healthy dependency has no check of
// its own: it then relies on the image's HEALTHCHECK.
func (c *conv) checkHealthcheck(name, key, dep string) {
	h := c.p.Services[dep].HealthCheck
	switch {
	case h == nil || len(h.Test) == 0 && !h.Disable:
		c.approx(name, key+".condition", dep+" has no healthcheck: it becomes ready only if its image defines a HEALTHCHECK",
			"add a healthcheck: to "+dep)
	case h.Disable || h.Test[0] == "NONE":
		c.fail(name, key+".condition", dep+" has its healthcheck disabled and would never become healthy",
			"enable the healthcheck or use condition: service_started")
	}
}

// oneshot turns a dependency that must complete into a Type=oneshot service.
func (c *conv) oneshot(dep string) {
	u := c.byName[c.containerFile(dep)]
	if restart, ok := u.f.Lookup("Service", "Restart"); ok {
		u.f.Unset("Service", "Restart")
		u.f.RemoveSection("Install")
		c.approx(dep, "restart", "restart "+restart+" dropped: other services wait for "+dep+" to complete, so it runs once as a oneshot", "")
	}
	u.f.Add("Service", "Type", "oneshot")
	u.f.Add("Service", "RemainAfterExit", "no")
}
