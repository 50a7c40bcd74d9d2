// Command benchtable turns `go test -bench -benchmem` output into a Markdown
// table (the median of each benchmark's runs) and the ratios of the peer
// comparison: how many times longer qmuntal/stateless and looplab/fsm take
// than Stator on the same case, and how their allocations compare.
//
//	go test -run '^$' -bench . -benchmem -count 5 . | go run ./cmd/benchtable
//	go run ./cmd/benchtable engine.txt peers.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// sample is one benchmark line.
type sample struct {
	ns, bytes, allocs float64
	hasMem            bool
}

// series is every run of one benchmark, in the order they were first seen.
type series struct {
	name    string
	samples []sample
}

// benchLine matches "BenchmarkName-2   1000   123.4 ns/op   ..." and captures the
// name without the GOMAXPROCS suffix and the measurements after the count.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader, all map[string]*series, order *[]string, header *[]string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, h := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, h) && !contains(*header, line) {
				*header = append(*header, line)
			}
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s, ok := measurements(m[2])
		if !ok {
			continue
		}
		name := strings.TrimPrefix(m[1], "Benchmark")
		if all[name] == nil {
			all[name] = &series{name: name}
			*order = append(*order, name)
		}
		all[name].samples = append(all[name].samples, s)
	}
	return sc.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// measurements reads "123.4 ns/op  0 B/op  0 allocs/op" (other units ignored).
func measurements(rest string) (sample, bool) {
	f := strings.Fields(rest)
	var s sample
	var hasNs, hasB, hasA bool
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			s.ns, hasNs = v, true
		case "B/op":
			s.bytes, hasB = v, true
		case "allocs/op":
			s.allocs, hasA = v, true
		}
	}
	s.hasMem = hasB && hasA
	return s, hasNs
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// med is the median of each measurement over the runs.
func (s *series) med() sample {
	var ns, b, a []float64
	mem := true
	for _, x := range s.samples {
		ns = append(ns, x.ns)
		b = append(b, x.bytes)
		a = append(a, x.allocs)
		mem = mem && x.hasMem
	}
	return sample{ns: median(ns), bytes: median(b), allocs: median(a), hasMem: mem}
}

func (s *series) spread() string {
	if len(s.samples) < 2 {
		return ""
	}
	lo, hi := s.samples[0].ns, s.samples[0].ns
	for _, x := range s.samples {
		lo, hi = min(lo, x.ns), max(hi, x.ns)
	}
	return fmt.Sprintf("%s–%s", formatNs(lo), formatNs(hi))
}

func formatNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'f', 2, 64) + " ms"
	case ns >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'f', 2, 64) + " µs"
	case ns >= 100:
		return strconv.FormatFloat(ns, 'f', 0, 64) + " ns"
	}
	return strconv.FormatFloat(ns, 'f', 1, 64) + " ns"
}

// The peer comparison: for each case, each peer against each Stator variant.
var (
	cases  = []string{"Guarded", "Unguarded"}
	stator = []string{"stator_expr", "stator_gofunc"}
	peers  = []string{"stateless_immediate", "stateless_queued", "looplab"}
)

func main() {
	all := map[string]*series{}
	var order, header []string
	if len(os.Args) > 1 {
		for _, path := range os.Args[1:] {
			f, err := os.Open(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchtable:", err)
				os.Exit(1)
			}
			err = parse(f, all, &order, &header)
			f.Close()
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchtable:", err)
				os.Exit(1)
			}
		}
	} else if err := parse(os.Stdin, all, &order, &header); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(order) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark lines in the input")
		os.Exit(1)
	}
	write(os.Stdout, all, order, header)
}

func write(w io.Writer, all map[string]*series, order, header []string) {
	for _, h := range header {
		fmt.Fprintln(w, h)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| benchmark | time/op (median) | range | B/op | allocs/op | runs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, name := range order {
		s := all[name]
		m := s.med()
		b, a := "", ""
		if m.hasMem {
			b, a = strconv.FormatFloat(m.bytes, 'f', -1, 64), strconv.FormatFloat(m.allocs, 'f', -1, 64)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d |\n", name, formatNs(m.ns), s.spread(), b, a, len(s.samples))
	}

	var rows []string
	for _, c := range cases {
		for _, st := range stator {
			base, ok := all[c+"/"+st]
			if !ok {
				continue
			}
			bm := base.med()
			for _, p := range peers {
				ps, ok := all[c+"/"+p]
				if !ok {
					continue
				}
				pm := ps.med()
				rows = append(rows, fmt.Sprintf("| %s | %s vs %s | %.2f× | %s vs %s |", c, st, p, pm.ns/bm.ns,
					allocs(bm), allocs(pm)))
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios: how many times longer the peer takes than Stator (medians; above 1 means Stator is faster).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| case | comparison | peer time / Stator time | allocs/op (Stator vs peer) |")
	fmt.Fprintln(w, "|---|---|---:|---|")
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}

func allocs(s sample) string {
	if !s.hasMem {
		return "?"
	}
	return fmt.Sprintf("%s (%s B)", strconv.FormatFloat(s.allocs, 'f', -1, 64), strconv.FormatFloat(s.bytes, 'f', -1, 64))
}
