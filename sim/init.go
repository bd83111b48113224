package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"zoneup/domain"
)

// InitOptions says what world Init makes: a generated fleet (Fleet zones
// from Seed) or a Scenario.
type InitOptions struct {
	Profile  string // s11e (default), oi or omnios; a scenario's own profile wins
	Fleet    int
	Seed     int64
	Scenario *Scenario
}

// Scenario is a hand-written world (format in doc.go).
type Scenario struct {
	Profile       string         `json:"profile,omitempty"`
	Seed          int64          `json:"seed,omitempty"`
	Hostname      string         `json:"hostname,omitempty"`
	PoolAvailable uint64         `json:"pool_available,omitempty"`
	GZ            *ScenarioGZ    `json:"gz,omitempty"`
	Zones         []ScenarioZone `json:"zones"`
}

// ScenarioGZ overrides the profile's global zone.
type ScenarioGZ struct {
	Entire     string      `json:"entire,omitempty"`
	Publishers []Publisher `json:"publishers,omitempty"`
}

// ScenarioZone is one zone of a scenario.
type ScenarioZone struct {
	Name             string     `json:"name"`
	State            string     `json:"state,omitempty"`    // running (default), installed, configured, incomplete
	Autoboot         *bool      `json:"autoboot,omitempty"` // default: true when running
	Troubles         []string   `json:"troubles,omitempty"`
	Faults           []string   `json:"faults,omitempty"`
	Entire           string     `json:"entire,omitempty"`
	ExtraZBE         bool       `json:"extra_zbe,omitempty"` // an inactive zbe-1 of the older GZ BE
	Used             uint64     `json:"used,omitempty"`      // the zbe's used bytes
	IPType           string     `json:"ip_type,omitempty"`
	OddPublisher     *Publisher `json:"odd_publisher,omitempty"`     // zone-publishers: default contrib
	ConflictPackages []string   `json:"conflict_packages,omitempty"` // conflicts: default apache, php, postgres
	Brand            string     `json:"brand,omitempty"`             // default ipkg; see brandsOf
}

// LoadScenario reads a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &Scenario{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadScenario, path, err)
	}
	return s, nil
}

