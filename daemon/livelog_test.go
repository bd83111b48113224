package daemon

import "testing"

// A host-wide listing keeps, in a job's log, the lines of that job's zone
// only; a listing of one dataset is kept whole.
func TestLiveLogKeepsTheZonesLines(t *testing.T) {
	l := &liveLog{}
	l.setMine(":z1:", "/zones/z1", "rpool/zones/z1")
	zfs := []string{"zfs", "list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted"}
	cases := []struct {
		argv []string
		line string
		keep bool
	}{
		{zfs, "rpool/zones/z1\t/zones/z1\tyes", true},
		{zfs, "rpool/zones/z1/ROOT/zbe\tlegacy\tyes", true},
		{zfs, "rpool/zones/z10\t/zones/z10\tyes", false},
		{zfs, "rpool/zones/z2\t/zones/z2\tyes", false},
		{[]string{"mount", "-p"}, "rpool/zones/z1/ROOT/zbe - /zones/z1/root zfs - no rw", true},
		{[]string{"mount", "-p"}, "rpool/zones/z2/ROOT/zbe - /zones/z2/root zfs - no rw", false},
		{[]string{"zoneadm", "list", "-cp"}, "1:z1:running:/zones/z1:u:ipkg:excl", true},
		{[]string{"zoneadm", "list", "-cp"}, "2:z11:running:/zones/z11:u:ipkg:excl", false},
		{[]string{"zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", "rpool/zones/z2"}, "rpool/zones/z2@x", true},
		{[]string{"pkg", "-R", "/zones/z1/root", "list", "-H"}, "web/php-52 5.2 i--", true},
	}
	for _, c := range cases {
		if got := l.keep(c.argv, c.line); got != c.keep {
			t.Errorf("%v %q: keep %v, want %v", c.argv, c.line, got, c.keep)
		}
	}
	if n := l.dropped.Load(); n != 4 {
		t.Errorf("%d lines counted as left out, want 4", n)
	}
}
