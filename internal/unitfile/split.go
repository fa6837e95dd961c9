package unitfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// SplitOptions select how Split reads words, after systemd's
// extract_first_word() flags.
type SplitOptions struct {
	Unquote      bool // "..." and '...' group words; the quotes are removed
	CUnescape    bool // decode C escapes (\n, \x20, \u00e9, \s, ...)
	RetainEscape bool // a backslash is an ordinary character
	Relax        bool // tolerate an unbalanced quote or a trailing backslash
}

// Errors returned by Split.
var (
	ErrUnbalancedQuote  = errors.New("unbalanced quotes")
	ErrUnbalancedEscape = errors.New("trailing backslash")
)

// EscapeError reports an escape sequence systemd does not know. Its message
// keeps podman's words ("unsupported escape char"), which people grep
// their logs for, and adds the sequence.
type EscapeError struct{ Seq string }

func (e *EscapeError) Error() string { return "unsupported escape char " + e.Seq }

// ErrOpenQuote marks words read from a value whose quote was left open (or
// that ended in a backslash): SplitQuadletArgs closes the word at the end
// of the value, as podman's quadlet does, and returns the words with it.
var ErrOpenQuote = errors.New("unbalanced quotes")

// SplitQuadletArgs splits a quadlet value (Exec=, PodmanArgs=,
// Environment=, ...) the way podman's quadlet reads it: as SplitArgs does,
// except that an open quote or a trailing backslash ends the last word
// instead of failing. Then err is ErrOpenQuote and words are valid; any
// other error (an unknown escape) means the value cannot be read.
func SplitQuadletArgs(s string) ([]string, error) { return appendQuadletArgs(nil, s) }

// appendQuadletArgs is SplitQuadletArgs appending the words to dst.
func appendQuadletArgs(dst []string, s string) ([]string, error) {
	words, err := appendSplit(dst, s, SplitOptions{Unquote: true, CUnescape: true})
	if err == ErrUnbalancedQuote || err == ErrUnbalancedEscape {
		words, err = appendSplit(dst, s, SplitOptions{Unquote: true, CUnescape: true, Relax: true})
		if err == nil {
			err = ErrOpenQuote
		}
	}
	if err != nil && err != ErrOpenQuote {
		return words, err
	}
	if words, cut := endAtEmptyWord(words); cut {
		return words, ErrEmptyWord
	}
	return words, err
}

// ErrEmptyWord marks words read from a value holding an empty word, "" or
// a pair of single quotes: podman's quadlet reads word lists with a port of systemd's
// extract_first_word() that takes an empty word for the end of the value,
// so that word and every word after it are dropped. The quadlet readers
// here do the same, so that the units match, and return the words before
// it with this error.
var ErrEmptyWord = errors.New(`an empty word ("") ends the value`)

// WordsUsable reports whether words returned with err are valid (err is
// nil, ErrOpenQuote or ErrEmptyWord).
func WordsUsable(err error) bool { return err == nil || err == ErrOpenQuote || err == ErrEmptyWord }

func endAtEmptyWord(words []string) ([]string, bool) {
	for i, w := range words {
		if w == "" {
			return words[:i], true
		}
	}
	return words, false
}

// SplitArgs splits a command line as systemd splits Exec*= values.
func SplitArgs(s string) ([]string, error) {
	return Split(s, SplitOptions{Unquote: true, CUnescape: true})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Split splits s into whitespace-separated words.
func Split(s string, o SplitOptions) ([]string, error) { return appendSplit(nil, s, o) }

// appendSplit is Split appending the words to words: callers that only
// look at the words pass a buffer on their stack.
func appendSplit(words []string, s string, o SplitOptions) ([]string, error) {
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		w, next, err := word(s, i, o)
		if err != nil {
			return words, err
		}
		if cap(words) == 0 {
			words = make([]string, 0, 4) // most values have a few words
		}
		words = append(words, w)
		i = next
	}
}

