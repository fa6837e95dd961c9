//go:build !linux

package atomicfile

import "errors"

// syncfs fails where there is no syncfs(2): WriteAll then flushes each
// file instead.
func syncfs(int) error { return errors.New("syncfs: not supported on this system") }
