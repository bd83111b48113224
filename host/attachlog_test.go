package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	headline   = "Errors were encountered while attempting to retrieve package or file data for"
	noSolution = "pkg install: No solution was found to satisfy constraints"
	lockedLine = "pkg: The image cannot be modified as it is currently in use by another package client: pkg on gz01, pid 4222."
)

// TestClassifyAttachSim: every attach log zonesim wrote (testdata/sim_attach_*),
// one per trouble or fault, for both profiles.
func TestClassifyAttachSim(t *testing.T) {
	tests := []struct {
		zone string
		want map[string]Failure // by profile
	}{
		{"web01", map[string]Failure{"s11e": {}, "oi": {}}},
		{"old01", map[string]Failure{"s11e": {Kind: FailNoSolution, Line: "pkg install: No matching version of entire can be installed:"}}},
		{"conf01", map[string]Failure{"s11e": {Kind: FailNoSolution, Line: noSolution}, "oi": {Kind: FailNoSolution, Line: noSolution}}},
		{"stale01", map[string]Failure{"s11e": {Kind: FailNoSolution, Line: noSolution}, "oi": {Kind: FailNoSolution, Line: noSolution}}},
		{"broken01", map[string]Failure{"s11e": {Kind: FailNoSolution, Line: noSolution}, "oi": {Kind: FailNoSolution, Line: noSolution}}},
		{"pub01", map[string]Failure{
			"s11e": {Kind: FailTransport, Line: headline, URL: "http://pkg.example.org/pending/catalog/1/catalog.attrs"},
			"oi":   {Kind: FailTransport, Line: headline, URL: "http://pkg.example.org/contrib/catalog/1/catalog.attrs"}}},
		{"gzp01", map[string]Failure{
			"s11e": {Kind: FailTransport, Line: headline, URL: "http://pkg.example.com/extra/catalog/1/catalog.attrs"},
			"oi":   {Kind: FailTransport, Line: headline, URL: "http://pkg.example.com/extra/catalog/1/catalog.attrs"}}},
		{"down01", map[string]Failure{
			"s11e": {Kind: FailTransport, Line: headline, URL: "http://pkg.oracle.com/solaris/release/catalog/1/catalog.attrs"},
			"oi":   {Kind: FailTransport, Line: headline, URL: "http://pkg.openindiana.org/hipster/catalog/1/catalog.attrs"}}},
		{"lock01", map[string]Failure{"s11e": {Kind: FailLocked, Line: lockedLine}, "oi": {Kind: FailLocked, Line: lockedLine}}},
		{"full01", map[string]Failure{
			"s11e": {Kind: FailNoSpace, Line: "pkg: [Errno 28] No space left on device: '/tmp/zw/s11e/zones/full01/root/var/pkg/download'"},
			"oi":   {Kind: FailNoSpace, Line: "pkg: [Errno 28] No space left on device: '/tmp/zw/oi/zones/full01/root/var/pkg/download'"}}},
	}
	for _, tc := range tests {
		for prof, want := range tc.want {
			t.Run(tc.zone+"_"+prof, func(t *testing.T) {
				base := "sim_attach_" + tc.zone + "_" + prof
				stdout, log := testdata(t, base+".stdout"), testdata(t, base+".log")
				if got := ClassifyAttach(stdout, log); got != want {
					t.Fatalf("got  %+v\nwant %+v", got, want)
				}
				// The log path is on the first line, wherever it is.
				if p := LogFilePath(stdout); !strings.HasPrefix(p, "/tmp/zw/"+prof+"/var/tmp/"+tc.zone+".attach_log.") {
					t.Fatalf("LogFilePath = %q", p)
				}
				// stdout alone never says more than "Could not update".
				if want.Kind != FailNone {
					if got := ClassifyAttach(stdout, ""); got.Kind != FailOther || got.Line != "ERROR: Could not update attaching zone" {
						t.Fatalf("stdout alone: %+v", got)
					}
				}
			})
		}
	}
}