// Init makes a new world in dir (which must not hold one yet).
func Init(dir string, opts InitOptions) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, stateFile)); err == nil {
		return fmt.Errorf("%s already holds a zonesim world", abs)
	}
	sc := opts.Scenario
	if sc == nil {
		if opts.Fleet < 1 {
			return fmt.Errorf("%w: --fleet N (N >= 1) or --scenario FILE is required", ErrBadScenario)
		}
		prof := opts.Profile
		if prof == "" {
			prof = ProfileS11E
		}
		if profiles[prof] == nil {
			return fmt.Errorf("%w: unknown profile %q (s11e, oi or omnios)", ErrBadScenario, prof)
		}
		sc = generateFleet(profiles[prof], opts.Fleet, opts.Seed)
	} else {
		if sc.Profile == "" {
			sc.Profile = opts.Profile
		}
		if sc.Seed == 0 {
			sc.Seed = opts.Seed
		}
	}
	if sc.Profile == "" {
		sc.Profile = ProfileS11E
	}
	w, err := buildWorld(abs, sc)
	if err != nil {
		return err
	}
	for _, d := range []string{"", "zones", dataDir, varTmpDir, runningDir, smfDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return err
		}
	}
	if err := materialise(w, sc); err != nil {
		return err
	}
	for name, content := range map[string]string{lockFile: "", seqFile: "0\n", invocations: ""} {
		if err := os.WriteFile(filepath.Join(abs, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generateFleet is the seed's picture: more than half of the zones fail a
// plain attach -u, every trouble appears (from 20 zones on), some zones
// have two or three at once, benign faults now and then.
func generateFleet(p *profile, n int, seed int64) *Scenario {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	names := troublesOf(p)
	width := max(2, len(fmt.Sprint(n)))
	sc := &Scenario{Profile: p.name, Seed: seed}
	for i := range n {
		z := ScenarioZone{Name: fmt.Sprintf("z%0*d", width, i+1)}
		k := 0
		switch r := rng.Float64(); {
		case r < 0.30:
		case r < 0.70:
			k = 1
		case r < 0.92:
			k = 2
		default:
			k = 3
		}
		for _, j := range rng.Perm(len(names))[:k] {
			z.Troubles = append(z.Troubles, names[j])
		}
		switch r := rng.Float64(); {
		case r < 0.70:
			z.State = "running"
		case r < 0.90:
			z.State = "installed"
			z.Autoboot = ptr(rng.IntN(2) == 0)
		default:
			z.State = "configured"
			z.Autoboot = ptr(true)
		}
		if rng.Float64() < 0.08 {
			z.Faults = append(z.Faults, FaultLockedOnce)
		}
		if rng.Float64() < 0.08 {
			z.Faults = append(z.Faults, FaultSvcMaintenance)
		}
		z.ExtraZBE = rng.Float64() < 0.3
		sc.Zones = append(sc.Zones, z)
	}
	// Every trouble somewhere, on the zones with the fewest troubles.
	if n >= len(names) && n >= 20 {
		for _, t := range names {
			if slices.ContainsFunc(sc.Zones, func(z ScenarioZone) bool { return slices.Contains(z.Troubles, t) }) {
				continue
			}
			best := -1
			for i, z := range sc.Zones {
				if best < 0 || len(z.Troubles) < len(sc.Zones[best].Troubles) {
					best = i
				}
			}
			sc.Zones[best].Troubles = append(sc.Zones[best].Troubles, t)
		}
	}
	// More than half fail a plain attach -u.
	for {
		troubled := 0
		for _, z := range sc.Zones {
			if len(z.Troubles) > 0 {
				troubled++
			}
		}
		if troubled*2 > n {
			break
		}
		clean := []int{}
		for i, z := range sc.Zones {
			if len(z.Troubles) == 0 {
				clean = append(clean, i)
			}
		}
		i := clean[rng.IntN(len(clean))]
		sc.Zones[i].Troubles = []string{names[rng.IntN(len(names))]}
	}
	if p.name == ProfileOmniOS {
		// A stream of its own, after the common picture: the s11e and oi
		// fleets stay exactly what they were.
		omniosFleet(sc, names, rand.New(rand.NewPCG(uint64(seed), 0x0e1105)))
	}
	return sc
}

// omniosFaults are the faults an OmniOS fleet spreads over its zones.
var omniosFaults = []string{FaultSanityFails, FaultBackupTwin, FaultAutoSnapshots, FaultBEClone, FaultDelegated}

// omniosFleet gives an OmniOS fleet its brands and the faults of a real
// host: every brand and every one of omniosFaults at least once from 30
// zones on, and still more than half failing a plain attach -u.
func omniosFleet(sc *Scenario, troubles []string, rng *rand.Rand) {
	n := len(sc.Zones)
	weights := []struct {
		brand string
		w     float64
	}{{BrandIpkg, 0.40}, {BrandLipkg, 0.15}, {BrandSparse, 0.20}, {BrandPkgsrc, 0.10}, {BrandBhyve, 0.08}, {BrandLx, 0.07}}
	for i := range sc.Zones {
		r := rng.Float64()
		for _, b := range weights {
			if r -= b.w; r < 0 || b.brand == BrandLx {
				sc.Zones[i].Brand = b.brand
				break
			}
		}
	}
	ipkgZones := func() []int {
		var out []int
		for i, z := range sc.Zones {
			if z.Brand == BrandIpkg {
				out = append(out, i)
			}
		}
		return out
	}
	if n >= 30 {
		for _, b := range weights {
			if slices.ContainsFunc(sc.Zones, func(z ScenarioZone) bool { return z.Brand == b.brand }) {
				continue
			}
			if c := ipkgZones(); len(c) > 1 {
				sc.Zones[c[rng.IntN(len(c))]].Brand = b.brand
			}
		}
	}
	// A virtual machine or lx zone has no package image to be in trouble.
	var ips []int
	for i := range sc.Zones {
		z := &sc.Zones[i]
		if !ipsBrand(z.Brand) {
			z.Troubles, z.Faults, z.ExtraZBE = nil, nil, false
			continue
		}
		ips = append(ips, i)
		for _, f := range omniosFaults {
			if rng.Float64() < 0.06 {
				z.Faults = append(z.Faults, f)
			}
		}
	}
	if len(ips) == 0 {
		return
	}
	if n >= 30 {
		for _, f := range omniosFaults {
			if !slices.ContainsFunc(sc.Zones, func(z ScenarioZone) bool { return slices.Contains(z.Faults, f) }) {
				i := ips[rng.IntN(len(ips))]
				sc.Zones[i].Faults = append(sc.Zones[i].Faults, f)
			}
		}
	}
	for _, i := range ips {
		z := &sc.Zones[i]
		if slices.Contains(z.Faults, FaultBEClone) && len(z.Troubles) == 0 {
			// The clone matters only to a zone that is rolled back.
			z.Troubles = []string{TroubleBrokenImage}
		}
	}
	fails := func(z ScenarioZone) bool {
		return len(z.Troubles) > 0 || slices.Contains(z.Faults, FaultLockedOnce) || slices.Contains(z.Faults, FaultSanityFails)
	}
	for {
		failing := 0
		var clean []int
		for _, i := range ips {
			if fails(sc.Zones[i]) {
				failing++
			} else {
				clean = append(clean, i)
			}
		}
		if failing*2 > n || len(clean) == 0 {
			return
		}
		i := clean[rng.IntN(len(clean))]
		sc.Zones[i].Troubles = []string{troubles[rng.IntN(len(troubles))]}
	}
}

func ptr[T any](v T) *T { return &v }

// troublesOf are the troubles a profile can have: too-old needs a release
// step, which only the s11e pair has.
func troublesOf(p *profile) []string {
	var out []string
	for _, t := range troubleOrder {
		if t == TroubleTooOld && p.step == "" {
			continue
		}
		out = append(out, t)
	}
	return out
}

// buildWorld turns a scenario into the world model (no files yet).
func buildWorld(dir string, sc *Scenario) (*world, error) {
	p := profiles[sc.Profile]
	if p == nil {
		return nil, fmt.Errorf("%w: unknown profile %q (s11e, oi or omnios)", ErrBadScenario, sc.Profile)
	}
	rng := rand.New(rand.NewPCG(uint64(sc.Seed), 0xc0ffee))
	w := &world{
		Version: stateVersion, Profile: p.name, Hostname: sc.Hostname, Seed: sc.Seed, Dir: dir, NextID: 1,
		Pool:  pool{Name: "rpool", Available: sc.PoolAvailable},
		Locks: map[string]opLock{},
	}
	if w.Hostname == "" {
		w.Hostname = "gz01"
	}
	if w.Pool.Available == 0 {
		w.Pool.Available = 150<<30 + uint64(rng.IntN(8<<30))
	}
	w.BEs = slices.Clone(p.bes)
	w.Clock = w.activeBE().Created + 86400
	for _, r := range p.repos {
		c := *r
		c.Entire = slices.Clone(r.Entire)
		w.Repos = append(w.Repos, &c)
	}
	gzEntire := p.gzEntire
	pubs := p.gzPublishers
	if sc.GZ != nil {
		if sc.GZ.Entire != "" {
			gzEntire = sc.GZ.Entire
		}
		if len(sc.GZ.Publishers) > 0 {
			pubs = nil
			for _, sp := range sc.GZ.Publishers {
				pubs = append(pubs, sp.internal())
			}
		}
	}
	if len(pubs) == 0 || !pubs[0].Enabled || len(pubs[0].Origins) == 0 {
		return nil, fmt.Errorf("%w: the global zone's first publisher must be enabled and have an origin", ErrBadScenario)
	}
	for _, pb := range pubs {
		if pb.Name == "" {
			return nil, fmt.Errorf("%w: a global zone publisher without a name", ErrBadScenario)
		}
	}
	w.GZ = &image{Variant: "global"}
	for _, pb := range pubs {
		w.GZ.Publishers = append(w.GZ.Publishers, pb.clone())
		w.addRepo(pb, nil)
	}
	for _, c := range p.core {
		w.GZ.Packages = append(w.GZ.Packages, pkgInst{Stem: c.stem, Publisher: w.GZ.first().Name, Version: p.coreVersion(c.stem, gzEntire)})
	}
	if r := w.repo(w.GZ.first().Origins[0]); r != nil && !slices.Contains(r.Entire, gzEntire) {
		r.Entire = append(r.Entire, gzEntire)
	}

	w.Datasets = []*dataset{
		{Name: "rpool", Used: 24 << 30, Created: w.Clock - 86400*400},
		{Name: "rpool/ROOT", Mountpoint: "legacy", Used: 8 << 30, Created: w.Clock - 86400*400},
		{Name: "rpool/zones", Mountpoint: filepath.Join(dir, "zones"), Used: 1 << 30, Created: w.Clock - 86400*300},
	}
	for _, b := range w.BEs {
		w.Datasets = append(w.Datasets, &dataset{Name: "rpool/ROOT/" + b.Name, Mountpoint: "/", Canmount: "noauto", Used: b.Space, Created: b.Created})
	}
	seen := map[string]bool{}
	for i, sz := range sc.Zones {
		if seen[sz.Name] {
			return nil, fmt.Errorf("%w: zone %s twice", ErrBadScenario, sz.Name)
		}
		seen[sz.Name] = true
		if err := w.addZone(p, sz, i, rng); err != nil {
			return nil, err
		}
	}
	w.sortDatasets()
	w.assignTXGs()
	return w, nil
}

// addRepo makes sure an origin has a repository entry: unknown origins
// cannot be reached.
func (w *world) addRepo(pb *publisher, entire []string) {
	for _, o := range pb.Origins {
		if w.repo(o) == nil {
			w.Repos = append(w.Repos, &repo{Origin: o, Entire: entire})
		}
	}
}

func (w *world) addZone(p *profile, sz ScenarioZone, n int, rng *rand.Rand) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: zone %s: %s", ErrBadScenario, sz.Name, fmt.Sprintf(format, a...))
	}
	// The rule zoneupadm and zoneupd refuse names by: a scenario never
	// holds a zone they could not be asked about.
	if domain.ValidZoneName(sz.Name) != nil {
		return bad("not a usable zone name")
	}
	state := sz.State
	if state == "" {
		state = "running"
	}
	if !slices.Contains([]string{"running", "installed", "configured", "incomplete"}, state) {
		return bad("unknown state %q", state)
	}
	troubles := slices.Clone(sz.Troubles)
	for _, t := range troubles {
		if CuredBy[t] == nil {
			return bad("unknown trouble %q", t)
		}
	}
	for _, f := range sz.Faults {
		if !slices.Contains(allFaults, f) {
			return bad("unknown fault %q", f)
		}
	}
	brand := sz.Brand
	if brand == "" {
		brand = BrandIpkg
	}
	if !slices.Contains(brandsOf(p.name), brand) {
		return bad("brand %q is not one of profile %s (%s)", brand, p.name, strings.Join(brandsOf(p.name), ", "))
	}
	if !ipsBrand(brand) && len(troubles) > 0 {
		return bad("a %s zone has no package image, so no troubles", brand)
	}
	entire := sz.Entire
	tooOld := slices.Contains(troubles, TroubleTooOld)
	switch {
	case tooOld && p.step == "":
		return bad("too-old needs a release step (profile s11e)")
	case entire == "" && tooOld:
		entire = p.tooOld[rng.IntN(len(p.tooOld))]
	case entire == "":
		entire = p.zoneEntires[rng.IntN(len(p.zoneEntires))]
	case tooOld && compareVersions(entire, p.step) >= 0:
		return bad("too-old with entire %s, not below %s", entire, p.step)
	case !tooOld && p.step != "" && compareVersions(entire, p.step) < 0:
		troubles = append(troubles, TroubleTooOld)
	}
	autoboot := state == "running"
	if sz.Autoboot != nil {
		autoboot = *sz.Autoboot
	}
	z := &zone{
		Name: sz.Name, State: state, UUID: uuidFrom(rng), Brand: brand, IPType: sz.IPType, Autoboot: autoboot,
		Zonepath: filepath.Join(w.Dir, "zones", sz.Name), Faults: slices.Clone(sz.Faults), DebugID: debugID(w.Seed, sz.Name),
	}
	if z.IPType == "" {
		z.IPType = "excl"
	}
	if state == "running" {
		z.ID = w.NextID
		w.NextID++
	}

	img := &image{Variant: "nonglobal", Publishers: []*publisher{p.zonePublisher(entire)}}
	for _, c := range p.core {
		img.Packages = append(img.Packages, pkgInst{Stem: c.stem, Publisher: p.zonePub.Name, Version: p.coreVersion(c.stem, entire)})
	}
	for _, t := range troubles {
		tr := trouble{Name: t}
		switch t {
		case TroubleZonePublishers:
			odd := oddPublishers[rng.IntN(len(oddPublishers))]
			pb, stem := odd.pub.clone(), odd.stem
			if sz.OddPublisher != nil {
				if sz.OddPublisher.Name == "" || len(sz.OddPublisher.Origins) == 0 {
					return bad("odd_publisher needs a name and an origin")
				}
				pb, stem = sz.OddPublisher.internal(), ""
			}
			if w.GZ.publisher(pb.Name) != nil {
				return bad("odd publisher %s is a global zone publisher", pb.Name)
			}
			tr.Publisher = pb
			img.Publishers = append(img.Publishers, pb.clone())
			w.addRepo(pb, nil)
			if stem != "" {
				img.Packages = append(img.Packages, pkgInst{Stem: stem, Publisher: pb.Name, Version: "1.0-0.1"})
			}
		case TroubleConflicts:
			stems := sz.ConflictPackages
			if len(stems) == 0 {
				stems = conflictSet(rng)
			}
			for _, s := range stems {
				c := conflictStem(s)
				if c == nil {
					return bad("%s is not a conflicting package", s)
				}
				for _, d := range c.deps {
					if conflictStem(d) != nil && !slices.Contains(stems, d) {
						return bad("%s needs %s", s, d)
					}
				}
				img.Packages = append(img.Packages, pkgInst{Stem: s, Publisher: p.zonePub.Name, Version: c.component + "-" + branchOf(entire)})
			}
			tr.Packages = slices.Clone(stems)
		case TroubleStaleImage:
			img.Stale = true
		case TroubleBrokenImage:
			img.Broken = true
		}
		z.Troubles = append(z.Troubles, tr)
	}
	slices.SortFunc(img.Packages, func(a, b pkgInst) int { return strings.Compare(a.Stem, b.Stem) })
	w.Zones = append(w.Zones, z)

	if z.hasFault(FaultNotDataset) {
		z.Image = img
		return nil
	}
	z.Dataset = "rpool/zones/" + z.Name
	if !ipsBrand(brand) {
		// bhyve and lx: the zonepath dataset alone, no ROOT, no zone BE.
		w.Datasets = append(w.Datasets, &dataset{Name: z.Dataset, Used: 2<<30 + uint64(n)<<20, Created: w.Clock - int64(86400*(30+n)), Zone: z.Name})
		w.addDatasetFaults(z)
		return nil
	}
	used := sz.Used
	if used == 0 {
		used = 700<<20 + uint64(rng.IntN(2500<<20))
	}
	if z.hasFault(FaultNoSpace) && used <= w.Pool.Available {
		used = w.Pool.Available + 8<<30
	}
	created := w.Clock - int64(86400*(30+n))
	zbe := &dataset{
		Name: z.Dataset + "/ROOT/zbe", Canmount: "noauto", Used: used, Created: created, Data: true, Image: img, Zone: z.Name,
		Props: map[string]string{"org.opensolaris.libbe:parentbe": w.activeBE().UUID, "org.opensolaris.libbe:active": "on"},
	}
	total := used
	ds := []*dataset{
		{Name: z.Dataset, Used: 0, Created: created, Zone: z.Name},
		{Name: z.Dataset + "/ROOT", Mountpoint: "legacy", Zoned: "on", Created: created, Zone: z.Name},
		zbe,
	}
	if sz.ExtraZBE {
		old := &dataset{
			Name: z.Dataset + "/ROOT/zbe-1", Canmount: "noauto", Used: 300<<20 + uint64(rng.IntN(200<<20)), Created: created - 86400*60, Data: true, Zone: z.Name,
			Props: map[string]string{"org.opensolaris.libbe:parentbe": w.BEs[0].UUID, "org.opensolaris.libbe:active": "off"},
		}
		total += old.Used
		ds = append(ds, old)
	}
	ds[1].Used = total
	ds[0].Used = total + 96<<10
	switch state {
	case "running":
		zbe.Mounted = z.root()
	case "configured":
		// Detached: ipkg detach mounted the zbe on ZONEROOT by its mountpoint.
		zbe.Mountpoint, zbe.Canmount, zbe.Zoned = z.root(), "on", "off"
		zbe.Mounted = z.root()
	}
	w.Datasets = append(w.Datasets, ds...)
	if sparseBrand(brand) {
		w.addOverlays(z, zbe, img)
	}
	w.addDatasetFaults(z)
	return nil
}

// debugID is a zone's debug id as zoneadm list -p prints it on current
// illumos: fixed when the zone is configured, from the name here (no
// draw from the seed's stream, which would change the other zones).
func debugID(seed int64, name string) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", seed, name)
	return int(h.Sum32()%2000000000) + 1
}

