package smf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Method exit codes (smf_method(7); libscf.h, smf_include.sh). Any other
// non-zero code is "unknown error": svc.startd retries it, and puts the
// instance in maintenance only after repeated failures.
const (
	ExitOK     = 0   // SMF_EXIT_OK
	ExitFatal  = 95  // SMF_EXIT_ERR_FATAL: not retried, maintenance (database corrupt or locked)
	ExitConfig = 96  // SMF_EXIT_ERR_CONFIG: not retried, maintenance (bad configuration)
	ExitNoSMF  = 99  // SMF_EXIT_ERR_NOSMF: a method run outside SMF
	ExitPerm   = 100 // SMF_EXIT_ERR_PERM: missing permission or privilege
)

// Service and Instance name what zoneup.xml delivers.
const (
	Service  = "application/zoneup"
	Instance = "default"
	// DefaultFMRI is the instance's full FMRI, as $SMF_FMRI gives it.
	DefaultFMRI = "svc:/" + Service + ":" + Instance
)

// DrainGrace is how long the daemon lets running tools finish when it is
// told to stop (daemon.ParseConfig's default; zoneupd --drain-grace only
// exists for tests). StopTimeout is the stop method's timeout_seconds in
// zoneup.xml: the grace, plus two minutes for the tools stopped at its end
// to exit and for every job to be persisted. manifest_test.go holds the
// manifest to it.
const (
	DrainGrace  = 60 * time.Second
	StopTimeout = DrainGrace + 120*time.Second
)

// FMRI returns the instance FMRI svc.startd gave the method ($SMF_FMRI),
// and whether there is one (false: not run by SMF).
func FMRI() (string, bool) {
	f := os.Getenv("SMF_FMRI")
	return f, f != ""
}

// LoadConfig reads the instance's property group config through run (argv
// in, stdout out; argv[0] is "svcprop") and returns KEY -> value for every
// property config/KEY. Values are not checked here.
func LoadConfig(ctx context.Context, fmri string, run func(ctx context.Context, argv ...string) ([]byte, error)) (map[string]string, error) {
	if fmri == "" {
		return nil, errors.New("smf: no instance FMRI to read the configuration of")
	}
	out, err := run(ctx, "svcprop", "-p", "config", fmri)
	if err != nil {
		return nil, fmt.Errorf("read property group config of %s: %w", fmri, err)
	}
	props, err := ParseProps(out)
	if err != nil {
		return nil, fmt.Errorf("svcprop -p config %s: %w", fmri, err)
	}
	kv := make(map[string]string, len(props))
	for name, v := range props {
		if key, ok := strings.CutPrefix(name, "config/"); ok {
			kv[key] = v
		}
	}
	return kv, nil
}
