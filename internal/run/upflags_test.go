package run

import (
	"strings"
	"testing"

	sd "github.com/berth-dev/berth/internal/unitexec"
)

func TestUpFlagsAdjust(t *testing.T) {
	mk := func() (*Plan, *Unit) {
		net := &Unit{Name: "net.service", Kind: KindNetwork}
		db := &Unit{Name: "db.service", Kind: KindContainer}
		web := &Unit{Name: "web.service", Kind: KindContainer}
		return &Plan{Steps: []*Step{
			{Name: "net.service", Unit: net, Action: ActKeep},
			{Name: "db.service", Unit: db, Action: ActChange, Changed: []string{"compiled unit"}},
			{Name: "web.service", Unit: web, Action: ActKeep, After: []string{"db.service", "net.service"}},
		}}, web
	}
	show := func(p *Plan) string {
		var b []string
		for _, s := range p.Steps {
			b = append(b, string(s.Action)+" "+s.Name+" after "+strings.Join(s.After, ","))
		}
		return strings.Join(b, "; ")
	}
	p, web := mk()
	if got := show(UpFlags{NoDeps: true}.adjust(p, []*Unit{web})); got != "keep net.service after ; keep web.service after net.service" {
		t.Errorf("--no-deps: %s", got)
	}
	p, _ = mk()
	if got := show(UpFlags{ForceRecreate: true}.adjust(p, nil)); got != "keep net.service after ; change db.service after ; change web.service after db.service,net.service" {
		t.Errorf("--force-recreate: %s", got)
	}
	p, _ = mk()
	if got := show(UpFlags{NoRecreate: true}.adjust(p, nil)); got != "keep net.service after ; keep db.service after ; keep web.service after db.service,net.service" {
		t.Errorf("--no-recreate: %s", got)
	}
}

func TestUpFlagsAlwaysRecreateDeps(t *testing.T) {
	db := &Unit{Name: "db.service", Kind: KindContainer, Svc: &sd.Service{}}
	web := &Unit{Name: "web.service", Kind: KindContainer, Svc: &sd.Service{Deps: sd.Deps{Requires: []string{"db.service"}}}}
	other := &Unit{Name: "other.service", Kind: KindContainer, Svc: &sd.Service{}}
	p := &Plan{Steps: []*Step{
		{Name: "db.service", Unit: db, Action: ActKeep},
		{Name: "other.service", Unit: other, Action: ActKeep},
		{Name: "web.service", Unit: web, Action: ActChange},
	}}
	UpFlags{AlwaysRecreateDeps: true}.adjust(p, nil)
	if p.Steps[0].Action != ActChange || p.Steps[1].Action != ActKeep {
		t.Errorf("db %s, other %s; want db recreated with web, other kept", p.Steps[0].Action, p.Steps[1].Action)
	}
}
