package sim

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// State is the world as `zonesim show --json` prints it: what tests need
// to predict and check each zone's outcome.
type State struct {
	Profile  string         `json:"profile"`
	GZ       GZState        `json:"gz"`
	Zones    []ZoneState    `json:"zones"`
	Datasets []DatasetState `json:"datasets"` // every dataset of every pool, in zfs list order
}

// DatasetState is one dataset as zfs shows it.
type DatasetState struct {
	Name             string            `json:"name"`
	Mountpoint       string            `json:"mountpoint"` // the effective value
	MountpointSource string            `json:"mountpoint_source"`
	Mounted          bool              `json:"mounted"`
	MountedAt        string            `json:"mounted_at,omitempty"` // where a zone dataset is mounted now
	Canmount         string            `json:"canmount"`
	Zoned            string            `json:"zoned"`
	Origin           string            `json:"origin,omitempty"` // a clone's origin snapshot
	CreateTXG        uint64            `json:"createtxg"`
	Properties       map[string]string `json:"properties,omitempty"` // user properties
	Snapshots        []SnapshotState   `json:"snapshots"`
}

// SnapshotState is one snapshot of a dataset.
type SnapshotState struct {
	Name      string   `json:"name"` // the part after the @
	Created   int64    `json:"created"`
	CreateTXG uint64   `json:"createtxg"`
	Clones    []string `json:"clones"`
}

// Overlay is one of a sparse zone's overlay datasets.
type Overlay struct {
	Dataset string `json:"dataset"`
	Dir     string `json:"dir"`     // where it belongs: ZONEROOT/lib/svc, ZONEROOT/usr/lib/fm
	Mounted bool   `json:"mounted"` // mounted there
}

// Dataset returns the named dataset, nil if there is none.
func (s *State) Dataset(name string) *DatasetState {
	for i := range s.Datasets {
		if s.Datasets[i].Name == name {
			return &s.Datasets[i]
		}
	}
	return nil
}

// GZState is the global zone.
type GZState struct {
	Entire     string      `json:"entire"`
	Publishers []Publisher `json:"publishers"`
	BEs        []BE        `json:"bes"`
}

// BE is a global zone boot environment.
type BE struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Active  string `json:"active"`
	Space   uint64 `json:"space"`
	Created int64  `json:"created"`
}

// ZoneState is one zone.
type ZoneState struct {
	Name       string      `json:"name"`
	State      string      `json:"state"`
	Zonepath   string      `json:"zonepath"`
	Dataset    string      `json:"dataset"` // "" when the zonepath is a plain folder
	ZBE        string      `json:"zbe"`     // the active zone BE, "" if none
	Autoboot   bool        `json:"autoboot"`
	Entire     string      `json:"entire"` // "" when the image has none
	Publishers []Publisher `json:"publishers"`
	Packages   []Package   `json:"packages"`
	Snapshots  []string    `json:"snapshots"` // full names, every dataset of the zone
	Mounted    bool        `json:"mounted"`   // the zone BE is mounted on ZONEROOT
	Troubles   []Trouble   `json:"troubles"`
	Faults     []string    `json:"faults"`
	Brand      string      `json:"brand"`
	Partial    bool        `json:"partial"`               // the image has the sparse zone's partial-image properties
	Overlays   []Overlay   `json:"overlays,omitempty"`    // sparse and pkgsrc
	BackupTwin string      `json:"backup_twin,omitempty"` // backup-twin: the received copy in the backup pool
	Delegated  string      `json:"delegated,omitempty"`   // delegated: the dataset under the zonepath
}

// Package is an installed package.
type Package struct {
	Stem      string `json:"stem"`
	Publisher string `json:"publisher"`
	Version   string `json:"version"`
}

// Trouble is a cause of attach -u failures, the rungs that cure it, and
// whether it is cured now (its cure happened and was not rolled back, or
// the zone is up to date).
type Trouble struct {
	Name    string   `json:"name"`
	CuredBy []string `json:"cured_by"`
	Cured   bool     `json:"cured"`
}

// Load reads a world's state.
func Load(dir string) (*State, error) {
	st, err := openStore(dir)
	if err != nil {
		return nil, err
	}
	defer st.close()
	var s *State
	err = st.locked(false, func(w *world) error {
		s = w.public()
		return nil
	})
	return s, err
}

