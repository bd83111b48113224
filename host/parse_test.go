package host

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The parsers against the reference's sample outputs (files without a
// prefix, copied from shared/reference/solaris-tools.md) and against what
// zonesim printed (sim_*; see testdata/README). Inline cases cover the
// tolerance rules: blank lines, CRLF, extra fields, `-` for empty.

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// input is a test case's text: a testdata file, or inline text.
// parseCase is one table row of a parser that returns a list: the input
// (a testdata file or inline text) and either the whole list, or its
// length and some of its elements.
type parseCase[T any] struct {
	name, file, text string
	want             []T
	n                int       // when want is nil and spot is set: the number of elements
	spot             map[int]T // and some of them
	wantErr          bool
}

// runParseCases runs the rows against parse.
func runParseCases[T any](t *testing.T, cases []parseCase[T], parse func(string) ([]T, error)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(input(t, tc.file, tc.text))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.spot == nil {
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got  %+v\nwant %+v", got, tc.want)
				}
				return
			}
			if len(got) != tc.n {
				t.Fatalf("got %d elements, want %d", len(got), tc.n)
			}
			for i, w := range tc.spot {
				if !reflect.DeepEqual(got[i], w) {
					t.Errorf("element %d: got %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}

func input(t testing.TB, file, text string) string {
	if file != "" {
		return testdata(t, file)
	}
	return text
}

func TestParseZoneList(t *testing.T) {
	refZones := []Zone{
		{ID: "0", Name: "global", State: "running", Zonepath: "/", Brand: "ipkg", IPType: "shared"},
		{ID: "3", Name: "web01", State: "running", Zonepath: "/zones/web01", UUID: "8f14e45f-ceea-467f-a9e6-1a2b3c4d5e6f", Brand: "ipkg", IPType: "excl"},
		{ID: "-", Name: "db01", State: "installed", Zonepath: "/zones/db01", UUID: "1679091c-5a88-4faf-8b7e-0a1b2c3d4e5f", Brand: "ipkg", IPType: "excl"},
		{ID: "-", Name: "legacy1", State: "configured", Zonepath: "/zones/legacy1", Brand: "ipkg", IPType: "shared"},
		{ID: "-", Name: "odd", State: "configured", Zonepath: "/zones/a:b", Brand: "ipkg", IPType: "excl"},
	}
	tests := []parseCase[Zone]{
		{name: "reference illumos", file: "zoneadm_list_cp_oi.txt", want: refZones},
		{name: "reference Solaris 11, two more fields", file: "zoneadm_list_cp_s11.txt",
			want: []Zone{{ID: "0", Name: "global", State: "running", Zonepath: "/", Brand: "solaris", IPType: "shared"}}},
		{name: "zonesim s11e", file: "sim_zoneadm_list_cp_s11e.txt", n: 13, spot: map[int]Zone{
			0:  refZones[0],
			1:  {ID: "1", Name: "web01", State: "running", Zonepath: "/tmp/zw/s11e/zones/web01", UUID: "7f87e97e-0ac8-4f55-833e-af3af2cbfc0a", Brand: "ipkg", IPType: "excl"},
			12: {ID: "-", Name: "leg01", State: "configured", Zonepath: "/tmp/zw/s11e/zones/leg01", UUID: "1e490e56-616d-4c64-8f77-195d2f46cc4b", Brand: "ipkg", IPType: "excl"},
		}},
		{name: "zonesim oi", file: "sim_zoneadm_list_cp_oi.txt", n: 12, spot: map[int]Zone{
			10: {ID: "-", Name: "db01", State: "installed", Zonepath: "/tmp/zw/oi/zones/db01", UUID: "0a614999-576f-4141-b84b-7127c6a9341e", Brand: "ipkg", IPType: "excl"},
		}},
		{name: "zonesim -z list", file: "sim_zoneadm_z_list_p_oi.txt", n: 1, spot: map[int]Zone{
			0: {ID: "1", Name: "web01", State: "running", Zonepath: "/tmp/zw/oi/zones/web01", UUID: "87e97e0a-c84f-4503-beaf-3af2cbfc0a15", Brand: "ipkg", IPType: "excl"},
		}},
		{name: "blank lines and CRLF", text: "\n0:global:running:/::ipkg:shared\r\n\n  \n-:z1:shutting_down:/z/z1::ipkg:excl\r\n",
			want: []Zone{refZones[0], {ID: "-", Name: "z1", State: "shutting_down", Zonepath: "/z/z1", Brand: "ipkg", IPType: "excl"}}},
		{name: "unknown state kept, backslash not before a colon kept", text: `-:z2:unavailable:/z/a\b\:c::solaris:excl:-:none:more`,
			want: []Zone{{ID: "-", Name: "z2", State: "unavailable", Zonepath: `/z/a\b:c`, Brand: "solaris", IPType: "excl"}}},
		{name: "current illumos, an 8th field (debug id)", file: "zoneadm_list_cp_illumos8.txt", want: []Zone{refZones[0],
			{ID: "3", Name: "web01", State: "running", Zonepath: "/zones/web01", UUID: "8f14e45f-ceea-467f-a9e6-1a2b3c4d5e6f", Brand: "sparse", IPType: "excl"},
			{ID: "-", Name: "vm01", State: "installed", Zonepath: "/zones/vm01", UUID: "1679091c-5a88-4faf-8b7e-0a1b2c3d4e5f", Brand: "bhyve", IPType: "excl"}}},
		{name: "empty", text: "", want: nil},
		{name: "too few fields", text: "0:global:running:/::ipkg", wantErr: true},
	}
	runParseCases(t, tests, ParseZoneList)
}

func TestZoneRoot(t *testing.T) {
	if got := (Zone{Zonepath: "/zones/web01"}).Root(); got != "/zones/web01/root" {
		t.Fatal(got)
	}
}

func TestParseZFSList(t *testing.T) {
	tests := []struct {
		name, file, text string
		cols             int
		want             [][]string
		wantErr          bool
	}{
		{name: "reference name,mountpoint", file: "zfs_list_name_mountpoint_oi.txt", cols: 2, want: [][]string{
			{"rpool/zones/web01", "/zones/web01"}, {"rpool/zones/web01/ROOT", "legacy"}, {"rpool/zones/web01/ROOT/zbe", "legacy"}}},
		{name: "reference libbe properties, - is empty", file: "zfs_list_libbe_oi.txt", cols: 3, want: [][]string{
			{"rpool/zones/web01/ROOT", "", ""},
			{"rpool/zones/web01/ROOT/zbe", "215b8387-4968-627c-d2d0-f4a011414bab", "on"},
			{"rpool/zones/web01/ROOT/zbe-1", "7a0c11e2-0b1d-cc43-8a55-ea61b2f8c0d4", "off"}}},
		{name: "reference snapshots with creation (a value with spaces)", file: "zfs_list_snapshots_creation_oi.txt", cols: 2, want: [][]string{
			{"rpool/zones/web01@pre-upgrade", "Mon Nov 23 19:07 2020"},
			{"rpool/zones/web01/ROOT@pre-upgrade", "Mon Nov 23 19:07 2020"},
			{"rpool/zones/web01/ROOT/zbe@pre-upgrade", "Mon Nov 23 19:07 2020"}}},
		{name: "zonesim snapshots", file: "sim_zfs_list_snapshots_oi.txt", cols: 1, want: [][]string{
			{"rpool/zones/web01@zoneup-test"}, {"rpool/zones/web01/ROOT@zoneup-test"},
			{"rpool/zones/web01/ROOT/zbe@zoneup-test"}, {"rpool/zones/web01/ROOT/zbe-1@zoneup-test"}}},
		{name: "zonesim libbe s11e", file: "sim_zfs_list_libbe_s11e.txt", cols: 3, want: [][]string{
			{"rpool/zones/web01/ROOT", "", ""},
			{"rpool/zones/web01/ROOT/zbe", "215b8387-4968-627c-d2d0-f4a011414bab", "on"},
			{"rpool/zones/web01/ROOT/zbe-1", "7a0c11e2-0b1d-cc43-8a55-ea61b2f8c0d4", "off"}}},
		{name: "extra fields dropped, spaces kept", text: "tank/my fs\t/my fs\textra\n", cols: 2, want: [][]string{{"tank/my fs", "/my fs"}}},
		{name: "too few fields", text: "tank\n", cols: 2, wantErr: true},
		{name: "no columns", text: "tank\n", cols: 0, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseZFSList(input(t, tc.file, tc.text), tc.cols)
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseDatasetsAndBEDatasets(t *testing.T) {
	ds, err := ParseDatasets(testdata(t, "sim_zfs_list_name_mountpoint_s11e.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"rpool/ROOT":                 "legacy",
		"rpool/zones/web01":          "/tmp/zw/s11e/zones/web01",
		"rpool/zones/leg01/ROOT/zbe": "/tmp/zw/s11e/zones/leg01/root", // detached: mounted through its mountpoint
	}
	seen := 0
	for _, d := range ds {
		if mp, ok := want[d.Name]; ok {
			seen++
			if d.Mountpoint != mp {
				t.Errorf("%s: mountpoint %q, want %q", d.Name, d.Mountpoint, mp)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d datasets in %v", seen, len(want), ds)
	}
	bes, err := ParseBEDatasets(testdata(t, "zfs_list_libbe_oi.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bes) != 3 || bes[1] != (BEDataset{"rpool/zones/web01/ROOT/zbe", "215b8387-4968-627c-d2d0-f4a011414bab", "on"}) || bes[0].Active != "" {
		t.Fatalf("%+v", bes)
	}
}

func TestParseZFSGet(t *testing.T) {
	tests := []struct {
		name, file, text string
		fields           []string
		want             []ZFSProperty
		wantErr          bool
	}{
		{name: "reference, all four fields", file: "zfs_get_full_oi.txt", want: []ZFSProperty{
			{"rpool/zones/web01/ROOT/zbe", "used", "1567289344", ""},
			{"rpool/zones/web01/ROOT/zbe", "org.opensolaris.libbe:active", "on", "local"}}},
		{name: "reference, inherited source", file: "zfs_get_zoned_oi.txt", fields: []string{"name", "property", "value", "source"}, want: []ZFSProperty{
			{"rpool/zones/web01/ROOT/zbe", "zoned", "on", "inherited from rpool/zones/web01/ROOT"}}},
		{name: "zonesim, all four", file: "sim_zfs_get_full_s11e.txt", want: []ZFSProperty{
			{"rpool/zones/web01/ROOT/zbe", "used", "2825957226", ""},
			{"rpool/zones/web01/ROOT/zbe", "org.opensolaris.libbe:active", "on", "local"}}},
		{name: "zonesim, -o value", file: "sim_zfs_get_value_s11e.txt", fields: []string{"value"}, want: []ZFSProperty{{Value: "2825957226"}}},
		{name: "unset user property", text: "-\n", fields: []string{"value"}, want: []ZFSProperty{{}}},
		{name: "unknown field", text: "x\n", fields: []string{"bogus"}, wantErr: true},
		{name: "short line", text: "tank\tused\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseZFSGet(input(t, tc.file, tc.text), tc.fields...)
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseBeadm(t *testing.T) {
	oi := []BE{
		{Name: "openindiana", UUID: "a3e1f1c2-8d2e-6b0f-e4a9-c1f2d3e4b5a6", Space: 21467648, Policy: "static", Created: time.Unix(1577836800, 0).UTC()},
		{Name: "openindiana-2020:11:23", UUID: "215b8387-4968-627c-d2d0-f4a011414bab", Active: "NR", Mountpoint: "/", Space: 7786206208, Policy: "static", Created: time.Unix(1606158420, 0).UTC()},
	}
	tests := []struct {
		name, file, text string
		want             []BE
		wantUUID         string
		wantErr          bool
	}{
		{name: "reference", file: "beadm_list_H_oi.txt", want: oi, wantUUID: "215b8387-4968-627c-d2d0-f4a011414bab"},
		{name: "zonesim s11e", file: "sim_beadm_list_H_s11e.txt", want: []BE{
			{Name: "opensolaris-1", UUID: "7a0c11e2-0b1d-cc43-8a55-ea61b2f8c0d4", Space: 21467648, Policy: "static", Created: time.Unix(1267498678, 0).UTC()},
			{Name: "solaris", UUID: "215b8387-4968-627c-d2d0-f4a011414bab", Active: "NR", Mountpoint: "/", Space: 7786206208, Policy: "static", Created: time.Unix(1289929220, 0).UTC()},
		}, wantUUID: "215b8387-4968-627c-d2d0-f4a011414bab"},
		{name: "zone forms, odd numbers tolerated", text: "zbe;u1;xN;;12k;static;yesterday;extra\n",
			want: []BE{{Name: "zbe", UUID: "u1", Active: "xN", Policy: "static"}}, wantUUID: "u1"},
		{name: "no active BE", text: "a;u1;R;;1;static;1\n", want: []BE{{Name: "a", UUID: "u1", Active: "R", Space: 1, Policy: "static", Created: time.Unix(1, 0).UTC()}}},
		{name: "short line", text: "a;u1;N\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBeadm(input(t, tc.file, tc.text))
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			uuid, ok := ActiveBEUUID(got)
			if uuid != tc.wantUUID || ok != (tc.wantUUID != "") {
				t.Fatalf("ActiveBEUUID = %q, %v; want %q", uuid, ok, tc.wantUUID)
			}
		})
	}
}

func TestActiveBEUUIDWithoutUUID(t *testing.T) {
	if u, ok := ActiveBEUUID([]BE{{Name: "a", Active: "NR"}}); ok || u != "" {
		t.Fatalf("%q %v", u, ok)
	}
}

func TestParseMountP(t *testing.T) {
	tests := []parseCase[Mount]{
		{name: "reference", file: "mount_p_oi.txt", want: []Mount{{"rpool/zones/web01/ROOT/zbe", "/zones/web01/root", "zfs", "rw,devices,setuid,nonbmand,exec,xattr,atime"}}},
		{name: "zonesim s11e (lines without options)", file: "sim_mount_p_s11e.txt", n: 30, spot: map[int]Mount{
			0:  {"/devices", "/devices", "devfs", ""},
			1:  {"/proc", "/proc", "proc", "nosuid"},
			24: {"rpool/zones/leg01/ROOT/zbe", "/tmp/zw/s11e/zones/leg01/root", "zfs", "rw,devices,setuid,nonbmand,exec,xattr,atime"},
		}},
		{name: "dash options", text: "swap - /tmp tmpfs - yes -\n", want: []Mount{{"swap", "/tmp", "tmpfs", ""}}},
		{name: "short line", text: "swap - /tmp\n", wantErr: true},
	}
	runParseCases(t, tests, ParseMountP)
}

func TestParsePublisherTSV(t *testing.T) {
	tests := []parseCase[PublisherRow]{
		{name: "reference OI, 8 columns", file: "pkg_publisher_tsv_oi.txt", want: []PublisherRow{
			{Name: "openindiana.org", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.openindiana.org/hipster/"}}},
		{name: "reference S11E, 7 columns, PREFERRED in column 3", file: "pkg_publisher_tsv_s11e.txt", want: []PublisherRow{
			{Name: "solaris", Sticky: true, Preferred: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.oracle.com/solaris/release/"}}},
		{name: "zonesim s11e", file: "sim_pkg_publisher_tsv_s11e.txt", want: []PublisherRow{
			{Name: "solaris", Sticky: true, Preferred: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.oracle.com/solaris/release/"},
			{Name: "opensolaris.org", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.opensolaris.org/release/"},
			{Name: "extra", Sticky: true, Type: "origin", Status: "online", URI: "http://pkg.example.com/extra/"}}},
		{name: "zonesim oi: ENABLED follows the origin (6.4a)", file: "sim_pkg_publisher_tsv_oi.txt", want: []PublisherRow{
			{Name: "openindiana.org", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.openindiana.org/hipster/"},
			{Name: "hipster-encumbered", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.openindiana.org/hipster-encumbered/"},
			{Name: "extra", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.example.com/extra/"}}},
		{name: "zonesim zone image, odd publisher", file: "sim_pkg_publisher_tsv_zone_oi.txt", want: []PublisherRow{
			{Name: "openindiana.org", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.openindiana.org/hipster/"},
			{Name: "contrib", Sticky: true, Enabled: true, Type: "origin", Status: "online", URI: "http://pkg.example.org/contrib/"}}},
		{name: "header, proxy, mirror, no URIs, syspub", text: "PUBLISHER\tSTICKY\tSYSPUB\tENABLED\tTYPE\tSTATUS\tURI\tPROXY\n" +
			"a\tfalse\ttrue\ttrue\tmirror\tonline\thttp://m/\thttp://proxy:8080\n" +
			"b\ttrue\tfalse\tfalse\t\t\t\t\n", want: []PublisherRow{
			{Name: "a", SysPub: true, Enabled: true, Type: "mirror", Status: "online", URI: "http://m/", Proxy: "http://proxy:8080"},
			{Name: "b", Sticky: true}}},
		{name: "S11E publisher without URIs (trailing TABs are columns)", text: "c\ttrue\tfalse\ttrue\t\t\t\n", want: []PublisherRow{
			{Name: "c", Sticky: true, Enabled: true}}},
		{name: "too few columns", text: "a\ttrue\ttrue\n", wantErr: true},
	}
	// Columns is checked on its own (TestPublisherTSVColumns).
	runParseCases(t, tests, func(out string) ([]PublisherRow, error) {
		rows, err := ParsePublisherTSV(out)
		for i := range rows {
			rows[i].Columns = 0
		}
		return rows, err
	})
}

func TestParsePublisherInfo(t *testing.T) {
	tests := []parseCase[PublisherInfo]{
		{name: "zonesim oi: the disabled one says No", file: "sim_pkg_publisher_info_oi.txt", want: []PublisherInfo{
			{Name: "openindiana.org", Origins: []string{"http://pkg.openindiana.org/hipster/"}, Enabled: true, EnabledKnown: true},
			{Name: "hipster-encumbered", Origins: []string{"http://pkg.openindiana.org/hipster-encumbered/"}, Enabled: true, EnabledKnown: true},
			{Name: "extra", Origins: []string{"http://pkg.example.com/extra/"}, EnabledKnown: true}}},
		{name: "zonesim s11e", file: "sim_pkg_publisher_info_s11e.txt", want: []PublisherInfo{
			{Name: "solaris", Origins: []string{"http://pkg.oracle.com/solaris/release/"}, Enabled: true, EnabledKnown: true},
			{Name: "opensolaris.org", Origins: []string{"http://pkg.opensolaris.org/release/"}, Enabled: true, EnabledKnown: true},
			{Name: "extra", Origins: []string{"http://pkg.example.com/extra/"}, EnabledKnown: true}}},
		{name: "SSL files, mirrors, proxies per origin", text: `
            Publisher: site
                Alias: 
           Origin URI: https://pkg.example.com/site/
                Proxy: http://proxy:3128
              SSL Key: /var/pkg/ssl/key.pem
             SSL Cert: /var/pkg/ssl/cert.pem
           Origin URI: https://pkg2.example.com/site/
                Proxy: http://proxy:3128
              SSL Key: None
           Mirror URI: http://mirror.example.com/site/
          Client UUID: 1
              Enabled: Yes
`, want: []PublisherInfo{{Name: "site", Origins: []string{"https://pkg.example.com/site/", "https://pkg2.example.com/site/"},
			Mirrors: []string{"http://mirror.example.com/site/"}, Enabled: true, EnabledKnown: true,
			SSLKey: "/var/pkg/ssl/key.pem", SSLCert: "/var/pkg/ssl/cert.pem", Proxies: []string{"http://proxy:3128"}}}},
		{name: "OmniOS: Publisher enabled label, origins as configured, properties", file: "pkg_publisher_info_omnios.txt", want: []PublisherInfo{{
			Name: "local", Origins: []string{"http://pkg.zz-local.example/local/", "http://pkg.aa-local.example/local/"}, EnabledKnown: true,
			Properties: map[string]string{"signature-policy": "ignore", "signature-required-names": "a, b"}}}},
		{name: "no Enabled line", text: "Publisher: old\nOrigin URI: http://x/\n", want: []PublisherInfo{{Name: "old", Origins: []string{"http://x/"}}}},
		{name: "nothing", text: "pkg: garbage\n", want: nil},
	}
	runParseCases(t, tests, ParsePublisherInfo)
}

func TestFoldPublisherRows(t *testing.T) {
	rows := []PublisherRow{
		{Name: "a", Sticky: true, Type: "origin", URI: "http://a1/", Enabled: true},
		{Name: "b", Type: "origin", URI: "http://b/"},
		{Name: "a", Sticky: false, Type: "mirror", URI: "http://am/", Proxy: "http://p/"},
		{Name: "a", Type: "origin", URI: "http://a2/"},
		{Name: "a", Type: "origin", URI: "http://a1/"},
		{Name: "c"},
	}
	got := FoldPublisherRows(rows)
	want := []Publisher{
		{Name: "a", Origins: []string{"http://a1/", "http://a2/"}, Mirrors: []string{"http://am/"}, Enabled: true, Sticky: true, Proxies: []string{"http://p/"}},
		{Name: "b", Origins: []string{"http://b/"}},
		{Name: "c"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	p := got[0]
	MergePublisherInfo(&p, PublisherInfo{Name: "a", EnabledKnown: true, Enabled: false, SSLKey: "k", SSLCert: "c"})
	if p.Enabled || p.SSLKey != "k" || p.SSLCert != "c" || !reflect.DeepEqual(p.Proxies, []string{"http://p/"}) {
		t.Fatalf("merged %+v", p)
	}
	MergePublisherInfo(&p, PublisherInfo{Name: "a", Enabled: true}) // no Enabled line: left as it was
	if p.Enabled {
		t.Fatal("an absent Enabled line changed Enabled")
	}

	// The 7-column form's PREFERRED publisher is the first-ranked one,
	// wherever it is listed; the others keep their order.
	s11e := []PublisherRow{
		{Name: "extra", Type: "origin", URI: "http://x/"},
		{Name: "opensolaris.org", Type: "origin", URI: "http://o/"},
		{Name: "solaris", Preferred: true, Type: "origin", URI: "http://s/"},
		{Name: "solaris", Preferred: true, Type: "mirror", URI: "http://sm/"},
	}
	var names []string
	for _, p := range FoldPublisherRows(s11e) {
		names = append(names, p.Name)
	}
	if want := []string{"solaris", "extra", "opensolaris.org"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("preferred not first: %q, want %q", names, want)
	}
}

func TestParsePkgList(t *testing.T) {
	tests := []parseCase[Package]{
		{name: "reference OI entire", file: "pkg_list_H_entire_oi.txt", want: []Package{{Stem: "entire", Version: "0.5.11-2020.0.1.19000", Flags: "i--"}}},
		{name: "zonesim s11e entire", file: "sim_pkg_list_H_entire_s11e.txt", want: []Package{{Stem: "entire", Version: "0.5.11-0.134", Flags: "installed -----"}}},
		{name: "zonesim oi zone, publisher suffix", file: "sim_pkg_list_H_oi.txt", n: 13, spot: map[int]Package{
			0:  {Stem: "application/nagios", Publisher: "contrib", Version: "1.0-0.1", Flags: "i--"},
			2:  {Stem: "entire", Version: "0.5.11-2019.0.0.19205", Flags: "i--"},
			12: {Stem: "web/curl", Version: "7.72.0-2019.0.0.19205", Flags: "i--"},
		}},
		{name: "zonesim s11e zone, publisher suffix", file: "sim_pkg_list_H_s11e.txt", n: 13, spot: map[int]Package{
			2: {Stem: "library/libevent", Publisher: "pending", Version: "1.0-0.1", Flags: "installed -----"},
		}},
		{name: "header and -v form", text: "NAME (PUBLISHER)     VERSION    IFO\n" +
			"pkg://openindiana.org/shell/bash@5.0,5.11-2020.0.1.0:20200101T000000Z     i--\n",
			want: []Package{{Stem: "shell/bash", Publisher: "openindiana.org", Version: "5.0,5.11-2020.0.1.0:20200101T000000Z", Flags: "i--"}}},
		{name: "OSOL upgradable", text: "SUNWcs (opensolaris.org)   0.5.11-0.111  installed  u----\n",
			want: []Package{{Stem: "SUNWcs", Publisher: "opensolaris.org", Version: "0.5.11-0.111", Flags: "installed u----"}}},
		{name: "no flags", text: "entire 0.5.11-0.134\n", wantErr: true},
	}
	runParseCases(t, tests, ParsePkgList)
}

func TestParseInfoFMRI(t *testing.T) {
	tests := []struct {
		name, file, text  string
		wantName, wantVer string
		wantErr           bool
	}{
		{name: "zonesim s11e (build part)", file: "sim_pkg_info_entire_s11e.txt", wantName: "entire", wantVer: "0.5.11,5.11-0.151.0.1:20101105T054056Z"},
		{name: "zonesim oi", file: "sim_pkg_info_entire_oi.txt", wantName: "entire", wantVer: "0.5.11-2020.0.1.19000:20201001T120000Z"},
		{name: "pkg:/ form", text: "  FMRI: pkg:/entire@0.5.11-0.134\n", wantName: "entire", wantVer: "0.5.11-0.134"},
		{name: "none", text: "Name: entire\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, v, err := ParseInfoFMRI(input(t, tc.file, tc.text))
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "FMRI") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || n != tc.wantName || v != tc.wantVer {
				t.Fatalf("got %q %q %v", n, v, err)
			}
		})
	}
}

func TestParseSvcsState(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []SvcStatus
	}{
		{name: "reference -o state,fmri", file: "svcs_state_fmri_oi.txt", want: []SvcStatus{{State: "online", FMRI: "svc:/site/zoneupgraded:default"}}},
		{name: "zonesim -o state", file: "sim_svcs_state_s11e.txt", want: []SvcStatus{{State: "online"}}},
		{name: "transition and unknown words", text: "offline*\nlegacy_run  lrc:/etc/rc3_d/S90x\n\nweird\n", want: []SvcStatus{
			{State: "offline", Transition: true}, {State: "legacy_run", FMRI: "lrc:/etc/rc3_d/S90x"}, {State: "weird"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSvcsState(input(t, tc.file, tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	all, err := ParseSvcsState(testdata(t, "sim_svcs_state_fmri_oi.txt"))
	if err != nil || len(all) != 5 || all[4] != (SvcStatus{State: "online", FMRI: "svc:/milestone/multi-user-server:default"}) {
		t.Fatalf("%+v %v", all, err)
	}
}

func TestPickActiveZBE(t *testing.T) {
	const ds, gz, old = "rpool/zones/web01", "215b8387-4968-627c-d2d0-f4a011414bab", "7a0c11e2-0b1d-cc43-8a55-ea61b2f8c0d4"
	ref, err := ParseBEDatasets(testdata(t, "zfs_list_libbe_oi.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		rows     []BEDataset
		uuid     string
		want     string
		wantText string // error text, "" for success
		notFound bool
	}{
		{name: "reference", rows: ref, uuid: gz, want: ds + "/ROOT/zbe"},
		{name: "the older GZ BE's", rows: []BEDataset{{ds + "/ROOT/zbe-1", old, "on"}, {ds + "/ROOT/zbe", gz, "off"}}, uuid: old, want: ds + "/ROOT/zbe-1"},
		{name: "none for this GZ BE", rows: ref, uuid: "other", wantText: "no active dataset", notFound: true},
		{name: "inactive", rows: []BEDataset{{ds + "/ROOT/zbe", gz, "off"}}, uuid: gz, wantText: "no active dataset", notFound: true},
		{name: "not a direct child", rows: []BEDataset{{ds + "/ROOT/zbe/var", gz, "on"}, {ds + "/ROOT", gz, "on"}, {"rpool/zones/web011/ROOT/zbe", gz, "on"}}, uuid: gz, wantText: "no active dataset", notFound: true},
		{name: "two", rows: []BEDataset{{ds + "/ROOT/zbe", gz, "on"}, {ds + "/ROOT/zbe-2", gz, "on"}}, uuid: gz, wantText: "multiple active datasets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PickActiveZBE(tc.rows, ds, tc.uuid)
			if tc.wantText == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantText) || isNotFound(err) != tc.notFound {
				t.Fatalf("got %q, %v; want an error with %q (not found: %v)", got, err, tc.wantText, tc.notFound)
			}
		})
	}
}

// The tsv form tells the releases apart: 7 columns (PREFERRED) from the
// 2010 clients, 8 (SYSPUB, PROXY) from the OI and S11 ones, whose attach
// -u copies the global publishers (reference 6.4, 10.3).
func TestPublisherTSVColumns(t *testing.T) {
	for file, want := range map[string]int{"pkg_publisher_tsv_s11e.txt": 7, "pkg_publisher_tsv_oi.txt": 8} {
		rows, err := ParsePublisherTSV(testdata(t, file))
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v %v", file, rows, err)
		}
		for _, r := range rows {
			if r.Columns != want {
				t.Errorf("%s: %s has %d columns, want %d", file, r.Name, r.Columns, want)
			}
		}
	}
}

// The zonepath dataset is the one mounted there: a received backup that
// shares the mountpoint is never taken, two mounted ones are refused by
// name, and an unmounted one alone is not the zone's either (10.5).
func TestPickZonepathDataset(t *testing.T) {
	rows := func(lines ...string) [][]string {
		var out [][]string
		for _, l := range lines {
			out = append(out, strings.Split(l, "\t"))
		}
		return out
	}
	cases := []struct {
		name    string
		rows    [][]string
		want    string
		wantErr string
	}{
		{"backup twin first", rows("backup/zones/web01\t/zones/web01\tno", "rpool/zones/web01\t/zones/web01\tyes"), "rpool/zones/web01", ""},
		{"two mounted", rows("a/web01\t/zones/web01\tyes", "b/web01\t/zones/web01/\tyes"), "", "a/web01, b/web01"},
		{"none mounted", rows("backup/zones/web01\t/zones/web01\tno"), "", "not mounted"},
		{"plain folder", rows("rpool/zones\t/zones\tyes"), "", "no ZFS filesystem has the mountpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PickZonepathDataset(c.rows, "/zones/web01")
			if c.wantErr == "" {
				if err != nil || got != c.want {
					t.Fatalf("%q %v, want %q", got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("%q %v, want an error with %q", got, err, c.wantErr)
			}
		})
	}
}

// What pkg publisher NAME says wins over the tsv: enabled under either
// label, origins in their configured order (the tsv sorts them), the
// properties; without an Enabled line the publisher says it is unknown.
func TestMergePublisherInfoOmniOS(t *testing.T) {
	p := Publisher{Name: "local", Origins: []string{"http://pkg.aa-local.example/local/", "http://pkg.zz-local.example/local/"}, Enabled: true}
	infos, err := ParsePublisherInfo(testdata(t, "pkg_publisher_info_omnios.txt"))
	if err != nil || len(infos) != 1 {
		t.Fatal(infos, err)
	}
	MergePublisherInfo(&p, infos[0])
	if p.Enabled || p.EnabledUnknown || p.Origins[0] != "http://pkg.zz-local.example/local/" || p.Properties["signature-policy"] != "ignore" {
		t.Fatalf("%+v", p)
	}
	q := Publisher{Name: "old", Enabled: true}
	MergePublisherInfo(&q, PublisherInfo{Name: "old"})
	if !q.EnabledUnknown {
		t.Fatalf("no Enabled line, yet known: %+v", q)
	}
}

func TestParseSnapshotInfos(t *testing.T) {
	out := "rpool/zones/web01@zoneup-1\t9001\t-\n" +
		"rpool/zones/web01/ROOT/zbe@zoneup-1\t9001\t\n" +
		"rpool/zones/web01/ROOT/zbe@zfs-auto-snap_frequent-2026-12-02-01h15\t9040\t-\n" +
		"rpool/zones/web01/ROOT/zbe@omnios-r151056\t9100\trpool/zones/web01/ROOT/zbe-1,rpool/zones/web01/ROOT/zbe-2\n"
	got, err := ParseSnapshotInfos(out)
	if err != nil || len(got) != 4 {
		t.Fatal(got, err)
	}
	if got[0].Dataset() != "rpool/zones/web01" || got[1].CreateTxg != 9001 || len(got[1].Clones) != 0 {
		t.Errorf("%+v", got[:2])
	}
	if c := got[3].Clones; len(c) != 2 || c[1] != "rpool/zones/web01/ROOT/zbe-2" {
		t.Errorf("clones %v", c)
	}
	if _, err := ParseSnapshotInfos("a@b\tnotanumber\t-\n"); err == nil {
		t.Error("a createtxg that is not a number parsed")
	}
}

// pkg's kinds: exit 9 (no solution, OmniOS) and the texts of the solver,
// the missing key file of a sparse image (exit 51).
func TestPkgKinds(t *testing.T) {
	cases := []struct {
		code int
		text string
		want error
	}{
		{9, "\npkg update: No solution was found to satisfy constraints\n", ErrNoSolution},
		{9, "", ErrNoSolution},
		{1, "pkg install: No matching version of entire can be installed:", ErrNoSolution},
		{51, "pkg: Image is missing key file. Is everything mounted?\n", ErrKeyFile},
		{7, "", ErrTransient},
		{1, "pkg: something else", nil},
	}
	for _, c := range cases {
		if got := pkgKind(c.code, c.text); got != c.want {
			t.Errorf("exit %d %q: %v, want %v", c.code, c.text, got, c.want)
		}
	}
}

// The omnios captures of zonesim read as the reference forms do.
func TestParseOmniOSCaptures(t *testing.T) {
	zones, err := ParseZoneList(testdata(t, "sim_zoneadm_list_cp_omnios.txt"))
	if err != nil || len(zones) < 2 || zones[1].Name != "web01" || zones[1].IPType != "excl" {
		t.Fatalf("zoneadm list -cp with an 8th field: %+v %v", zones, err)
	}
	snaps, err := ParseSnapshotInfos(testdata(t, "sim_zfs_list_snapshots_txg_clones_omnios.txt"))
	if err != nil || len(snaps) == 0 || snaps[0].CreateTxg == 0 {
		t.Fatalf("snapshots with createtxg and clones: %+v %v", snaps, err)
	}
	infos, err := ParsePublisherInfo(testdata(t, "sim_pkg_publisher_info_omnios.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if !in.EnabledKnown {
			t.Errorf("%s: the Publisher enabled line was not read", in.Name)
		}
		if in.Name == "local" && (in.Enabled || in.Properties["signature-policy"] != "ignore" || len(in.Origins) != 2 ||
			in.Origins[0] != "http://pkg.zz-local.example/local/") {
			t.Errorf("local: %+v", in)
		}
	}
	if k := pkgKind(51, testdata(t, "sim_pkg_missing_keyfile_omnios.txt")); k != ErrKeyFile {
		t.Errorf("missing key file: %v", k)
	}
}
