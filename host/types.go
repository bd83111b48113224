package host

import (
	"errors"
	"time"
)

// Error kinds. Adapters wrap them with %w so callers switch with errors.Is,
// never on message text.
var (
	// ErrNoSuchZone: zoneadm says the zone is not configured.
	ErrNoSuchZone = errors.New("no such zone configured")
	// ErrNotFound: a dataset, snapshot, package or publisher does not exist.
	ErrNotFound = errors.New("not found")
	// ErrTransient: the operation may succeed if repeated later (pkg exit 7,
	// image locked; another zoneadm holds the zone lock).
	ErrTransient = errors.New("transient")
	// ErrTimeout: the tool ran past its deadline and was killed.
	ErrTimeout = errors.New("timed out")
	// ErrNoImage: pkg says there is no image at the root it was given.
	ErrNoImage = errors.New("no package image")
	// ErrUnknownSubcommand: pkg refused the command line as a usage error
	// (exit 2), as a client does for a subcommand it lacks (image-update
	// where only update exists); nothing was changed.
	ErrUnknownSubcommand = errors.New("unknown subcommand")
	// ErrNoSolution: pkg's solver found no solution (the texts of
	// reference 6.2, or exit 9, EXIT_CONSTRAINED, on OmniOS since 2022).
	ErrNoSolution = errors.New("no solution")
	// ErrKeyFile: pkg refused a partial (sparse) image whose overlay key
	// files are missing, "Image is missing key file. Is everything
	// mounted?" (exit 51, reference 10.2): the zone BE's overlays are not
	// mounted.
	ErrKeyFile = errors.New("image key file missing (overlays not mounted)")
	// ErrNoSpace: zfs says the pool is out of space (`: out of space`,
	// reference 4.5) or a write failed for want of it.
	ErrNoSpace = errors.New("out of space")
)

// Zone is one line of `zoneadm list -cp` (the first seven fields; extra
// fields of newer releases are ignored).
type Zone struct {
	ID       string // decimal id, or "-" when the zone has no kernel zone
	Name     string
	State    string // configured, incomplete, installed, ready, running, ... (unknown words kept as they are)
	Zonepath string // unescaped (`\:` -> `:`)
	UUID     string // "" when none
	Brand    string
	IPType   string
}

// Brands zoneup upgrades (reference 10.1): the IPS brands whose attach
// hook runs the package sync. Every other brand (bhyve, kvm, emu, illumos,
// lx, solaris10, ...) has an empty attach hook or none, and an attach -u
// there would "succeed" without upgrading anything.
var UpgradableBrands = []string{"ipkg", "nlipkg", "lipkg", "sparse", "pkgsrc"}

// SparseBrand reports whether a brand lays its zone BE out as OmniOS's
// sparse brand does: overlay datasets under the zone BE, a partial image
// that pkg opens only while their key files are there (reference 10.2).
func SparseBrand(brand string) bool { return brand == "sparse" || brand == "pkgsrc" }

// Overlay is one of a sparse zone BE's child datasets and where the brand
// mounts it under the zone root.
type Overlay struct {
	Child string // dataset name below the zone BE: "svc", "fm"
	Dir   string // path below ZONEROOT: "lib/svc", "usr/lib/fm"
}

// SparseOverlays are the overlays of the sparse and pkgsrc brands, in the
// order the brand mounts them (src/brand/sparse/common.ksh).
var SparseOverlays = []Overlay{{"svc", "lib/svc"}, {"fm", "usr/lib/fm"}}

// Root is the zone's root directory: ZONEPATH/root.
func (z Zone) Root() string { return z.Zonepath + "/root" }

// Zone states as zoneadm prints them.
const (
	StateConfigured   = "configured"
	StateIncomplete   = "incomplete"
	StateInstalled    = "installed"
	StateReady        = "ready"
	StateRunning      = "running"
	StateShuttingDown = "shutting_down"
	StateDown         = "down"
)

// Dataset is one row of `zfs list -H -o name,mountpoint`.
type Dataset struct {
	Name       string
	Mountpoint string // "legacy", "none", a path, or "" for "-"
}

// BEDataset is one row of the zone BE listing of reference 3.2:
// `zfs list -H -r -t filesystem -o name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active DS/ROOT`.
type BEDataset struct {
	Name     string
	ParentBE string // "" for "-"
	Active   string // "on", "off", or "" for "-"
}

