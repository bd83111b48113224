package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Errors of the world folder itself (not of the simulated tools).
var (
	// ErrNoWorld: the folder holds no zonesim world.
	ErrNoWorld = errors.New("no zonesim world")
	// ErrBadScenario: a scenario file or init option is invalid.
	ErrBadScenario = errors.New("invalid scenario")
)

// stateVersion is bumped when the layout of state.json changes.
const stateVersion = 1

// Files inside a world folder.
const (
	stateFile   = "state.json"        // the world model, replaced atomically
	lockFile    = "lock"              // flock'd around every read-decide or re-read-apply
	seqFile     = "seq"               // last invocation number handed out
	invocations = "invocations.jsonl" // the invocation log
	crashFile   = "crashplan"         // "SEQ start|end": the crash hook
	runningDir  = "running"           // one file per live tool process: its pid
	dataDir     = "data"              // contents of unmounted zone BEs
	varTmpDir   = "var/tmp"           // attach logs
	smfDir      = "smf"               // svcprop answers
)

// world is the persisted model of the simulated host. Everything a tool
// decides on is in here; zone roots hold the real files.
type world struct {
	Version  int               `json:"version"`
	Profile  string            `json:"profile"`
	Hostname string            `json:"hostname"`
	Seed     int64             `json:"seed"`
	Dir      string            `json:"dir"`     // absolute world folder the zonepaths live under
	NextID   int               `json:"next_id"` // next kernel zone id
	Clock    int64             `json:"clock"`   // creation time base (unix seconds) for datasets and snapshots
	TXG      uint64            `json:"txg"`     // the pool's last transaction group: createtxg of new datasets and snapshots
	Pool     pool              `json:"pool"`
	BEs      []be              `json:"bes"`
	GZ       *image            `json:"gz"`
	Zones    []*zone           `json:"zones"`
	Datasets []*dataset        `json:"datasets"`
	Repos    []*repo           `json:"repos"`
	Locks    map[string]opLock `json:"locks,omitempty"`
}

type pool struct {
	Name      string `json:"name"`
	Available uint64 `json:"available"`
}

// be is a global zone boot environment.
type be struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Active  string `json:"active"` // "NR" for the running one, "" otherwise
	Space   uint64 `json:"space"`
	Created int64  `json:"created"`
}

// zone is one non-global zone.
type zone struct {
	Name     string          `json:"name"`
	State    string          `json:"state"`
	ID       int             `json:"id,omitempty"`       // kernel zone id while running
	DebugID  int             `json:"debug_id,omitempty"` // illumos zone debug id, fixed at configuration
	UUID     string          `json:"uuid"`
	Brand    string          `json:"brand"`
	IPType   string          `json:"ip_type"`
	Autoboot bool            `json:"autoboot"`
	Zonepath string          `json:"zonepath"`
	Dataset  string          `json:"dataset,omitempty"` // "" for a zonepath that is a plain folder
	Troubles []trouble       `json:"troubles,omitempty"`
	Faults   []string        `json:"faults,omitempty"`
	Consumed map[string]bool `json:"consumed,omitempty"`  // one-shot faults already used up
	BootedAt int64           `json:"booted_at,omitempty"` // unix nanoseconds of the last boot
	Image    *image          `json:"image,omitempty"`     // package image of a plain-folder zone root
}

// trouble is one cause of attach -u failures; what cures it is in the image
// or the global zone, so a rollback brings it back.
type trouble struct {
	Name      string     `json:"name"`
	Publisher *publisher `json:"publisher,omitempty"` // zone-publishers: the odd one
	Packages  []string   `json:"packages,omitempty"`  // conflicts: the stems installed
}

// image is an IPS package image.
type image struct {
	Variant    string       `json:"variant"` // variant.opensolaris.zone: global or nonglobal
	Publishers []*publisher `json:"publishers"`
	Packages   []pkgInst    `json:"packages"`
	Stale      bool         `json:"stale,omitempty"`  // needs an image-update before any solve
	Broken     bool         `json:"broken,omitempty"` // solver never succeeds until re-created
	// Partial is a sparse zone's image (variant.opensolaris.imagetype=
	// partial, exclude-patterns); KeyFiles must all exist below the
	// image root or pkg refuses it (reference 10.2).
	Partial  bool     `json:"partial,omitempty"`
	KeyFiles []string `json:"key_files,omitempty"`
}

