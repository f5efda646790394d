package validate

import (
	"fmt"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

// Lookup finds the catalogue entry of a command an input names; a command
// imhook does not know gives an error finding of rule that lists the close
// matches.
func Lookup(cat *fixtures.Catalogue, command, rule string) (*fixtures.Entry, *record.Finding) {
	e, _, ok := cat.Lookup(command)
	if ok {
		return e, nil
	}
	msg := fmt.Sprintf("%s is not a callback imhook knows", command)
	if s := cat.Suggest(command); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	}
	return nil, &record.Finding{Severity: record.Error, Rule: rule, Message: msg}
}
