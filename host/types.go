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
	FailOther      FailureKind = "other"
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
	Stdout  string
	Log     string // contents of LogFile (bounded), "" if unreadable
	Failure Failure
}
