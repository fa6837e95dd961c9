package unitexec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Infinity is a disabled timeout.
const Infinity time.Duration = -1

var timeUnits = []struct {
	names []string
	d     time.Duration
}{
	{[]string{"us", "usec", "µs"}, time.Microsecond},
	{[]string{"ms", "msec"}, time.Millisecond},
	{[]string{"s", "sec", "second", "seconds"}, time.Second},
	{[]string{"m", "min", "minute", "minutes"}, time.Minute},
	{[]string{"h", "hr", "hour", "hours"}, time.Hour},
	{[]string{"d", "day", "days"}, 24 * time.Hour},
	{[]string{"w", "week", "weeks"}, 7 * 24 * time.Hour},
	{[]string{"M", "month", "months"}, 2629800 * time.Second},
	{[]string{"y", "year", "years"}, 31557600 * time.Second},
	{[]string{"ns", "nsec"}, time.Nanosecond},
}

// ParseDuration reads a systemd time span ("90", "5min 20s", "1.5s",
// "infinity") or a Go duration ("1m30s"). A bare number is seconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "infinity" {
		return Infinity, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty time span")
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var total time.Duration
	rest := s
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid time span %q", s)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid time span %q", s)
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && rest[j] != ' ' && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit := time.Second
		if j > 0 {
			u, ok := lookupUnit(rest[:j])
			if !ok {
				return 0, fmt.Errorf("invalid time unit %q in %q", rest[:j], s)
			}
			unit = u
		}
		total += time.Duration(num * float64(unit))
		rest = rest[j:]
	}
	return total, nil
}

func lookupUnit(name string) (time.Duration, bool) {
	for _, u := range timeUnits {
		for _, n := range u.names {
			if n == name {
				return u.d, true
			}
		}
	}
	return 0, false
}
