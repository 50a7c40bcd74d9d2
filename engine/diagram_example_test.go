package engine_test

import (
	"fmt"

	"github.com/statorhq/stator/engine"
)

const exampleDiagramMachine = `
meta: {machine_name: door}
states:
  - {name: closed, type: initial}
  - {name: open, timeout: {seconds: 30, destination: closed}}
  - {name: locked, type: terminal}
transitions:
  - {trigger: push, source: closed, dest: open, guards: [{expr: "not jammed"}], actions: [beep]}
  - {trigger: lock, source: closed, dest: locked}
`

func ExampleMachine_Mermaid() {
	m, _, err := engine.Load([]byte(exampleDiagramMachine))
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Mermaid(engine.DefaultDiagramOptions()))
	// Output:
	// stateDiagram-v2
	//     accTitle: door
	//     [*] --> s_closed_
	//     state "closed" as s_closed_
	//     state "open" as s_open_
	//     state "locked" as s_locked_
	//     s_closed_ --> s_open_ : push [not jammed] / beep
	//     s_closed_ --> s_locked_ : lock
	//     s_open_ --> s_closed_ : after 30s (timeout)
	//     s_locked_ --> [*]
}

func ExampleMachine_Highlight() {
	m, _, err := engine.Load([]byte(`
meta: {machine_name: desk}
states:
  - {name: idle, type: initial}
  - name: active
    type: parallel
    regions:
      - {name: trading, initial: scanning, states: [scanning, analyzing]}
      - {name: risk, initial: normal, states: [normal, elevated]}
  - {name: scanning, parent: active}
  - {name: analyzing, parent: active}
  - {name: normal, parent: active}
  - {name: elevated, parent: active}
transitions:
  - {trigger: start, source: idle, dest: active}
  - {trigger: stop, source: active, dest: idle}
`))
	if err != nil {
		panic(err)
	}
	ids, err := m.Highlight("active:risk=elevated,trading=scanning")
	fmt.Println(ids, err)
	// Output:
	// [s_active_ s_scanning_ s_elevated_] <nil>
}
