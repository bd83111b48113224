package sim

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// configFiles are the zone root files whose content is unique per zone
// (the ones SPEC 3 rung 7 restores from the snapshot).
var configFiles = []string{
	"etc/passwd", "etc/shadow", "etc/group", "etc/user_attr", "etc/hosts", "etc/inet/hosts",
	"etc/nodename", "etc/resolv.conf", "etc/nsswitch.conf", "etc/default/init",
	"etc/ssh/sshd_config", "var/spool/cron/crontabs/root",
}

// zoneFiles is the content of a zone's configuration files; n makes the
// addresses and ids differ between zones.
func zoneFiles(name string, n int) map[string]string {
	ip := fmt.Sprintf("10.1.%d.%d", n/200, n%200+10)
	uid := 100 + n
	tz := []string{"Europe/Zurich", "UTC", "America/New_York", "Asia/Tokyo", "Europe/London"}[n%5]
	hosts := fmt.Sprintf("#\n# Internet host table\n#\n::1 localhost\n127.0.0.1 localhost loghost\n%s %s %s.example.com\n10.1.0.53 ns1.example.com\n", ip, name, name)
	return map[string]string{
		"etc/passwd": "root:x:0:0:Super-User:/root:/usr/bin/bash\ndaemon:x:1:1::/:\nbin:x:2:2::/usr/bin:\nsys:x:3:3::/:\nadm:x:4:4:Admin:/var/adm:\n" +
			"webservd:x:80:80:WebServer Reserved UID:/:\nnobody:x:60001:60001:NFS Anonymous Access User:/:\n" +
			fmt.Sprintf("%sadm:x:%d:10:%s administrator:/export/home/%sadm:/usr/bin/bash\n", name, uid, name, name),
		"etc/shadow": fmt.Sprintf("root:$5$%08x$rootHash%sZ:14700::::::\ndaemon:NP:6445::::::\nbin:NP:6445::::::\nsys:NP:6445::::::\nadm:NP:6445::::::\nwebservd:*LK*:::::::\nnobody:*LK*:6445::::::\n%sadm:$5$%08x$admHash%s:14800::::::\n",
			n*2654435761, name, name, n*40503+7, name),
		"etc/group":                    fmt.Sprintf("root::0:\nother::1:root\nbin::2:root,daemon\nsys::3:root,bin,adm\nadm::4:root,daemon\nstaff::10:\nwebservd::80:\nnobody::60001:\n%sops::%d:%sadm\n", name, 200+n, name),
		"etc/user_attr":                fmt.Sprintf("root::::type=role;auths=solaris.*;profiles=All\n%sadm::::profiles=Zone Management,Software Installation;roles=root\n", name),
		"etc/hosts":                    hosts,
		"etc/inet/hosts":               hosts,
		"etc/nodename":                 name + "\n",
		"etc/resolv.conf":              fmt.Sprintf("domain example.com\nnameserver 10.1.0.53\nsearch example.com %s.example.com\n", name),
		"etc/nsswitch.conf":            fmt.Sprintf("# nsswitch.conf for %s\npasswd:     files\ngroup:      files\nhosts:      files dns\nipnodes:    files dns\nnetworks:   files\nprotocols:  files\nservices:   files\n", name),
		"etc/default/init":             fmt.Sprintf("# zone %s\nTZ=%s\nCMASK=022\nLANG=C\n", name, tz),
		"etc/ssh/sshd_config":          fmt.Sprintf("Protocol 2\nPort 22\nListenAddress %s\nPermitRootLogin no\nAllowGroups %sops\nSubsystem sftp internal-sftp\n", ip, name),
		"var/spool/cron/crontabs/root": fmt.Sprintf("10 3 * * * /usr/sbin/logadm\n15 3 * * 0 /usr/lib/fs/nfs/nfsfind\n30 1 * * * /opt/backup/bin/run %s\n", name),
	}
}

