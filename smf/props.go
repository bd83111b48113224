package smf

import (
	"fmt"
	"strings"
)

// metachars are the characters svcprop escapes with a backslash inside a
// string value (quote_for_shell in svcprop.c): the Bourne shell's
// metacharacters, blanks and the newline among them.
const metachars = ";&()|^<>\n \t\\\"'`"

// Quote writes one value the way svcprop prints it: "" for the empty
// string, otherwise each metacharacter preceded by a backslash. It is the
// inverse of what ParseProps does to one value, for tests and for writing
// zonesim's props files.
func Quote(v string) string {
	if v == "" {
		return `""`
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(metachars, v[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ParseProps parses the output of `svcprop -p PG FMRI` (or of several -p,
// or -t): one property per line, `pg/prop type value...`, and returns
// "pg/prop" -> value.
//
// The rules are svcprop's (display_prop and quote_for_shell in svcprop.c):
// the values of a property are separated by single spaces; an empty string
// is printed as ""; inside a value, the shell's metacharacters
// (; & ( ) | ^ < > space tab newline \ " ' `) are preceded by a backslash,
// so a value may even continue on the next line after a backslash. A
// property with several values reads as the values joined with ",", the
// form of zoneup's comma lists; one with no values reads as "". Names in
// the -f form (svc:/...:default/:properties/pg/prop) are shortened to
// pg/prop. Blank lines are skipped; a line without a type, a name without
// a property group, a name given twice or a backslash at the very end are
// errors.
func ParseProps(out []byte) (map[string]string, error) {
	props := map[string]string{}
	p := propParser{buf: out, line: 1}
	for !p.eof() {
		if p.blankLine() {
			continue
		}
		first := p.line
		name, typ := p.word(), ""
		if p.peek() == ' ' {
			p.pos++
			typ = p.word()
		}
		if typ == "" {
			return nil, fmt.Errorf("line %d: %q has no type (want `pg/prop type value...`)", first, name)
		}
		if i := strings.LastIndex(name, "/:properties/"); i >= 0 {
			name = name[i+len("/:properties/"):]
		}
		if pg, prop, ok := strings.Cut(name, "/"); !ok || pg == "" || prop == "" {
			return nil, fmt.Errorf("line %d: %q is not pg/prop", first, name)
		}
		if _, dup := props[name]; dup {
			return nil, fmt.Errorf("line %d: property %s listed twice", first, name)
		}
		if p.peek() == ' ' {
			p.pos++
		}
		vals, err := p.values()
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", first, name, err)
		}
		props[name] = strings.Join(vals, ",")
	}
	return props, nil
}

type propParser struct {
	buf  []byte
	pos  int
	line int // of pos, for messages
}

func (p *propParser) eof() bool { return p.pos >= len(p.buf) }

// peek returns the next byte, or 0 at the end.
func (p *propParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.buf[p.pos]
}

// blankLine consumes a line of nothing but blanks, if that is what comes.
func (p *propParser) blankLine() bool {
	i := p.pos
	for i < len(p.buf) && (p.buf[i] == ' ' || p.buf[i] == '\t' || p.buf[i] == '\r') {
		i++
	}
	switch {
	case i == len(p.buf):
		p.pos = i
		return true
	case p.buf[i] == '\n':
		p.pos = i + 1
		p.line++
		return true
	}
	return false
}

// word reads up to the next space or newline (names and types are never
// escaped: SMF names are [A-Za-z0-9_.,-] and types are fixed words).
func (p *propParser) word() string {
	start := p.pos
	for !p.eof() && p.buf[p.pos] != ' ' && p.buf[p.pos] != '\n' {
		p.pos++
	}
	return string(p.buf[start:p.pos])
}

// values reads the values up to the unescaped newline that ends the line
// (consumed) or the end of the output.
func (p *propParser) values() ([]string, error) {
	var vals []string
	var cur strings.Builder
	inValue, escaped := false, false
	flush := func() {
		if !inValue {
			return // a second space in a row, or a trailing one: no value
		}
		v := cur.String()
		if v == `""` && !escaped {
			v = "" // the empty string; a value of two quote characters prints as \"\"
		}
		vals = append(vals, v)
		cur.Reset()
		inValue, escaped = false, false
	}
	for !p.eof() {
		c := p.buf[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.buf) {
				return nil, fmt.Errorf("output ends in the middle of an escape")
			}
			next := p.buf[p.pos+1]
			if next == '\n' {
				p.line++
			}
			cur.WriteByte(next)
			inValue, escaped = true, true
			p.pos += 2
		case ' ':
			flush()
			p.pos++
		case '\n':
			flush()
			p.pos++
			p.line++
			return vals, nil
		default:
			cur.WriteByte(c)
			inValue = true
			p.pos++
		}
	}
	flush()
	return vals, nil
}
