// Package daemon is zoneupd: the queue, the scheduler, the workers, the
// stages and rungs, and the control service behind the socket.
//
// Lifecycle (Run): open the store (it is also the single-instance guard),
// listen on the control socket, then recover behind it: queued jobs go back
// in the queue in enqueue order, jobs found mid-stage resume at once (a
// running job is never abandoned), and the global zone's publishers are
// restored if no stored job still needs them stripped. The scheduler then
// starts jobs when a slot is free, the queue is not paused and the window
// allows (window-aware admission: a job starts only if its predicted
// duration fits in what is left of the window). It wakes on events only: an
// enqueue, a job ending, resume, reload, cancel, or the window opening.
//
// One goroutine owns each job (run.drive). A stage is a file: it looks at
// the host, acts only if needed, and records what it is about to change
// before changing it (history step and Pending marker, fsync'd), then the
// outcome after. Every one-shot side effect (snapshot, attach -u,
// image-create, install, uninstall, restore) goes through run.once
// (effect.go), the one writer of the Pending marker: name saved, act,
// recorded done and saved; after a crash, the effect's own look decides. The stage returns the event; the fsm checks it and the
// write-ahead hook persists the new state before the machine moves.
//
// Resume rules: a step left open by a crash is marked interrupted and its
// stage runs again from its first look at the host. Completed side effects
// are never repeated: the snapshot is found by its recorded name; an attach
// whose zone is installed had completed; an uninstall is redone only for
// recorded packages still installed; image-create only if the image still
// has its old packages; restore leaves files equal to the snapshot alone. A
// zone the zones service autobooted after a reboot is halted again before
// snapshot and detach.
//
// The global zone's publishers (rung 2) are kept by globalPublishers: the
// original list is recorded before the first change, jobs register as
// holders, and when the last holder's ladder is over the list is restored,
// unless a job that may still need the strip is queued in the open window
// or running and not yet past global-publishers: then the strip is kept for
// it (once a night, not once a job), and the job that turns out to be the
// last one that could need it has the keeper settle. The restore goes on in
// the background while that job boots and verifies, and the job waits for it
// before it becomes terminal; the window's end and the drain settle too. A
// change of the list waits for every running attach -u, and no attach -u
// starts during one.
//
// Host-wide questions (the global zone's boot environments, entire and
// publishers, the dataset and mount tables) are answered
// from hostFacts while nothing zoneup did could have changed them and they
// are young (facts.go): a night asks each once, not once per job.
//
// The scheduler starts the queued job predicted longest (the zone's own
// last run, else the mean of the jobs that ended this night whatever their
// result, else the mean of recent upgrades, else default_job_duration),
// the longest that still fits in the window, so a night does not end with
// one long ladder running alone.
//
// Drain (SIGTERM, SIGINT, zoneupadm shutdown): no new stage starts, running
// tools get DrainGrace to finish, every job is persisted where it stands and
// resumes at the next start. The control socket answers through the drain
// (shutdown --wait, the SMF stop method, returns at its end); then the
// server shuts down: the long polls still waiting are answered "stopping",
// the change feed and the SIGHUP loop end, and Run returns with nothing of
// its own left running.
package daemon
