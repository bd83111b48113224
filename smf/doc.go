// Package smf is zoneup's side of the Service Management Facility: the
// manifest (zoneup.xml, installed as
// /var/svc/manifest/application/zoneup.xml), the method exit codes of
// smf_method(7), and the reading of the instance's property group config
// with svcprop(1).
//
// # How svc.startd runs zoneupd
//
// The service model is contract (startd/duration): the start method is
// `/usr/lib/zoneup/zoneupd --background`, which starts the real daemon in
// its own session and returns only once the control socket answers, or
// with the daemon's own exit code if it dies first (StartBackground; the
// daemon reports that it listens through ReadyNotifier). That is what makes a
// bad configuration (96, SMF_EXIT_ERR_CONFIG) or a corrupt or locked
// database (95, SMF_EXIT_ERR_FATAL) put the instance straight into
// maintenance on every release: with the child model, releases before
// illumos issue 3990 (2013) restart a child that exits 96 instead.
//
// startd watches every process of the contract, including each zoneadm
// and pkg the daemon runs. startd/ignore_error=core,signal keeps a pkg
// that dumps core, or a tool the daemon kills at stage_timeout, from being
// taken as a failure of the whole service.
//
// Refresh and stop never use :kill. `:kill -HUP` and `:kill` signal every
// process in the contract, so they would kill a running `zoneadm attach -u`
// or `pkg image-update` halfway. Instead they ask the daemon over its
// socket: refresh runs `zoneupadm --socket %{config/socket_path} reload`,
// stop runs `zoneupadm --socket %{config/socket_path} shutdown --wait`,
// which returns once the daemon has drained (running tools get the drain
// grace, 60 s, to finish; then they are stopped and every job is persisted
// where it stands). The stop method's timeout (StopTimeout, 180 s) is
// longer than the grace, so startd's SIGKILL of the contract is the last
// resort, never the normal path.
//
// # Configuration
//
// zoneupd reads its configuration with `svcprop -p config FMRI` (the
// running snapshot: after `svccfg setprop`, `svcadm refresh` makes the new
// values visible and tells the daemon). LoadConfig returns the raw
// key/value strings; validating them, and naming the bad key in the exit 96
// message, is the daemon's business (daemon.ParseConfig). This package
// does not import the daemon.
//
// Lists (ladder, allow, conflict_packages, step_releases, restore_paths)
// are stored as one astring holding a comma list, the way the manifest
// delivers them. A property an administrator gives several values
// (`setprop config/allow = astring: (remove-conflicts recreate-image)`)
// reads as those values joined with commas, which is the same list.
package smf
