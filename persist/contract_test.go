package persist_test

import (
	"path/filepath"
	"testing"

	"zoneup/persist"
	"zoneup/persist/memstore"
	"zoneup/persist/storetest"
)

func TestContractBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persist.Store {
		db, err := persist.Open(filepath.Join(t.TempDir(), "zoneup.db"), persist.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestContractMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persist.Store {
		s := memstore.New(memstore.Options{})
		t.Cleanup(func() { s.Close() })
		return s
	})
}
