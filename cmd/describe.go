package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/imhook/imhook/fixtures"
)

// basisWords says what each basis of an entry means, for --doc.
var basisWords = map[string]string{
	fixtures.BasisSample:   "the page's own sample (it validates; fixtures/testdata has it)",
	fixtures.BasisCode:     "the server's code (its request struct and call site)",
	fixtures.BasisTable:    "the page's field table (the sample was built from it, not read on the page)",
	fixtures.BasisInferred: "nothing: the page has no field table, and the fields are inferred",
}

// describeBasis says what the entry was checked against, and the page forms,
// query and releases that make it differ from the plain document.
func describeBasis(sb *strings.Builder, e *fixtures.Entry) {
	b := e.Basis
	fmt.Fprintf(sb, "Checked against: %s\n  %s", basisWords[b.Kind], b.Source)
	if b.Checked != "" {
		fmt.Fprintf(sb, " (read %s)", b.Checked)
	}
	sb.WriteString("\n")
	if b.Note != "" {
		fmt.Fprintf(sb, "  %s\n", b.Note)
	}
	if len(e.Forms) > 0 {
		sb.WriteString("Forms (a payload takes one; generation sends each):\n")
		for _, fm := range e.Forms {
			fields := "none of the form fields"
			if len(fm.Fields) > 0 {
				fields = strings.Join(fm.Fields, ", ")
			}
			fmt.Fprintf(sb, "  %s: %s (%s)\n", fm.Name, fields, fm.Doc)
			if fm.Note != "" {
				fmt.Fprintf(sb, "    %s\n", fm.Note)
			}
		}
	}
	if len(e.Query) > 0 {
		fmt.Fprintf(sb, "Query: %s only (the page's URL; not the overview's five)\n", strings.Join(e.Query, ", "))
	}
}

// fieldNotes are a field's length unit, form and source for the field table.
func fieldNotes(f *fixtures.Field) (extra, doc string) {
	if f.MaxLen > 0 {
		extra = fmt.Sprintf(" ≤%d %s", f.MaxLen, f.LenUnit)
	}
	doc = f.Doc
	if f.Form != "" {
		doc += " [" + f.Form + " form]"
	}
	if f.Source != "" {
		doc += " [documented on " + f.Source + "]"
	}
	return extra, doc
}

// describeChecks says when the platform takes, ignores or fails on an
// applied reply field.
func describeChecks(sb *strings.Builder, r *fixtures.ReplySpec) {
	if len(r.Checks) == 0 {
		return
	}
	sb.WriteString("  conditions on applying them (a field present and not null):\n")
	must := map[string]string{
		fixtures.MustJSONObject:     "must be the text of a JSON object",
		fixtures.MustRequestNonNull: "applies only where the request's field is not null",
		fixtures.MustCaveat:         "may not apply",
	}
	for _, c := range r.Checks {
		fmt.Fprintf(sb, "    %s %s (%s): %s\n", c.Field, must[c.Must], c.Severity, c.Doc)
	}
}

// describeReleases lists what OpenIM Server releases send for the callback.
func describeReleases(sb *strings.Builder, e *fixtures.Entry) {
	if len(e.Releases) == 0 {
		return
	}
	sb.WriteString("\nWhat server releases send (--openim-version generates it):\n")
	for _, rs := range e.Releases {
		var what []string
		for _, p := range sortedKeys(rs.Set) {
			what = append(what, p+" = "+string(rs.Set[p]))
		}
		for _, to := range sortedKeys(rs.Copy) {
			what = append(what, to+" = "+rs.Copy[to]+"'s value")
		}
		if len(rs.Key) > 0 {
			what = append(what, "?key= of "+strings.Join(rs.Key, ", "))
		}
		fmt.Fprintf(sb, "  %s: %s\n    %s (%s)\n", rs.Versions, strings.Join(what, "; "), rs.Doc, rs.Source)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
