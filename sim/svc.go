package sim

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	fmriMultiUserServer = "svc:/milestone/multi-user-server:default"
	fmriApache          = "svc:/network/http:apache22"
)

// service is one SMF instance as svcs shows it.
type service struct {
	fmri, state string
	stime       time.Time
}

// gzServices are the global zone's instances.
func gzServices() []service {
	t := time.Date(2020, 11, 23, 19, 7, 0, 0, time.UTC)
	return []service{
		{"svc:/system/filesystem/local:default", "online", t},
		{"svc:/milestone/network:default", "online", t},
		{"svc:/network/ssh:default", "online", t},
		{"svc:/milestone/multi-user:default", "online", t},
		{fmriMultiUserServer, "online", t},
		{"svc:/system/zones:default", "online", t},
	}
}

// zoneServices are a running zone's instances: the multi-user-server
// milestone comes online a little after boot, and the svc-maintenance
// fault leaves Apache in maintenance.
func (c *call) zoneServices(z *zone) []service {
	booted := time.Unix(0, z.BootedAt)
	up := time.Since(booted) >= c.dur(milestoneDelay, "")
	milestone := "online"
	if !up {
		milestone = "offline*"
	}
	out := []service{
		{"svc:/system/filesystem/local:default", "online", booted},
		{"svc:/milestone/network:default", "online", booted},
		{"svc:/network/ssh:default", "online", booted},
		{"svc:/milestone/multi-user:default", milestone, booted},
		{fmriMultiUserServer, milestone, booted},
	}
	if z.hasFault(FaultSvcMaintenance) {
		out = append(out, service{fmriApache, "maintenance", booted})
	}
	return out
}

func fmriMatches(fmri, pat string) bool {
	f := strings.TrimPrefix(fmri, "svc:/")
	p := strings.TrimPrefix(pat, "svc:/")
	return f == p || f == p+":default" || strings.HasSuffix(f, "/"+p) || strings.HasSuffix(f, "/"+p+":default") ||
		strings.HasPrefix(f, p+":")
}

func (c *call) zlogin() int {
	opts, rest, err := getopt(c.args, "CESe:l:", nil, false)
	if err != nil || len(rest) == 0 {
		fmt.Fprintln(c.errw, "usage: zlogin [ -CES ] [ -e cmdchar ] [-l user] zonename [command [args ...] ]")
		return 2
	}
	_ = opts
	zname, cmd := rest[0], rest[1:]
	if len(cmd) == 0 {
		return c.fail(1, "zlogin: zonesim does not simulate interactive logins")
	}
	c.wait(c.dur(durReadOnly, zname))
	return c.end(false, func(w *world) int {
		z := w.zone(zname)
		if z == nil {
			return c.fail(1, "zlogin: zone '%s' unknown", zname)
		}
		if z.State != "running" {
			return c.fail(1, "zlogin: login allowed only to running zones (%s is '%s').", zname, z.State)
		}
		switch filepath.Base(cmd[0]) {
		case "svcs":
			return c.svcsOn(c.zoneServices(z), cmd[1:])
		case "true":
			return 0
		case "false":
			return 1
		}
		return c.fail(127, "sh: %s: not found", cmd[0])
	})
}

func (c *call) svcs() int {
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int { return c.svcsOn(gzServices(), c.args) })
}

