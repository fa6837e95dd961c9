package unitfile

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeyValsLongList checks that a later assignment of a name replaces the
// earlier one in place on both sides of the size where KeyVals starts
// indexing names.
func TestKeyValsLongList(t *testing.T) {
	for _, n := range []int{3, 16, 17, 40} {
		var words []string
		for i := 0; i < n; i++ {
			words = append(words, fmt.Sprintf("K%d=%d", i, i))
		}
		text := "[Container]\nEnvironment=" + strings.Join(words, " ") + "\nEnvironment=K0=new K1 K" + fmt.Sprint(n-1) + "=last EXTRA=x\n"
		f, diags := Parse("t.container", []byte(text))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		kvs, errs := f.KeyVals("Container", "Environment")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if len(kvs) != n+1 {
			t.Fatalf("n=%d: %d names, want %d", n, len(kvs), n+1)
		}
		want := map[int]KeyVal{0: {"K0", "new", true}, 1: {"K1", "", false}, n - 1: {fmt.Sprintf("K%d", n-1), "last", true}, n: {"EXTRA", "x", true}}
		for i, kv := range want {
			if kvs[i] != kv {
				t.Errorf("n=%d: kvs[%d] = %+v, want %+v", n, i, kvs[i], kv)
			}
		}
		// Appended to a list holding names already (which it leaves
		// alone, K0 among them), with room or without.
		for _, room := range []int{0, 64} {
			prefix := append(make([]KeyVal, 0, 2+room), KeyVal{"K0", "before", true}, KeyVal{"P", "", false})
			got, _ := f.AppendKeyVals(prefix, "Container", "Environment")
			if len(got) != 2+len(kvs) || got[0] != prefix[0] || got[1] != prefix[1] {
				t.Fatalf("n=%d room=%d: AppendKeyVals gave %d names starting %+v", n, room, len(got), got[:2])
			}
			for i := range kvs {
				if got[2+i] != kvs[i] {
					t.Errorf("n=%d room=%d: appended [%d] = %+v, want %+v", n, room, i, got[2+i], kvs[i])
				}
			}
		}
	}
}
