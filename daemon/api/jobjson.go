package api

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends j as encoding/json would marshal it, byte for byte
// (TestAppendJSONMatchesMarshal holds it to that), without reflection:
// `list --json` of 10,000 jobs is mostly this.
func (j *Job) AppendJSON(b []byte) []byte {
	b = append(b, `{"zone":`...)
	b = appendString(b, j.Zone)
	b = append(b, `,"id":`...)
	b = appendString(b, j.ID)
	b = append(b, `,"state":`...)
	b = appendString(b, j.State)
	b = append(b, `,"terminal":`...)
	b = strconv.AppendBool(b, j.Terminal)
	b = append(b, `,"result":`...)
	b = appendString(b, j.Result)
	b = append(b, `,"rung":`...)
	b = appendString(b, j.Rung)
	b = append(b, `,"snapshot":`...)
	b = appendString(b, j.Snapshot)
	b = append(b, `,"allow":`...)
	b = appendStrings(b, j.Allow)
	b = append(b, `,"removed_packages":`...)
	b = appendStrings(b, j.RemovedPackages)
	b = append(b, `,"restored_files":`...)
	b = appendStrings(b, j.RestoredFiles)
	b = append(b, `,"warnings":`...)
	b = appendStrings(b, j.Warnings)
	b = append(b, `,"error":`...)
	b = appendString(b, j.Error)
	b = append(b, `,"history":`...)
	if j.History == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range j.History {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"stage":`...)
			b = appendString(b, s.Stage)
			b = append(b, `,"rung":`...)
			b = appendString(b, s.Rung)
			b = append(b, `,"started":`...)
			b = appendString(b, s.Started)
			b = append(b, `,"ended":`...)
			b = appendString(b, s.Ended)
			b = append(b, `,"outcome":`...)
			b = appendString(b, s.Outcome)
			b = append(b, `,"error":`...)
			b = appendString(b, s.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"no_boot":`...)
	b = strconv.AppendBool(b, j.NoBoot)
	b = append(b, `,"enqueued":`...)
	b = appendTime(b, j.Enqueued)
	if !j.Started.IsZero() {
		b = append(b, `,"started":`...)
		b = appendTime(b, j.Started)
	}
	if !j.Ended.IsZero() {
		b = append(b, `,"ended":`...)
		b = appendTime(b, j.Ended)
	}
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(j.Attempt), 10)
	if j.Cause != "" {
		b = append(b, `,"cause":`...)
		b = appendString(b, j.Cause)
	}
	if j.Zonepath != "" {
		b = append(b, `,"zonepath":`...)
		b = appendString(b, j.Zonepath)
	}
	if j.Waiting != "" {
		b = append(b, `,"waiting":`...)
		b = appendString(b, j.Waiting)
	}
	if !j.StageStarted.IsZero() {
		b = append(b, `,"stage_started":`...)
		b = appendTime(b, j.StageStarted)
	}
	if j.Predicted != 0 {
		b = append(b, `,"predicted_seconds":`...)
		b = strconv.AppendInt(b, j.Predicted, 10)
	}
	if j.HostState != "" {
		b = append(b, `,"host_state":`...)
		b = appendString(b, j.HostState)
	}
	if j.Meaning != "" {
		b = append(b, `,"meaning":`...)
		b = appendString(b, j.Meaning)
	}
	if len(j.Next) > 0 {
		b = append(b, `,"next":`...)
		b = appendStrings(b, j.Next)
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds). Years
// outside 0-9999, which MarshalJSON refuses, do not occur in job records.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does by default: <, > and & are
// escaped for HTML, invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029
// are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
