package daemon

import (
	"context"
	"time"

	"zoneup/fsm"
)

// MultiUserServer is the milestone an upgraded zone must reach.
const MultiUserServer = "svc:/milestone/multi-user-server:default"

// verify waits for the zone's multi-user-server milestone, then asks
// svcs -x. Whatever it finds becomes a warning, never a rollback: the zone
// is upgraded and running, and a person decides.
func (r *run) verify(ctx context.Context) (fsm.Event, error) {
	r.begin("verify", "")
	// svcs has no way to wait for a state, so the zone is asked again
	// after a quarter of the time it has taken so far (at least 10ms, at
	// most 2s): the milestone is seen at most a quarter late, with a few
	// dozen zlogin calls for a boot of a minute.
	start := r.e.now()
	deadline := start.Add(r.cfg.VerifyTimeout)
	var state string
	var lastErr error
	for {
		state, lastErr = r.t.SvcState(ctx, r.job.Zone, MultiUserServer)
		if lastErr == nil && state == "online" {
			break
		}
		wait := min(max(r.e.now().Sub(start)/4, 10*time.Millisecond), 2*time.Second)
		if !r.e.now().Add(wait).Before(deadline) {
			break
		}
		select {
		case <-time.After(wait):
		case <-r.soft.Done():
			return "", errInterrupted
		}
	}
	if errorsIsInterrupted(lastErr) {
		return "", lastErr // zlogin killed at the drain's end: verified at the next start
	}
	switch {
	case lastErr != nil:
		r.warn("verify: zlogin: " + lastErr.Error())
	case state != "online":
		r.warn("verify: " + MultiUserServer + " is " + state + " after " + r.cfg.VerifyTimeout.String())
	}
	if lastErr == nil {
		out, err := r.t.SvcsX(ctx, r.job.Zone)
		switch {
		case err != nil:
			r.warn("verify: zlogin svcs -x: " + err.Error())
		case out != "":
			r.warn("svcs -x in the zone: " + out)
		}
	}
	r.end("ok", nil)
	return fsm.EvFinish, nil
}