// defaultFiles is what the packages deliver: a re-created image that
// installs them overwrites the zone's own configuration with these.
func defaultFiles() map[string]string {
	hosts := "#\n# Internet host table\n#\n::1 localhost\n127.0.0.1 localhost loghost\n"
	return map[string]string{
		"etc/passwd":                   "root:x:0:0:Super-User:/root:/usr/bin/bash\ndaemon:x:1:1::/:\nbin:x:2:2::/usr/bin:\nsys:x:3:3::/:\nadm:x:4:4:Admin:/var/adm:\nnobody:x:60001:60001:NFS Anonymous Access User:/:\n",
		"etc/shadow":                   "root:$5$default$:6445::::::\ndaemon:NP:6445::::::\nbin:NP:6445::::::\nsys:NP:6445::::::\nadm:NP:6445::::::\nnobody:*LK*:6445::::::\n",
		"etc/group":                    "root::0:\nother::1:root\nbin::2:root,daemon\nsys::3:root,bin,adm\nadm::4:root,daemon\nstaff::10:\nnobody::60001:\n",
		"etc/user_attr":                "root::::type=role;auths=solaris.*;profiles=All\n",
		"etc/hosts":                    hosts,
		"etc/inet/hosts":               hosts,
		"etc/nodename":                 "unknown\n",
		"etc/nsswitch.conf":            "passwd:     files\ngroup:      files\nhosts:      files\nipnodes:    files\nnetworks:   files\nprotocols:  files\nservices:   files\n",
		"etc/default/init":             "TZ=UTC\nCMASK=022\n",
		"etc/ssh/sshd_config":          "Protocol 2\nPort 22\nPermitRootLogin no\nSubsystem sftp internal-sftp\n",
		"var/spool/cron/crontabs/root": "10 3 * * * /usr/sbin/logadm\n15 3 * * 0 /usr/lib/fs/nfs/nfsfind\n",
	}
}

func writeFiles(root string, files map[string]string) error {
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if rel == "etc/shadow" {
			mode = 0o400
		}
		// Remove first: etc/shadow is read-only.
		os.Remove(p)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			return err
		}
	}
	return nil
}

// snapshotDir is where a snapshot of the dataset whose files are at data
// shows its files: DATA/.zfs/snapshot/NAME.
func snapshotDir(data, snapName string) string {
	return filepath.Join(data, ".zfs", "snapshot", snapName)
}

// copyTree copies the files, directories and symlinks of src into dst,
// keeping modes; skip names a top-level entry of src to leave out.
func copyTree(src, dst, skip string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == skip {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return copyFile(p, target, info.Mode().Perm())
		}
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// takeSnapshot materialises a snapshot of the files at data.
func takeSnapshot(data, snapName string) error {
	dst := snapshotDir(data, snapName)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return copyTree(data, dst, ".zfs")
}

// restoreSnapshot makes the files at data exactly those of the snapshot
// (added files go, removed ones come back, changed ones are put back);
// .zfs stays.
func restoreSnapshot(data, snapName string) error {
	src := snapshotDir(data, snapName)
	if _, err := os.Stat(src); err != nil {
		return err
	}
	ents, err := os.ReadDir(data)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() == ".zfs" {
			continue
		}
		if err := removeAll(filepath.Join(data, e.Name())); err != nil {
			return err
		}
	}
	return copyTree(src, data, "")
}

// removeAll removes a tree even where a directory lost its write bit.
func removeAll(p string) error {
	err := os.RemoveAll(p)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o755)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// moveData moves a zone BE's files between its mount point and its store:
// the mount point is left an empty directory when unmounted, as a real
// mount point is.
func moveData(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if ents, err := os.ReadDir(to); err == nil {
		if len(ents) > 0 {
			return fmt.Errorf("%s is not empty", to)
		}
		if err := os.Remove(to); err != nil {
			return err
		}
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return os.MkdirAll(from, 0o755)
}
