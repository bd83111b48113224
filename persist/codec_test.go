package persist

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fillAll sets every field reachable from v to a non-zero value, so that
// a field the codec forgets cannot come back equal.
func fillAll(t testing.TB, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int:
		v.SetInt(-7) // negative: zigzag must hold
	case reflect.Slice:
		n := 3
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fillAll(t, v.Index(i), fmt.Sprintf("%s[%d]", name, i))
		}
		if v.Type().Elem().Kind() == reflect.String {
			v.Index(1).SetString("") // an empty element is kept
		}
	case reflect.Map:
		if v.Type() != reflect.TypeFor[map[string]bool]() {
			t.Fatalf("%s: no test value for %s", name, v.Type())
		}
		v.Set(reflect.ValueOf(map[string]bool{"a-" + name: true, "b-" + name: false}))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2025, 3, 1, 2, 3, 4, 5, time.UTC).Add(time.Duration(len(name)) * time.Hour)))
			return
		}
		for i := range v.NumField() {
			fillAll(t, v.Field(i), name+"."+v.Type().Field(i).Name)
		}
	default:
		t.Fatalf("%s: no test value for kind %s; teach the codec and this test", name, v.Kind())
	}
}

// TestCodecCoversEveryField fails when a field is added to Job or Step
// without a tag in codec.go.
func TestCodecCoversEveryField(t *testing.T) {
	var want Job
	fillAll(t, reflect.ValueOf(&want).Elem(), "Job")
	got, err := decodeJobRecord(encodeJob(&want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &want) {
		gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want)
		for i := range wv.NumField() {
			if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
				t.Errorf("field %s: got %v, want %v", wv.Type().Field(i).Name, gv.Field(i), wv.Field(i))
			}
		}
	}
}

// TestCodecMatchesJSON: the bbolt store must give back exactly what the
// in-memory store (which keeps JSON) gives back, times included.
func TestCodecMatchesJSON(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("CET", 3600)
	defer func() { time.Local = saved }()

	instant := time.Date(2025, 3, 1, 2, 3, 4, 500, time.UTC)
	cases := map[string]*Job{
		"empty":   {},
		"minimal": {ID: "j1", Zone: "web1", State: "queued", Enqueued: instant},
		"zones": {ID: "j2", Zone: "web1", State: "halt",
			Enqueued: instant.In(time.Local),                            // comes back as Local
			Started:  instant.In(time.FixedZone("EET", 7200)),           // a fixed +02:00
			Ended:    instant.In(time.FixedZone("GMT", 0)),              // offset 0: UTC
			History:  []Step{{Stage: "halt", Started: instant.Local()}}, // monotonic-free Local
			Done:     map[string]bool{}, Allow: []string{},              // empty: come back nil
		},
		"now": {ID: "j3", Zone: "z", Enqueued: time.Now()}, // monotonic reading dropped
	}
	for name, j := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			var want Job
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got, err := decodeJobRecord(encodeJob(j))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("codec round trip\n%#v\nJSON round trip\n%#v", got, &want)
			}
		})
	}
}

func TestCodecSkipsUnknownTags(t *testing.T) {
	j := &Job{ID: "j1", Zone: "web1", State: "done", Attempt: 2}
	rec := encodeJob(j)
	// A later build's fields: a varint with tag 99, bytes with tag 100.
	rec = binary.AppendUvarint(rec, 99<<3|wireVarint)
	rec = binary.AppendVarint(rec, 12345)
	rec = binary.AppendUvarint(rec, 100<<3|wireBytes)
	rec = binary.AppendUvarint(rec, 3)
	rec = append(rec, "new"...)
	got, err := decodeJobRecord(rec)
	if err != nil || !reflect.DeepEqual(got, j) {
		t.Errorf("decode with unknown tags = %+v, %v", got, err)
	}
}

func TestCodecRefusesDamage(t *testing.T) {
	full := &Job{ID: "j1", Zone: "web1", History: []Step{{Stage: "halt", Started: time.Unix(1e9, 0).UTC()}}}
	rec := encodeJob(full)
	// A cut inside a field is an error; a cut between fields is a valid
	// shorter record. Neither may come back as the whole job.
	for n := range len(rec) {
		if j, err := decodeJobRecord(rec[:n]); err == nil && reflect.DeepEqual(j, full) {
			t.Errorf("prefix of %d/%d bytes decoded as the whole job", n, len(rec))
		}
	}
	for _, bad := range [][]byte{nil, []byte(`{"id":"x"}`), {jobFormat, 0x0f}, {jobFormat, 0x0a, 0x80}, {jobFormat, 0x0a, 0x05, 'a'}} {
		if _, err := decodeJobRecord(bad); err == nil {
			t.Errorf("decodeJobRecord(%q) accepted", bad)
		}
	}
}

func FuzzDecodeJobRecord(f *testing.F) {
	var full Job
	fillAll(f, reflect.ValueOf(&full).Elem(), "Job")
	f.Add(encodeJob(&full))
	f.Add(encodeJob(&Job{ID: "j", Zone: "z"}))
	f.Fuzz(func(t *testing.T, rec []byte) {
		j, err := decodeJobRecord(rec)
		if err != nil {
			return
		}
		// Whatever decodes must survive its own round trip.
		again, err := decodeJobRecord(encodeJob(j))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, j) {
			t.Fatalf("round trip changed the job:\n%+v\n%+v", j, again)
		}
	})
}
