package persist

// SetNoSync turns fsync off, to fill large test databases quickly. Never
// outside tests.
func SetNoSync(d *DB, v bool) { d.db.NoSync = v }
