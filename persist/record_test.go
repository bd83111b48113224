package persist

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenGlobal is a global publisher record with every field of a stored
// publisher set one way or the other: several origins and mirrors, a
// disabled and not sticky publisher behind a proxy, properties, SSL files,
// and one publisher with nothing but its name (every omitempty field out).
var goldenGlobal = &GlobalRecord{
	Original: []Publisher{
		{
			Name:    "solaris",
			Origins: []string{"http://pkg.oracle.com/solaris/release/", "http://mirror.example/solaris/"},
			Mirrors: []string{"http://m1.example/solaris/", "http://m2.example/solaris/"},
			Enabled: true,
			Sticky:  true,
			SSLKey:  "/var/pkg/ssl/key.pem",
			SSLCert: "/var/pkg/ssl/cert.pem",
		},
		{
			Name:       "extra",
			Origins:    []string{"https://x.example/extra/", "file:///export/repo/extra/", "http://y.example/extra/"},
			Mirrors:    []string{"http://mx.example/extra/"},
			Enabled:    false,
			Sticky:     false,
			Proxies:    []string{"http://proxy.example:3128"},
			Properties: map[string]string{"signature-policy": "require-signatures", "signature-required-names": "extra"},
		},
		{Name: "bare"},
	},
	Stripped: true,
	Holders:  []string{"20250301T010000.000000Z-aaaaaa", "20250301T010001.000000Z-bbbbbb"},
}

// goldenGlobalFile holds the bytes PutGlobal stored for goldenGlobal when
// the stored publisher was still the host adapter's host.Publisher (its
// JSON tags were the format): the record's format on disk, which a
// database written by an earlier zoneupd has. Regenerate it with -update
// only together with a migration.
const goldenGlobalFile = "testdata/global-record.json"

// TestGlobalRecordOnDisk: the global publisher record is stored as the
// golden bytes, and a database holding them (one written by an earlier
// zoneupd) reads back the same record.
func TestGlobalRecordOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	d := openT(t, path)
	if err := d.PutGlobal(goldenGlobal); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := d.view(func(tx *bolt.Tx) error {
		stored = bytes.Clone(tx.Bucket(bucketState).Get(keyGlobal))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenGlobalFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenGlobalFile, stored, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(goldenGlobalFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, golden) {
		t.Errorf("PutGlobal stored\n%s\nwant (%s)\n%s", stored, goldenGlobalFile, golden)
	}

	// An earlier zoneupd's database: the golden bytes under state/global,
	// put there by hand, read back after a reopen.
	if err := d.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketState).Put(keyGlobal, golden) }); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openT(t, path)
	got, err := d.Global()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, goldenGlobal) {
		t.Errorf("Global from the golden bytes = %+v\nwant %+v", got, goldenGlobal)
	}
}
