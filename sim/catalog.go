package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zoneup/domain"
)

// Profiles: the release pair a world simulates.
const (
	ProfileS11E = "s11e" // OpenSolaris zones onto a Solaris 11 Express global zone
	ProfileOI   = "oi"   // older OpenIndiana Hipster zones onto a newer one
	// ProfileOmniOS: OmniOS r151046..r151052 zones onto an r151054 global
	// zone, with the OmniOS brands (reference 10).
	ProfileOmniOS = "omnios"
)

// illumos tells the 2010 Solaris 11 Express world from the illumos ones
// (OI and OmniOS), which share the current pkg client and brand scripts.
func illumos(profile string) bool { return profile != ProfileS11E }

// Trouble names: the causes of attach -u failures, each cured by rungs.
const (
	TroubleGZPublishers   = "gz-publishers"
	TroubleZonePublishers = "zone-publishers"
	TroubleTooOld         = "too-old"
	TroubleStaleImage     = "stale-image"
	TroubleConflicts      = "conflicts"
	TroubleBrokenImage    = "broken-image"
)

// Fault names: per-zone failures that are not troubles.
const (
	FaultLockedOnce      = "locked-once"
	FaultPkgLockedOnce   = "pkg-locked-once"
	FaultHungAttach      = "hung-attach"
	FaultNoSpaceSnapshot = "no-space-snapshot"
	FaultNoSpace         = "no-space"
	FaultNoSpaceAttach   = "no-space-attach"
	FaultNotDataset      = "not-dataset"
	FaultRepoDown        = "repo-down"
	FaultBootFails       = "boot-fails"
	FaultSvcMaintenance  = "svc-maintenance"
	// Failures no rung can fix, and datasets of a real host (reference
	// 10.4, 10.5).
	FaultSanityFails   = "sanity-fails"
	FaultBackupTwin    = "backup-twin"
	FaultAutoSnapshots = "auto-snapshots"
	FaultBEClone       = "be-clone"
	FaultDelegated     = "delegated"
)

// Brand names (reference 10.1).
const (
	BrandIpkg   = "ipkg"
	BrandNlipkg = "nlipkg"
	BrandLipkg  = "lipkg"
	BrandSparse = "sparse"
	BrandPkgsrc = "pkgsrc"
	BrandBhyve  = "bhyve"
	BrandLx     = "lx"
)

// brandsOf are the brands a profile's zones may have, the default first.
func brandsOf(profile string) []string {
	switch profile {
	case ProfileOmniOS:
		return []string{BrandIpkg, BrandLipkg, BrandSparse, BrandPkgsrc, BrandBhyve, BrandLx}
	case ProfileOI:
		return []string{BrandIpkg, BrandNlipkg}
	}
	return []string{BrandIpkg}
}

// ipsBrand tells a brand whose attach hook is a pkg(5) brand script (the
// ones the ladder applies to); the others have an empty attach hook.
func ipsBrand(brand string) bool {
	return slices.Contains([]string{BrandIpkg, BrandNlipkg, BrandLipkg, BrandSparse, BrandPkgsrc}, brand)
}

// sparseBrand tells a brand whose zbe carries the svc and fm overlays.
func sparseBrand(brand string) bool { return brand == BrandSparse || brand == BrandPkgsrc }

// overlays are the sparse brand's child datasets of the zbe and where
// each is mounted below ZONEROOT (src/brand/sparse/common.ksh).
var overlays = []struct{ ds, dir string }{{"svc", "lib/svc"}, {"fm", "usr/lib/fm"}}

// keyFile is the file each overlay holds; pkg refuses the image while one
// is missing (reference 10.2).
const keyFile = ".org.opensolaris,pkgkey"

// CuredBy lists, per trouble, the rungs that cure it.
var CuredBy = map[string][]string{
	TroubleGZPublishers:   {domain.RungGlobalPublishers},
	TroubleZonePublishers: {domain.RungZonePublishers, domain.RungRecreateImage},
	TroubleTooOld:         {domain.RungStepRelease, domain.RungRecreateImage},
	TroubleStaleImage:     {domain.RungImageUpdate, domain.RungRecreateImage},
	TroubleConflicts:      {domain.RungRemoveConflicts, domain.RungRecreateImage},
	TroubleBrokenImage:    {domain.RungRecreateImage},
}

// troubleOrder is the fixed priority in which uncured troubles decide the
// attach log text: transport errors come before any solving.
var troubleOrder = []string{
	TroubleGZPublishers, TroubleZonePublishers, TroubleTooOld,
	TroubleConflicts, TroubleStaleImage, TroubleBrokenImage,
}

