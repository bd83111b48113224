// Package domaintest holds the edge cases of the domain rules as tables,
// for the tests of every package that checks a zone name or reads an
// allow list (domain itself, zoneupadm, the daemon, the simulator): each
// runs the same table through its own check, so the CLI and the daemon
// cannot drift apart without a test saying so.
package domaintest

import (
	"strings"

	"zoneup/domain"
)

// ZoneName is a name and the kind of refusal the rule gives it: nil (a
// valid name), domain.ErrGlobalZone, ErrReservedZone or ErrBadZoneName.
type ZoneName struct {
	Name string
	Want error
}

// ZoneNames are the edges of the zone-name rule (SPEC 3 preflight and 5
// enqueue; libzonecfg's syntax, reference 1).
var ZoneNames = []ZoneName{
	{"web01", nil},
	{"0zone", nil},
	{"a", nil},
	{"a.b_c-d", nil},
	{strings.Repeat("z", 63), nil},
	{"sunwlower", nil}, // case sensitive
	{"Global", nil},
	{"global", domain.ErrGlobalZone},
	{"SUNWdefault", domain.ErrReservedZone},
	{"SUNW", domain.ErrReservedZone},
	{"SUNW!x", domain.ErrReservedZone}, // SUNW is looked at before the syntax
	{"SUNW\nx", domain.ErrReservedZone},
	{strings.Repeat("z", 64), domain.ErrBadZoneName},
	{"", domain.ErrBadZoneName},
	{"-web", domain.ErrBadZoneName},
	{".web", domain.ErrBadZoneName},
	{"_web", domain.ErrBadZoneName},
	{"web 01", domain.ErrBadZoneName},
	{" web01", domain.ErrBadZoneName},
	{"web:01", domain.ErrBadZoneName},
	{"web/01", domain.ErrBadZoneName},
	{"../web", domain.ErrBadZoneName},
	{"wéb", domain.ErrBadZoneName},
	{"web01\n", domain.ErrBadZoneName},
	{"global\n", domain.ErrBadZoneName},
}

// AllowList is an allow list as written and what domain.ParseAllow makes
// of it: the rungs in the order first named, or the one-line error.
type AllowList struct {
	In   string
	Want []string // nil: nothing allowed (or an error)
	Err  string   // "" unless refused
}

// Messages of ParseAllow, for the tables.
const (
	notDestructive = " is not a destructive rung; it always runs (allow remove-conflicts or recreate-image)"
	unknown        = " (destructive rungs: remove-conflicts or 6, recreate-image or 7)"
)

// AllowLists are the edges of an allow list (SPEC 3 policy, 4 `allow`, 5
// enqueue --allow). SPEC has no "all": it is an unknown rung.
var AllowLists = []AllowList{
	{In: "remove-conflicts", Want: []string{domain.RungRemoveConflicts}},
	{In: "recreate-image", Want: []string{domain.RungRecreateImage}},
	{In: "6", Want: []string{domain.RungRemoveConflicts}},
	{In: "7", Want: []string{domain.RungRecreateImage}},
	{In: "remove-conflicts,recreate-image", Want: []string{domain.RungRemoveConflicts, domain.RungRecreateImage}},
	{In: "7,remove-conflicts", Want: []string{domain.RungRecreateImage, domain.RungRemoveConflicts}},
	{In: "6, recreate-image,remove-conflicts", Want: []string{domain.RungRemoveConflicts, domain.RungRecreateImage}},
	{In: "6,6,remove-conflicts", Want: []string{domain.RungRemoveConflicts}},
	{In: " recreate-image , ", Want: []string{domain.RungRecreateImage}},
	{In: "\trecreate-image", Want: []string{domain.RungRecreateImage}},
	{In: "6,,7", Want: []string{domain.RungRemoveConflicts, domain.RungRecreateImage}},
	// Nothing named: allows nothing (the config default). zoneupadm
	// refuses an --allow that names no rung as a usage error.
	{In: ""},
	{In: ","},
	{In: "  "},
	{In: " , ,"},
	// Rungs that always run.
	{In: "image-update", Err: "image-update" + notDestructive},
	{In: "attach-update", Err: "attach-update" + notDestructive},
	{In: "1", Err: "1" + notDestructive},
	{In: "5", Err: "5" + notDestructive},
	{In: "6, global-publishers", Err: "global-publishers" + notDestructive},
	// Not rungs at all.
	{In: "all", Err: `unknown rung "all"` + unknown},
	{In: "8", Err: `unknown rung "8"` + unknown},
	{In: "0", Err: `unknown rung "0"` + unknown},
	{In: "06", Err: `unknown rung "06"` + unknown},
	{In: "nuke", Err: `unknown rung "nuke"` + unknown},
	{In: "Remove-Conflicts", Err: `unknown rung "Remove-Conflicts"` + unknown},
	{In: "remove conflicts", Err: `unknown rung "remove conflicts"` + unknown},
	{In: "remove-conflicts;recreate-image", Err: `unknown rung "remove-conflicts;recreate-image"` + unknown},
	{In: "recreate-image,nuke,image-update", Err: `unknown rung "nuke"` + unknown}, // the first bad one
}
