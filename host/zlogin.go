package host

import (
	"context"
	"fmt"
	"strings"
)

// zlogin ZONE svcs ... and svcprop (reference 7.5, 7.6): how the daemon
// checks an upgraded zone came up, and reads its own SMF configuration.

// SvcStatus is one line of `svcs -H -o state[,fmri]`.
type SvcStatus struct {
	State      string // online, offline, disabled, maintenance, degraded, ... (unknown words kept), without the `*`
	Transition bool   // the state had a `*`: the service is moving to another state
	FMRI       string // "" when only the state was asked for
}

// ParseSvcsState parses `svcs -H -o state` or `-o state,fmri`: a state
// word, optionally followed by blanks and the FMRI, per non-blank line.
func ParseSvcsState(out string) ([]SvcStatus, error) {
	var sts []SvcStatus
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		st := SvcStatus{State: f[0]}
		if s, ok := strings.CutSuffix(st.State, "*"); ok {
			st.State, st.Transition = s, true
		}
		if len(f) > 1 {
			st.FMRI = f[1]
		}
		sts = append(sts, st)
	}
	return sts, nil
}

// SvcState is the state of fmri inside a running zone
// (`zlogin ZONE svcs -H -o state FMRI`), without a trailing `*`. A zone
// that is not running, or an unknown FMRI, is an error; so is empty output.
func (t Tools) SvcState(ctx context.Context, zone, fmri string) (string, error) {
	res, err := t.run(ctx, false, nil, "zlogin", zone, "svcs", "-H", "-o", "state", fmri)
	if err != nil {
		return "", err
	}
	sts, err := ParseSvcsState(string(res.Stdout))
	if err != nil {
		return "", err
	}
	if len(sts) == 0 {
		return "", fmt.Errorf("zlogin %s svcs -H -o state %s printed nothing", zone, fmri)
	}
	return sts[0].State, nil
}

// SvcsX is what `zlogin ZONE svcs -x` explains, trimmed: "" when every
// service is fine.
func (t Tools) SvcsX(ctx context.Context, zone string) (string, error) {
	res, err := t.run(ctx, false, nil, "zlogin", zone, "svcs", "-x")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// Svcprop runs `svcprop ARGS...` and returns its stdout as printed (values
// escaped as svcprop escapes them). A missing property is an error (exit 1).
func (t Tools) Svcprop(ctx context.Context, args ...string) ([]byte, error) {
	res, err := t.run(ctx, false, nil, append([]string{"svcprop"}, args...)...)
	if err != nil {
		return nil, err
	}
	return res.Stdout, nil
}