var allFaults = []string{
	FaultLockedOnce, FaultPkgLockedOnce, FaultHungAttach, FaultNoSpaceSnapshot, FaultNoSpace, FaultNoSpaceAttach,
	FaultNotDataset, FaultRepoDown, FaultBootFails, FaultSvcMaintenance,
	FaultSanityFails, FaultBackupTwin, FaultAutoSnapshots, FaultBEClone, FaultDelegated,
}

// profile is everything that differs between the release pairs.
type profile struct {
	name         string
	gzEntire     string
	gzPublishers []*publisher
	bes          []be
	zonePub      *publisher // the zones' own preferred publisher
	zoneEntires  []string   // zone releases without the too-old trouble
	tooOld       []string   // zone releases below the step (s11e only)
	step         string     // the last release attach -u can update from ("" = none)
	repos        []*repo
	core         []coreStem // packages constrained by entire
}

type coreStem struct {
	stem, component string
	deps            []string
}

var profiles = map[string]*profile{
	ProfileS11E: {
		name:     ProfileS11E,
		gzEntire: "0.5.11-0.151.0.1",
		gzPublishers: []*publisher{
			{Name: "solaris", Origins: []string{"http://pkg.oracle.com/solaris/release/"}, Enabled: true, Sticky: true},
			{Name: "opensolaris.org", Origins: []string{"http://pkg.opensolaris.org/release/"}, Enabled: true, Sticky: true},
			{Name: "extra", Origins: []string{"http://pkg.example.com/extra/"}, Enabled: false, Sticky: true},
		},
		bes: []be{
			{Name: "opensolaris-1", UUID: "7a0c11e2-0b1d-cc43-8a55-ea61b2f8c0d4", Space: 21467648, Created: 1267498678},
			{Name: "solaris", UUID: "215b8387-4968-627c-d2d0-f4a011414bab", Active: "NR", Space: 7786206208, Created: 1289929220},
		},
		zonePub:     &publisher{Name: "opensolaris.org", Origins: []string{"http://pkg.opensolaris.org/release/"}, Enabled: true, Sticky: true},
		zoneEntires: []string{"0.5.11-0.134"},
		tooOld:      []string{"0.5.11-0.111", "0.5.11-0.117", "0.5.11-0.127", "0.5.11-0.130", "0.5.11-0.133"},
		step:        "0.5.11-0.134",
		repos: []*repo{
			{Origin: "http://pkg.oracle.com/solaris/release/", Reachable: true, Entire: []string{"0.5.11-0.151.0.1"}},
			{Origin: "http://pkg.opensolaris.org/release/", Reachable: true,
				Entire: []string{"0.5.11-0.111", "0.5.11-0.117", "0.5.11-0.127", "0.5.11-0.130", "0.5.11-0.133", "0.5.11-0.134"}},
			{Origin: "http://pkg.example.com/extra/", Reachable: false},
		},
		core: []coreStem{
			{stem: "entire", component: "0.5.11"},
			{stem: "consolidation/osnet/osnet-incorporation", component: "0.5.11"},
			{stem: "system/kernel", component: "0.5.11"},
			{stem: "system/library", component: "0.5.11", deps: []string{"system/kernel"}},
			{stem: "system/core-os", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "system/library/math", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "shell/bash", component: "4.0.28", deps: []string{"system/library"}},
			{stem: "library/zlib", component: "1.2.3", deps: []string{"system/library"}},
			{stem: "network/ssh", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "service/network/ssh", component: "0.5.11", deps: []string{"network/ssh"}},
			{stem: "text/gnu-grep", component: "2.5.4", deps: []string{"system/library"}},
			{stem: "web/curl", component: "7.19.4", deps: []string{"library/zlib"}},
		},
	},
	ProfileOI: {
		name:     ProfileOI,
		gzEntire: "0.5.11-2020.0.1.19000",
		gzPublishers: []*publisher{
			{Name: "openindiana.org", Origins: []string{"http://pkg.openindiana.org/hipster/"}, Enabled: true, Sticky: true},
			{Name: "hipster-encumbered", Origins: []string{"http://pkg.openindiana.org/hipster-encumbered/"}, Enabled: true, Sticky: true},
			{Name: "extra", Origins: []string{"http://pkg.example.com/extra/"}, Enabled: false, Sticky: true},
		},
		bes: []be{
			{Name: "openindiana-2019:11:02", UUID: "a3e1f1c2-8d2e-6b0f-e4a9-c1f2d3e4b5a6", Space: 21467648, Created: 1572696000},
			{Name: "openindiana-2020:11:23", UUID: "215b8387-4968-627c-d2d0-f4a011414bab", Active: "NR", Space: 7786206208, Created: 1606158420},
		},
		zonePub:     &publisher{Name: "openindiana.org", Origins: []string{"http://pkg.openindiana.org/hipster/"}, Enabled: true, Sticky: true},
		zoneEntires: []string{"0.5.11-2018.0.0.17906", "0.5.11-2018.0.0.18230", "0.5.11-2019.0.0.18880", "0.5.11-2019.0.0.19205"},
		repos: []*repo{
			{Origin: "http://pkg.openindiana.org/hipster/", Reachable: true,
				Entire: []string{"0.5.11-2018.0.0.17906", "0.5.11-2018.0.0.18230", "0.5.11-2019.0.0.18880", "0.5.11-2019.0.0.19205", "0.5.11-2020.0.1.19000"}},
			{Origin: "http://pkg.openindiana.org/hipster-encumbered/", Reachable: true},
			{Origin: "http://pkg.example.com/extra/", Reachable: false},
		},
		core: []coreStem{
			{stem: "entire", component: "0.5.11"},
			{stem: "consolidation/osnet/osnet-incorporation", component: "0.5.11"},
			{stem: "system/kernel", component: "0.5.11"},
			{stem: "system/library", component: "0.5.11", deps: []string{"system/kernel"}},
			{stem: "system/core-os", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "system/library/math", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "shell/bash", component: "5.0", deps: []string{"system/library"}},
			{stem: "library/zlib", component: "1.2.11", deps: []string{"system/library"}},
			{stem: "network/openssh", component: "8.1", deps: []string{"system/library"}},
			{stem: "service/network/ssh", component: "0.5.11", deps: []string{"network/openssh"}},
			{stem: "text/gnu-grep", component: "3.4", deps: []string{"system/library"}},
			{stem: "web/curl", component: "7.72.0", deps: []string{"library/zlib"}},
		},
	},
	ProfileOmniOS: {
		name:     ProfileOmniOS,
		gzEntire: "11-151054.0",
		gzPublishers: []*publisher{
			{Name: "omnios", Origins: []string{"https://pkg.omnios.org/r151054/core/"}, Enabled: true, Sticky: true},
			{Name: "extra.omnios", Origins: []string{"https://pkg.omnios.org/r151054/extra/"}, Enabled: true, Sticky: true},
			// Disabled, two unreachable origins in an order that is not
			// sorted, and a property: what a restore must not lose (6.4a).
			{Name: "local", Origins: []string{"http://pkg.zz-local.example/local/", "http://pkg.aa-local.example/local/"},
				Enabled: false, Sticky: true, Props: map[string]string{"signature-policy": "ignore"}},
		},
		bes: []be{
			{Name: "omnios-r151052", UUID: "5c1d9a2e-7f3b-4e61-b0c8-2a9d4e6f8b13", Space: 31457280, Created: 1730808000},
			{Name: "omnios-r151054", UUID: "9e2b7c41-3d8a-4f0e-a6b5-c7d1e2f3a4b5", Active: "NR", Space: 9663676416, Created: 1746446400},
		},
		zonePub:     &publisher{Name: "omnios", Origins: []string{"https://pkg.omnios.org/r151054/core/"}, Enabled: true, Sticky: true},
		zoneEntires: []string{"11-151046.0", "11-151050.0", "11-151052.0"},
		repos: []*repo{
			{Origin: "https://pkg.omnios.org/r151054/core/", Reachable: true, Entire: []string{"11-151054.0"}},
			{Origin: "https://pkg.omnios.org/r151052/core/", Reachable: true, Entire: []string{"11-151052.0"}},
			{Origin: "https://pkg.omnios.org/r151050/core/", Reachable: true, Entire: []string{"11-151050.0"}},
			{Origin: "https://pkg.omnios.org/r151046/core/", Reachable: true, Entire: []string{"11-151046.0"}},
			{Origin: "https://pkg.omnios.org/r151054/extra/", Reachable: true},
		},
		core: []coreStem{
			{stem: "entire", component: "11"},
			{stem: "consolidation/osnet/osnet-incorporation", component: "0.5.11"},
			{stem: "system/kernel", component: "0.5.11"},
			{stem: "system/library", component: "0.5.11", deps: []string{"system/kernel"}},
			{stem: "system/core-os", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "system/library/math", component: "0.5.11", deps: []string{"system/library"}},
			{stem: "shell/bash", component: "5.2.21", deps: []string{"system/library"}},
			{stem: "library/zlib", component: "1.3.1", deps: []string{"system/library"}},
			{stem: "network/openssh", component: "9.7.1", deps: []string{"system/library"}},
			{stem: "service/network/ssh", component: "0.5.11", deps: []string{"network/openssh"}},
			{stem: "text/gnu-grep", component: "3.11", deps: []string{"system/library"}},
			{stem: "web/curl", component: "8.7.1", deps: []string{"library/zlib"}},
		},
	},
}

