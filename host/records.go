package host

import (
	"iter"
	"strings"
)

// records yields the lines of a tool's parsable output that carry
// something, with their 1-based line numbers (for error messages): a CR
// before the newline is dropped, and blank lines are skipped. Lines are
// not otherwise trimmed, since a trailing separator is an empty field.
func records(out string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, line := range strings.Split(out, "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !yield(i+1, line) {
				return
			}
		}
	}
}