func (w *world) public() *State {
	s := &State{Profile: w.Profile, GZ: GZState{Entire: w.GZ.entire()}, Zones: []ZoneState{}}
	for _, pb := range w.GZ.Publishers {
		s.GZ.Publishers = append(s.GZ.Publishers, pb.public())
	}
	for _, b := range w.BEs {
		s.GZ.BEs = append(s.GZ.BEs, BE{b.Name, b.UUID, b.Active, b.Space, b.Created})
	}
	for _, z := range w.Zones {
		zs := ZoneState{Name: z.Name, State: z.State, Zonepath: z.Zonepath, Dataset: z.Dataset, Autoboot: z.Autoboot,
			Publishers: []Publisher{}, Packages: []Package{}, Snapshots: []string{}, Troubles: []Trouble{}, Faults: nonNil(z.Faults),
			Brand: z.Brand}
		for _, d := range w.overlaysOf(z) {
			dir := filepath.Join(z.root(), overlayDir(d))
			zs.Overlays = append(zs.Overlays, Overlay{Dataset: d.Name, Dir: dir, Mounted: d.Mounted == dir})
		}
		if z.hasFault(FaultBackupTwin) && w.dataset("backup/zones/"+z.Name) != nil {
			zs.BackupTwin = "backup/zones/" + z.Name
		}
		if z.hasFault(FaultDelegated) && w.dataset(z.Dataset+"/data") != nil {
			zs.Delegated = z.Dataset + "/data"
		}
		img := z.Image
		if d := w.zbe(z); d != nil {
			zs.ZBE, zs.Mounted, img = d.Name, d.Mounted == z.root(), d.Image
		}
		if z.Dataset != "" {
			for _, d := range w.Datasets {
				if d.Name == z.Dataset || strings.HasPrefix(d.Name, z.Dataset+"/") {
					for _, sn := range d.Snaps {
						zs.Snapshots = append(zs.Snapshots, d.Name+"@"+sn.Name)
					}
				}
			}
		}
		if img != nil {
			zs.Partial = img.Partial
			zs.Entire = img.entire()
			for _, pb := range img.Publishers {
				zs.Publishers = append(zs.Publishers, pb.public())
			}
			for _, pk := range img.Packages {
				zs.Packages = append(zs.Packages, Package{pk.Stem, pk.Publisher, pk.Version})
			}
		}
		synced := img != nil && img.entire() != "" && img.entire() == w.GZ.entire()
		for i := range z.Troubles {
			t := &z.Troubles[i]
			zs.Troubles = append(zs.Troubles, Trouble{Name: t.Name, CuredBy: slices.Clone(CuredBy[t.Name]),
				Cured: synced || !troubleActive(w, z, t, img)})
		}
		s.Zones = append(s.Zones, zs)
	}
	s.Datasets = []DatasetState{}
	for _, d := range w.Datasets {
		s.Datasets = append(s.Datasets, w.datasetState(d))
	}
	return s
}

func (w *world) datasetState(d *dataset) DatasetState {
	mp, src := w.effectiveMountpoint(d)
	can, _ := w.zprop(zrow{d: d}, "canmount", true)
	zoned, _ := w.zprop(zrow{d: d}, "zoned", true)
	ds := DatasetState{Name: d.Name, Mountpoint: mp, MountpointSource: src, Mounted: w.isMounted(d), MountedAt: d.Mounted,
		Canmount: can, Zoned: zoned, Origin: d.Origin, CreateTXG: d.TXG, Properties: maps.Clone(d.Props), Snapshots: []SnapshotState{}}
	for _, sn := range d.Snaps {
		st := SnapshotState{Name: sn.Name, Created: sn.Created, CreateTXG: sn.TXG, Clones: []string{}}
		for _, c := range w.clonesOf(d, sn) {
			st.Clones = append(st.Clones, c.Name)
		}
		ds.Snapshots = append(ds.Snapshots, st)
	}
	return ds
}

// Zone returns the named zone, nil if there is none.
func (s *State) Zone(name string) *ZoneState {
	for i := range s.Zones {
		if s.Zones[i].Name == name {
			return &s.Zones[i]
		}
	}
	return nil
}

// writeTable prints the readable form of show.
func (s *State) writeTable(out io.Writer) {
	var pubs []string
	for _, pb := range s.GZ.Publishers {
		n := pb.Name
		if !pb.Enabled {
			n += " (disabled)"
		}
		pubs = append(pubs, n)
	}
	fmt.Fprintf(out, "profile %s, global zone entire %s, publishers: %s\n\n", s.Profile, s.GZ.Entire, strings.Join(pubs, ", "))
	fmt.Fprintf(out, "%-10s %-11s %-22s %-44s %s\n", "ZONE", "STATE", "ENTIRE", "TROUBLES (cured by)", "FAULTS")
	for _, z := range s.Zones {
		var ts []string
		for _, t := range z.Troubles {
			mark := ""
			if t.Cured {
				mark = "*"
			}
			ts = append(ts, fmt.Sprintf("%s%s(%s)", t.Name, mark, strings.Join(t.CuredBy, "|")))
		}
		tr := strings.Join(ts, " ")
		if tr == "" {
			tr = "-"
		}
		fl := strings.Join(z.Faults, ",")
		if fl == "" {
			fl = "-"
		}
		entire := z.Entire
		if entire == "" {
			entire = "-"
		}
		fmt.Fprintf(out, "%-10s %-11s %-22s %-44s %s\n", z.Name, z.State, entire, tr, fl)
	}
	fmt.Fprintln(out, "\n(* = cured)")
}