// conflictPackages are the packages with odd or obsolete dependencies that
// the new release dropped (rung 6): stem, component version, dependencies.
var conflictPackages = []coreStem{
	{stem: "web/server/apache-22", component: "2.2.14", deps: []string{"system/library"}},
	{stem: "web/php-52", component: "5.2.12", deps: []string{"web/server/apache-22"}},
	{stem: "database/postgres-83", component: "8.3.9", deps: []string{"system/library"}},
	{stem: "developer/sunstudioexpress", component: "12.1", deps: []string{"system/library"}},
	{stem: "ss-dev", component: "12.1", deps: []string{"developer/sunstudioexpress"}},
}

// oddPublishers are publishers a zone image may carry that no global zone
// ever had (zone-publishers), each with the package it was added for.
var oddPublishers = []struct {
	pub  publisher
	stem string
}{
	{publisher{Name: "contrib", Origins: []string{"http://pkg.example.org/contrib/"}, Enabled: true, Sticky: true}, "application/nagios"},
	{publisher{Name: "sfe", Origins: []string{"http://pkg.example.org/sfe/"}, Enabled: true, Sticky: true}, "desktop/irc/irssi"},
	{publisher{Name: "pending", Origins: []string{"http://pkg.example.org/pending/"}, Enabled: true, Sticky: true}, "library/libevent"},
}

