package yamledit

import (
	"testing"

	"github.com/statorhq/stator/engine"
)

func TestRenameMachine(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"plain block", "# keep me\nmeta:\n  machine_name: door  # the door\n  version: '1'\nstates: []\n",
			"# keep me\nmeta:\n  machine_name: \"door_2\"  # the door\n  version: '1'\nstates: []\n"},
		{"double quoted", "meta:\n  machine_name: \"a \\\" b\"\n", "meta:\n  machine_name: \"door_2\"\n"},
		{"single quoted", "meta:\n  machine_name: 'it''s'\n  version: x\n", "meta:\n  machine_name: \"door_2\"\n  version: x\n"},
		{"flow meta", "meta: {machine_name: door, version: \"1\"}\n", "meta: {machine_name: \"door_2\", version: \"1\"}\n"},
		{"flow meta without name", "meta: {version: \"1\"}\n", "meta: {machine_name: \"door_2\", version: \"1\"}\n"},
		{"block meta without name", "meta:\n  version: \"1\"\nstates: []\n", "meta:\n  machine_name: \"door_2\"\n  version: \"1\"\nstates: []\n"},
		{"no meta", "states: []\n", "meta:\n  machine_name: \"door_2\"\nstates: []\n"},
		{"json", `{"meta": {"machine_name": "door"}, "states": []}`, `{"meta": {"machine_name": "door_2"}, "states": []}`},
		{"alias", "names:\n  n: &n door\nmeta:\n  machine_name: *n\n", "names:\n  n: &n door\nmeta:\n  machine_name: \"door_2\"\n"},
		{"json without meta", `{"states": []}`, `{"meta": {"machine_name": "door_2"}, "states": []}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RenameMachine(tc.text, "door_2")
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestRenameKeepsMachineValid(t *testing.T) {
	text := "meta: {machine_name: x}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n"
	m, _, err := engine.Load([]byte(RenameMachine(text, "a name: with \"quotes\" {}")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "a name: with \"quotes\" {}" {
		t.Errorf("name %q", m.Name())
	}
}
