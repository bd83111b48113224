package api

// OnPollWait makes f be called each time a long poll starts waiting, until
// the returned function undoes it. Tests wait for it instead of sleeping
// "to let the poll start".
func OnPollWait(f func()) (undo func()) {
	pollWaits.Store(&f)
	return func() { pollWaits.Store(nil) }
}