// TestClassifyAttachReference: the reference's sample outputs and its
// literal messages (reference 2.5, 3.4-3.7, 4.5, 6.2).
func TestClassifyAttachReference(t *testing.T) {
	const connect = "Framework error: code: E_COULDNT_CONNECT (7) reason: Failed to connect to pkg.oracle.com port 80: Connection refused"
	tests := []struct {
		name, file, stdout, log string
		want                    Failure
	}{
		{name: "OI success", file: "attach_success_oi.stdout", want: Failure{}},
		{name: "OSOL-dev success", stdout: "Log File: /var/tmp/z.attach_log.a\nAttaching...\n                Evaluation: Packages in z are in sync with global zone.\nAttach complete.\n", want: Failure{}},
		{name: "OI out of sync without -u", file: "attach_outofsync_oi.stdout", want: Failure{Kind: FailOther,
			Line: "Evaluation: Packages in zone web01 are out of sync with the global zone. To proceed, retry with the -u flag."}},
		{name: "OI pkg failure, log unread", file: "attach_pkgfail_oi.stdout", want: Failure{Kind: FailOther, Line: "ERROR: Could not update attaching zone"}},
		{name: "OSOL-dev uprev", file: "attach_uprev_osol.stdout", want: Failure{Kind: FailNoSolution, Line: "Evaluation: web01 is newer than the global zone."}},
		{name: "downrev", stdout: "ERROR: Zone is downrev of global zone.  Specify -u to update it.\n", want: Failure{Kind: FailNoSolution, Line: "ERROR: Zone is downrev of global zone.  Specify -u to update it."}},
		{name: "no matching pattern", log: testdata(t, "pkg_install_nomatch_oi.txt"), want: Failure{Kind: FailNoSolution,
			Line: "pkg install: The following pattern(s) did not match any allowable packages.  Try"}},
		{name: "update no solution", log: testdata(t, "pkg_update_nosolution_oi.txt"), want: Failure{Kind: FailNoSolution, Line: "pkg update: No solution was found to satisfy constraints"}},
		{name: "catalog refresh", log: "pkg: 0/1 catalogs successfully updated:\n\n1/1 repositories for publisher 'solaris' could not be reached for catalog refresh.\n" + connect + "\nURL: 'http://pkg.oracle.com/solaris/release/versions/0/'\n",
			want: Failure{Kind: FailTransport, Line: "1/1 repositories for publisher 'solaris' could not be reached for catalog refresh.", URL: "http://pkg.oracle.com/solaris/release/versions/0/", Publisher: "solaris"}},
		{name: "catalog refresh, no URL line", log: "pkg: 0/1 catalogs successfully updated:\n\n1/1 repositories for publisher 'extra' could not be reached for catalog refresh.\n",
			want: Failure{Kind: FailTransport, Line: "1/1 repositories for publisher 'extra' could not be reached for catalog refresh.", Publisher: "extra"}},
		{name: "framework error without URL line", log: connect + "\n", want: Failure{Kind: FailTransport, Line: connect, URL: "http://pkg.oracle.com/"}},
		{name: "unresolvable host", log: "Framework error: code: E_COULDNT_RESOLVE_HOST (6) reason: Couldn't resolve host 'pkg.example.org'\n",
			want: Failure{Kind: FailTransport, Line: "Framework error: code: E_COULDNT_RESOLVE_HOST (6) reason: Couldn't resolve host 'pkg.example.org'", URL: "http://pkg.example.org/"}},
		{name: "https port", log: "Framework error: code: E_COULDNT_CONNECT (7) reason: Failed to connect to pkg.example.com port 443: Connection refused\n",
			want: Failure{Kind: FailTransport, Line: "Framework error: code: E_COULDNT_CONNECT (7) reason: Failed to connect to pkg.example.com port 443: Connection refused", URL: "https://pkg.example.com/"}},
		{name: "not a repository, URL named after it", log: "Unable to contact a valid package repository. This may be due to a problem with the repository, network misconfiguration, or an incorrect pkg client configuration.  Please verify the client's network configuration and repository's location.\nAdditional details:\n\nUnable to contact valid package repository: http://pkg.example.com/bad/\n",
			want: Failure{Kind: FailTransport, Line: "Unable to contact a valid package repository. This may be due to a problem with the repository, network misconfiguration, or an incorrect pkg client configuration.  Please verify the client's network configuration and repository's location.", URL: "http://pkg.example.com/bad/"}},
		{name: "locked, unknown host", log: "pkg: The image cannot be modified as it is currently in use by another package client: pkg on an unknown host, pid 12.\n",
			want: Failure{Kind: FailLocked, Line: "pkg: The image cannot be modified as it is currently in use by another package client: pkg on an unknown host, pid 12."}},
		{name: "locked, bare", log: testdata(t, "pkg_locked_oi.txt"), want: Failure{Kind: FailLocked, Line: strings.TrimSpace(testdata(t, "pkg_locked_oi.txt"))}},
		{name: "another zoneadm", stdout: "zoneadm: zone 'web01': another zoneadm may have an operation in progress.\n",
			want: Failure{Kind: FailLocked, Line: "zoneadm: zone 'web01': another zoneadm may have an operation in progress."}},
		{name: "zfs out of space", log: "cannot create 'rpool/x': out of space\n", want: Failure{Kind: FailNoSpace, Line: "cannot create 'rpool/x': out of space"}},
		{name: "pkg insufficient space", log: "pkg: Insufficient disk space available (1.2GB) for estimated need (2.3GB) for download\n",
			want: Failure{Kind: FailNoSpace, Line: "pkg: Insufficient disk space available (1.2GB) for estimated need (2.3GB) for download"}},
		{name: "no space beats the rest", log: connect + "\nNo space left on device\n" + noSolution + "\n", want: Failure{Kind: FailNoSpace, Line: "No space left on device"}},
		{name: "transport beats no solution", log: noSolution + "\n" + connect + "\n", want: Failure{Kind: FailTransport, Line: connect, URL: "http://pkg.oracle.com/"}},
		{name: "already installed", stdout: "zoneadm: zone 'db01': is already installed.\n", want: Failure{Kind: FailHost, Line: "zoneadm: zone 'db01': is already installed."}},
		{name: "sanity check", stdout: "Log File: /var/tmp/z.attach_log.x\n  Sanity Check: FAILED, appears to be a global zone (variant.opensolaris.zone=global).\n                    Result: Attach Failed.\n",
			want: Failure{Kind: FailHost, Line: "Sanity Check: FAILED, appears to be a global zone (variant.opensolaris.zone=global)."}},
		{name: "brand error with a pkg line in the log", stdout: "ERROR: Could not update attaching zone\n", log: "[Tue Dec  1 11:24:54 UTC 2026] x\npkg: Requested operation failed\n",
			want: Failure{Kind: FailOther, Line: "pkg: Requested operation failed"}},
		{name: "no active dataset", stdout: "ERROR: no active dataset.\n", want: Failure{Kind: FailHost, Line: "ERROR: no active dataset."}},
		{name: "no dataset mounted (OI, 3.4 step 5)", stdout: "Failed to locate any dataset mounted at /zones/z/root.  Attach requires a mounted dataset.\n",
			want: Failure{Kind: FailHost, Line: "Failed to locate any dataset mounted at /zones/z/root.  Attach requires a mounted dataset."}},
		{name: "zonepath in the root pool's ROOT", stdout: "ERROR: Installing a zone inside of the root pool's 'ROOT' dataset is unsupported.\n",
			want: Failure{Kind: FailHost, Line: "ERROR: Installing a zone inside of the root pool's 'ROOT' dataset is unsupported."}},
		{name: "nothing at all", want: Failure{Kind: FailOther}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout := tc.stdout
			if tc.file != "" {
				stdout = testdata(t, tc.file)
			}
			if got := ClassifyAttach(stdout, tc.log); got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLogFilePath(t *testing.T) {
	tests := []struct{ stdout, want string }{
		{testdata(t, "attach_success_oi.stdout"), "/var/tmp/web01.attach_log.k3Xa9Q"},
		{testdata(t, "attach_uprev_osol.stdout"), "/var/tmp/web01.attach_log.a1B2c3"},
		{"Attaching...\nLog File: /export/logs/web01.attach_log.abc  \n", "/export/logs/web01.attach_log.abc"},
		{"Log File:\nAttaching...\n", ""},
		{testdata(t, "attach_pkgfail_oi.stdout"), ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := LogFilePath(tc.stdout); got != tc.want {
			t.Errorf("LogFilePath(%q) = %q, want %q", tc.stdout, got, tc.want)
		}
	}
}

func TestReadTail(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("line1\nline2\n"), 0o644)
	if got := readTail(small, 100); got != "line1\nline2\n" {
		t.Fatalf("%q", got)
	}
	big := filepath.Join(dir, "big")
	var b strings.Builder
	for range 1000 {
		b.WriteString("0123456789\n") // 11 bytes a line
	}
	b.WriteString("pkg: the end\n")
	os.WriteFile(big, []byte(b.String()), 0o644)
	got := readTail(big, 100)
	if !strings.HasPrefix(got, "[... ") || !strings.HasSuffix(got, "0123456789\npkg: the end\n") || len(got) > 130 {
		t.Fatalf("%q", got)
	}
	// Cut at a line boundary: what follows the marker is whole lines.
	_, rest, _ := strings.Cut(got, "bytes cut ...]\n")
	if !strings.HasPrefix(rest, "0123456789\n") {
		t.Fatalf("%q", rest)
	}
	if readTail(filepath.Join(dir, "missing"), 100) != "" || readTail(dir, 100) != "" {
		t.Fatal("an unreadable log is not empty")
	}
}

// The zone's entire on the attach's "Non-Global zone version:" line, as
// pkg list shows a version (reference 3.7's samples).
func TestZoneEntire(t *testing.T) {
	for _, tc := range []struct{ stdout, want string }{
		{"Log File: /var/tmp/web01.attach_log.a1B2c3\nAttaching...\n       Global zone version: entire@0.5.11,5.11-0.133:20100216T065445Z\n" +
			"   Non-Global zone version: entire@0.5.11,5.11-0.134:20100302T021758Z\n                Evaluation: web01 is newer than the global zone.\n", "0.5.11-0.134"},
		{"       Global zone version: entire@0.5.11-2020.0.1.19000:20201001T120000Z\n   Non-Global zone version: entire@0.5.11-2020.0.1.18500:20200601T120000Z\n",
			"0.5.11-2020.0.1.18500"},
		{"   Non-Global zone version: entire@0.5.11\n", "0.5.11"},
		{"       Global zone version: entire@0.5.11-2020.0.1.19000:20201001T120000Z\n  Updating non-global zone: Output follows\n", ""},
		{"   Non-Global zone version: \n", ""},
		{"", ""},
	} {
		if got := ZoneEntire(tc.stdout); got != tc.want {
			t.Errorf("ZoneEntire(%q) = %q, want %q", tc.stdout, got, tc.want)
		}
	}
}
