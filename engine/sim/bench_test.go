package sim_test

import (
	"fmt"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// BenchmarkReplay measures one replay: the attack of issue 11 (bounded by
// the timer budget), an everyday order trace, and a large context with many
// steps that do not change it (a step costs nothing per key of the context).
func BenchmarkReplay(b *testing.B) {
	order := loadExample(b, "order_management")
	orderTrace := sim.NewTrace()
	orderTrace.Context = order.Definition().Defaults()
	orderTrace.Steps = []sim.Step{
		{Kind: sim.StepEvent, Trigger: "exchange_ack"},
		{Kind: sim.StepEvent, Trigger: "execution_report", Payload: engine.Context{"fill_qty": 50.0}},
		{Kind: sim.StepEvent, Trigger: "execution_report", Payload: engine.Context{"fill_qty": 100.0}},
	}
	orderTrace.At = 3

	attack := sim.NewTrace()
	attack.Steps = steps(60, sim.Step{Kind: sim.StepAdvance, Ms: sim.DefaultLimits().MaxAdvance.Milliseconds()})
	attack.At = 60

	big := sim.NewTrace()
	for i := range 40000 {
		big.Context[fmt.Sprintf("k%05d", i)] = float64(i)
	}
	big.Steps = steps(1000, sim.Step{Kind: sim.StepNextTimer})
	big.At = 1000

	tests := []struct {
		name  string
		m     *engine.Machine
		trace sim.Trace
	}{
		{"order", order, orderTrace},
		{"ping-pong attack", load(b, pingPong), attack},
		{"40k-key context, 1000 timer steps", load(b, pingPong), big},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sim.Replay(tc.m, tc.trace, sim.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
