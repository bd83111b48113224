package host

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// One fuzz target per parser. The seed corpus is every testdata file plus
// a few edge cases, so plain `go test` runs them all; `make fuzz` (or
// go test -run '^$' -fuzz '^FuzzX$' ./host/) searches further. Beyond
// "never panics", each checks a property the parser promises.

// seed adds every testdata file, and extra, to f.
func seed(f *testing.F, extra ...string) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range append(extra, "", "\n", "\r\n", ":", "\t", ";", "-", `\`, `\:`, "\x00", "(", "()") {
		f.Add(s)
	}
}

func FuzzParseZoneList(f *testing.F) {
	seed(f, `-:a:b:c\:d\\:e:f:g`, "::::::", `0:g:r:/x\`, "a:b:c:d:e:f:g:h:i")
	f.Fuzz(func(t *testing.T, out string) {
		zones, err := ParseZoneList(out)
		if err != nil {
			return
		}
		// Printing the zones back as zoneadm does gives the same zones.
		var b strings.Builder
		for _, z := range zones {
			b.WriteString(strings.Join([]string{z.ID, z.Name, z.State, strings.ReplaceAll(z.Zonepath, ":", `\:`), z.UUID, z.Brand, z.IPType}, ":") + "\n")
		}
		if strings.Contains(b.String(), "\r") {
			return // a CR before the newline reads as a CRLF line end; zoneadm prints none
		}
		again, err := ParseZoneList(b.String())
		if err != nil || !reflect.DeepEqual(again, zones) {
			t.Fatalf("round trip: %+v -> %q -> %+v, %v", zones, b.String(), again, err)
		}
	})
}

func FuzzParseZFSList(f *testing.F) {
	seed(f, "a\t-\t\n", "a\tb\tc\td")
	f.Fuzz(func(t *testing.T, out string) {
		for cols := 1; cols <= 3; cols++ {
			rows, err := ParseZFSList(out, cols)
			if err != nil {
				continue
			}
			var b strings.Builder
			for _, r := range rows {
				if len(r) != cols {
					t.Fatalf("row %q has %d fields, want %d", r, len(r), cols)
				}
				enc := make([]string, cols)
				for i, v := range r {
					if v == "" {
						v = "-"
					}
					enc[i] = v
				}
				line := strings.Join(enc, "\t")
				if strings.TrimSpace(line) == "" || strings.Contains(line, "\r") {
					// A row of blanks prints as a blank line, which is
					// skipped, and a trailing CR reads as a CRLF line end:
					// no dataset is named so.
					return
				}
				b.WriteString(line + "\n")
			}
			again, err := ParseZFSList(b.String(), cols)
			if err != nil || !reflect.DeepEqual(again, rows) {
				t.Fatalf("round trip: %q -> %q -> %q, %v", rows, b.String(), again, err)
			}
		}
		ParseDatasets(out)
		ParseBEDatasets(out)
	})
}

func FuzzParseZFSGet(f *testing.F) {
	seed(f, "a\tused\t1\t-", "x\ty\tz\tinherited from a/b")
	sets := [][]string{nil, {"value"}, {"name", "value"}, {"source", "property"}, {"bogus"}}
	f.Fuzz(func(t *testing.T, out string) {
		for _, fields := range sets {
			props, err := ParseZFSGet(out, fields...)
			if err == nil && slices.Contains(fields, "bogus") {
				t.Fatal("an unknown field was accepted")
			}
			for _, p := range props {
				if p.Value == "-" || p.Source == "-" {
					t.Fatalf("a dash was kept: %+v", p)
				}
			}
		}
	})
}

func FuzzParseBeadm(f *testing.F) {
	seed(f, "a;;N;;x;;-1", ";;;;;;", "a;b;c;d;99999999999999999999;f;99999999999999999999")
	f.Fuzz(func(t *testing.T, out string) {
		bes, err := ParseBeadm(out)
		if err != nil {
			return
		}
		for _, be := range bes {
			if strings.Contains(be.Name, ";") || strings.Contains(be.UUID, ";") || strings.Contains(be.Name, "\n") {
				t.Fatalf("a field holds a separator: %+v", be)
			}
		}
		if uuid, ok := ActiveBEUUID(bes); ok && uuid == "" {
			t.Fatal("ok with an empty uuid")
		}
	})
}

func FuzzParseMountP(f *testing.F) {
	seed(f, "a - b c", "a - b c - no -")
	f.Fuzz(func(t *testing.T, out string) {
		mounts, err := ParseMountP(out)
		if err != nil {
			return
		}
		for _, m := range mounts {
			if m.Special == "" || m.Mountpoint == "" || m.FSType == "" || strings.ContainsAny(m.Mountpoint+m.Options, " \t\n") {
				t.Fatalf("%+v", m)
			}
		}
	})
}

func FuzzParsePublisherTSV(f *testing.F) {
	seed(f, "a\ttrue\ttrue\ttrue\t\t\t\t", "PUBLISHER\tSTICKY\tSYSPUB\tENABLED\tTYPE\tSTATUS\tURI\tPROXY")
	f.Fuzz(func(t *testing.T, out string) {
		rows, err := ParsePublisherTSV(out)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Preferred && (r.SysPub || r.Proxy != "") {
				t.Fatalf("a row of both forms: %+v", r)
			}
		}
		pubs := FoldPublisherRows(rows)
		seen := map[string]bool{}
		for _, p := range pubs {
			if seen[p.Name] {
				t.Fatalf("%s folded twice", p.Name)
			}
			seen[p.Name] = true
		}
	})
}

func FuzzParsePublisherInfo(f *testing.F) {
	seed(f, "Publisher: a\nEnabled: Yes\nSSL Key: None\nProxy: None", "Enabled: Yes")
	f.Fuzz(func(t *testing.T, out string) {
		infos, _ := ParsePublisherInfo(out)
		for _, in := range infos {
			if in.SSLKey == "None" || in.SSLCert == "None" || in.Enabled && !in.EnabledKnown {
				t.Fatalf("%+v", in)
			}
		}
	})
}

func FuzzParsePkgList(f *testing.F) {
	seed(f, "a (b) 1 i--", "a () 1 i--", "pkg://p/n@1 i--", "pkg:/ x", "a (b)")
	f.Fuzz(func(t *testing.T, out string) {
		pkgs, err := ParsePkgList(out)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Flags == "" || strings.ContainsAny(p.Stem+p.Version+p.Publisher, " \t\n") {
				t.Fatalf("%+v", p)
			}
		}
		ParseInfoFMRI(out)
	})
}

func FuzzParseSvcsState(f *testing.F) {
	seed(f, "online*", "*", "**")
	f.Fuzz(func(t *testing.T, out string) {
		sts, _ := ParseSvcsState(out)
		for _, s := range sts {
			if strings.ContainsAny(s.State, " \t\n") {
				t.Fatalf("%+v", s)
			}
		}
	})
}

func FuzzParseInfoFMRI(f *testing.F) {
	seed(f, "FMRI: pkg://a/b@c", "FMRI:", "FMRI: pkg://")
	f.Fuzz(func(t *testing.T, out string) {
		name, _, err := ParseInfoFMRI(out)
		if err == nil && name == "" {
			t.Fatal("no name and no error")
		}
	})
}

func FuzzClassifyAttach(f *testing.F) {
	seed(f, "URL:", "Failed to connect to ", "Couldn't resolve host '", "x://", "[1:] Framework error ://")
	kinds := []FailureKind{FailNone, FailNoSolution, FailTransport, FailLocked, FailNoSpace, FailHost, FailOther}
	f.Fuzz(func(t *testing.T, text string) {
		LogFilePath(text)
		half := len(text) / 2
		got := ClassifyAttach(text[:half], text[half:])
		if !slices.Contains(kinds, got.Kind) {
			t.Fatalf("kind %q", got.Kind)
		}
		if got.URL != "" && got.Kind != FailTransport {
			t.Fatalf("a URL for %s", got.Kind)
		}
		if got.Kind != FailNone && got.Kind != FailOther && got.Line == "" {
			t.Fatalf("%s without its line", got.Kind)
		}
		if strings.Contains(got.Line, "\n") {
			t.Fatalf("line %q", got.Line)
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("0.5.11-0.134", "0.5.11,5.11-0.151.0.1:20101105T054056Z")
	f.Add("entire@1.0-a.b", "1.0--")
	f.Add("", "0")
	f.Add("0.5.11-0.099", "0.5.11-0.99")
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := CompareVersions(a, b), CompareVersions(b, a)
		if x != -y || x < -1 || x > 1 || CompareVersions(a, a) != 0 {
			t.Fatalf("CompareVersions(%q, %q) = %d, reverse %d", a, b, x, y)
		}
	})
}
