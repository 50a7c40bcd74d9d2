package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

// ---- escaping, ids, labels ----

func TestMermaidEscapes(t *testing.T) {
	tests := []struct {
		name, desc, want string
	}{
		{name: "plain", desc: "Sent to the exchange", want: "Sent to the exchange"},
		{name: "mermaid syntax", desc: "a --> b : c; d", want: "a --#62; b #58; c#59; d"},
		{name: "comment and directive", desc: `%%{init: {"theme":"dark"}}%%`, want: "#37;#37;#123;init#58; #123;#34;theme#34;#58;#34;dark#34;#125;#125;#37;#37;"},
		{name: "markup", desc: "<script>alert(1)</script>", want: "#60;script#62;alert(1)#60;/script#62;"},
		{name: "entity text stays text", desc: "x #59; y &amp;", want: "x #35;59#59; y #38;amp#59;"},
		{name: "newlines", desc: "a\nb\r\nc\td", want: "a b  c d"},
		{name: "direction keyword", desc: "go direction LR", want: "go direction#32;LR"},
		{name: "direction at the end", desc: "Direction\n", want: "Direction#32;"},
		{name: "markdown", desc: "a **b** _c_ d_e `f` ~g~ [h](i) www.x.y", want: "a #42;#42;b#42;#42; #95;c#95; d_e #96;f#96; #126;g#126; [h]#40;i) www#46;x.y"},
		{name: "list start", desc: "- item", want: "#45; item"},
		{name: "number start", desc: "1. item", want: "#49;. item"},
		{name: "unicode", desc: "é💥\u200d", want: "#233;#128165;#8205;"},
		{name: "bidi override", desc: "a\u202eb\u2066c", want: "a b c"},
		{name: "mermaid placeholders", desc: "ﬂ°°60¶ß ﬂ ¶", want: "#64258;#8288;#176;#176;60#182;#8288;#223; #64258; #182;"},
		{name: "invalid utf-8", desc: "a\xffb", want: "a#65533;b"},
		{name: "controls", desc: "a\x00b\u0085c", want: "a b c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "meta: {machine_name: m}\nstates:\n  - {name: a, type: initial, description: " + yamlQuote(tc.desc) + "}\ntransitions: []\n"
			m, _, err := engine.Load([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			out := m.Mermaid(engine.DiagramOptions{Descriptions: true})
			got := ""
			for _, line := range strings.Split(out, "\n") {
				if after, ok := strings.CutPrefix(line, "    s_a_ : "); ok {
					got = after
				}
			}
			if got != tc.want {
				t.Errorf("description written as %q, want %q", got, tc.want)
			}
			if err := checkMermaid(out, m); err != nil {
				t.Error(err)
			}
		})
	}
}

// yamlQuote writes s as a YAML double-quoted scalar (JSON escapes are YAML's).
func yamlQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestStateNodeID(t *testing.T) {
	tests := []struct{ name, want string }{
		{"open", "s_open_"},
		{"end", "s_end_"},
		{"active_start", "s_active_start_"},
		{"_x", "s__x_"},
	}
	for _, tc := range tests {
		if got := engine.StateNodeID(tc.name); got != tc.want {
			t.Errorf("StateNodeID(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMermaidLabels(t *testing.T) {
	const text = `
meta: {machine_name: labels}
guards: {ok: "x > 1"}
states:
  - {name: a, type: initial, timeout: {seconds: 0.25, destination: b}}
  - {name: b, timeout: {seconds: 5400, destination: c}}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [ok, {expr: "y < 2"}], actions: [log, {name: notify, params: {to: ops}}]}
  - {source: a, dest: c, after: 1500}
  - {trigger: later, source: b, dest: a, after: "2m"}
`
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts engine.DiagramOptions
		want []string
	}{
		{name: "bare", opts: engine.DiagramOptions{}, want: []string{
			"    s_a_ --> s_b_ : go\n",
			"    s_a_ --> s_c_ : after 1.5s\n",
			"    s_b_ --> s_a_ : later (after 2m)\n",
			"    s_a_ --> s_b_ : after 250ms (timeout)\n",
			"    s_b_ --> s_c_ : after 1h30m (timeout)\n",
		}},
		{name: "guards", opts: engine.DiagramOptions{Guards: true}, want: []string{"    s_a_ --> s_b_ : go [ok, y #60; 2]\n"}},
		{name: "actions", opts: engine.DiagramOptions{Actions: true}, want: []string{"    s_a_ --> s_b_ : go / log, notify\n"}},
		{name: "both", opts: engine.DefaultDiagramOptions(), want: []string{"    s_a_ --> s_b_ : go [ok, y #60; 2] / log, notify\n"}},
		{name: "direction", opts: engine.DiagramOptions{Direction: "lr"}, want: []string{"    direction LR\n"}},
		{name: "unknown direction ignored", opts: engine.DiagramOptions{Direction: "sideways"}, want: []string{"    accTitle: labels\n    [*] --> s_a_\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Mermaid(tc.opts)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			if err := checkMermaid(got, m); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMermaidWorkarounds checks the forms that replace shapes Mermaid 11 cannot
// draw.
func TestMermaidWorkarounds(t *testing.T) {
	const text = `
meta: {machine_name: shapes}
states:
  - {name: idle, type: initial}
  - {name: p, initial_child: q}
  - {name: q, parent: p, initial_child: q1}
  - {name: q1, parent: q}
  - {name: q2, parent: q}
  - {name: p2, parent: p}
  - {name: out}
transitions:
  - {trigger: in, source: idle, dest: p}
  - {trigger: up, source: q2, dest: p}
  - {trigger: down, source: p, dest: q2}
  - {trigger: again, source: q, dest: q}
  - {trigger: side, source: q, dest: p2}
  - {trigger: deep_up, source: q1, dest: q}
  - {trigger: leave, source: p, dest: out}
  - {trigger: sib, source: q1, dest: q2}
  - {trigger: cross, source: p2, dest: q1}
  - {trigger: back, source: out, dest: q}
  - {trigger: mixed, source: q, dest: p}
`
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Mermaid(engine.DiagramOptions{})
	for _, w := range []string{
		"    s_idle_ --> s_p_ : in\n",                      // into a composite from outside: as written
		"    s_q2_ --> s_q1_ : up (enters p)\n",            // child to ancestor: to the leaf it enters
		"            [*] --> s_q2_ : down (from p)\n",      // ancestor to child: from the block's start
		"            [*] --> s_q1_ : again (restarts q)\n", // composite to itself
		"        s_q_ --> s_p2_ : side\n",                  // siblings: inside their block
		"            s_q1_ --> s_q1_ : deep_up (enters q)\n",
		"    s_p_ --> s_out_ : leave\n",
		"            s_q1_ --> s_q2_ : sib\n",
		"    s_p2_ --> s_q1_ : cross\n", // different blocks: at the top level
		"    s_out_ --> s_q_ : back\n",
		"            [*] --> s_q1_ : mixed (from q, enters p)\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	if err := checkMermaid(got, m); err != nil {
		t.Error(err)
	}
}

func TestHighlight(t *testing.T) {
	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	approval, _, err := engine.LoadFile(filepath.Join(examplesDir, "document_approval.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		m       *engine.Machine
		state   string
		want    []string
		wantErr bool
	}{
		{name: "flat", m: desk, state: "closed", want: []string{"s_closed_"}},
		{name: "leaf and ancestor", m: approval, state: "editorial_review", want: []string{"s_in_review_", "s_editorial_review_"}},
		{name: "compound itself", m: approval, state: "in_review", want: []string{"s_in_review_"}},
		{name: "configuration", m: desk, state: "session:risk=elevated,trading=analyzing", want: []string{"s_session_", "s_analyzing_", "s_elevated_"}},
		{name: "regions in any order", m: desk, state: "session:trading=scanning,risk=normal", want: []string{"s_session_", "s_scanning_", "s_normal_"}},
		{name: "unknown state", m: desk, state: "nope", wantErr: true},
		{name: "bad configuration", m: desk, state: "session:risk=scanning,trading=analyzing", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Highlight(tc.state)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Highlight(%q) = %v, want %v", tc.state, got, tc.want)
			}
		})
	}
	if _, err := desk.Highlight("nope"); !errors.Is(err, engine.ErrUndefinedState) {
		t.Errorf("unknown state: %v, want ErrUndefinedState", err)
	}
}

func TestDOTActive(t *testing.T) {
	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, active string
		fills        int // filled nodes and clusters
		filled       []string
	}{
		{name: "none", active: ""},
		{name: "unknown state fills nothing", active: "nope"},
		{name: "leaf", active: "closed", fills: 1, filled: []string{`"s_closed_" [label="closed", style="rounded,filled"`}},
		{name: "configuration", active: "session:risk=breached,trading=executing", fills: 3, filled: []string{
			`"s_executing_" [label="executing", style="rounded,filled"`,
			`"s_breached_" [label="breached", style="rounded,filled"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := desk.DOT(engine.DiagramOptions{Active: tc.active})
			if n := strings.Count(got, "fillcolor"); n != tc.fills {
				t.Errorf("%d filled nodes and clusters in\n%s", n, got)
			}
			for _, w := range tc.filled {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			if err := checkDOT(got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStatistics(t *testing.T) {
	m, _, err := engine.LoadFile(filepath.Join(examplesDir, "order_management.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Statistics()
	want := engine.Statistics{
		MachineName: "order_management", Version: "1.0.0",
		TotalStates:  7,
		StatesByType: map[string]int{"initial": 1, "stable": 2, "terminal": 4, "error": 0, "parallel": 0},
		MaxDepth:     1,
		// five entries, two of them with two sources, and one timeout
		TotalTransitions: 5, Edges: 8, GuardedTransitions: 3, TransitionsWithActions: 5, TimeoutTransitions: 1,
		Triggers:     []string{"cancel_request", "exchange_ack", "exchange_nack", "execution_report"},
		TriggerCount: 4,
		FanOut: map[string]int{"pending_new": 3, "open": 3, "partially_filled": 2,
			"filled": 0, "rejected": 0, "canceled": 0, "timed_out_ack": 0},
		MaxFanOut:          3,
		StatesWithTimeouts: []string{"pending_new"},
		TerminalStates:     []string{"filled", "rejected", "canceled", "timed_out_ack"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Statistics() =\n%+v\nwant\n%+v", got, want)
	}

	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ds := desk.Statistics()
	if ds.StatesByType["parallel"] != 1 || ds.Regions != 2 || ds.MaxDepth != 2 || ds.CompoundStates != 0 || ds.DelayedTransitions != 0 {
		t.Errorf("trading desk statistics %+v", ds)
	}
	raw, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"total_states":9`, `"states_by_type":{`, `"fan_out":{`, `"states_with_timeouts":[]`, `"guarded_transitions":3`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, raw)
		}
	}
}

// ---- fuzzing ----

// FuzzMermaid builds machines from arbitrary free text (machine name and
// description, a state name, state descriptions, guard expressions, a string
// literal in a guard, action parameters, transition and event descriptions;
// enginetest.DiagramMachine puts them into a machine of every shape) and
// checks that whatever loads renders to the Mermaid subset (checkMermaid) and
// well-formed DOT. The committed corpus in testdata/fuzz/FuzzMermaid is also
// rendered in a real browser by the e2e tests.
func FuzzMermaid(f *testing.F) {
	seeds, err := enginetest.ReadDiagramCorpus("testdata/fuzz/FuzzMermaid")
	if err != nil {
		f.Fatal(err)
	}
	if len(seeds) < 5 {
		f.Fatalf("only %d committed seeds", len(seeds))
	}
	f.Add("order_management", "", "active", "", `x != ""`, "", "", "", "", 7)
	f.Fuzz(func(t *testing.T, name, desc, stateName, stateDesc, expr, literal, param, transDesc, eventDesc string, bits int) {
		seed := enginetest.DiagramSeed{Bits: bits, Input: enginetest.DiagramInput{
			MachineName: name, Description: desc, StateName: stateName, StateDesc: stateDesc, GuardExpr: expr,
			Literal: literal, ActionParam: param, TransitionDesc: transDesc, EventDesc: eventDesc,
		}}
		m, _, err := engine.LoadMap(enginetest.DiagramMachine(seed.Input))
		if err != nil {
			return // only what loads has a diagram
		}
		opts := seedOptions(seed)
		src := m.Mermaid(opts)
		if err := checkMermaid(src, m); err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		if again := m.Mermaid(opts); again != src {
			t.Fatal("Mermaid is not deterministic")
		}
		opts.Active = m.InitialState()
		if err := checkDOT(m.DOT(opts)); err != nil {
			t.Fatalf("%v\n%s", err, m.DOT(opts))
		}
	})
}

// seedOptions turns a seed's bits into diagram options (see
// enginetest.DiagramSeed).
func seedOptions(s enginetest.DiagramSeed) engine.DiagramOptions {
	b := s.Bits
	if b < 0 {
		b = -b
	}
	return engine.DiagramOptions{Guards: b&1 != 0, Actions: b&2 != 0, Descriptions: b&4 != 0,
		Direction: enginetest.DiagramDirections[(b>>3)%len(enginetest.DiagramDirections)]}
}

// TestDiagramSeedsLoad makes sure every committed FuzzMermaid seed is a
// machine that loads (a seed that does not load tests nothing, here or in the
// browser).
func TestDiagramSeedsLoad(t *testing.T) {
	seeds, err := enginetest.ReadDiagramCorpus("testdata/fuzz/FuzzMermaid")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		if _, problems, err := engine.LoadMap(enginetest.DiagramMachine(s.Input)); err != nil {
			t.Errorf("%s does not load: %v", s.Name, problems)
		}
	}
}

// ---- benchmarks ----

// BenchmarkMermaid1000 renders the generated 1,000-state, 3,000-transition
// machine (compound states, guards, actions). SPEC 10: at most 10 ms.
func BenchmarkMermaid1000(b *testing.B) {
	m := mustLoad(b, generatedMachine(1000))
	opts := engine.DefaultDiagramOptions()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(m.Mermaid(opts))
	}
	b.SetBytes(int64(n))
}

func BenchmarkDOT1000(b *testing.B) {
	m := mustLoad(b, generatedMachine(1000))
	opts := engine.DefaultDiagramOptions()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.DOT(opts)
	}
}

// TestMermaidEdges checks the edge map of every diagram machine: one entry
// per edge statement in text order, -1 exactly for the start and end markers
// and timeouts, and otherwise a transition whose trigger (or delay) starts the
// label and whose source and target the statement joins, with every
// transition drawn at least once.
func TestMermaidEdges(t *testing.T) {
	for _, dm := range diagramMachines(t) {
		t.Run(dm.name, func(t *testing.T) {
			m, _, err := engine.Load([]byte(dm.text))
			if err != nil {
				t.Skip("the machine does not load:", err)
			}
			d := m.MermaidDiagram(engine.DefaultDiagramOptions())
			if got, want := d.Text, m.Mermaid(engine.DefaultDiagramOptions()); got != want {
				t.Fatal("MermaidDiagram.Text differs from Mermaid")
			}
			def := m.Definition()
			drawn := make([]bool, len(def.Transitions))
			k := 0
			for _, line := range strings.Split(d.Text, "\n") {
				body := strings.TrimLeft(line, " ")
				if !strings.Contains(body, " --> ") {
					continue
				}
				if k >= len(d.Edges) {
					t.Fatalf("more edge statements than entries (%d)", len(d.Edges))
				}
				got := d.Edges[k]
				k++
				switch mm := mmdEdge.FindStringSubmatch(body); {
				case mm == nil && strings.HasPrefix(body, "[*] --> ") && !strings.Contains(body, " : "),
					mmdTerminal.MatchString(body):
					if got != -1 {
						t.Errorf("%q: edge map %d, want -1 (a marker)", body, got)
					}
				case strings.HasSuffix(body, "(timeout)"):
					if got != -1 {
						t.Errorf("%q: edge map %d, want -1 (a timeout)", body, got)
					}
				default:
					if got < 0 || got >= len(def.Transitions) {
						t.Errorf("%q: edge map %d, want a transition index", body, got)
						continue
					}
					drawn[got] = true
					tr := def.Transitions[got]
					label := unescapeMermaid(body[strings.Index(body, " : ")+3:])
					if !strings.HasPrefix(label, tr.Trigger) && !strings.HasPrefix(label, "after ") {
						t.Errorf("%q: edge map %d is %s", body, got, tr.Trigger)
					}
					if mm != nil && !strings.Contains(label, "(") && mm[2] != engine.StateNodeID(tr.Dest) {
						t.Errorf("%q: edge map %d goes to %s", body, got, tr.Dest)
					}
				}
			}
			if k != len(d.Edges) {
				t.Errorf("%d edge statements, %d entries", k, len(d.Edges))
			}
			for i, ok := range drawn {
				if !ok {
					t.Errorf("transition %d (%s) is on no edge", i, def.Transitions[i].Trigger)
				}
			}
		})
	}
}
