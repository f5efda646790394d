// Package located holds a finding located in an input, at its file and
// line: what the stream reader, replay and validate report and the
// pipeline prints. It stands below them all (record alone), so that the
// pipeline does not depend on the stream reader.
package located

import (
	"encoding/json"
	"fmt"

	"github.com/imhook/imhook/record"
)

// Finding is a finding located in an input: the shape of `validate -o json`.
type Finding struct {
	File string `json:"file"`
	Line int    `json:"line"`
	record.Finding
}

// MarshalJSON writes the six fields always, path too ("" at the top).
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		File     string          `json:"file"`
		Line     int             `json:"line"`
		Severity record.Severity `json:"severity"`
		Rule     string          `json:"rule"`
		Path     string          `json:"path"`
		Message  string          `json:"message"`
	}{f.File, f.Line, f.Severity, f.Rule, f.Path, f.Message})
}

func (f Finding) String() string {
	where := f.Rule
	if f.Path != "" {
		where += " " + f.Path
	}
	return fmt.Sprintf("%s:%d: %s %s: %s", f.File, f.Line, f.Severity, where, f.Message)
}
