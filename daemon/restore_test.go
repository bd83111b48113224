package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRestoreFile(t *testing.T) {
	dir := t.TempDir()
	snapDir, zoneDir := filepath.Join(dir, "snap"), filepath.Join(dir, "zone")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(snapDir, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nweb:x:80:80::/:/bin/false\n")
	write(filepath.Join(zoneDir, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n")
	write(filepath.Join(snapDir, "etc/hosts"), "127.0.0.1 localhost\n")
	write(filepath.Join(zoneDir, "etc/hosts"), "127.0.0.1 localhost\n")
	write(filepath.Join(snapDir, "etc/ssh/sshd_config"), "PermitRootLogin no\n")
	write(filepath.Join(snapDir, "var/spool/cron/crontabs/root"), "0 3 * * * /usr/sbin/logadm\n")
	snap, err := os.OpenRoot(snapDir)
	if err != nil {
		t.Fatal(err)
	}
	zone, err := os.OpenRoot(zoneDir)
	if err != nil {
		t.Fatal(err)
	}

	if changed, err := restoreFile(snap, zone, "etc/passwd"); err != nil || !changed {
		t.Fatalf("etc/passwd: changed=%v err=%v", changed, err)
	}
	if b, _ := os.ReadFile(filepath.Join(zoneDir, "etc/passwd")); string(b) != "root:x:0:0::/root:/bin/sh\nweb:x:80:80::/:/bin/false\n" {
		t.Errorf("etc/passwd not restored: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(zoneDir, "etc/passwd.zoneup-new")); string(b) != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("the replaced version is not kept: %q", b)
	}
	// Again: nothing to do, and the kept version stays the first one.
	if changed, err := restoreFile(snap, zone, "etc/passwd"); err != nil || changed {
		t.Errorf("second restore: changed=%v err=%v", changed, err)
	}
	if changed, err := restoreFile(snap, zone, "etc/hosts"); err != nil || changed {
		t.Errorf("an equal file was touched: changed=%v err=%v", changed, err)
	}
	// A file the new image lacks, in a folder it lacks: created.
	if changed, err := restoreFile(snap, zone, "var/spool/cron/crontabs/root"); err != nil || !changed {
		t.Errorf("crontab: changed=%v err=%v", changed, err)
	}

	// A zone-owned link that leads out of the zone is refused, never followed.
	victim := filepath.Join(dir, "gz-etc-ssh")
	write(filepath.Join(victim, "sshd_config"), "the global zone's own\n")
	for _, target := range []string{victim, "../../gz-etc-ssh"} {
		os.RemoveAll(filepath.Join(zoneDir, "etc/ssh"))
		if err := os.Symlink(target, filepath.Join(zoneDir, "etc/ssh")); err != nil {
			t.Fatal(err)
		}
		if _, err := restoreFile(snap, zone, "etc/ssh/sshd_config"); err == nil {
			t.Errorf("link to %s: restore went through it", target)
		}
		if b, _ := os.ReadFile(filepath.Join(victim, "sshd_config")); string(b) != "the global zone's own\n" {
			t.Fatalf("link to %s: the global zone's file was overwritten: %q", target, b)
		}
	}
}