// BE is one line of `beadm list -H`.
type BE struct {
	Name       string
	UUID       string
	Active     string // "N", "R", "NR", "", or illumos zone forms "xN", "b", ...
	Mountpoint string
	Space      uint64
	Policy     string
	Created    time.Time
}

// Mount is one line of `mount -p` (vfstab format).
type Mount struct {
	Special    string
	Mountpoint string
	FSType     string
	Options    string
}

// PublisherRow is one row of `pkg publisher -H -F tsv`, normalised across the
// 7-column (OSOL-dev/S11E: PREFERRED in column 3) and 8-column (OI/S11:
// SYSPUB in column 3, PROXY in column 8) forms.
type PublisherRow struct {
	// Columns is how many columns the row had: 7 for the 2010 form, 8 or
	// more for the OI/S11 one.
	Columns   int
	Name      string
	Sticky    bool
	Preferred bool   // 7-column form only
	SysPub    bool   // 8-column form only
	Enabled   bool   // unreliable on OI (reference 6.4a): use PublisherInfo.Enabled
	Type      string // "origin", "mirror", or "" for a publisher without URIs
	Status    string
	URI       string
	Proxy     string // "" for "-" or absent
}

// Publisher is a whole publisher: the rows of one name folded together in
// search order, plus what only `pkg publisher NAME` tells.
type Publisher struct {
	Name    string   `json:"name"`
	Origins []string `json:"origins,omitempty"`
	Mirrors []string `json:"mirrors,omitempty"`
	Enabled bool     `json:"enabled"`
	Sticky  bool     `json:"sticky"`
	SSLKey  string   `json:"ssl_key,omitempty"`
	SSLCert string   `json:"ssl_cert,omitempty"`
	Proxies []string `json:"proxies,omitempty"`
	// Properties are the publisher's properties (`pkg publisher NAME`
	// shows them; OmniOS has e.g. signature-policy): unset and
	// set-publisher lose them unless they are set again.
	Properties map[string]string `json:"properties,omitempty"`
	// EnabledUnknown: `pkg publisher NAME` printed no Enabled line under
	// either label, so Enabled is the tsv's word, which cannot be trusted
	// (reference 6.4a). Never recorded.
	EnabledUnknown bool `json:"-"`
}

// PublisherInfo is what `pkg publisher NAME` (the Key: value block) tells.
type PublisherInfo struct {
	Name    string
	Origins []string
	Mirrors []string
	Enabled bool
	// EnabledKnown says an Enabled: line was printed; without one, Enabled
	// means nothing and the tsv's column is the only word there is.
	EnabledKnown bool
	SSLKey       string // "" when "None" or absent
	SSLCert      string
	Proxies      []string
	Properties   map[string]string // from the Properties: block, nil when none
}

// Package is one line of `pkg list -H`.
type Package struct {
	Stem      string // without the " (publisher)" suffix
	Publisher string // from the suffix, "" when absent
	Version   string // short version as printed, e.g. 0.5.11-0.134
	Flags     string // IFO (OI/S11) or STATE + UFOXI (OSOL/S11E), as printed
}

// FailureKind classifies why an attach -u (or a pkg call) failed, from the
// attach log or the pkg error output.
type FailureKind string

const (
	FailNone       FailureKind = ""
	FailNoSolution FailureKind = "no-solution"
	FailTransport  FailureKind = "transport"
	FailLocked     FailureKind = "locked"
	FailNoSpace    FailureKind = "no-space"
	// FailHost: zoneadm's or the brand's own checks refused the zone
	// before any package work (reference 10.4). No rung can fix it.
	FailHost  FailureKind = "host"
	FailOther FailureKind = "other"
)

// Failure is the classification of an attach log or pkg error text.
type Failure struct {
	Kind FailureKind
	URL  string // the failing URL for FailTransport, "" if none was found
	// Publisher is the publisher pkg named as unreachable for catalog
	// refresh (FailTransport), "" if none was named.
	Publisher string
	Line      string // the line that decided the classification, for reports
}

// AttachResult is what `zoneadm -z Z attach -u` left behind.
type AttachResult struct {
	LogFile string // from the "Log File:" line, "" if none was printed
	// ZoneEntire is the zone's entire before the attach updated anything,
	// from its "Non-Global zone version:" line (ZoneEntire), "" if none.
	ZoneEntire string
	Stdout     string
	Log        string // contents of LogFile (bounded), "" if unreadable
	Failure    Failure
}