// conflictSet picks the conflicting packages of a zone: php with the apache
// it depends on most of the time, so removing apache alone is refused.
func conflictSet(rng *rand.Rand) []string {
	set := []string{"web/server/apache-22", "web/php-52"}
	if rng.IntN(4) == 0 {
		set = []string{"web/server/apache-22"}
	}
	if rng.IntN(2) == 0 {
		set = append(set, "database/postgres-83")
	}
	if rng.IntN(3) == 0 {
		set = append(set, "developer/sunstudioexpress", "ss-dev")
	}
	return set
}

func uuidFrom(rng *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// materialise writes the zone folders and files and the state.
func materialise(w *world, sc *Scenario) error {
	p := profiles[w.Profile]
	for i, z := range w.Zones {
		root := z.root()
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
		files := zoneFiles(z.Name, i)
		var img *image
		data := root
		if z.Dataset == "" {
			img = z.Image
		} else if !ipsBrand(z.Brand) {
			// A virtual machine's or lx zone's files are its own business.
			if err := writeFiles(root, map[string]string{"etc/hostname": z.Name + "\n"}); err != nil {
				return err
			}
			if err := w.materialiseDataFiles(z, i); err != nil {
				return err
			}
			continue
		} else {
			zbe := w.zbe(z)
			img = zbe.Image
			data = w.dataPath(zbe)
			if err := os.MkdirAll(data, 0o755); err != nil {
				return err
			}
			for _, d := range w.descendants(z.Dataset + "/ROOT") {
				if d != zbe && d.Data && parentOf(d.Name) == z.Dataset+"/ROOT" {
					old := w.dataPath(d)
					if err := os.MkdirAll(old, 0o755); err != nil {
						return err
					}
					// An older zone BE: its release only, enough to tell them apart.
					if err := writeFiles(old, map[string]string{"etc/release": p.releaseText(p.tooOld0())}); err != nil {
						return err
					}
				}
			}
		}
		files["etc/release"] = p.releaseText(img.entire())
		if err := writeFiles(data, files); err != nil {
			return err
		}
		if z.Dataset != "" {
			if err := w.materialiseDataFiles(z, i); err != nil {
				return err
			}
		}
		if z.State == "configured" {
			if err := writeDetachManifest(z); err != nil {
				return err
			}
		}
	}
	st := &store{dir: w.Dir}
	return st.save(w)
}

// tooOld0 is the oldest zone release of a profile.
func (p *profile) tooOld0() string {
	if len(p.tooOld) > 0 {
		return p.tooOld[0]
	}
	return p.zoneEntires[0]
}

func writeDetachManifest(z *zone) error {
	return os.WriteFile(filepath.Join(z.Zonepath, "SUNWdetached.xml"), []byte(zoneXML(z)), 0o644)
}

// zoneXML is the zone's configuration as /etc/zones/ZONE.xml holds it.
func zoneXML(z *zone) string {
	ipType := "shared"
	if z.IPType == "excl" {
		ipType = "exclusive"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE zone PUBLIC "-//Sun Microsystems Inc//DTD Zones//EN" "file:///usr/share/lib/xml/dtd/zonecfg.dtd.1">
<zone name="%s" zonepath="%s" autoboot="%t" brand="%s" ip-type="%s">
  <network physical="%s0"/>
</zone>
`, z.Name, z.Zonepath, z.Autoboot, z.Brand, ipType, strings.ReplaceAll(z.Name, "-", "_"))
}

// Publisher is a publisher as show --json and scenarios write it.
type Publisher struct {
	Name       string            `json:"name"`
	Origins    []string          `json:"origins"` // in configured order
	Mirrors    []string          `json:"mirrors"`
	Enabled    bool              `json:"enabled"`
	Sticky     bool              `json:"sticky"`
	SSLKey     string            `json:"ssl_key,omitempty"`
	SSLCert    string            `json:"ssl_cert,omitempty"`
	Proxy      string            `json:"proxy,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

func (p Publisher) internal() *publisher {
	return &publisher{Name: p.Name, Origins: slices.Clone(p.Origins), Mirrors: slices.Clone(p.Mirrors),
		Enabled: p.Enabled, Sticky: p.Sticky, SSLKey: p.SSLKey, SSLCert: p.SSLCert, Proxy: p.Proxy, Props: maps.Clone(p.Properties)}
}

func (p *publisher) public() Publisher {
	return Publisher{Name: p.Name, Origins: nonNil(p.Origins), Mirrors: nonNil(p.Mirrors), Enabled: p.Enabled,
		Sticky: p.Sticky, SSLKey: p.SSLKey, SSLCert: p.SSLCert, Proxy: p.Proxy, Properties: maps.Clone(p.Props)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
