package sim

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const zonesimUsage = `usage:
  zonesim init --world DIR [--profile s11e|oi|omnios] (--fleet N [--seed S] | --scenario FILE)
  zonesim tools --bin DIR        (links zoneadm zfs pkg beadm zlogin svcs svcprop mount umount sendmail to zonesim)
  zonesim show --world DIR [--json]
  zonesim mail --world DIR [--json]  (the messages sendmail took, in the order sent)
  zonesim reboot --world DIR
  zonesim expect --state SHOW.json --report REPORT.json [--ladder RUNGS] [--allow RUNGS] [--allow-zones RUNG=Z1,Z2]...
                                 (compare a zoneupadm report --json with what each zone's troubles allow;
                                  SHOW.json is zonesim show --json taken before the night)
Run as a tool name (or as 'zonesim TOOL ...') it is that tool on $ZONESIM_WORLD.
`

// command runs zonesim's own commands.
func command(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, zonesimUsage)
		return 2
	}
	fs := flag.NewFlagSet("zonesim "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	world := fs.String("world", "", "world folder")
	var err error
	switch args[0] {
	case "init":
		profile := fs.String("profile", "", "s11e (default), oi or omnios")
		fleet := fs.Int("fleet", 0, "generate N zones")
		seed := fs.Int64("seed", 1, "seed of the generated fleet")
		scenario := fs.String("scenario", "", "scenario file (JSON)")
		if fs.Parse(args[1:]) != nil || *world == "" || (*fleet > 0) == (*scenario != "") || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		opts := InitOptions{Profile: *profile, Fleet: *fleet, Seed: *seed}
		if *scenario != "" {
			if opts.Scenario, err = LoadScenario(*scenario); err != nil {
				break
			}
		}
		if err = Init(*world, opts); err == nil {
			var s *State
			if s, err = Load(*world); err == nil {
				fmt.Fprintf(stdout, "zonesim: world %s: profile %s, %d zones\n", *world, s.Profile, len(s.Zones))
			}
		}
	case "tools":
		bin := fs.String("bin", "", "folder for the tool links")
		if fs.Parse(args[1:]) != nil || *bin == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		err = linkTools(*bin)
		if err == nil {
			fmt.Fprintln(stdout, *bin)
		}
	case "show":
		asJSON := fs.Bool("json", false, "print the state as JSON")
		if fs.Parse(args[1:]) != nil || *world == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		var s *State
		if s, err = Load(*world); err == nil {
			if *asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(s)
			} else {
				s.writeTable(stdout)
			}
		}
	case "mail":
		asJSON := fs.Bool("json", false, "print the messages as JSON")
		if fs.Parse(args[1:]) != nil || *world == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		err = mailCommand(*world, *asJSON, stdout)
	case "reboot":
		if fs.Parse(args[1:]) != nil || *world == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		err = Reboot(*world)
	case "expect":
		state := fs.String("state", "", "zonesim show --json of the world before the night")
		report := fs.String("report", "", "zoneupadm report --json")
		ladder := fs.String("ladder", "", "the daemon's ladder (default: all rungs)")
		allow := fs.String("allow", "", "destructive rungs allowed for every zone")
		var allowZones multiFlag
		fs.Var(&allowZones, "allow-zones", "RUNG=Z1,Z2: a destructive rung allowed for some zones (repeatable)")
		if fs.Parse(args[1:]) != nil || *state == "" || *report == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, zonesimUsage)
			return 2
		}
		var bad int
		if bad, err = expectCommand(*state, *report, *ladder, *allow, allowZones, stdout); err == nil && bad > 0 {
			return 1
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, zonesimUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "zonesim: unknown command %q\n%s", args[0], zonesimUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "zonesim %s: %v\n", args[0], err)
		if errors.Is(err, ErrBadScenario) {
			return 2
		}
		return 1
	}
	return 0
}

// linkTools lays out the tool names as links to this binary.
func linkTools(bin string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for _, t := range Tools {
		p := filepath.Join(bin, t)
		os.Remove(p)
		if err := os.Symlink(exe, p); err != nil {
			return err
		}
	}
	return nil
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