type publisher struct {
	Name    string   `json:"name"`
	Origins []string `json:"origins"`
	Mirrors []string `json:"mirrors"`
	Enabled bool     `json:"enabled"`
	Sticky  bool     `json:"sticky"`
	SSLKey  string   `json:"ssl_key,omitempty"`
	SSLCert string   `json:"ssl_cert,omitempty"`
	Proxy   string   `json:"proxy,omitempty"`
	// Props are the publisher's properties (set-publisher --set-property).
	Props map[string]string `json:"props,omitempty"`
}

// pkgInst is one installed package.
type pkgInst struct {
	Stem      string `json:"stem"`
	Publisher string `json:"publisher"`
	Version   string `json:"version"` // short form: release-branch
}

// dataset is a ZFS filesystem of the pool.
type dataset struct {
	Name       string            `json:"name"`
	Mountpoint string            `json:"mountpoint,omitempty"` // local value; "" = inherited
	Canmount   string            `json:"canmount,omitempty"`
	Zoned      string            `json:"zoned,omitempty"`
	Used       uint64            `json:"used"`
	Created    int64             `json:"created"`
	Props      map[string]string `json:"props,omitempty"`   // user properties (libbe)
	Mounted    string            `json:"mounted,omitempty"` // where a zone BE is mounted now
	Data       bool              `json:"data,omitempty"`    // holds files (a zone BE)
	Image      *image            `json:"image,omitempty"`   // the package image in a zone BE
	Snaps      []*snap           `json:"snaps,omitempty"`
	Zone       string            `json:"zone,omitempty"`
	TXG        uint64            `json:"txg,omitempty"`    // createtxg
	Origin     string            `json:"origin,omitempty"` // a clone's origin snapshot
	// Received is a dataset received with zfs recv -u: not mounted
	// whatever its mountpoint says (a backup twin, reference 10.5).
	Received bool `json:"received,omitempty"`
}

type snap struct {
	Name    string `json:"name"`
	Created int64  `json:"created"`
	Image   *image `json:"image,omitempty"`
	TXG     uint64 `json:"txg,omitempty"` // createtxg
}

// nextTXG hands out the next transaction group, so createtxg orders
// datasets and snapshots as they were made.
func (w *world) nextTXG() uint64 {
	w.TXG++
	return w.TXG
}

// clonesOf are the datasets cloned from a snapshot, in list order.
func (w *world) clonesOf(d *dataset, s *snap) []*dataset {
	var out []*dataset
	for _, x := range w.Datasets {
		if x.Origin == d.Name+"@"+s.Name {
			out = append(out, x)
		}
	}
	return out
}

// repo is what one origin URL serves.
type repo struct {
	Origin    string   `json:"origin"`
	Reachable bool     `json:"reachable"`
	Entire    []string `json:"entire,omitempty"` // entire versions it serves, oldest first
}

// opLock is a per-zone zoneadm lock or a per-image pkg lock.
type opLock struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // process start time, so a reused pid is not taken for the holder
	Tool  string `json:"tool"`
}

// store is a world folder with its lock.
type store struct {
	dir string
	f   *os.File
}

func openStore(dir string) (*store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(abs, lockFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoWorld, abs)
	}
	if err != nil {
		return nil, err
	}
	return &store{dir: abs, f: f}, nil
}

func (s *store) close() { s.f.Close() }

func (s *store) lock() error {
	for {
		err := syscall.Flock(int(s.f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func (s *store) unlock() { syscall.Flock(int(s.f.Fd()), syscall.LOCK_UN) }

func (s *store) load() (*world, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if err != nil {
		return nil, err
	}
	w := &world{}
	if err := json.Unmarshal(b, w); err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile, err)
	}
	if w.Version != stateVersion {
		return nil, fmt.Errorf("%s: version %d, this zonesim knows %d", stateFile, w.Version, stateVersion)
	}
	return w, nil
}

func (s *store) save(w *world) error {
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.dir, stateFile), b)
}

// writeAtomic replaces a file by rename, so a reader (or a killed writer)
// never sees half of it.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	os.Chmod(tmp.Name(), 0o644)
	return os.Rename(tmp.Name(), path)
}

// locked runs fn with the world loaded under the lock; save writes it back.
func (s *store) locked(save bool, fn func(w *world) error) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.unlock()
	w, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(w); err != nil {
		return err
	}
	if save {
		return s.save(w)
	}
	return nil
}

// Look-ups.

func (w *world) zone(name string) *zone {
	for _, z := range w.Zones {
		if z.Name == name {
			return z
		}
	}
	return nil
}

func (w *world) dataset(name string) *dataset {
	for _, d := range w.Datasets {
		if d.Name == name {
			return d
		}
	}
	return nil
}

