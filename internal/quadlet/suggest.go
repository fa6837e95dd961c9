package quadlet

import "strings"

// maxSuggestLen bounds the words compared: the edit distance is quadratic,
// and no key is anywhere near this long.
const maxSuggestLen = 128

// Suggest returns the candidate closest to word (case-insensitive edit
// distance) when it is close enough to be a plausible typo, else "".
func Suggest(word string, candidates []string) string {
	if len(word) > maxSuggestLen {
		return ""
	}
	best, bestDist := "", len(word)/3+2
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
