package domain_test

import (
	"slices"
	"strings"
	"testing"

	"zoneup/domain"
	"zoneup/domain/domaintest"
)

func TestLadder(t *testing.T) {
	if len(domain.Rungs) != 7 || !slices.Equal(domain.Rungs[1:], domain.DefaultLadder) || domain.Rungs[0] != domain.RungAttachUpdate {
		t.Errorf("Rungs %q, DefaultLadder %q", domain.Rungs, domain.DefaultLadder)
	}
	for i, r := range domain.Rungs {
		if got := domain.Number(r); got != i+1 {
			t.Errorf("Number(%s) = %d, want %d", r, got, i+1)
		}
		if want := i+1 == 6 || i+1 == 7; domain.IsDestructive(r) != want {
			t.Errorf("IsDestructive(%s) = %v (SPEC 3: only 6 and 7)", r, !want)
		}
	}
	for _, r := range []string{"", "6", "all", "Recreate-Image"} {
		if domain.Number(r) != 0 || domain.IsDestructive(r) {
			t.Errorf("%q is taken for a rung", r)
		}
	}
	got := []string{domain.RungRecreateImage, domain.RungAttachUpdate, domain.RungRemoveConflicts, domain.RungGlobalPublishers}
	domain.SortRungs(got)
	if want := []string{domain.RungAttachUpdate, domain.RungGlobalPublishers, domain.RungRemoveConflicts, domain.RungRecreateImage}; !slices.Equal(got, want) {
		t.Errorf("SortRungs: %q, want %q", got, want)
	}
}

func TestParseAllow(t *testing.T) {
	for _, tc := range domaintest.AllowLists {
		got, err := domain.ParseAllow(tc.In)
		switch {
		case tc.Err != "":
			if err == nil || err.Error() != tc.Err || got != nil {
				t.Errorf("ParseAllow(%q) = %q, %v; want error %q", tc.In, got, err, tc.Err)
			}
		case err != nil || !slices.Equal(got, tc.Want):
			t.Errorf("ParseAllow(%q) = %q, %v; want %q", tc.In, got, err, tc.Want)
		}
	}
}

func FuzzParseAllow(f *testing.F) {
	for _, tc := range domaintest.AllowLists {
		f.Add(tc.In)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := domain.ParseAllow(s)
		if err != nil {
			if got != nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %q, %v", s, got, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range got {
			if !domain.IsDestructive(r) || seen[r] {
				t.Fatalf("%q: %q", s, got)
			}
			seen[r] = true
		}
	})
}

func TestParseLadder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: strings.Join(domain.DefaultLadder, ","), want: domain.DefaultLadder},
		{in: "image-update, global-publishers", want: []string{domain.RungImageUpdate, domain.RungGlobalPublishers}},
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "attach-update", err: `unknown rung "attach-update" (rungs: global-publishers,zone-publishers,step-release,image-update,remove-conflicts,recreate-image)`},
		{in: "5", err: `unknown rung "5" (rungs: global-publishers,zone-publishers,step-release,image-update,remove-conflicts,recreate-image)`},
		{in: "image-update,image-update", err: `rung "image-update" listed twice`},
	} {
		got, err := domain.ParseLadder(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseLadder(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseLadder(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