// word reads one word starting at s[i], returning it and the index after it.
func word(s string, i int, o SplitOptions) (string, int, error) {
	// A word without escapes or quotes is a piece of s: no copy.
	j := i
	for j < len(s) && !isSpace(s[j]) && !(s[j] == '\\' && !o.RetainEscape) && !((s[j] == '"' || s[j] == '\'') && o.Unquote) {
		j++
	}
	if j == len(s) || isSpace(s[j]) {
		return s[i:j], j, nil
	}
	var b strings.Builder
	b.WriteString(s[i:j])
	i = j
	var quote byte
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && !o.RetainEscape:
			n, err := escape(&b, s, i+1, o)
			if err != nil {
				return "", 0, err
			}
			i = n
			continue
		case quote != 0 && c == quote:
			quote = 0
			if !o.Unquote {
				b.WriteByte(c)
			}
		case quote != 0:
			b.WriteByte(c)
		case isSpace(c):
			return b.String(), i, nil
		case (c == '"' || c == '\'') && o.Unquote:
			quote = c
		default:
			b.WriteByte(c)
		}
		i++
	}
	if quote != 0 && !o.Relax {
		return "", 0, ErrUnbalancedQuote
	}
	return b.String(), i, nil
}

// escape handles the character(s) after a backslash at s[i]; it returns the
// index after the sequence.
func escape(b *strings.Builder, s string, i int, o SplitOptions) (int, error) {
	if i >= len(s) {
		if o.Relax {
			return i, nil
		}
		return i, ErrUnbalancedEscape
	}
	if !o.CUnescape {
		b.WriteByte(s[i])
		return i + 1, nil
	}
	r, n, ok := cUnescapeOne(s[i:])
	if !ok {
		_, size := utf8.DecodeRuneInString(s[i:])
		return i, &EscapeError{Seq: "\\" + s[i:i+size]}
	}
	b.WriteRune(r)
	return i + n, nil
}

// cUnescapeOne decodes the escape sequence at the start of s (after the
// backslash). It returns the rune and the number of bytes read.
func cUnescapeOne(s string) (rune, int, bool) {
	switch s[0] {
	case 'a':
		return '\a', 1, true
	case 'b':
		return '\b', 1, true
	case 'f':
		return '\f', 1, true
	case 'n':
		return '\n', 1, true
	case 'r':
		return '\r', 1, true
	case 't':
		return '\t', 1, true
	case 'v':
		return '\v', 1, true
	case '\\', '"', '\'':
		return rune(s[0]), 1, true
	case 's':
		return ' ', 1, true
	case 'x':
		return hexRune(s, 2)
	case 'u':
		return hexRune(s, 4)
	case 'U':
		return hexRune(s, 8)
	}
	if s[0] >= '0' && s[0] <= '7' {
		if len(s) < 3 {
			return 0, 0, false
		}
		var v rune
		for j := 0; j < 3; j++ {
			if s[j] < '0' || s[j] > '7' {
				return 0, 0, false
			}
			v = v*8 + rune(s[j]-'0')
		}
		if v == 0 || v > 255 {
			return 0, 0, false
		}
		return v, 3, true
	}
	return 0, 0, false
}

func hexRune(s string, digits int) (rune, int, bool) {
	if len(s) < 1+digits {
		return 0, 0, false
	}
	var v rune
	for j := 1; j <= digits; j++ {
		d := unhex(s[j])
		if d < 0 {
			return 0, 0, false
		}
		v = v<<4 | rune(d)
	}
	if v == 0 || v > utf8.MaxRune || (v >= 0xd800 && v <= 0xdfff) {
		return 0, 0, false // systemd refuses NUL and invalid code points
	}
	return v, 1 + digits, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// JoinArgs quotes words so that SplitArgs reads them back unchanged.
func JoinArgs(words []string) string {
	var b strings.Builder
	n := len(words)
	for _, w := range words {
		n += len(w)
	}
	b.Grow(n) // exact unless a word needs quoting
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(QuoteWord(w))
	}
	return b.String()
}

// QuoteWord returns w as one systemd command-line word: as is when it needs
// nothing, else in double quotes with backslashes, quotes and control
// characters escaped. Specifiers (%n) and $VARIABLES are left alone: they are
// the author's to use.
func QuoteWord(w string) string {
	if w != "" && !needsQuoting(w) {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func needsQuoting(w string) bool {
	for i := 0; i < len(w); i++ {
		if quoteBytes[w[i]] {
			return true
		}
	}
	return false
}

// quoteBytes marks the bytes that make a word need quoting: space and
// control characters, quotes and the backslash. A table, because every word
// of every generated command line is checked.
var quoteBytes = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range []byte{0x7f, '"', '\'', '\\'} {
		t[c] = true
	}
	return t
}()
