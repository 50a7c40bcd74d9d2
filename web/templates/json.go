package templates

import "encoding/json"

// toJSON is for attribute values that carry JSON to the page script.
func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
