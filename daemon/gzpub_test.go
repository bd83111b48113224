package daemon

import (
	"reflect"
	"testing"

	"zoneup/host"
)

// TestPublisherRecordCoversEveryField fails when host.Publisher gains a
// field that the global publisher record loses: record it (a field of
// persist.Publisher, converted in recordPublishers and hostPublishers) or
// tag it json:"-" as never recorded.
func TestPublisherRecordCoversEveryField(t *testing.T) {
	var want host.Publisher
	v := reflect.ValueOf(&want).Elem()
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if f.Tag.Get("json") == "-" {
			continue // never recorded: comes back zero
		}
		switch fv.Interface().(type) {
		case string:
			fv.SetString("v-" + f.Name)
		case bool:
			fv.SetBool(true)
		case []string:
			fv.Set(reflect.ValueOf([]string{"a-" + f.Name, "b-" + f.Name}))
		case map[string]string:
			fv.Set(reflect.ValueOf(map[string]string{"k-" + f.Name: "v-" + f.Name}))
		default:
			t.Fatalf("host.Publisher.%s: no test value for %s; teach the record and this test", f.Name, f.Type)
		}
	}
	got := hostPublishers(recordPublishers([]host.Publisher{want}))
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("through the record: %+v\nwant %+v", got, want)
	}
	if recordPublishers(nil) != nil || hostPublishers(nil) != nil {
		t.Error("no publishers came back as an empty list") // stored as null, as before
	}
}