func (w *world) repo(origin string) *repo {
	for _, r := range w.Repos {
		if sameURL(r.Origin, origin) {
			return r
		}
	}
	return nil
}

func sameURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// root is a zone's ZONEROOT.
func (z *zone) root() string { return filepath.Join(z.Zonepath, "root") }

func (z *zone) hasFault(f string) bool { return slices.Contains(z.Faults, f) }

func (z *zone) hasTrouble(name string) *trouble {
	for i := range z.Troubles {
		if z.Troubles[i].Name == name {
			return &z.Troubles[i]
		}
	}
	return nil
}

// zbe is the zone's active boot environment: the direct child of
// DATASET/ROOT whose parentbe is the running GZ BE and active is on
// (reference 3.2).
func (w *world) zbe(z *zone) *dataset {
	if z.Dataset == "" {
		return nil
	}
	uuid := w.activeBE().UUID
	for _, d := range w.Datasets {
		if parentOf(d.Name) == z.Dataset+"/ROOT" && d.Props["org.opensolaris.libbe:parentbe"] == uuid &&
			d.Props["org.opensolaris.libbe:active"] == "on" {
			return d
		}
	}
	return nil
}

func (w *world) activeBE() be {
	for _, b := range w.BEs {
		if strings.Contains(b.Active, "N") {
			return b
		}
	}
	return be{}
}

// mountedAt is the dataset mounted on dir, if any.
func (w *world) mountedAt(dir string) *dataset {
	for _, d := range w.Datasets {
		if d.Mounted != "" && d.Mounted == dir {
			return d
		}
	}
	return nil
}

// dataPath is where a zone BE's files are now: its mount point, or its
// store under the world when unmounted.
func (w *world) dataPath(d *dataset) string {
	if d.Mounted != "" {
		return d.Mounted
	}
	return filepath.Join(w.Dir, dataDir, strings.ReplaceAll(d.Name, "/", "%"))
}

func parentOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// descendants are the datasets below name (all depths), in list order.
func (w *world) descendants(name string) []*dataset {
	var out []*dataset
	for _, d := range w.Datasets {
		if strings.HasPrefix(d.Name, name+"/") {
			out = append(out, d)
		}
	}
	return out
}

// sortDatasets keeps the list in zfs order: parents before children,
// siblings by name.
func (w *world) sortDatasets() {
	slices.SortFunc(w.Datasets, func(a, b *dataset) int {
		return strings.Compare(strings.ReplaceAll(a.Name, "/", "\x00"), strings.ReplaceAll(b.Name, "/", "\x00"))
	})
}

// zoneOfRoot finds the zone whose ZONEROOT is dir.
func (w *world) zoneOfRoot(dir string) *zone {
	for _, z := range w.Zones {
		if z.root() == dir {
			return z
		}
	}
	return nil
}

// imageAt is the package image rooted at dir: the GZ's for "/", the image
// in the dataset mounted there, or a plain-folder zone's.
func (w *world) imageAt(dir string) *image {
	if dir == "/" {
		return w.GZ
	}
	if d := w.mountedAt(dir); d != nil {
		return d.Image
	}
	if z := w.zoneOfRoot(dir); z != nil && z.Dataset == "" {
		return z.Image
	}
	return nil
}

// imageKey names an image for its pkg lock.
func (w *world) imageKey(dir string) string {
	if dir == "/" {
		return "image:/"
	}
	if d := w.mountedAt(dir); d != nil {
		return "image:" + d.Name
	}
	return "image:" + dir
}

func (img *image) clone() *image {
	if img == nil {
		return nil
	}
	b, _ := json.Marshal(img)
	out := &image{}
	json.Unmarshal(b, out)
	return out
}

func (img *image) pkg(stem string) *pkgInst {
	for i := range img.Packages {
		if img.Packages[i].Stem == stem {
			return &img.Packages[i]
		}
	}
	return nil
}

// entire is the installed entire version, "" if none.
func (img *image) entire() string {
	if p := img.pkg("entire"); p != nil {
		return p.Version
	}
	return ""
}

func (img *image) publisher(name string) *publisher {
	for _, p := range img.Publishers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (img *image) first() *publisher {
	if len(img.Publishers) == 0 {
		return nil
	}
	return img.Publishers[0]
}

func (img *image) removePublisher(name string) {
	img.Publishers = slices.DeleteFunc(img.Publishers, func(p *publisher) bool { return p.Name == name })
}

func (p *publisher) clone() *publisher {
	c := *p
	c.Origins = slices.Clone(p.Origins)
	c.Mirrors = slices.Clone(p.Mirrors)
	c.Props = maps.Clone(p.Props)
	return &c
}