func (p *profile) coreStem(stem string) *coreStem {
	for i := range p.core {
		if p.core[i].stem == stem {
			return &p.core[i]
		}
	}
	return nil
}

func conflictStem(stem string) *coreStem {
	for i := range conflictPackages {
		if conflictPackages[i].stem == stem {
			return &conflictPackages[i]
		}
	}
	return nil
}

// depsOf is what an installed package depends on.
func (p *profile) depsOf(stem string) []string {
	if c := p.coreStem(stem); c != nil {
		return c.deps
	}
	if c := conflictStem(stem); c != nil {
		return c.deps
	}
	return nil
}

// coreVersion is a core package's short version in the release of an
// entire version.
func (p *profile) coreVersion(stem, entire string) string {
	return p.coreOnBranch(stem, branchOf(entire))
}

// coreOnBranch is a core package's short version on a release branch.
func (p *profile) coreOnBranch(stem, branch string) string {
	c := p.coreStem(stem)
	if c == nil {
		return ""
	}
	return c.component + "-" + branch
}

// Versions. A short version is RELEASE-BRANCH ("0.5.11-0.134"); an FMRI
// version may add ",BUILD" after the release and ":TIMESTAMP" at the end.

func branchOf(v string) string {
	_, b, _ := strings.Cut(v, "-")
	return b
}

// shortVersion drops the build release and the timestamp.
func shortVersion(v string) string {
	v, _, _ = strings.Cut(v, ":")
	rel, branch, hasBranch := strings.Cut(v, "-")
	rel, _, _ = strings.Cut(rel, ",")
	if !hasBranch {
		return rel
	}
	return rel + "-" + branch
}

// compareVersions orders short versions: release, then branch, each
// compared component by component, numerically.
func compareVersions(a, b string) int {
	a, b = shortVersion(a), shortVersion(b)
	ar, ab, _ := strings.Cut(a, "-")
	br, bb, _ := strings.Cut(b, "-")
	if c := compareDotted(ar, br); c != 0 {
		return c
	}
	return compareDotted(ab, bb)
}

