package quadlet

import (
	"math"
	"strconv"
	"strings"
)

// parseInt reads an integer the way systemd's strtol-based parsers do:
// optional sign, 0x for hex, a leading 0 for octal.
func parseInt(s string) (int64, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		s, neg = s[1:], true
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	n, err := strconv.ParseInt(s, base, 64)
	if neg {
		n = -n
	}
	return n, err
}

// uint32 reads key as a uint32; absent or invalid values read as 0.
func (c *ctx) uint32(key string) uint32 {
	val, ok := c.src.Lookup(c.kind.Group, key)
	if !ok {
		return 0
	}
	n, err := parseInt(val)
	if err != nil || n < 0 || n > math.MaxUint32 {
		return 0
	}
	return uint32(n)
}
