package quadlet

// Suggest returns the candidate closest to word (case-insensitive edit
// distance) when it is close enough to be a plausible typo, else "". Words
// longer than any key are not compared: the distance is quadratic.
func Suggest(word string, candidates []string) string {
	if len(word) > 128 {
		return ""
	}
	return suggest(word, candidates)
}
