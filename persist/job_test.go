package persist

import (
	"reflect"
	"slices"
	"testing"
)

// What a retry does to each field of Job (ResetForRetry): every field is
// in exactly one list. A new field fails TestResetForRetryDecidesEveryField
// until it is put in one, and in ResetForRetry if it survives.
var (
	retryKeeps = []string{"ID", "Zone", "Enqueued", "State", "RungIndex", "CancelRequested", "History", "Snapshot", "SnapshotTaken",
		"Allow", "NoBoot", "RemovedPackages", "PriorState", "Zonepath", "Dataset", "ZBE", "Brand", "GZHolder"}
	retryClears = []string{"Result", "Rung", "Error", "Cause", "Withheld", "Ladder",
		"FailClass", "FailPublisher", "Pending", "Done", "PendingPackages", "Warnings", "RestoredFiles",
		"Started", "Ended", "BlockPending"}
	retryCounts = []string{"Attempt"} // one more
)

func TestResetForRetryDecidesEveryField(t *testing.T) {
	typ := reflect.TypeFor[Job]()
	seen := map[string]int{}
	for _, list := range [][]string{retryKeeps, retryClears, retryCounts} {
		for _, name := range list {
			if _, ok := typ.FieldByName(name); !ok {
				t.Errorf("%s is listed but is no field of Job", name)
			}
			seen[name]++
		}
	}
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; seen[name] != 1 {
			t.Errorf("Job.%s is in %d of the retry lists (keeps, clears, counts); decide what a retry does to it", name, seen[name])
		}
	}

	var before Job
	fillAll(t, reflect.ValueOf(&before).Elem(), "Job")
	before.Attempt = 2
	j := before
	j.ResetForRetry()
	got, was := reflect.ValueOf(j), reflect.ValueOf(before)
	for i := range typ.NumField() {
		name, g, w := typ.Field(i).Name, got.Field(i), was.Field(i)
		switch {
		case slices.Contains(retryKeeps, name):
			if !reflect.DeepEqual(g.Interface(), w.Interface()) {
				t.Errorf("retry changed %s: %v, was %v", name, g, w)
			}
		case slices.Contains(retryClears, name):
			if !g.IsZero() {
				t.Errorf("retry kept %s: %v", name, g)
			}
		}
	}
	if j.Attempt != 3 {
		t.Errorf("Attempt after retry = %d, want 3", j.Attempt)
	}
}