// svcsOn is svcs [-H] [-a] [-o cols] [FMRI...] and svcs -x [FMRI...].
func (c *call) svcsOn(all []service, args []string) int {
	opts, pats, err := getopt(args, "HaxvpdDlLo:s:S:?", nil, true)
	if err != nil {
		fmt.Fprintf(c.errw, "svcs: illegal option -- %s\nUsage: svcs [-aHpv?] [-o col[,col]...] [-R FMRI-instance]... [-sS col]... [FMRI | pattern]...\n", err.(*optError).letter())
		return 2
	}
	var sel []service
	code := 0
	if len(pats) == 0 {
		sel = all
	}
	for _, p := range pats {
		found := false
		for _, s := range all {
			if fmriMatches(s.fmri, p) {
				sel, found = append(sel, s), true
			}
		}
		if !found {
			fmt.Fprintf(c.errw, "svcs: Pattern '%s' doesn't match any instances\n", p)
			code = 1
		}
	}
	if has(opts, "-x") {
		for _, s := range sel {
			if s.state != "maintenance" {
				continue
			}
			fmt.Fprintf(c.out, "%s (Apache 2.2 HTTP server)\n State: maintenance since %s\nReason: Start method exited with $SMF_EXIT_ERR_CONFIG.\n   See: http://sun.com/msg/SMF-8000-KS\n   See: httpd(8)\n   See: /var/svc/log/network-http:apache22.log\nImpact: This service is not running.\n",
				s.fmri, s.stime.Format("Mon Jan 02 15:04:05 2006"))
		}
		return code
	}
	cols := []string{"state", "stime", "fmri"}
	if o := val(opts, "-o"); o != "" {
		cols = strings.Split(strings.ToLower(o), ",")
	}
	width := map[string]int{"state": 14, "stime": 8, "fmri": 0, "nstate": 14}
	row := func(vals []string) {
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i < len(vals)-1 {
				fmt.Fprintf(&b, "%-*s", width[cols[i]], v)
			} else {
				b.WriteString(v)
			}
		}
		fmt.Fprintln(c.out, b.String())
	}
	for _, col := range cols {
		if _, ok := width[col]; !ok {
			fmt.Fprintf(c.errw, "svcs: Unrecognized column \"%s\".\n", col)
			return 2
		}
	}
	if !has(opts, "-H") {
		heads := make([]string, len(cols))
		for i, col := range cols {
			heads[i] = strings.ToUpper(col)
		}
		row(heads)
	}
	for _, s := range sel {
		var vals []string
		for _, col := range cols {
			switch col {
			case "state":
				vals = append(vals, s.state)
			case "nstate":
				vals = append(vals, "-")
			case "stime":
				vals = append(vals, s.stime.Format("Jan_02"))
			case "fmri":
				vals = append(vals, s.fmri)
			}
		}
		row(vals)
	}
	return code
}

// svcprop answers from WORLD/smf/<FMRI with every character outside
// [A-Za-z0-9._-] made '_'>.props, or else WORLD/smf/properties; each line
// is `pg/prop type value...` exactly as svcprop prints it.
func (c *call) svcprop() int {
	opts, fmris, err := getopt(c.args, "fqtvCcs:z:p:", nil, true)
	if err != nil || len(fmris) == 0 {
		fmt.Fprintln(c.errw, "Usage: svcprop [-fqtv] [-C | -c | -s snapshot] [-z zone] [-p [name/]name]... \n         {FMRI | pattern}...")
		return 2
	}
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int {
		code := 0
		for _, f := range fmris {
			fmri := f
			if !strings.HasPrefix(fmri, "svc:/") {
				fmri = "svc:/" + strings.TrimPrefix(fmri, "/")
			}
			if !strings.Contains(strings.TrimPrefix(fmri, "svc:/"), ":") {
				fmri += ":default"
			}
			props := readProps(w.Dir, fmri)
			sels := vals(opts, "-p")
			full := has(opts, "-t") || len(sels) != 1 || !strings.Contains(sels[0], "/")
			emit := func(l propLine) {
				if has(opts, "-q") {
					return
				}
				name := l.name
				if has(opts, "-f") {
					name = fmri + "/:properties/" + l.name
				}
				if full {
					fmt.Fprintf(c.out, "%s %s %s\n", name, l.typ, l.value)
				} else {
					fmt.Fprintln(c.out, l.value)
				}
			}
			if len(sels) == 0 {
				for _, l := range props {
					emit(l)
				}
				continue
			}
			for _, s := range sels {
				found := false
				for _, l := range props {
					pg, _, _ := strings.Cut(l.name, "/")
					if l.name == s || !strings.Contains(s, "/") && pg == s {
						found = true
						emit(l)
					}
				}
				if !found {
					kind := "property"
					if !strings.Contains(s, "/") {
						kind = "property group"
					}
					fmt.Fprintf(c.errw, "svcprop: Couldn't find %s `%s' for instance `%s'.\n", kind, s, fmri)
					code = 1
				}
			}
		}
		return code
	})
}

type propLine struct{ name, typ, value string }

func sanitiseFMRI(fmri string) string {
	b := []byte(fmri)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func readProps(world, fmri string) []propLine {
	f, err := os.Open(filepath.Join(world, smfDir, sanitiseFMRI(fmri)+".props"))
	if err != nil {
		f, err = os.Open(filepath.Join(world, smfDir, "properties"))
		if err != nil {
			return nil
		}
	}
	defer f.Close()
	var out []propLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		typ, value, _ := strings.Cut(rest, " ")
		out = append(out, propLine{name, typ, value})
	}
	return out
}
