package sim

import "strings"

// optError is a bad option; each tool words it its own way.
type optError struct {
	opt     string // "-x" or "--long"
	missing bool   // it needs an argument and got none
	extra   bool   // a long option got an argument it does not take
}

// Error words it as the pkg client (Python getopt) does.
func (e *optError) Error() string {
	switch {
	case e.missing:
		return "option " + e.opt + " requires argument"
	case e.extra:
		return "option " + e.opt + " must not have an argument"
	}
	return "option " + e.opt + " not recognized"
}

// letter is the option without its dashes.
func (e *optError) letter() string { return strings.TrimLeft(e.opt, "-") }

// opt is one parsed option: "-x" or "--long", with its argument if any.
type opt struct {
	name, val string
}

// getopt parses short options from spec ("ab:" = -a, -b ARG) and long ones
// from longs ("accept", "proxy=" takes an argument). permute lets options
// follow operands, as the pkg client's parser does; otherwise parsing stops
// at the first operand, as getopt(3) does for zoneadm and zlogin.
func getopt(args []string, spec string, longs []string, permute bool) ([]opt, []string, error) {
	var opts []opt
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(operands, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			takes, known := false, false
			for _, l := range longs {
				if strings.TrimSuffix(l, "=") == name {
					known, takes = true, strings.HasSuffix(l, "=")
				}
			}
			if !known {
				return nil, nil, &optError{opt: "--" + name}
			}
			if takes && !hasVal {
				if i+1 >= len(args) {
					return nil, nil, &optError{opt: "--" + name, missing: true}
				}
				i++
				val = args[i]
			} else if !takes && hasVal {
				return nil, nil, &optError{opt: "--" + name, extra: true}
			}
			opts = append(opts, opt{"--" + name, val})
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j]
				k := strings.IndexByte(spec, c)
				if k < 0 || c == ':' {
					return nil, nil, &optError{opt: "-" + string(c)}
				}
				if k+1 < len(spec) && spec[k+1] == ':' {
					val := a[j+1:]
					if val == "" {
						if i+1 >= len(args) {
							return nil, nil, &optError{opt: "-" + string(c), missing: true}
						}
						i++
						val = args[i]
					}
					opts = append(opts, opt{"-" + string(c), val})
					break
				}
				opts = append(opts, opt{"-" + string(c), ""})
			}
		default:
			if !permute {
				return opts, append(operands, args[i:]...), nil
			}
			operands = append(operands, a)
		}
	}
	return opts, operands, nil
}

// has tells whether any of the names was given.
func has(opts []opt, names ...string) bool {
	for _, o := range opts {
		for _, n := range names {
			if o.name == n {
				return true
			}
		}
	}
	return false
}

// vals are the arguments of every occurrence of the names, in order.
func vals(opts []opt, names ...string) []string {
	var out []string
	for _, o := range opts {
		for _, n := range names {
			if o.name == n {
				out = append(out, o.val)
			}
		}
	}
	return out
}

// val is the last argument given for the names, "" if none.
func val(opts []opt, names ...string) string {
	v := vals(opts, names...)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// globMatch matches shell-style * and ? where, as in fnmatch without
// FNM_PATHNAME, * also matches '/'.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}
