package compose

import (
	"slices"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"
)

// limits maps resource limits: deploy.resources and the service-level
// mem_limit, cpus, pids_limit, ulimits and blkio_config.
func (v *svc) limits() {
	s := v.s
	mem, cpus, pids := int64(s.MemLimit), float64(s.CPUS), s.PidsLimit
	if d := s.Deploy; d != nil {
		if l := d.Resources.Limits; l != nil {
			mem, cpus, pids = pick(int64(l.MemoryBytes), mem), pickF(float64(l.NanoCPUs), cpus), pick(l.Pids, pids)
			if len(l.Devices) > 0 || len(l.GenericResources) > 0 {
				v.dropped("deploy.resources.limits", "device and generic resource limits are swarm-only", "")
			}
		}
		v.reservations(d.Resources.Reservations)
	}
	if mem > 0 {
		v.keyOr("Memory", bytesString(mem), "--memory")
	}
	if cpus > 0 {
		v.u.podmanArgs("--cpus=" + strconv.FormatFloat(cpus, 'f', -1, 64))
	}
	if pids != 0 {
		v.keyOr("PidsLimit", strconv.FormatInt(pids, 10), "--pids-limit")
	}
	v.flagBytes("--memory-reservation", int64(s.MemReservation))
	v.flagBytes("--memory-swap", int64(s.MemSwapLimit))
	v.flagInt("--memory-swappiness", int64(s.MemSwappiness))
	v.flagInt("--cpu-shares", s.CPUShares)
	v.flagInt("--cpu-period", s.CPUPeriod)
	v.flagInt("--cpu-quota", s.CPUQuota)
	v.flagInt("--cpu-rt-period", s.CPURTPeriod)
	v.flagInt("--cpu-rt-runtime", s.CPURTRuntime)
	if s.CPUSet != "" {
		v.u.podmanArgs("--cpuset-cpus=" + s.CPUSet)
	}
	if s.CPUCount != 0 || s.CPUPercent != 0 {
		v.dropped("cpu_count", "cpu_count and cpu_percent are Windows-only", "use cpus:")
	}
	for _, k := range sortedKeys(s.Ulimits) {
		v.keyOr("Ulimit", ulimitString(k, s.Ulimits[k]), "--ulimit")
	}
	v.blkio()
}

func pick(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

func pickF(a, b float64) float64 {
	if a != 0 {
		return a
	}
	return b
}

func (v *svc) reservations(r *types.Resource) {
	if r == nil {
		return
	}
	v.flagBytes("--memory-reservation", int64(r.MemoryBytes))
	if r.NanoCPUs != 0 {
		v.dropped("deploy.resources.reservations.cpus", "podman cannot reserve CPUs", "use cpu_shares: to weight CPU time")
	}
	for _, d := range r.Devices {
		if slices.Contains(d.Capabilities, "gpu") {
			v.u.set("AddDevice", "nvidia.com/gpu=all")
			v.approx("deploy.resources.reservations.devices", "GPU reservation became the CDI device nvidia.com/gpu=all",
				"generate the CDI spec with nvidia-ctk cdi generate; pick devices by index if needed")
			continue
		}
		v.dropped("deploy.resources.reservations.devices", "device reservations other than GPUs have no podman equivalent", "use devices:")
	}
}

func (v *svc) flagBytes(flag string, n int64) {
	if n > 0 {
		v.u.podmanArgs(flag + "=" + bytesString(n))
	}
}

func (v *svc) flagInt(flag string, n int64) {
	if n != 0 {
		v.u.podmanArgs(flag + "=" + strconv.FormatInt(n, 10))
	}
}

func ulimitString(name string, u *types.UlimitsConfig) string {
	if u.Single != 0 {
		return name + "=" + strconv.Itoa(u.Single)
	}
	return name + "=" + strconv.Itoa(u.Soft) + ":" + strconv.Itoa(u.Hard)
}

// blkio maps blkio_config to podman's block I/O flags.
func (v *svc) blkio() {
	b := v.s.BlkioConfig
	if b == nil {
		return
	}
	if b.Weight != 0 {
		v.u.podmanArgs("--blkio-weight=" + strconv.Itoa(int(b.Weight)))
	}
	for _, w := range b.WeightDevice {
		v.u.podmanArgs("--blkio-weight-device=" + w.Path + ":" + strconv.Itoa(int(w.Weight)))
	}
	for _, t := range []struct {
		flag string
		devs []types.ThrottleDevice
	}{{"--device-read-bps", b.DeviceReadBps}, {"--device-write-bps", b.DeviceWriteBps},
		{"--device-read-iops", b.DeviceReadIOps}, {"--device-write-iops", b.DeviceWriteIOps}} {
		for _, d := range t.devs {
			v.u.podmanArgs(t.flag + "=" + d.Path + ":" + strconv.FormatInt(int64(d.Rate), 10))
		}
	}
}
