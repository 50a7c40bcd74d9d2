package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MaxValueText is how many characters of a value the log and the
// explanations show (the same cut as guard_trace, SPEC 11); a longer value
// ends in "…".
const MaxValueText = 256

// ValueText is v as compact JSON, cut to MaxValueText characters.
func ValueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return cut(fmt.Sprint(v))
	}
	return cut(string(b))
}

func cut(s string) string {
	if len(s) <= MaxValueText {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxValueText {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// FormatClock writes a virtual clock reading as hh:mm:ss, with .mmm when it
// is not a whole second ("00:00:05.500"); hours go past 24.
func FormatClock(d time.Duration) string {
	ms := d.Milliseconds()
	s := ms / 1000
	out := fmt.Sprintf("%02d:%02d:%02d", s/3600, (s/60)%60, s%60)
	if ms%1000 != 0 {
		out += fmt.Sprintf(".%03d", ms%1000)
	}
	return out
}

// FormatDuration writes a duration as whole seconds ("5s") when it is one,
// else as time.Duration does ("1.5s", "250ms").
func FormatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// count writes n with thousands separators: 10,000.
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
