package daemon

import (
	"context"
	"fmt"
)

// An effect is a change a job makes to the host that must never be made
// twice by accident: its name is on disk (Job.Pending, fsync'd) before the
// tool runs, and the job records it done after. A crash in between leaves
// the name on disk, and the resumed job looks at the host before it acts
// again. This file is the one place that writes Job.Pending.
type effect string

// The effects, by the name Job.Pending and Job.Done store.
const (
	effSnapshot       effect = "snapshot"        // zfs snapshot -r of the zonepath dataset
	effAttach         effect = "attach"          // zoneadm attach -u (made again after each rung)
	effImageCreate    effect = "image-create"    // pkg image-create -f over the zone root
	effInstallLibrary effect = "install-library" // pkg install system/library in the new image
	effUninstall      effect = "uninstall"       // pkg uninstall of the conflicting packages
	effRestore        effect = "restore"         // configuration files back from the snapshot
)

// oneShot is an effect and what once needs to make it.
type oneShot struct {
	effect effect
	// took looks at the host after a crash during the effect: whether it
	// had taken effect. nil: the effect is made again (it is harmless to
	// repeat, or the caller looked already).
	took func(ctx context.Context) (bool, error)
	// record notes on the job what is about to change; it is saved with
	// the effect's name, before act.
	record func()
	// act makes the change.
	act func(ctx context.Context) error
	// done records on the job that the effect took effect; nil marks
	// Job.Done[effect]. isDone says so; nil reads Job.Done[effect].
	done   func()
	isDone func() bool
}

// once makes o's effect unless the job has it done already: the name is
// saved first (with what record notes), act runs, and the effect is
// recorded done and saved. After a crash during it, took decides whether
// it had taken effect. An act that fails clears the name (the caller
// records the failure); a shutdown leaves it, for the next start to look.
// ran reports whether act ran.
func (r *run) once(ctx context.Context, o oneShot) (ran bool, err error) {
	if o.isDone == nil {
		o.isDone = func() bool { return r.job.Done[string(o.effect)] }
	}
	if o.isDone() {
		return false, nil
	}
	if r.job.Pending == string(o.effect) && o.took != nil {
		took, err := o.took(ctx)
		if err != nil {
			return false, err
		}
		if took {
			r.note("event", fmt.Sprintf("%s had completed before the restart", o.effect))
			return false, r.tookEffect(o)
		}
	}
	if o.record != nil {
		o.record()
	}
	r.job.Pending = string(o.effect)
	if err := r.save(); err != nil {
		return false, err
	}
	if err := o.act(ctx); err != nil {
		if !errorsIsInterrupted(err) {
			r.job.Pending = ""
		}
		return true, err
	}
	return true, r.tookEffect(o)
}

// tookEffect records o's effect done: the name is cleared, done runs, and
// the job is saved.
func (r *run) tookEffect(o oneShot) error {
	r.job.Pending = ""
	if o.done != nil {
		o.done()
	} else {
		r.markDone(string(o.effect))
	}
	return r.save()
}

// settled clears the name of an effect that a stage found, by looking at
// the host itself, to have taken effect (an attach -u that completed
// before a crash), without marking anything done.
func (r *run) settled(e effect) {
	if r.job.Pending == string(e) {
		r.job.Pending = ""
	}
}

// dropPending forgets the name an interrupted effect left when the job
// ends without resuming it (the zone vanished, the job was rolled back):
// a terminal job has nothing pending.
func (r *run) dropPending() { r.job.Pending = "" }

func (r *run) markDone(what string) {
	if r.job.Done == nil {
		r.job.Done = map[string]bool{}
	}
	r.job.Done[what] = true
}
