package yamledit_test

import (
	"errors"
	"fmt"

	"github.com/statorhq/stator/engine/yamledit"
)

// A state is renamed everywhere it is named; comments and layout stay.
func ExampleApply() {
	text := `states:
  - {name: idle, type: initial}   # where it starts
  - name: busy                    # working
transitions:
  - {trigger: go, source: idle, dest: busy}
  - {trigger: stop, source: [busy], dest: idle}  # back
`
	out, err := yamledit.Apply(text, yamledit.Op{Kind: yamledit.RenameState, From: "busy", To: "working"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out)
	// Output:
	// states:
	//   - {name: idle, type: initial}   # where it starts
	//   - name: working                    # working
	// transitions:
	//   - {trigger: go, source: idle, dest: working}
	//   - {trigger: stop, source: [working], dest: idle}  # back
}

// A refused edit says why, and the text comes back unchanged.
func ExampleApply_refused() {
	text := "states:\n  - {name: idle, type: initial}\n  - {name: done, type: terminal}\ntransitions: []\n"
	_, err := yamledit.Apply(text, yamledit.Op{Kind: yamledit.DeleteState, Name: "idle"})
	var e *yamledit.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code()+":", e.Message)
	}
	// Output:
	// initial_state: "idle" is the initial state; make another state initial first (set_initial), then delete it
}