func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		} else {
			return -1
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		} else {
			return 1
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// versionMatches tells whether an available version satisfies a pattern
// version: equal, or the pattern is a leading part of it.
func versionMatches(avail, pattern string) bool {
	avail, pattern = shortVersion(avail), shortVersion(pattern)
	if avail == pattern {
		return true
	}
	if strings.HasPrefix(avail, pattern+".") {
		return true
	}
	return !strings.Contains(pattern, "-") && strings.HasPrefix(avail, pattern+"-")
}

// timestamp is the packaging time of a release branch, made up but fixed.
func timestamp(version string) time.Time {
	b := branchOf(shortVersion(version))
	known := map[string]string{
		"0.151.0.1":      "20101105T054056Z",
		"0.134":          "20100302T021758Z",
		"0.133":          "20100216T065445Z",
		"0.111":          "20090508T161153Z",
		"2020.0.1.19000": "20201001T120000Z",
		"2020.0.1.18500": "20200601T120000Z",
		"151046.0":       "20230503T120000Z",
		"151050.0":       "20240506T120000Z",
		"151052.0":       "20241105T120000Z",
		"151054.0":       "20250505T120000Z",
	}
	if s, ok := known[b]; ok {
		t, _ := time.Parse("20060102T150405Z", s)
		return t
	}
	parts := strings.Split(b, ".")
	first, _ := strconv.Atoi(parts[0])
	last, _ := strconv.Atoi(parts[len(parts)-1])
	if first == 0 { // OpenSolaris build number: roughly a build a week from snv_111
		return time.Date(2009, 5, 8, 16, 11, 53, 0, time.UTC).AddDate(0, 0, 7*(last-111))
	}
	return time.Date(first, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, last%300)
}

// fmriVersion is the version as an FMRI shows it. The 2010 clients keep
// the build release (",5.11"); OI prints none.
func (p *profile) fmriVersion(v string) string {
	rel, branch, _ := strings.Cut(shortVersion(v), "-")
	ts := timestamp(v).Format("20060102T150405Z")
	if p.name == ProfileS11E {
		return rel + ",5.11-" + branch + ":" + ts
	}
	return rel + "-" + branch + ":" + ts
}

func (p *profile) fmri(pub, stem, version string) string {
	return "pkg://" + pub + "/" + stem + "@" + p.fmriVersion(version)
}

// releaseText is /etc/release for an entire version.
func (p *profile) releaseText(entire string) string {
	b := branchOf(entire)
	if p.name == ProfileOmniOS {
		r, _, _ := strings.Cut(b, ".")
		return fmt.Sprintf("  OmniOS v11 r%s\n"+
			"  Copyright (c) 2012-2017 OmniTI Computer Consulting, Inc.\n"+
			"  Copyright (c) 2017-%d OmniOS Community Edition (OmniOSce) Association.\n"+
			"  All rights reserved. Use is subject to licence terms.\n", r, timestamp(entire).Year())
	}
	if p.name == ProfileOI {
		year := strings.SplitN(b, ".", 2)[0]
		return fmt.Sprintf("             OpenIndiana Hipster %s.10 (powered by illumos)\n"+
			"        OpenIndiana Project, part of The Illumos Foundation (C) 2010-%s\n"+
			"                        Use is subject to license terms.\n"+
			"                           Assembled 31 October %s\n", year, year, year)
	}
	build := strings.SplitN(b, ".", 3)
	n := "0"
	if len(build) > 1 {
		n = build[1]
	}
	switch {
	case compareVersions(entire, "0.5.11-0.151") >= 0:
		return "                      Oracle Solaris 11 Express snv_151a X86\n" +
			"     Copyright (c) 2010, Oracle and/or its affiliates.  All rights reserved.\n" +
			"                           Assembled 04 November 2010\n"
	case n == "111":
		return "                       OpenSolaris 2009.06 snv_111b X86\n" +
			"           Copyright 2009 Sun Microsystems, Inc.  All Rights Reserved.\n" +
			"                        Use is subject to license terms.\n" +
			"                             Assembled 07 May 2009\n"
	default:
		return fmt.Sprintf("                  OpenSolaris Development snv_%s X86\n"+
			"           Copyright 2010 Sun Microsystems, Inc.  All Rights Reserved.\n"+
			"                        Use is subject to license terms.\n"+
			"                           Assembled %s\n", n, timestamp(entire).Format("02 January 2006"))
	}
}

// summaries for pkg info.
var summaries = map[string]string{
	"entire":                     "incorporation to lock all system packages to the same build",
	"system/library":             "Core Solaris, (Libraries)",
	"system/kernel":              "Core Solaris Kernel",
	"system/core-os":             "Core Solaris",
	"web/server/apache-22":       "Apache Web Server V2.2",
	"web/php-52":                 "PHP Server 5.2",
	"database/postgres-83":       "PostgreSQL 8.3",
	"developer/sunstudioexpress": "Sun Studio Express",
}

// zonePublisher is a zone image's own publisher at its release: OmniOS
// keeps a repository per release (pkg.omnios.org/rNNNNNN/core/), the
// others one for all.
func (p *profile) zonePublisher(entire string) *publisher {
	pb := p.zonePub.clone()
	if p.name == ProfileOmniOS {
		r, _, _ := strings.Cut(branchOf(entire), ".")
		pb.Origins = []string{"https://pkg.omnios.org/r" + r + "/core/"}
	}
	return pb
}
