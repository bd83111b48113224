package api

import (
	"encoding/binary"
	"errors"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseStatusGroups(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		err  bool
	}{
		{"Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 1000 \nNgid:\t0\n", []int{4, 24, 27, 1000}, false},
		{"Name:\tinit\nGroups:\t\n", nil, false},
		{"Name:\tinit\n", nil, true},
		{"Groups:\t4 x\n", nil, true},
	} {
		got, err := parseStatusGroups([]byte(c.in))
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

// prcred builds a prcred_t as /proc/PID/cred holds it.
func prcred(euid, egid uint32, groups ...uint32) []byte {
	b := make([]byte, 0, 28+4*len(groups))
	for _, v := range []uint32{euid, euid, euid, egid, egid, egid, uint32(len(groups))} {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	for _, g := range groups {
		b = binary.NativeEndian.AppendUint32(b, g)
	}
	return b
}

func TestParsePrcred(t *testing.T) {
	got, err := parsePrcred(prcred(100, 10, 3, 14, 60001))
	if err != nil || !slices.Equal(got, []int{3, 14, 60001}) {
		t.Errorf("groups %v, %v", got, err)
	}
	// Solaris pads pr_groups to one entry even without groups.
	got, err = parsePrcred(append(prcred(0, 0), 0, 0, 0, 0))
	if err != nil || len(got) != 0 {
		t.Errorf("no groups: %v, %v", got, err)
	}
	for _, bad := range [][]byte{prcred(1, 1)[:20], prcred(1, 1, 5, 6)[:32]} {
		if _, err := parsePrcred(bad); err == nil {
			t.Errorf("%d bytes parsed", len(bad))
		}
	}
}

func TestAuthorize(t *testing.T) {
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skip(err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	for _, c := range []struct {
		cred  Cred
		group string
		ok    bool
	}{
		{Cred{UID: 0, GID: gid + 1}, "", true},
		{Cred{UID: 0}, "no-such-group-zoneup", true},
		{Cred{UID: 1000, GID: gid}, "", false},
		{Cred{UID: 1000, GID: gid}, g.Name, true},
		{Cred{UID: 1000, GID: gid + 1, Groups: []int{gid}}, g.Name, true},
		{Cred{UID: 1000, GID: gid + 1, Groups: []int{gid + 2}}, g.Name, false},
	} {
		err := authorize(c.cred, c.group)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrForbidden)) {
			t.Errorf("%+v in %q: %v", c.cred, c.group, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "permission denied: only root") {
			t.Errorf("message %q", err)
		}
	}
}
