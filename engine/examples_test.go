package engine_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
)

// examplesDir holds the example machines the web app offers as templates.
const examplesDir = "../web/examples"

// step is one event sent to a session (or, with advance set, a move of its
// virtual clock) and the state the session must be in afterwards.
type step struct {
	send    string
	payload engine.Payload
	advance time.Duration
	want    string
}

// exampleRuns holds, per example file, short scripted runs that check the
// machine does what its description says. Each starts from a new session whose
// context is the state variables' defaults.
var exampleRuns = map[string][]struct {
	name      string
	steps     []step
	wantFinal bool
}{
	"order_management.yaml": {
		{name: "the tutorial's lifecycle: ack, partial fill, full fill", wantFinal: true, steps: []step{
			{send: "exchange_ack", want: "open"},
			{send: "execution_report", payload: engine.Payload{"fill_qty": 50}, want: "partially_filled"},
			{send: "execution_report", payload: engine.Payload{"fill_qty": 100}, want: "filled"},
			{send: "cancel_request", want: "filled"},
		}},
		{name: "a fill of nothing changes nothing", steps: []step{
			{send: "exchange_ack", want: "open"},
			{send: "execution_report", payload: engine.Payload{"fill_qty": 0}, want: "open"},
		}},
		{name: "cancel, unless a cancel is in flight", wantFinal: true, steps: []step{
			{send: "exchange_ack", want: "open"},
			{send: "cancel_request", payload: engine.Payload{"in_flight": true}, want: "open"},
			{send: "cancel_request", want: "canceled"},
		}},
		{name: "rejected by the exchange", wantFinal: true, steps: []step{
			{send: "exchange_nack", payload: engine.Payload{"reason": "bad price"}, want: "rejected"},
		}},
		{name: "no ack within five seconds", wantFinal: true, steps: []step{
			{advance: 4 * time.Second, want: "pending_new"},
			{advance: time.Second, want: "timed_out_ack"},
		}},
	},
	"document_approval.yaml": {
		{name: "two approvals publish, then archive", wantFinal: true, steps: []step{
			{send: "submit", want: "legal_review"},
			{send: "approve", want: "editorial_review"},
			{send: "approve", want: "editorial_review"},
			{send: "approve", payload: engine.Payload{"approvals": 1}, want: "published"},
			{send: "archive", want: "archived"},
		}},
		{name: "no self-review", steps: []step{
			{send: "submit", want: "legal_review"},
			{send: "approve", payload: engine.Payload{"reviewer": "ada"}, want: "legal_review"},
		}},
		{name: "changes requested from any review step", steps: []step{
			{send: "submit", want: "legal_review"},
			{send: "approve", want: "editorial_review"},
			{send: "request_changes", want: "draft"},
		}},
		{name: "the review deadline returns the document to draft", steps: []step{
			{send: "submit", want: "legal_review"},
			{send: "approve", want: "editorial_review"},
			{advance: 72 * time.Hour, want: "draft"},
		}},
		{name: "unpublish", steps: []step{
			{send: "submit", want: "legal_review"},
			{send: "approve", payload: engine.Payload{"approvals": 5}, want: "editorial_review"},
			{send: "approve", want: "published"},
			{send: "unpublish", want: "draft"},
		}},
	},
	"trading_desk.yaml": {
		{name: "trade while risk rises to a halt", wantFinal: true, steps: []step{
			{send: "open_market", want: "session:risk=normal,trading=scanning"},
			{send: "signal", want: "session:risk=normal,trading=analyzing"},
			{send: "go", want: "session:risk=normal,trading=executing"},
			{send: "exposure_update", payload: engine.Payload{"exposure": 500_000}, want: "session:risk=normal,trading=executing"},
			{send: "exposure_update", payload: engine.Payload{"exposure": 900_000}, want: "session:risk=elevated,trading=executing"},
			{send: "done", want: "session:risk=elevated,trading=scanning"},
			{send: "exposure_update", payload: engine.Payload{"exposure": 1_100_000}, want: "session:risk=breached,trading=scanning"},
			{send: "kill_switch", want: "halted"},
		}},
		{name: "risk calms down, then the market closes", steps: []step{
			{send: "open_market", want: "session:risk=normal,trading=scanning"},
			{send: "exposure_update", payload: engine.Payload{"exposure": 900_000}, want: "session:risk=elevated,trading=scanning"},
			{send: "exposure_update", payload: engine.Payload{"exposure": 100_000}, want: "session:risk=normal,trading=scanning"},
			{send: "close_market", want: "closed"},
		}},
	},
	"traffic_light.yaml": {
		{name: "the light cycles on its timers", steps: []step{
			{advance: 30 * time.Second, want: "green"},
			{advance: 25 * time.Second, want: "yellow"},
			{advance: 3 * time.Second, want: "red"},
			{advance: 29 * time.Second, want: "red"},
		}},
		{name: "the pedestrian button cuts green short", steps: []step{
			{advance: 30 * time.Second, want: "green"},
			{send: "pedestrian", want: "green"},
			{send: "pedestrian", payload: engine.Payload{"button_pressed": true}, want: "yellow"},
			{advance: 3 * time.Second, want: "red"},
		}},
		{name: "a fault flashes until repaired", steps: []step{
			{advance: 30 * time.Second, want: "green"},
			{send: "fault", want: "flashing"},
			{advance: time.Hour, want: "flashing"},
			{send: "repair", want: "red"},
			{advance: 30 * time.Second, want: "green"},
		}},
	},
}

func TestExampleMachines(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no examples in %s", examplesDir)
	}
	var files []string
	for _, p := range paths {
		files = append(files, filepath.Base(p))
	}
	var scripted []string
	for f := range exampleRuns {
		scripted = append(scripted, f)
	}
	sort.Strings(scripted)
	if strings.Join(files, ",") != strings.Join(scripted, ",") {
		t.Errorf("examples %v, scripted runs for %v: every example needs a run here", files, scripted)
	}

	for _, file := range files {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			m, problems, err := engine.LoadFile(filepath.Join(examplesDir, file))
			if err != nil || len(problems) != 0 {
				t.Fatalf("an example must load without errors or warnings: %v %v", err, problems)
			}
			if m.Description() == "" || m.Version() == "" {
				t.Errorf("an example needs a description and a version")
			}
			for _, run := range exampleRuns[file] {
				t.Run(run.name, func(t *testing.T) {
					s := m.Create(m.Definition().Defaults())
					for i, st := range run.steps {
						what := st.send
						if st.advance > 0 {
							what = "advance " + st.advance.String()
							if _, err := s.Advance(st.advance); err != nil {
								t.Fatal(err)
							}
						} else {
							s.Send(st.send, st.payload)
						}
						if got := s.State(); got != st.want {
							t.Fatalf("step %d (%s): state %q, want %q; history: %+v", i, what, got, st.want, s.History())
						}
					}
					if got := s.IsFinal(); got != run.wantFinal {
						t.Errorf("IsFinal() = %v, want %v", got, run.wantFinal)
					}
				})
			}
		})
	}
}
